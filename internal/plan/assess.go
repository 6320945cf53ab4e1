package plan

import (
	"cmp"
	"context"
	"strconv"

	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/auth"
)

// RoundResult is what the Score, Excellence and Clean targets read of one
// assessment round, narrowed to a territory.
type RoundResult struct {
	Round  int64
	Period string
	Units  []UnitResult
	Points []PointResult
}

// UnitResult is a unit's score in a round.
type UnitResult struct {
	Unit string
	// Area is the territory a management unit lies in (its parent); ""
	// for a territory unit, which is its own area.
	Area      string
	Total     float64
	Inspected int
	Excellent bool
	// Insufficient: fewer inspected points than the scheme's minimum sample
	// (never ranked, not in the excellence rate).
	Insufficient bool
}

// PointResult is a point of a round: inspected or not, and the problems
// found there.
type PointResult struct {
	Point string
	Unit  string
	// Area is the Unit's territory, as UnitResult's.
	Area      string
	Type      string
	Inspected bool
	Problems  int
}

// assessValue computes a Score, Excellence or Clean target's value from
// the rounds; ok false when there is nothing to count yet. n is the number
// of unit results (Score, Excellence) or inspected points (Clean) counted.
func assessValue(t Target, rounds []RoundResult) (v float64, n int, ok bool) {
	switch t.Source {
	case Score, Excellence:
		var sum float64
		var excellent int
		for _, r := range rounds {
			for _, u := range r.Units {
				if !auth.Within(cmp.Or(u.Area, u.Unit), t.Territory) || u.Insufficient || u.Inspected == 0 {
					continue
				}
				n++
				sum += u.Total
				if u.Excellent {
					excellent++
				}
			}
		}
		if n == 0 {
			return 0, 0, false
		}
		if t.Source == Score {
			return round2(sum / float64(n)), n, true
		}
		return round2(float64(excellent) * 100 / float64(n)), n, true
	case Clean:
		var clean int
		for _, r := range rounds {
			for _, p := range r.Points {
				if !p.Inspected || !auth.Within(cmp.Or(p.Area, p.Unit), t.Territory) || t.PointType != "" && p.Type != t.PointType {
					continue
				}
				n++
				if p.Problems == 0 {
					clean++
				}
			}
		}
		if n == 0 {
			return 0, 0, false
		}
		return round2(float64(clean) * 100 / float64(n)), n, true
	}
	return 0, 0, false
}

// UseAssessment binds the Service's OnTimeAll and Rounds to the assessment
// service, so that computed targets show the assessment's own figures. It
// reads with a leader's rights narrowed to the target's territory: whoever
// may see the target may see those figures of its territory.
func (s *Service) UseAssessment(as *assess.Service) {
	reader := func(territory string) auth.Actor {
		return auth.Actor{Role: auth.Leader, Scope: territory, Username: "plan"}
	}
	s.OnTimeAll = func(ctx context.Context, year int, territory string) (map[string]float64, error) {
		p, err := assess.ParsePeriod(strconv.Itoa(year))
		if err != nil {
			return nil, err
		}
		res, err := as.Metrics(ctx, reader(territory), assess.MetricsQuery{Period: p, By: "unit"})
		if err != nil {
			return nil, err
		}
		out := map[string]float64{}
		for _, m := range res.Items {
			if m.OnTimeHandlingRate != nil {
				out[m.Key] = float64(*m.OnTimeHandlingRate) / 100
			}
		}
		return out, nil
	}
	s.HasScheme = func(ctx context.Context, code string) bool {
		scs, err := as.Schemes(ctx, auth.Actor{Role: auth.Leader, Username: "plan"})
		if err != nil {
			return false
		}
		for _, sc := range scs {
			if sc.Code == code {
				return true
			}
		}
		return false
	}
	s.Rounds = func(ctx context.Context, year int, scheme, territory string) ([]RoundResult, error) {
		a := reader(territory)
		rs, err := as.Rounds(ctx, a, "")
		if err != nil {
			return nil, err
		}
		// A management unit's code is no territory code: its parent places it.
		mus, err := as.MgmtUnits(ctx, a, "")
		if err != nil {
			return nil, err
		}
		parent := map[string]string{}
		for _, u := range mus {
			parent[u.Code] = u.Parent
		}
		var out []RoundResult
		for _, r := range rs {
			p, err := assess.ParsePeriod(r.Period)
			if err != nil || r.SchemeCode != scheme || p.Start.Year() != year {
				continue
			}
			sc, err := as.Scores(ctx, a, assess.ScoreQuery{Round: r.ID})
			if err != nil {
				return nil, err
			}
			d, err := as.Round(ctx, a, r.ID)
			if err != nil {
				return nil, err
			}
			rr := RoundResult{Round: r.ID, Period: r.Period}
			for _, u := range sc.Units {
				rr.Units = append(rr.Units, UnitResult{Unit: u.Unit, Area: parent[u.Unit], Total: float64(u.Total) / 100, Inspected: u.Inspected,
					Excellent: u.Excellent, Insufficient: u.Insufficient})
			}
			// As the scores read the round: what was inspected or found
			// from the cutoff on (a finding made after the period) is not
			// the period's.
			problems := map[string]int{}
			for _, f := range d.Findings {
				if f.CreatedAt.Before(sc.Cutoff) {
					problems[f.Point] += f.Count
				}
			}
			for _, pt := range d.Points {
				inspected := pt.InspectedAt != nil && pt.InspectedAt.Before(sc.Cutoff)
				rr.Points = append(rr.Points, PointResult{Point: pt.Point, Unit: pt.Unit, Area: parent[pt.Unit], Type: pt.Type, Inspected: inspected, Problems: problems[pt.Point]})
			}
			out = append(out, rr)
		}
		return out, nil
	}
}

// roundsKey groups the assessment-based targets that read the same rounds.
type roundsKey struct {
	year              int
	scheme, territory string
}

// onTimeKey groups the on-time targets that read the same metrics.
type onTimeKey struct {
	year      int
	territory string
}
