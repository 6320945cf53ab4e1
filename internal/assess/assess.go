// Package assess is assessment (考核): department and area metrics from the
// case ledger (standards.md §4), schemes (考核办法), inspection points (点位),
// rounds with a seeded stratified sample, findings, scores, red and black
// lists (红黑榜) and published results (standards.md §5).
//
// Every number here must be reproducible: results decide officials' rankings,
// and a published period must recompute bit-for-bit from the ledger. So the
// arithmetic is integer (hundredths, exact rationals, round half up), times are
// Unix milliseconds, and metrics are computed "as of" a cutoff from the events
// before it: later events never change an earlier period.
//
// How the metrics are computed: each case is reduced to a Summary (Derive
// replays its events); summaries are kept per case in the store and
// refreshed when a case's version moves, so a month of a million cases is
// one index range read; a case changed after the cutoff is replayed from its
// events before the cutoff. The metrics are a pure function of summaries
// (Tally, Window.Due).
//
// Readings of standards.md §4 the code makes, where the text leaves room:
//   - A returned case (回退) belongs to no unit until dispatched again; what
//     happened under an earlier assignment (handlings, reworks) is not the
//     new unit's.
//   - "Handled" at the cutoff is the last handling not failed at
//     verification before it; one still awaiting verification counts.
//   - A case suspended at the cutoff has no deadline in force (its clock is
//     stopped), so it is not due then.
//   - "Not counted in an earlier period" is applied to both parts of 应处置:
//     a case is due in the first period at whose end the deadline in force
//     had fallen (and, if it fell before the period, the case is still
//     open), and never again for that assignment, even when an extension
//     approved late moves its deadline into a later period.
//   - The rework rate's denominator is the due cases handled at least once
//     by the end of the period, so a case failed at verification and not yet
//     handled again is in both numerator and denominator (never above 100 %).
//   - The composite leaves out a term with no data and scales the other
//     weights up to 100 %; it is no data only when every term is.
//   - An inspector's verifications due are the verifications they did (no
//     grids are assigned to inspectors yet).
//
// And of §5: the excellence rate counts ranked units (enough inspected
// points); the bonus never lifts a unit above full marks; inspections and
// findings after the cutoff are not the period's.
package assess

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/calendar"
)

// Fixed is a decimal with two places, held in hundredths (8178 is 81.78), so
// that sums and comparisons are exact on every machine.
type Fixed int64

// FixedOf returns the Fixed for whole units (e.g. FixedOf(90) is 90.00).
func FixedOf(n int64) Fixed { return Fixed(n * 100) }

// String formats with two decimals.
func (f Fixed) String() string {
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	return fmt.Sprintf("%s%d.%02d", sign, int64(f)/100, int64(f)%100)
}

// MarshalJSON writes a JSON number with exactly two decimals.
func (f Fixed) MarshalJSON() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalJSON reads a JSON number with at most two decimals; more are an
// error rather than silently rounded.
func (f *Fixed) UnmarshalJSON(b []byte) error {
	v, err := ParseFixed(strings.Trim(string(b), `"`))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// ParseFixed parses "81.78", "90", "-2.5".
func ParseFixed(s string) (Fixed, error) {
	bad := xiuhua.Errorf(xiuhua.EInvalid, "%q is not a number with at most two decimals", "%q 不是最多两位小数的数字", s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || len(whole) > 12 {
		return 0, bad
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, bad
	}
	var fr int64
	if frac != "" {
		for len(frac) < 2 {
			frac += "0"
		}
		if fr, err = strconv.ParseInt(frac, 10, 64); err != nil || frac[0] == '+' || frac[0] == '-' {
			return 0, bad
		}
	}
	v := Fixed(w*100 + fr)
	if neg {
		v = -v
	}
	return v, nil
}

// roundRat rounds a non-negative rational to the nearest integer, halves up.
func roundRat(r *big.Rat) int64 {
	n := new(big.Int).Mul(r.Num(), big.NewInt(2))
	n.Add(n, r.Denom())
	n.Quo(n, new(big.Int).Mul(r.Denom(), big.NewInt(2)))
	return n.Int64()
}

// Percent is num ÷ den as a percentage with two decimals, rounded half up;
// nil when den is 0: a rate over no cases is "no data" (standards.md §4),
// never 0 % or 100 %.
func Percent(num, den int) *Fixed {
	if den <= 0 {
		return nil
	}
	// hundredths of a percent = num × 10000 ÷ den, rounded half up.
	v := Fixed((int64(num)*10000*2 + int64(den)) / (2 * int64(den)))
	return &v
}

// PeriodKind is the length of a period.
type PeriodKind string

// Period kinds.
const (
	Month   PeriodKind = "month"
	Quarter PeriodKind = "quarter"
	Year    PeriodKind = "year"
)

// Period is a calendar month, quarter or year in Asia/Shanghai, [Start, End).
type Period struct {
	Kind  PeriodKind
	Start time.Time
	End   time.Time
}

// ParsePeriod reads "2026-10" (a month), "2026-Q4" (a quarter) or "2026" (a year).
func ParsePeriod(s string) (Period, error) {
	bad := xiuhua.Errorf(xiuhua.EInvalid, "period %q must be a month (2026-10), a quarter (2026-Q4) or a year (2026)",
		"考核周期 %q 格式应为月（2026-10）、季度（2026-Q4）或年（2026）", s)
	loc := calendar.Shanghai()
	y, rest, _ := strings.Cut(s, "-")
	year, err := strconv.Atoi(y)
	if err != nil || len(y) != 4 || year < 2000 || year > 2999 {
		return Period{}, bad
	}
	switch {
	case rest == "":
		st := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
		return Period{Year, st, st.AddDate(1, 0, 0)}, nil
	case len(rest) == 2 && rest[0] == 'Q' && rest[1] >= '1' && rest[1] <= '4':
		st := time.Date(year, time.Month(3*int(rest[1]-'1')+1), 1, 0, 0, 0, 0, loc)
		return Period{Quarter, st, st.AddDate(0, 3, 0)}, nil
	case len(rest) == 2:
		m, err := strconv.Atoi(rest)
		if err != nil || m < 1 || m > 12 {
			return Period{}, bad
		}
		st := time.Date(year, time.Month(m), 1, 0, 0, 0, 0, loc)
		return Period{Month, st, st.AddDate(0, 1, 0)}, nil
	}
	return Period{}, bad
}

// String is the period's name as ParsePeriod reads it.
func (p Period) String() string {
	switch p.Kind {
	case Year:
		return p.Start.Format("2006")
	case Quarter:
		return fmt.Sprintf("%d-Q%d", p.Start.Year(), (int(p.Start.Month())-1)/3+1)
	}
	return p.Start.Format("2006-01")
}

// Containing returns the period of the same kind that contains t.
func (p Period) Containing(t time.Time) Period {
	t = t.In(p.Start.Location())
	var st time.Time
	switch p.Kind {
	case Year:
		st = time.Date(t.Year(), 1, 1, 0, 0, 0, 0, t.Location())
		return Period{p.Kind, st, st.AddDate(1, 0, 0)}
	case Quarter:
		st = time.Date(t.Year(), time.Month((int(t.Month())-1)/3*3+1), 1, 0, 0, 0, 0, t.Location())
		return Period{p.Kind, st, st.AddDate(0, 3, 0)}
	}
	st = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location())
	return Period{p.Kind, st, st.AddDate(0, 1, 0)}
}

// Next is the following period of the same kind.
func (p Period) Next() Period { return p.Containing(p.End) }

// Prev is the preceding period of the same kind.
func (p Period) Prev() Period { return p.Containing(p.Start.Add(-time.Millisecond)) }
