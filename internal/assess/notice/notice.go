// Package notice renders a published period's assessment results as a
// notice (通报): printable A4 HTML with Chinese typography, and an XLSX
// workbook with one sheet per section and the same numbers.
//
// It is pure rendering from stored publications: nothing is recomputed, so a
// notice printed today says what was published then, version for version.
package notice

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/calendar"
)

// NoData is printed where a figure has no data (a rate over nothing): never
// 0 % or 100 %.
const NoData = "—"

// Input is what a notice is rendered from.
type Input struct {
	// Scores is the publication of a round's scores (kind "scores").
	Scores assess.Publication
	// Metrics is the latest publication of the period's department metrics
	// (kind "metrics"), if any.
	Metrics *assess.Publication
	// Indicators names the indicator codes (from the frozen scheme version).
	Indicators map[string]string
	// Name names territory and unit codes (tiers, metric keys); may be nil.
	Name func(code string) string
}

// body mirrors a publication's stored body: its parameters and result.
type body[T any] struct {
	Params assess.PublishInput `json:"params"`
	Result T                   `json:"result"`
}

// Column is an indicator column of the scores table.
type Column struct {
	Code, Name, FullMarks string
}

// Row is a unit's line in the scores table; figures already formatted.
type Row struct {
	Tier, TierName, Rank, Unit, Name string
	Inspected, Problems              int
	Prev, Change                     string
	Indicators                       []string
	Deducted, Bonus, Total           string
	Excellent                        bool
}

// List is a tier's red and black list, as "name (total)".
type List struct {
	Tier, TierName string
	Red, Black     []string
}

// MetricRow is a unit's department metrics, "—" for no data.
type MetricRow struct {
	Key, Name                                         string
	Due, HandledOnTime, OverdueOpen, ToClose, Closed  int
	OnTime, Rework, Closure, OnTimeClosure, Composite string
}

// Notice is a publication ready to print.
type Notice struct {
	Title, Period, PeriodLabel string
	Scheme                     string
	SchemeVersion              int
	Round                      int64
	Territory, TerritoryName   string
	Cutoff, PublishedAt        string
	Version                    int
	Reason                     string
	// Excerpt: the reader sees their own units only (assess.Visibility);
	// the totals are the whole territory's.
	Excerpt bool
	// Threshold of excellence, ranked (scored) units, excellent ones and the rate.
	Threshold              string
	Scored, ExcellentUnits int
	ExcellenceRate         string
	MinSample              int
	Columns                []Column
	Ranked, Insufficient   []Row
	Problems               int
	PrevProblems, Change   string
	Lists                  []List
	TieRule, TieRuleZh     string
	HasMetrics             bool
	MetricsVersion         int
	MetricsReason          string
	Metrics                []MetricRow
}

func pct(f *assess.Fixed) string {
	if f == nil {
		return NoData
	}
	return f.String()
}

func signed(n *int) string {
	if n == nil {
		return NoData
	}
	return fmt.Sprintf("%+d", *n)
}

// label names a period in Chinese: 2026年10月, 2026年第四季度, 2026年度.
func label(p string) string {
	per, err := assess.ParsePeriod(p)
	if err != nil {
		return p
	}
	switch per.Kind {
	case assess.Month:
		return fmt.Sprintf("%d年%d月", per.Start.Year(), per.Start.Month())
	case assess.Quarter:
		return fmt.Sprintf("%d年第%s季度", per.Start.Year(), []string{"一", "二", "三", "四"}[(per.Start.Month()-1)/3])
	}
	return fmt.Sprintf("%d年度", per.Start.Year())
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(calendar.Shanghai()).Format("2006-01-02 15:04")
}

// Build reads the publications into a Notice. A body that does not parse is
// an internal error: publications are written by this program.
func Build(in Input) (*Notice, error) {
	if in.Scores.Kind != "scores" {
		return nil, xiuhua.Errorf(xiuhua.EUnprocessable, "publication %d holds %s, not scores: a notice is printed from a scores publication",
			"发布记录 %d 是%s，不是考核得分：通报须由得分发布生成", in.Scores.ID, in.Scores.Kind)
	}
	name := in.Name
	if name == nil {
		name = func(string) string { return "" }
	}
	var b body[assess.Scores]
	if err := jsonUnmarshal(in.Scores.Body, &b); err != nil {
		return nil, err
	}
	sc := b.Result
	n := &Notice{Period: sc.Period, PeriodLabel: label(sc.Period), Scheme: sc.Scheme, SchemeVersion: sc.SchemeVersion,
		Round: sc.Round, Territory: sc.Territory, TerritoryName: name(sc.Territory), Cutoff: stamp(in.Scores.Cutoff),
		PublishedAt: stamp(in.Scores.CreatedAt), Version: in.Scores.Version, Reason: in.Scores.Reason, Excerpt: in.Scores.View == assess.ViewExcerpt,
		Threshold: sc.Excellent.String(), Scored: sc.Scored, ExcellentUnits: sc.ExcellentUnits, ExcellenceRate: pct(sc.ExcellenceRate),
		MinSample: sc.MinSample, TieRule: sc.TieRule, TieRuleZh: sc.TieRuleZh}
	n.Title = n.TerritoryName + n.PeriodLabel + "城市精细化管理考核结果通报"
	units := append([]assess.UnitScore(nil), sc.Units...)
	sort.SliceStable(units, func(i, j int) bool {
		if units[i].Tier != units[j].Tier {
			return units[i].Tier < units[j].Tier
		}
		if units[i].Rank != units[j].Rank {
			return units[i].Rank < units[j].Rank
		}
		return units[i].Unit < units[j].Unit
	})
	seen := map[string]bool{}
	var prevSum, anyPrev = 0, false
	total := map[string]string{}
	for _, u := range units {
		total[u.Unit] = u.Total.String()
		r := Row{Tier: u.Tier, TierName: name(u.Tier), Rank: NoData, Unit: u.Unit, Name: u.Name, Inspected: u.Inspected,
			Problems: u.Problems, Prev: NoData, Change: signed(u.Change), Deducted: u.Deducted.String(), Bonus: u.Bonus.String(),
			Total: u.Total.String(), Excellent: u.Excellent}
		if r.Name == "" {
			r.Name = name(u.Unit)
		}
		if u.Rank > 0 {
			r.Rank = fmt.Sprint(u.Rank)
		}
		if u.PrevProblems != nil {
			r.Prev = fmt.Sprint(*u.PrevProblems)
			prevSum, anyPrev = prevSum+*u.PrevProblems, true
		}
		n.Problems += u.Problems
		for _, is := range u.Indicators {
			if !seen[is.Code] {
				seen[is.Code] = true
				n.Columns = append(n.Columns, Column{Code: is.Code, Name: in.Indicators[is.Code], FullMarks: is.FullMarks.String()})
			}
		}
		if u.Insufficient {
			n.Insufficient = append(n.Insufficient, r)
		} else {
			n.Ranked = append(n.Ranked, r)
		}
	}
	// Each row's indicator cells follow the columns, whatever order a unit lists them in.
	for _, rows := range [][]Row{n.Ranked, n.Insufficient} {
		for i := range rows {
			u := unitOf(units, rows[i].Unit)
			rows[i].Indicators = make([]string, len(n.Columns))
			for c, col := range n.Columns {
				rows[i].Indicators[c] = NoData
				for _, is := range u.Indicators {
					if is.Code == col.Code {
						rows[i].Indicators[c] = is.Score.String()
					}
				}
			}
		}
	}
	n.PrevProblems, n.Change = NoData, NoData
	if anyPrev {
		d := n.Problems - prevSum
		n.PrevProblems, n.Change = fmt.Sprint(prevSum), signed(&d)
	}
	unitName := map[string]string{}
	for _, r := range append(append([]Row(nil), n.Ranked...), n.Insufficient...) {
		unitName[r.Unit] = r.Name
	}
	entry := func(code string) string { return fmt.Sprintf("%s（%s分）", unitName[code], total[code]) }
	for _, l := range sc.Lists {
		ls := List{Tier: l.Tier, TierName: name(l.Tier)}
		for _, c := range l.Red {
			ls.Red = append(ls.Red, entry(c))
		}
		for _, c := range l.Black {
			ls.Black = append(ls.Black, entry(c))
		}
		n.Lists = append(n.Lists, ls)
	}
	if in.Metrics != nil {
		var m body[assess.MetricsResult]
		if err := jsonUnmarshal(in.Metrics.Body, &m); err != nil {
			return nil, err
		}
		n.HasMetrics, n.MetricsVersion, n.MetricsReason = true, in.Metrics.Version, in.Metrics.Reason
		for _, it := range m.Result.Items {
			n.Metrics = append(n.Metrics, MetricRow{Key: it.Key, Name: name(it.Key), Due: it.Due, HandledOnTime: it.HandledOnTime,
				OverdueOpen: it.OverdueOpen, ToClose: it.ToClose, Closed: it.Closed, OnTime: pct(it.OnTimeHandlingRate),
				Rework: pct(it.ReworkRate), Closure: pct(it.ClosureRate), OnTimeClosure: pct(it.OnTimeClosureRate), Composite: pct(it.Composite)})
		}
	}
	return n, nil
}

func unitOf(us []assess.UnitScore, code string) assess.UnitScore {
	for _, u := range us {
		if u.Unit == code {
			return u
		}
	}
	return assess.UnitScore{}
}

func jsonUnmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return xiuhua.Internal(err)
	}
	return nil
}
