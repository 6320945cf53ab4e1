package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb/geojson"
	"github.com/xuri/excelize/v2"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// dashDays is how far back the dashboard looks: the last 30 days in Wuxi,
// today included.
const dashDays = 30

// Charts of the dashboard, in page order; each is also a download,
// /dashboard/{chart}.csv and .xlsx.
var dashCharts = []string{"daily", "categories", "overdue", "ontime", "communities"}

// dayMS and the Wuxi offset: Asia/Shanghai has had no daylight saving
// since 1991, so a local day is a fixed 24 hours from 16:00 UTC and the
// stores can bucket by integer division, the same SQL on both.
const (
	dayMS      = int64(24 * time.Hour / time.Millisecond)
	shanghaiMS = int64(8 * time.Hour / time.Millisecond)
)

// dashTable is one chart's figures: the table shown under the chart, and
// what the downloads carry. Cells are string, int or *float64 (a rate, nil
// when there is nothing to rate).
type dashTable struct {
	Chart string
	Title string
	Head  []string
	Rows  [][]any
	// Keys are the rows' codes (day, category, unit or community) in Rows'
	// order, for the chart script.
	Keys []string
}

// dashboard is everything the page and its script show.
type dashboard struct {
	Scope     string
	ScopeName string
	From, To  time.Time
	Tables    []dashTable
}

// table returns the chart's table.
func (d *dashboard) table(chart string) (dashTable, bool) {
	for _, t := range d.Tables {
		if t.Chart == chart {
			return t, true
		}
	}
	return dashTable{}, false
}

// scopeWhere is the case filter of a scope: the column its code's length
// names (codes nest), or nothing for a city-wide actor.
func scopeWhere(scope string) (string, []any) {
	if scope == "" {
		return "", nil
	}
	return " AND " + store.TerritoryColumn(scope) + " = ?", []any{scope}
}

// counts runs a "key, count" query and returns the counts by key.
func (s *Server) counts(ctx context.Context, q string, args ...any) (map[string]int, error) {
	rows, err := s.App.DB.R.QueryContext(ctx, s.App.DB.Q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] += int(n)
	}
	return out, rows.Err()
}

// byCount orders keys by count, largest first, then by key.
func byCount(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

// openSQL is the condition of a case still needing work.
const openSQL = "state NOT IN ('closed', 'rejected')"

// dashFigures are the raw counts behind the tables.
type dashFigures struct {
	opened, closed map[string]int // by local day number
	cats, comm     map[string]int // open cases
	overdue        map[string]int // by unit
	ontime         []unitRate
}

type unitRate struct {
	unit        string
	due, onTime int64
}

// figures reads the counts of a scope from the ledger. The four queries
// run at once on the read pool: one pass over the open cases gives three
// charts, the others are the day counts and the on-time rates.
func (s *Server) figures(ctx context.Context, scope string, fromMS, nowMS int64) (*dashFigures, error) {
	where, sargs := scopeWhere(scope)
	args := func(extra ...any) []any { return append(append([]any{}, extra...), sargs...) }
	f := &dashFigures{cats: map[string]int{}, comm: map[string]int{}, overdue: map[string]int{}}
	dayExpr := func(col string) string { return "CAST((" + col + " + 28800000) / 86400000 AS TEXT)" }
	var wg sync.WaitGroup
	errs := make([]error, 4)
	wg.Go(func() {
		f.opened, errs[0] = s.counts(ctx, `SELECT `+dayExpr("created_at")+`, COUNT(*) FROM cases WHERE created_at >= ? AND created_at <= ?`+where+
			` GROUP BY `+dayExpr("created_at"), args(fromMS, nowMS)...)
	})
	wg.Go(func() {
		f.closed, errs[1] = s.counts(ctx, `SELECT `+dayExpr("closed_at")+`, COUNT(*) FROM cases WHERE state = 'closed' AND closed_at >= ? AND closed_at <= ?`+where+
			` GROUP BY `+dayExpr("closed_at"), args(fromMS, nowMS)...)
	})
	// Open cases by category and community, and the overdue among them
	// (dispatched and past the deadline: casework.Case.Overdue) by unit.
	wg.Go(func() {
		errs[2] = func() error {
			rows, err := s.App.DB.R.QueryContext(ctx, s.App.DB.Q(`SELECT category, community, COALESCE(unit_code, ''), COUNT(*),
				SUM(CASE WHEN state = 'dispatched' AND deadline < ? THEN 1 ELSE 0 END)
				FROM cases WHERE `+openSQL+where+` GROUP BY category, community, unit_code`), args(nowMS)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var cat, comm, unit string
				var n, over int64
				if err := rows.Scan(&cat, &comm, &unit, &n, &over); err != nil {
					return err
				}
				f.cats[cat] += int(n)
				f.comm[comm] += int(n)
				if over > 0 && unit != "" {
					f.overdue[unit] += int(over)
				}
			}
			return rows.Err()
		}()
	})
	// On-time rate by unit over the window, from the ledger: a case of a
	// unit is due when it was handled in the window, or is still dispatched
	// unhandled with its deadline passed in the window; it is on time when
	// its (last) handling came by its deadline.
	wg.Go(func() {
		errs[3] = func() error {
			rows, err := s.App.DB.R.QueryContext(ctx, s.App.DB.Q(`SELECT unit_code, COUNT(*),
				SUM(CASE WHEN handled_at IS NOT NULL AND handled_at <= deadline THEN 1 ELSE 0 END)
				FROM cases WHERE unit_code IS NOT NULL AND deadline IS NOT NULL
				AND ((handled_at IS NOT NULL AND handled_at >= ? AND handled_at <= ?)
				  OR (handled_at IS NULL AND state = 'dispatched' AND deadline >= ? AND deadline < ?))`+where+`
				GROUP BY unit_code ORDER BY unit_code`), args(fromMS, nowMS, fromMS, nowMS)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var r unitRate
				if err := rows.Scan(&r.unit, &r.due, &r.onTime); err != nil {
					return err
				}
				f.ontime = append(f.ontime, r)
			}
			return rows.Err()
		}()
	})
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return f, nil
}

// dashboardFor computes the dashboard of an actor: every figure is of the
// cases in the actor's scope (auth.Actor.Narrow), at now.
func (s *Server) dashboardFor(ctx context.Context, a auth.Actor, lang string, now time.Time) (*dashboard, error) {
	scope, err := a.Narrow("")
	if err != nil {
		return nil, err
	}
	ix := s.App.Territory()
	d := &dashboard{Scope: scope, ScopeName: translate(lang, "dash.everywhere")}
	if ar, ok := ix.Area(scope); ok {
		d.ScopeName = ar.Name
	}
	// Day numbers count local days since the epoch.
	nowMS := now.UnixMilli()
	today := (nowMS + shanghaiMS) / dayMS
	first := today - dashDays + 1
	fromMS := first*dayMS - shanghaiMS
	d.From, d.To = time.UnixMilli(fromMS).In(shanghai), now.In(shanghai)
	f, err := s.figures(ctx, scope, fromMS, nowMS)
	if err != nil {
		return nil, err
	}

	// 1. Opened and closed (结案) per day.
	daily := dashTable{Chart: "daily", Title: translate(lang, "dash.daily"),
		Head: []string{translate(lang, "dash.col.day"), translate(lang, "dash.col.opened"), translate(lang, "dash.col.closed")}}
	for day := first; day <= today; day++ {
		k := strconv.FormatInt(day, 10)
		date := time.UnixMilli(day*dayMS - shanghaiMS).In(shanghai).Format("2006-01-02")
		daily.Keys = append(daily.Keys, date)
		daily.Rows = append(daily.Rows, []any{date, f.opened[k], f.closed[k]})
	}
	d.Tables = append(d.Tables, daily)

	// 2. Open cases by category.
	ct := dashTable{Chart: "categories", Title: translate(lang, "dash.categories"),
		Head: []string{translate(lang, "dash.col.code"), translate(lang, "dash.col.category"), translate(lang, "dash.col.open")}}
	for _, k := range byCount(f.cats) {
		name := k
		if c, ok := s.App.Category(k); ok {
			name = c.NameZh
			if lang == "en" {
				name = c.NameEn
			}
		}
		ct.Keys = append(ct.Keys, k)
		ct.Rows = append(ct.Rows, []any{k, name, f.cats[k]})
	}
	d.Tables = append(d.Tables, ct)

	// Unit names, for the two unit tables (names only: the figures are scoped).
	codes := make([]string, 0, len(f.overdue)+len(f.ontime))
	for k := range f.overdue {
		codes = append(codes, k)
	}
	for _, r := range f.ontime {
		codes = append(codes, r.unit)
	}
	units, err := s.App.DB.UnitsByCode(ctx, codes)
	if err != nil {
		return nil, err
	}
	unitName := map[string]string{}
	for _, u := range units {
		unitName[u.Code] = u.Name
	}

	// 3. Overdue by unit.
	ot := dashTable{Chart: "overdue", Title: translate(lang, "dash.overdue"),
		Head: []string{translate(lang, "dash.col.unit_code"), translate(lang, "dash.col.unit"), translate(lang, "dash.col.overdue")}}
	for _, k := range byCount(f.overdue) {
		ot.Keys = append(ot.Keys, k)
		ot.Rows = append(ot.Rows, []any{k, unitName[k], f.overdue[k]})
	}
	d.Tables = append(d.Tables, ot)

	// 4. On-time rate by unit.
	rt := dashTable{Chart: "ontime", Title: translate(lang, "dash.ontime"),
		Head: []string{translate(lang, "dash.col.unit_code"), translate(lang, "dash.col.unit"), translate(lang, "dash.col.due"),
			translate(lang, "dash.col.on_time"), translate(lang, "dash.col.rate")}}
	for _, r := range f.ontime {
		var rate *float64
		if r.due > 0 {
			x := float64(r.onTime*10000/r.due) / 100 // percent, two decimals, truncated
			rate = &x
		}
		rt.Keys = append(rt.Keys, r.unit)
		rt.Rows = append(rt.Rows, []any{r.unit, unitName[r.unit], int(r.due), int(r.onTime), rate})
	}
	d.Tables = append(d.Tables, rt)

	// 5. Open cases per community, every community in scope listed.
	cm := dashTable{Chart: "communities", Title: translate(lang, "dash.communities"),
		Head: []string{translate(lang, "dash.col.community_code"), translate(lang, "dash.col.community"), translate(lang, "dash.col.open")}}
	for _, ar := range communitiesIn(ix, scope) {
		cm.Keys = append(cm.Keys, ar.Code)
		cm.Rows = append(cm.Rows, []any{ar.Code, ar.Name, f.comm[ar.Code]})
	}
	d.Tables = append(d.Tables, cm)
	return d, nil
}

// communitiesIn lists the communities of a scope, by code: those under it,
// or for a grid's scope the community it lies in.
func communitiesIn(ix *territory.Index, scope string) []territory.Area {
	if a, ok := ix.Area(scope); ok && a.Level == territory.Grid {
		if c, ok := ix.Area(a.ParentCode); ok {
			return []territory.Area{c}
		}
		return nil
	}
	if a, ok := ix.Area(scope); ok && a.Level == territory.Community {
		return []territory.Area{a}
	}
	var out []territory.Area
	var walk func(code string)
	walk = func(code string) {
		for _, c := range ix.Children(code) {
			switch c.Level {
			case territory.Community:
				out = append(out, c)
			case territory.District, territory.Street:
				walk(c.Code)
			}
		}
	}
	walk(scope)
	return out
}

func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request, q *request) error {
	_, d, err := s.cachedDashboard(r.Context(), q.actor, q.lang)
	if err != nil {
		return err
	}
	q.styles, q.scripts = []string{"dashboard.css"}, []string{"vendor/echarts/echarts.min.js", "dashboard.js"}
	s.render(w, r, q, http.StatusOK, "dashboard", "", dashView{d, dashCharts})
	return nil
}

type dashView struct {
	*dashboard
	Charts []string
}

// dashJSON is what the chart script draws: per chart its keys, labels and
// numbers, and the outlines of the communities in scope for the map series.
type dashJSON struct {
	Lang   string                     `json:"lang"`
	Charts map[string]dashSeries      `json:"charts"`
	Areas  *geojson.FeatureCollection `json:"areas"`
	Labels map[string]string          `json:"labels"`
}

type dashSeries struct {
	Title  string      `json:"title"`
	Keys   []string    `json:"keys"`
	Names  []string    `json:"names"`
	Series [][]float64 `json:"series"`
	Legend []string    `json:"legend"`
}

func (s *Server) dashboardData(w http.ResponseWriter, r *http.Request, q *request) error {
	e, d, err := s.cachedDashboard(r.Context(), q.actor, q.lang)
	if err != nil {
		return err
	}
	// The same figures encode the same way: the answer is kept with them.
	b := e.encoded(d)
	if b == nil {
		if b, err = s.dashboardJSON(d, q.lang); err != nil {
			return err
		}
		e.keep(d, b)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err = w.Write(b)
	return err
}

// dashboardJSON encodes what the chart script draws of a dashboard.
func (s *Server) dashboardJSON(d *dashboard, lang string) ([]byte, error) {
	out := dashJSON{Lang: lang, Charts: map[string]dashSeries{}, Areas: geojson.NewFeatureCollection(),
		Labels: map[string]string{"no_data": translate(lang, "dash.no_data")}}
	// Which columns are the chart's numbers, and which its labels.
	cols := map[string]struct {
		name int
		nums []int
	}{"daily": {0, []int{1, 2}}, "categories": {1, []int{2}}, "overdue": {1, []int{2}}, "ontime": {1, []int{4}}, "communities": {1, []int{2}}}
	for _, t := range d.Tables {
		c := cols[t.Chart]
		ser := dashSeries{Title: t.Title, Keys: t.Keys, Names: []string{}, Series: make([][]float64, len(c.nums))}
		for _, i := range c.nums {
			ser.Legend = append(ser.Legend, t.Head[i])
		}
		for _, row := range t.Rows {
			name, _ := row[c.name].(string)
			if name == "" {
				name, _ = row[0].(string)
			}
			ser.Names = append(ser.Names, name)
			for j, i := range c.nums {
				var v float64
				switch x := row[i].(type) {
				case int:
					v = float64(x)
				case *float64:
					if x != nil {
						v = *x
					}
				}
				ser.Series[j] = append(ser.Series[j], v)
			}
		}
		out.Charts[t.Chart] = ser
	}
	for _, ar := range communitiesIn(s.App.Territory(), d.Scope) {
		if ar.Geometry == nil {
			continue
		}
		f := geojson.NewFeature(ar.Geometry)
		f.Properties = geojson.Properties{"name": ar.Code, "label": ar.Name}
		out.Areas.Append(f)
	}
	return json.Marshal(out)
}

// cellText is a cell as the page and the CSV show it.
func cellText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case *float64:
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(*x, 'f', 2, 64)
	}
	return fmt.Sprint(v)
}

// dashboardFile answers /dashboard/{chart}.csv or .xlsx: the chart's table.
func (s *Server) dashboardFile(w http.ResponseWriter, r *http.Request, q *request) error {
	file := r.PathValue("file")
	chart, ext, _ := strings.Cut(file, ".")
	d, err := s.dashboardFor(r.Context(), q.actor, q.lang, s.Now())
	if err != nil {
		return err
	}
	t, ok := d.table(chart)
	if !ok || (ext != "csv" && ext != "xlsx") {
		return xiuhua.Errorf(xiuhua.ENotFound, "no such download: the charts are %s, as .csv or .xlsx", "没有该下载：图表为 %s，格式为 .csv 或 .xlsx",
			strings.Join(dashCharts, ", "))
	}
	name := "xiuhua-" + chart + "-" + d.To.Format("20060102")
	var buf bytes.Buffer
	if ext == "csv" {
		// The byte-order mark makes Excel read the file as UTF-8 (Chinese).
		buf.WriteString("\ufeff")
		cw := csv.NewWriter(&buf)
		cw.Write(t.Head)
		for _, row := range t.Rows {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = cellText(v)
			}
			cw.Write(rec)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	} else {
		if err := writeXLSX(&buf, t); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.`+ext+`"`)
	_, err = w.Write(buf.Bytes())
	return err
}

// writeXLSX writes a table as a one-sheet workbook, numbers as numbers.
func writeXLSX(buf *bytes.Buffer, t dashTable) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := t.Chart
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	put := func(row int, cells []any) error {
		cell, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		return f.SetSheetRow(sheet, cell, &cells)
	}
	// Rates show two decimals, as on the page (built-in format 2 is "0.00").
	rate, err := f.NewStyle(&excelize.Style{NumFmt: 2})
	if err != nil {
		return err
	}
	head := make([]any, len(t.Head))
	for i, h := range t.Head {
		head[i] = h
	}
	if err := put(1, head); err != nil {
		return err
	}
	for i, row := range t.Rows {
		cells := make([]any, len(row))
		for j, v := range row {
			if x, ok := v.(*float64); ok {
				if x != nil {
					cells[j] = *x
					cell, err := excelize.CoordinatesToCellName(j+1, i+2)
					if err != nil {
						return err
					}
					if err := f.SetCellStyle(sheet, cell, cell, rate); err != nil {
						return err
					}
				}
				continue
			}
			cells[j] = v
		}
		if err := put(i+2, cells); err != nil {
			return err
		}
	}
	return f.Write(buf)
}
