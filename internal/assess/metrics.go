package assess

import (
	"math/big"
	"sort"
	"time"

	"github.com/xiuhua/xiuhua"
)

// Weights of the composite index, in basis points (hundredths of a
// percent), summing to 10000: standards.md §4's 0.4/0.3/0.2/0.1 is
// {4000, 3000, 2000, 1000}. Integers keep the composite exact.
type Weights struct {
	OnTimeHandling int64 `json:"on_time_handling"`
	Closure        int64 `json:"closure"`
	NoRework       int64 `json:"no_rework"`
	NoOverdue      int64 `json:"no_overdue"`
}

// DefaultWeights are standards.md §4's.
var DefaultWeights = Weights{4000, 3000, 2000, 1000}

// Check validates weights.
func (w Weights) Check() error {
	if w.OnTimeHandling < 0 || w.Closure < 0 || w.NoRework < 0 || w.NoOverdue < 0 ||
		w.OnTimeHandling+w.Closure+w.NoRework+w.NoOverdue != 10000 {
		return xiuhua.Errorf(xiuhua.EInvalid, "composite weights must be non-negative basis points summing to 10000 (e.g. 4000,3000,2000,1000)",
			"综合指标权重须为非负的万分数，合计 10000（如 4000,3000,2000,1000）")
	}
	return nil
}

// Metrics are one unit's, area's or inspector's figures for a period
// (standards.md §4). Counts are always present; a rate is nil ("no data")
// when its denominator is zero.
type Metrics struct {
	Key string `json:"key"`
	// 应处置数, 按期处置数, 超期未处置数.
	Due           int `json:"due"`
	HandledOnTime int `json:"handled_on_time"`
	OverdueOpen   int `json:"overdue_open"`
	// Handled are the due cases handled at least once by the end of the
	// period, Reworked those of them with a failed verification.
	Handled  int `json:"handled"`
	Reworked int `json:"reworked"`
	// 应结案数, and of those closed, and closed by their deadline.
	ToClose      int `json:"to_close"`
	Closed       int `json:"closed"`
	ClosedOnTime int `json:"closed_on_time"`
	// Percentages with two decimals.
	OnTimeHandlingRate *Fixed `json:"on_time_handling_rate"`
	ReworkRate         *Fixed `json:"rework_rate"`
	ClosureRate        *Fixed `json:"closure_rate"`
	OnTimeClosureRate  *Fixed `json:"on_time_closure_rate"`
	// Composite is 综合指标值, 0–100 with two decimals.
	Composite *Fixed `json:"composite"`
}

// Window is what a computation looks at: the period, and the cutoff (the
// period's end, or now while the period runs) before which events count.
type Window struct {
	Period Period
	Start  int64
	End    int64 // min(period end, cutoff), exclusive
}

// NewWindow bounds a period by a cutoff (zero: the period's end).
func NewWindow(p Period, cutoff time.Time) Window {
	w := Window{Period: p, Start: p.Start.UnixMilli(), End: p.End.UnixMilli()}
	if !cutoff.IsZero() && cutoff.UnixMilli() < w.End {
		w.End = cutoff.UnixMilli()
	}
	return w
}

// Due reports whether the case counts as due (应处置) in the window: the
// deadline in force at the end fell inside the period, or fell earlier and
// the case is still open; and in either case it was not already counted at
// the end of an earlier period of the same kind (so an extension approved
// after a deadline was counted does not count the case twice).
func (w Window) Due(s *Summary) bool {
	// Summaries are taken at the window's end; versions set later are
	// ignored all the same, so the rule stands on its own.
	vs := s.Versions
	for len(vs) > 0 && vs[len(vs)-1].Set >= w.End {
		vs = vs[:len(vs)-1]
	}
	if len(vs) == 0 {
		return false
	}
	cur := vs[len(vs)-1]
	if cur.Due == 0 || cur.Due >= w.End {
		return false
	}
	if cur.Due < w.Start && !s.OpenAt(w.End) {
		return false
	}
	if len(vs) == 1 && cur.Set >= w.Start {
		return true // the common case: set and due inside the period
	}
	// Walk the earlier period ends since the first deadline was set.
	for p := w.Period.Containing(time.UnixMilli(vs[0].Set)); p.End.UnixMilli() <= w.Start; p = p.Next() {
		e, st := p.End.UnixMilli(), p.Start.UnixMilli()
		var v Version
		for _, x := range vs {
			if x.Set < e {
				v = x
			}
		}
		if v.Due != 0 && v.Due < e && (v.Due >= st || s.OpenAt(e)) {
			return false
		}
	}
	return true
}

// tally adds one case to m under the window; byUnit selects the unit rule
// for "to close" (dispatched in the period) over the area rule (registered
// in the period).
func (w Window) tally(m *Metrics, s *Summary, byUnit bool) {
	if w.Due(s) {
		m.Due++
		d := s.Deadline()
		if s.Handled != 0 && s.Handled <= d {
			m.HandledOnTime++
		}
		if s.Handled == 0 {
			m.OverdueOpen++
		}
		if s.FirstHandled != 0 {
			m.Handled++
			if s.Reworked {
				m.Reworked++
			}
		}
	}
	at := s.Registered
	if byUnit {
		at = s.Dispatched
	}
	if at != 0 && at >= w.Start && at < w.End {
		m.ToClose++
		if s.Closed != 0 {
			m.Closed++
			if d := s.Deadline(); d != 0 && s.Closed <= d {
				m.ClosedOnTime++
			}
		}
	}
}

// finish fills the rates and the composite from the counts.
func (m *Metrics) finish(wt Weights) {
	m.OnTimeHandlingRate = Percent(m.HandledOnTime, m.Due)
	m.ReworkRate = Percent(m.Reworked, m.Handled)
	m.ClosureRate = Percent(m.Closed, m.ToClose)
	m.OnTimeClosureRate = Percent(m.ClosedOnTime, m.ToClose)
	// composite (hundredths) = Σ wᵢ·rᵢ over the terms that have data, scaled
	// back to 10000 when some have none; nil when none has. Exact rationals.
	sum := new(big.Rat)
	var wsum int64
	term := func(w int64, num, den int) {
		if den == 0 || w == 0 {
			return
		}
		sum.Add(sum, new(big.Rat).SetFrac64(w*int64(num), int64(den)))
		wsum += w
	}
	term(wt.OnTimeHandling, m.HandledOnTime, m.Due)
	term(wt.Closure, m.Closed, m.ToClose)
	term(wt.NoRework, m.Handled-m.Reworked, m.Handled)
	term(wt.NoOverdue, m.Due-m.OverdueOpen, m.Due)
	if wsum == 0 {
		return
	}
	if wsum != 10000 {
		sum.Mul(sum, new(big.Rat).SetFrac64(10000, wsum))
	}
	c := Fixed(roundRat(sum))
	m.Composite = &c
}

// Tally accumulates metrics one summary at a time, so a month of a million
// cases never has to sit in one slice.
type Tally struct {
	w      Window
	wt     Weights
	byUnit bool
	key    func(*Summary) string
	idx    map[string]int
	out    []Metrics
}

// NewTally starts metrics per "unit" (a case belongs to the unit it was last
// dispatched to) or per area of a level, "community", "street" or "district"
// (by where the cases are).
func NewTally(w Window, wt Weights, by string) *Tally {
	t := &Tally{w: w, wt: wt, idx: map[string]int{}}
	switch by {
	case "unit":
		t.byUnit, t.key = true, func(s *Summary) string { return s.Unit }
	case "street":
		t.key = func(s *Summary) string { return s.Street }
	case "district":
		t.key = func(s *Summary) string { return s.District }
	default:
		t.key = func(s *Summary) string { return s.Community }
	}
	return t
}

// Add counts one case.
func (t *Tally) Add(s *Summary) {
	k := t.key(s)
	if k == "" {
		return
	}
	j, ok := t.idx[k]
	if !ok {
		j = len(t.out)
		t.idx[k] = j
		t.out = append(t.out, Metrics{Key: k})
	}
	t.w.tally(&t.out[j], s, t.byUnit)
}

// Result returns the metrics by key; keys with nothing due and nothing to
// close in the window are left out.
func (t *Tally) Result() []Metrics {
	kept := []Metrics{}
	for _, m := range t.out {
		if m.Due+m.ToClose > 0 {
			m.finish(t.wt)
			kept = append(kept, m)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].Key < kept[j].Key })
	return kept
}

// UnitMetrics computes the metrics per unit over summaries.
func UnitMetrics(sums []Summary, w Window, wt Weights) []Metrics {
	return tallyAll(sums, NewTally(w, wt, "unit"))
}

// AreaMetrics computes the metrics per area of a level over summaries.
func AreaMetrics(sums []Summary, w Window, wt Weights, level string) []Metrics {
	return tallyAll(sums, NewTally(w, wt, level))
}

func tallyAll(sums []Summary, t *Tally) []Metrics {
	for i := range sums {
		t.Add(&sums[i])
	}
	return t.Result()
}

// Verification is one on-site verification: who did it, when the handling it
// checked was reported, and when it was done.
type Verification struct {
	Inspector int64
	Grid      string
	Handled   int64
	Verified  int64
}

// InspectorMetrics are an inspector's figures for a period.
type InspectorMetrics struct {
	Inspector int64 `json:"inspector"`
	// 上报准确率: reports made in the period, and of them registered by its end
	// (rejected and still pending ones count against).
	Reports        int    `json:"reports"`
	Registered     int    `json:"registered"`
	ReportAccuracy *Fixed `json:"report_accuracy"`
	// 按时核查率: verifications done in the period, and of them done within 2
	// working hours of the handling. Without an assignment of inspectors to
	// grids, an inspector's verifications due are those they did.
	Verifications        int    `json:"verifications"`
	VerifiedOnTime       int    `json:"verified_on_time"`
	OnTimeVerificationRt *Fixed `json:"on_time_verification_rate"`
}

// VerifyWithin is the time an on-site verification is due in: 2 working hours.
const VerifyWithin = 2 * time.Hour

// Inspectors computes report accuracy and on-time verification per
// inspector. deadline adds working time (calendar.Calendar.Deadline).
func Inspectors(sums []Summary, vs []Verification, w Window, deadline func(start time.Time, d time.Duration) time.Time) []InspectorMetrics {
	m := map[int64]*InspectorMetrics{}
	get := func(id int64) *InspectorMetrics {
		x := m[id]
		if x == nil {
			x = &InspectorMetrics{Inspector: id}
			m[id] = x
		}
		return x
	}
	for i := range sums {
		s := &sums[i]
		if s.Reporter == 0 || s.Reported < w.Start || s.Reported >= w.End {
			continue
		}
		x := get(s.Reporter)
		x.Reports++
		if s.Registered != 0 && s.Registered < w.End {
			x.Registered++
		}
	}
	for _, v := range vs {
		if v.Inspector == 0 || v.Verified < w.Start || v.Verified >= w.End {
			continue
		}
		x := get(v.Inspector)
		x.Verifications++
		if v.Verified <= deadline(time.UnixMilli(v.Handled), VerifyWithin).UnixMilli() {
			x.VerifiedOnTime++
		}
	}
	out := make([]InspectorMetrics, 0, len(m))
	for _, x := range m {
		x.ReportAccuracy = Percent(x.Registered, x.Reports)
		x.OnTimeVerificationRt = Percent(x.VerifiedOnTime, x.Verifications)
		out = append(out, *x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Inspector < out[j].Inspector })
	return out
}
