package web

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/auth"
)

// A unit's scores over the last twelve periods (months, or quarters for a
// scheme run quarterly): one round of a scheme per period (a monthly or
// quarterly one before a special one, else the first), each
// scored by Service.Scores as the scores page does, so the chart and its
// table read the same numbers. The chart (assess_trend.js) draws the table.

func init() {
	pageNames = append(pageNames, "assess_trend")
}

// trendPeriods is how many periods the trend shows, the current one included.
const trendPeriods = 12

// trendRow is one period of the trend; Round 0 is a month with no round of
// the scheme, Scored false a round that did not score the unit.
type trendRow struct {
	Period    string
	Round     int64
	RoundName string
	Scored    bool
	assess.UnitScore
}

type trendView struct {
	assessBase
	Scheme, Unit string
	UnitName     string
	Schemes      []string
	Units        []areaOption
	Rows         []trendRow
}

// TotalValue is the chart's data: the score of a row, "" when there is none.
func (r trendRow) TotalValue() string {
	if !r.Scored {
		return ""
	}
	return r.Total.String()
}

// ProblemsValue is the chart's data: the problems of a row, "" when none were counted.
func (r trendRow) ProblemsValue() string {
	if !r.Scored {
		return ""
	}
	return strconv.Itoa(r.Problems)
}

func (s *Server) assessTrendPage(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	svc := s.assessService()
	qs := r.URL.Query()
	v := trendView{assessBase: assessBase{q.lang}, Scheme: strings.TrimSpace(qs.Get("scheme")), Unit: strings.TrimSpace(qs.Get("unit"))}
	if err := canReadScores(q); err != nil {
		return err
	}
	all, err := svc.Rounds(ctx, q.actor, "")
	if err != nil {
		return err
	}
	// The schemes of the rounds, newest round first; a period's round is
	// its monthly (or quarterly) one when there are several, else the first.
	sort.Slice(all, func(a, b int) bool { return all[a].ID > all[b].ID })
	seen := map[string]bool{}
	for _, rd := range all {
		if !seen[rd.SchemeCode] {
			seen[rd.SchemeCode] = true
			v.Schemes = append(v.Schemes, rd.SchemeCode)
		}
	}
	if v.Scheme == "" && len(v.Schemes) > 0 {
		v.Scheme = v.Schemes[0]
	}
	// The periods are of the kind the scheme's latest round is of (months,
	// or quarters for a scheme run quarterly), the last twelve up to now.
	kind := assess.Month
	for _, rd := range all {
		if rd.SchemeCode == v.Scheme {
			if per, err := assess.ParsePeriod(rd.Period); err == nil && per.Kind != assess.Year {
				kind = per.Kind
			}
			break
		}
	}
	now, err := assess.ParsePeriod(s.currentPeriod())
	if err != nil {
		return err
	}
	p := assess.Period{Kind: kind, Start: now.Start, End: now.End}.Containing(now.Start)
	periods := make([]string, trendPeriods)
	for i := trendPeriods - 1; i >= 0; i-- {
		periods[i] = p.String()
		p = p.Prev()
	}
	rounds := map[string][]assess.Round{}
	for _, rd := range all {
		if rd.SchemeCode == v.Scheme {
			rounds[rd.Period] = append(rounds[rd.Period], rd)
		}
	}
	for _, rs := range rounds {
		sort.Slice(rs, func(a, b int) bool {
			ra, rb := rs[a].Kind != assess.Special, rs[b].Kind != assess.Special
			if ra != rb {
				return ra
			}
			return rs[a].ID < rs[b].ID
		})
	}
	// Each period's round of the scheme, scored.
	type scored struct {
		round assess.Round
		units map[string]assess.UnitScore
	}
	byPeriod := map[string]*scored{}
	names := map[string]string{}
	for _, per := range periods {
		for _, rd := range rounds[per] {
			if rd.SchemeCode != v.Scheme {
				continue
			}
			sc, err := svc.Scores(ctx, q.actor, assess.ScoreQuery{Round: rd.ID})
			if err != nil {
				return err
			}
			x := &scored{round: rd, units: map[string]assess.UnitScore{}}
			for _, u := range sc.Units {
				x.units[u.Unit] = u
				names[u.Unit] = u.Name
			}
			byPeriod[per] = x
			break
		}
	}
	codes := make([]string, 0, len(names))
	for c := range names {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		v.Units = append(v.Units, areaOption{Code: c, Name: names[c]})
	}
	switch {
	case v.Unit == "" && len(codes) > 0:
		v.Unit = codes[0]
	case v.Unit != "" && names[v.Unit] == "" && !sees(q.actor, v.Unit):
		return xiuhua.Errorf(xiuhua.ENotFound, "no unit %s in your jurisdiction", "您的管辖范围内没有考核对象 %s", v.Unit)
	}
	v.UnitName = names[v.Unit]
	if v.UnitName == "" {
		v.UnitName = v.Unit
	}
	for _, per := range periods {
		row := trendRow{Period: per}
		if x := byPeriod[per]; x != nil {
			row.Round, row.RoundName = x.round.ID, x.round.Name
			row.UnitScore, row.Scored = x.units[v.Unit]
		}
		v.Rows = append(v.Rows, row)
	}
	q.styles = []string{"assess.css", "assess_edit.css"}
	q.scripts = []string{"vendor/echarts/echarts.min.js", "assess_trend.js"}
	s.render(w, r, q, http.StatusOK, "assess_trend", "", v)
	return nil
}

// canReadScores: trends are scores; inspectors and handlers do not read them (as Service.Scores).
func canReadScores(q *request) error {
	if !q.actor.Is(auth.Admin, auth.Dispatcher, auth.Leader) {
		return xiuhua.Errorf(xiuhua.EForbidden, "a %s may not read assessment results", "%s无权查看考核结果", q.actor.Role)
	}
	return nil
}
