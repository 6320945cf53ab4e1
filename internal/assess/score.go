package assess

import (
	"sort"
	"time"
)

// IndicatorScore is a unit's result on one leaf indicator.
type IndicatorScore struct {
	Code      string `json:"code"`
	FullMarks Fixed  `json:"full_marks"`
	Deducted  Fixed  `json:"deducted"`
	Score     Fixed  `json:"score"`
}

// UnitScore is a scored unit's result for a round.
type UnitScore struct {
	Unit string `json:"unit"`
	Name string `json:"name"`
	Tier string `json:"tier"`
	// Inspected points (drawn and visited) and problems found (finding counts).
	Inspected int `json:"inspected"`
	Problems  int `json:"problems"`
	// PrevProblems in the previous period's rounds of the scheme, and the
	// change (nil when there was none).
	PrevProblems *int             `json:"prev_problems"`
	Change       *int             `json:"change"`
	Indicators   []IndicatorScore `json:"indicators"`
	Deducted     Fixed            `json:"deducted"`
	// FixedFast counts the problems fixed within the bonus rule's share of their time limit.
	FixedFast int   `json:"fixed_fast"`
	Bonus     Fixed `json:"bonus"`
	Total     Fixed `json:"total"`
	Excellent bool  `json:"excellent"`
	// Insufficient: fewer inspected points than the scheme's minimum sample:
	// shown, never ranked, and not in the excellence rate.
	Insufficient bool `json:"insufficient_sample"`
	// Rank within the tier (0: not ranked).
	Rank int `json:"rank"`
}

// TierList is the red list (best) and black list (worst first) of a tier.
type TierList struct {
	Tier  string   `json:"tier"`
	Red   []string `json:"red"`
	Black []string `json:"black"`
}

// Scores are a round's results.
type Scores struct {
	Round          int64       `json:"round"`
	Period         string      `json:"period"`
	Scheme         string      `json:"scheme"`
	SchemeVersion  int         `json:"scheme_version"`
	Territory      string      `json:"territory"`
	Cutoff         time.Time   `json:"cutoff"`
	Excellent      Fixed       `json:"excellent_threshold"`
	MinSample      int         `json:"min_sample"`
	Units          []UnitScore `json:"units"`
	Scored         int         `json:"scored"`
	ExcellentUnits int         `json:"excellent_units"`
	ExcellenceRate *Fixed      `json:"excellence_rate"`
	Lists          []TierList  `json:"lists"`
	TieRule        string      `json:"tie_rule"`
	TieRuleZh      string      `json:"tie_rule_zh"`
}

// Tie rules as printed on the notice.
const (
	TieRule   = "Ranked by total score; ties go to the unit with fewer problems, then to the lower unit code. Units with fewer inspected points than the minimum sample are shown but not ranked."
	TieRuleZh = "按总分排序；总分相同时问题数少者在前，再按单位编码排序。检查点位数少于最小样本数的单位只列示、不排名。"
)

// ScoreInput is what a round's scores are computed from.
type ScoreInput struct {
	Scheme   Scheme
	Points   []RoundPoint
	Findings []Finding
	// FixedFast tells, by case id, whether a finding's case was fixed within
	// the bonus rule's share of its time limit by the cutoff.
	FixedFast map[int64]bool
	// Prev are the problem counts per unit in the previous period (nil: no
	// previous round).
	Prev map[string]int
	// Tier names a unit's tier (the area above it at the scheme's tier level).
	Tier func(unit string) string
}

// Score computes a round's scores (standards.md §5): for each unit, every
// leaf's full marks less its deductions (per problem by category and point
// type, capped at the leaf's full marks), plus the bonus (capped; it never
// lifts a unit above full marks); the excellence rate; red and black lists
// per tier with the minimum-sample rule and the tie rule.
func Score(in ScoreInput) Scores {
	sc := in.Scheme
	leaves := sc.Leaves()
	type acc struct {
		us       UnitScore
		deducted map[string]Fixed
	}
	units := map[string]*acc{}
	get := func(u string) *acc {
		a := units[u]
		if a == nil {
			a = &acc{us: UnitScore{Unit: u}, deducted: map[string]Fixed{}}
			units[u] = a
		}
		return a
	}
	ptype := map[string]RoundPoint{}
	for _, p := range in.Points {
		ptype[p.Point] = p
		a := get(p.Unit)
		if p.InspectedAt != nil {
			a.us.Inspected++
		}
	}
	for _, f := range in.Findings {
		p, ok := ptype[f.Point]
		if !ok {
			continue
		}
		a := get(p.Unit)
		a.us.Problems += f.Count
		if leaf := sc.Leaf(f.Indicator); leaf != nil {
			if d, ok := leaf.Rule(f.Category, p.Type); ok {
				a.deducted[leaf.Code] += d * Fixed(f.Count)
			}
		}
		if in.FixedFast[f.CaseID] {
			a.us.FixedFast += f.Count
		}
	}
	var full Fixed
	for _, l := range leaves {
		full += l.FullMarks
	}
	out := Scores{Scheme: sc.Code, SchemeVersion: sc.Version, Excellent: sc.Excellent, MinSample: sc.MinSample,
		TieRule: TieRule, TieRuleZh: TieRuleZh}
	for _, a := range units {
		us := &a.us
		us.Indicators = make([]IndicatorScore, 0, len(leaves))
		for _, l := range leaves {
			d := min(a.deducted[l.Code], l.FullMarks)
			us.Indicators = append(us.Indicators, IndicatorScore{l.Code, l.FullMarks, d, l.FullMarks - d})
			us.Deducted += d
			us.Total += l.FullMarks - d
		}
		if b := sc.Bonus; b != nil {
			us.Bonus = min(b.Points*Fixed(us.FixedFast), b.Cap, full-us.Total)
			us.Total += us.Bonus
		}
		if in.Prev != nil {
			p := in.Prev[us.Unit]
			c := us.Problems - p
			us.PrevProblems, us.Change = &p, &c
		}
		if in.Tier != nil {
			us.Tier = in.Tier(us.Unit)
		}
		us.Insufficient = us.Inspected < sc.MinSample
		us.Excellent = !us.Insufficient && us.Total >= sc.Excellent
		if !us.Insufficient {
			out.Scored++
			if us.Excellent {
				out.ExcellentUnits++
			}
		}
		out.Units = append(out.Units, *us)
	}
	out.ExcellenceRate = Percent(out.ExcellentUnits, out.Scored)
	// Rank within tiers: total down, problems up, code up.
	sort.Slice(out.Units, func(i, j int) bool {
		a, b := out.Units[i], out.Units[j]
		switch {
		case a.Tier != b.Tier:
			return a.Tier < b.Tier
		case a.Insufficient != b.Insufficient:
			return !a.Insufficient
		case a.Total != b.Total:
			return a.Total > b.Total
		case a.Problems != b.Problems:
			return a.Problems < b.Problems
		}
		return a.Unit < b.Unit
	})
	n := sc.ListSize
	for i := 0; i < len(out.Units); {
		tier := out.Units[i].Tier
		var ranked []string
		rank := 0
		for ; i < len(out.Units) && out.Units[i].Tier == tier; i++ {
			if !out.Units[i].Insufficient {
				rank++
				out.Units[i].Rank = rank
				ranked = append(ranked, out.Units[i].Unit)
			}
		}
		tl := TierList{Tier: tier, Red: []string{}, Black: []string{}}
		tl.Red = append(tl.Red, ranked[:min(n, len(ranked))]...)
		// The black list is the worst n not already on the red list, worst first.
		for k := len(ranked) - 1; k >= min(n, len(ranked)) && len(tl.Black) < n; k-- {
			tl.Black = append(tl.Black, ranked[k])
		}
		out.Lists = append(out.Lists, tl)
	}
	return out
}
