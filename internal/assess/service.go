package assess

import (
	"context"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// Store is what assessment needs from storage (store.DB).
type Store interface {
	// RefreshFacts derives the summaries of cases changed since the last
	// refresh (all cases when full).
	RefreshFacts(ctx context.Context, full bool) (int, error)
	// EachSummary calls fn with the cases that may matter to a window, as
	// they stood at its end.
	EachSummary(ctx context.Context, w Window, fn func(*Summary)) error
	// Verifications returns the verifications done in a window.
	Verifications(ctx context.Context, w Window) ([]Verification, error)
	SchemeStore
	MgmtStore
}

// Service runs assessment.
type Service struct {
	Store Store
	// Cases opens a case for each finding.
	Cases    *casework.Service
	Calendar func() *calendar.Calendar
	Locate   func(lon, lat float64) (territory.Location, bool)
	// Area looks up a territory code (names of units, tiers).
	Area     func(code string) (territory.Area, bool)
	Category func(code string) (catalog.Category, bool)
	// UnitScope looks up the territory an organisation unit answers for
	// (optional: without it a unit code's territory prefix is used).
	UnitScope func(code string) (string, bool)
	Now       func() time.Time
}

// MetricsQuery asks for metrics.
type MetricsQuery struct {
	Period Period
	// By is what the figures are per: "unit" (default), "community",
	// "street", "district" or "inspector".
	By string
	// Territory narrows to cases located in it (within the actor's scope).
	Territory string
	// Unit keeps one unit (By "unit" only).
	Unit    string
	Weights Weights
	// Cutoff overrides the end (a publication's recorded cutoff); zero means
	// the period's end, or now while the period runs.
	Cutoff time.Time
}

// MetricsResult is a computation with what it was computed on.
type MetricsResult struct {
	Period     string             `json:"period"`
	By         string             `json:"by"`
	Territory  string             `json:"territory"`
	Cutoff     time.Time          `json:"cutoff"`
	Weights    Weights            `json:"weights"`
	Items      []Metrics          `json:"items"`
	Inspectors []InspectorMetrics `json:"inspectors,omitempty"`
}

// readers may read assessment results; assessors (admins, dispatchers) also write.
func canRead(a auth.Actor) error {
	if !a.Is(auth.Admin, auth.Dispatcher, auth.Leader) {
		return xiuhua.Errorf(xiuhua.EForbidden, "a %s may not read assessment results", "%s无权查看考核结果", a.Role)
	}
	return nil
}

// Metrics computes the department or area metrics of a period from the ledger.
func (s *Service) Metrics(ctx context.Context, actor auth.Actor, q MetricsQuery) (MetricsResult, error) {
	if err := canRead(actor); err != nil {
		return MetricsResult{}, err
	}
	terr, err := actor.Narrow(q.Territory)
	if err != nil {
		return MetricsResult{}, err
	}
	if q.By == "" {
		q.By = "unit"
	}
	switch q.By {
	case "unit", "community", "street", "district", "inspector":
	default:
		return MetricsResult{}, xiuhua.Errorf(xiuhua.EInvalid, "by must be unit, community, street, district or inspector",
			"by 须为 unit、community、street、district 或 inspector")
	}
	if q.Weights == (Weights{}) {
		q.Weights = DefaultWeights
	}
	if err := q.Weights.Check(); err != nil {
		return MetricsResult{}, err
	}
	if q.Cutoff.IsZero() {
		q.Cutoff = s.Now()
	}
	if _, err := s.Store.RefreshFacts(ctx, false); err != nil {
		return MetricsResult{}, err
	}
	return s.metrics(ctx, q, terr)
}

// metrics computes checked metrics over a territory already narrowed.
func (s *Service) metrics(ctx context.Context, q MetricsQuery, terr string) (MetricsResult, error) {
	w := NewWindow(q.Period, q.Cutoff)
	var err error
	res := MetricsResult{Period: q.Period.String(), By: q.By, Territory: terr, Weights: q.Weights,
		Cutoff: time.UnixMilli(w.End).In(calendar.Shanghai())}
	if q.By == "inspector" {
		// Only the reports made in the window matter here.
		var sums []Summary
		err := s.Store.EachSummary(ctx, w, func(x *Summary) {
			if x.Reported >= w.Start && x.Reported < w.End && auth.Within(x.Grid, terr) {
				sums = append(sums, Summary{Reporter: x.Reporter, Reported: x.Reported, Registered: x.Registered})
			}
		})
		if err != nil {
			return MetricsResult{}, err
		}
		vs, err := s.Store.Verifications(ctx, w)
		if err != nil {
			return MetricsResult{}, err
		}
		kept := vs[:0]
		for _, v := range vs {
			if auth.Within(v.Grid, terr) {
				kept = append(kept, v)
			}
		}
		cal := s.Calendar()
		res.Inspectors = Inspectors(sums, kept, w, func(t time.Time, d time.Duration) time.Time { return cal.Deadline(t, d, false) })
		res.Items = []Metrics{}
		return res, nil
	}
	t := NewTally(w, q.Weights, q.By)
	err = s.Store.EachSummary(ctx, w, func(x *Summary) {
		if (terr == "" || auth.Within(x.Grid, terr)) && (q.Unit == "" || x.Unit == q.Unit) {
			t.Add(x)
		}
	})
	if err != nil {
		return MetricsResult{}, err
	}
	res.Items = t.Result()
	if res.Items == nil {
		res.Items = []Metrics{}
	}
	return res, nil
}
