package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// deskForm is the desk's filter as the form shows it.
type deskForm struct {
	State, Category, Territory, Source, From, To, Sort string
	Overdue, Mine                                      bool
	// Approx keeps the cases whose position was located from the address.
	Approx     bool
	Page, Size int
}

// openStates are the states still needing work.
var openStates = func() []casework.State {
	var out []casework.State
	for _, s := range casework.States {
		if s.Open() {
			out = append(out, s)
		}
	}
	return out
}()

var pageSizes = []int{20, 50, 100, 200}

// parseDesk reads and checks the desk's query. With no query at all it
// opens on the open cases (a handler's: those of their unit).
func parseDesk(q url.Values, a auth.Actor, ix *territory.Index, cat func(string) (catalog.Category, bool)) (deskForm, error) {
	f := deskForm{State: q.Get("state"), Category: q.Get("category"), Territory: q.Get("territory"), Source: q.Get("source"),
		From: q.Get("from"), To: q.Get("to"), Sort: q.Get("sort"), Overdue: q.Get("overdue") != "", Mine: q.Get("mine") != "", Page: 1, Size: 50}
	if len(q) == 0 {
		f.State = "open"
		f.Mine = a.Role == auth.Handler
	}
	var probs []string
	bad := func(en, zh string) { probs = append(probs, en+" / "+zh) }
	if f.State != "" && f.State != "open" && !casework.State(f.State).Valid() {
		bad("unknown state", "未知状态")
	}
	if f.Category != "" {
		if _, ok := cat(f.Category); !ok {
			bad("unknown category", "未知分类")
		}
	}
	if f.Territory != "" {
		if _, ok := ix.Area(f.Territory); !ok {
			bad("unknown territory", "未知区域")
		}
	}
	if f.Source != "" && !casework.Source(f.Source).Valid() {
		bad("unknown source", "未知来源")
	}
	switch q.Get("approx") {
	case "", "0", "false":
	case "1", "true", "on":
		f.Approx = true
	default:
		bad("the approximate-position filter must be 1 or empty", "近似位置筛选须为 1 或留空")
	}
	if _, ok := store.DeskSorts[f.Sort]; f.Sort != "" && !ok {
		bad("unknown sort order", "未知排序方式")
	}
	for _, d := range []string{f.From, f.To} {
		if _, err := time.ParseInLocation("2006-01-02", d, shanghai); d != "" && err != nil {
			bad("dates are YYYY-MM-DD", "日期格式应为 YYYY-MM-DD")
		}
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			bad("page must be a positive number", "页码须为正整数")
		}
		f.Page = max(n, 1)
	}
	if v := q.Get("size"); v != "" {
		n, _ := strconv.Atoi(v)
		ok := false
		for _, s := range pageSizes {
			ok = ok || s == n
		}
		if !ok {
			bad("page size must be 20, 50, 100 or 200", "每页条数须为 20、50、100 或 200")
		}
		f.Size = n
	}
	if len(probs) > 0 {
		e := xiuhua.Errorf(xiuhua.EInvalid, "invalid filter", "筛选条件有误")
		e.Details = probs
		return f, e
	}
	return f, nil
}

// filter turns the form into a store filter, narrowed to the actor's scope.
// This is the one place the desk's territory is decided.
func (f deskForm) filter(a auth.Actor, now time.Time) (store.DeskFilter, error) {
	t, err := a.Narrow(f.Territory)
	if err != nil {
		return store.DeskFilter{}, err
	}
	df := store.DeskFilter{Territory: t, Category: f.Category, Source: casework.Source(f.Source), Now: now, Sort: f.Sort,
		Offset: (f.Page - 1) * f.Size, Limit: f.Size}
	switch f.State {
	case "":
	case "open":
		df.States = openStates
	default:
		df.States = []casework.State{casework.State(f.State)}
	}
	if f.Mine && a.Unit != "" {
		df.Unit = a.Unit
	}
	if f.Overdue {
		over := true
		df.Overdue = &over
	}
	if f.Approx {
		approx := true
		df.Approx = &approx
	}
	if f.From != "" {
		df.From, _ = time.ParseInLocation("2006-01-02", f.From, shanghai)
	}
	if f.To != "" {
		to, _ := time.ParseInLocation("2006-01-02", f.To, shanghai)
		df.To = to.AddDate(0, 0, 1) // the whole last day
	}
	return df, nil
}

// deskCases is the desk's read of the ledger: the filter is always narrowed
// to the actor's scope first, as casework.Service.List does. It returns a
// page of cases, the counts by state and overdue (ignoring the state
// filter, for the tabs), and the total the page belongs to, taken from
// those counts rather than counted again.
func (s *Server) deskCases(ctx context.Context, a auth.Actor, f deskForm, now time.Time) ([]casework.Case, map[casework.State]int, int, int, store.DeskFilter, error) {
	df, err := f.filter(a, now)
	if err != nil {
		return nil, nil, 0, 0, df, err
	}
	counts, overdue, err := s.deskCounts(ctx, df, now)
	if err != nil {
		return nil, nil, 0, 0, df, err
	}
	cs, err := s.App.DB.DeskCases(ctx, df)
	if err != nil {
		return nil, nil, 0, 0, df, err
	}
	total := 0
	in := func(st casework.State) bool { return len(df.States) == 0 || slices.Contains(df.States, st) }
	for st, n := range counts {
		if in(st) {
			total += n
		}
	}
	if df.Overdue != nil && *df.Overdue {
		total = 0
		if in(casework.Dispatched) {
			total = overdue
		}
	}
	return cs, counts, overdue, total, df, nil
}

// caseRow is a case as a line of a list.
type caseRow struct {
	ID          int64
	Code        string
	State       casework.State
	Category    string
	Description string
	Address     string
	Community   string
	Grid        string
	Source      casework.Source
	Urgent      bool
	Created     time.Time
	Unit        string
	Deadline    time.Time
	Overdue     bool
	Left        string
	Rework      int
	Distance    string
	// Approx: the position was located from the address (approximate).
	Approx bool
}

func (s *Server) row(c casework.Case, now time.Time, lang string, units map[string]string) caseRow {
	r := caseRow{ID: c.ID, Code: c.Code(), State: c.State, Category: c.Category, Description: c.Description, Address: c.Address,
		Community: c.Community, Grid: c.Grid, Source: c.Source, Urgent: c.Urgency == catalog.Urgent, Created: c.CreatedAt,
		Unit: c.Unit, Deadline: c.Deadline, Rework: c.ReworkCount, Approx: c.ApproxArea != ""}
	if n, ok := units[c.Unit]; ok {
		r.Unit = n
	}
	r.Left, r.Overdue = s.timeLeft(c, now, lang, true)
	return r
}

// timeLeft says how long a case being handled has left, in working hours
// (clock hours for the categories that count them), or how late it is;
// short for the lists' narrow column.
func (s *Server) timeLeft(c casework.Case, now time.Time, lang string, short bool) (string, bool) {
	clock := false
	if cat, ok := s.App.Category(c.Category); ok {
		clock = cat.Clock
	}
	between := func(a, b time.Time) float64 {
		if clock {
			return b.Sub(a).Hours()
		}
		return s.App.Calendar().Between(a, b).Hours()
	}
	unit, left, over := "time.working_hours", "time.left", "time.overdue_by"
	if clock {
		unit = "time.clock_hours"
	}
	if short {
		unit, left, over = "time.wh_short", "time.left_short", "time.overdue_short"
		if clock {
			unit = "time.h_short"
		}
	}
	switch {
	case c.State == casework.Dispatched && !c.Deadline.IsZero():
		if now.After(c.Deadline) {
			return translate(lang, over, between(c.Deadline, now), translate(lang, unit)), true
		}
		return translate(lang, left, between(now, c.Deadline), translate(lang, unit)), false
	case c.State == casework.Suspended && c.Remaining != 0:
		return translate(lang, "time.stopped", c.Remaining.Hours(), translate(lang, unit)), false
	}
	return "", false
}

// unitNames maps unit codes to names for the units the actor can see.
func (s *Server) unitNames(ctx context.Context, a auth.Actor) (map[string]string, error) {
	us, err := s.App.Units(ctx, a)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(us))
	for _, u := range us {
		m[u.Code] = u.Name
	}
	return m, nil
}

// caseUnitNames is unitNames for the units of some cases only (the same
// visibility: app.App.Units, those working inside or over the actor's
// territory); it reads just the units the cases name.
func (s *Server) caseUnitNames(ctx context.Context, a auth.Actor, cs []casework.Case) (map[string]string, error) {
	codes := make([]string, len(cs))
	for i, c := range cs {
		codes[i] = c.Unit
	}
	us, err := s.App.DB.UnitsByCode(ctx, codes)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(us))
	for _, u := range us {
		if auth.Within(u.Scope, a.Scope) || auth.Within(a.Scope, u.Scope) {
			m[u.Code] = u.Name
		}
	}
	return m, nil
}

type tab struct {
	Key    string // "" all, "open", a state, "overdue"
	State  casework.State
	Count  int
	Href   string
	Active bool
}

type option struct {
	Value, Label string
	Depth        int
}

type sortLink struct {
	Href string
	// Dir is "asc" or "desc" when the list is sorted by this column, else "".
	Dir string
}

type deskView struct {
	F          deskForm
	Tabs       []tab
	Rows       []caseRow
	Total      int
	Page       int
	Pages      int
	First      int
	Last       int
	PrevHref   string
	NextHref   string
	Sorts      map[string]sortLink
	Categories []catalog.Category
	Areas      []option
	Sources    []casework.Source
	States     []casework.State
	Sizes      []int
	IsHandler  bool
	// The filter's category and territory options, written once the
	// filter is known (deskoptions.go).
	CategoryOptions, AreaOptions template.HTML
}

func (s *Server) desk(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	a := q.actor
	now := s.Now()
	query := r.URL.Query()
	v := deskView{Sources: casework.Sources, States: casework.States, Sizes: pageSizes, IsHandler: a.Role == auth.Handler}
	v.Categories = s.App.Categories()
	v.Areas = s.areaOptions(a.Scope)
	f, err := parseDesk(query, a, s.App.Territory(), s.App.Category)
	v.F = f
	v.CategoryOptions, v.AreaOptions = categoryOptions(v.Categories, f.Category, q.lang), areaOptionsHTML(v.Areas, f.Territory)
	st := http.StatusOK
	if err != nil {
		q.flashErr = xiuhua.AsError(err)
		st = http.StatusBadRequest
		s.render(w, r, q, st, "desk", "", v)
		return nil
	}
	if len(query) == 0 {
		// The defaults become the query, so links built from it keep them.
		query = url.Values{"state": {f.State}}
		if f.Mine {
			query.Set("mine", "1")
		}
	}
	cs, counts, overdue, total, df, err := s.deskCases(ctx, a, f, now)
	if err != nil {
		return err
	}
	units, err := s.caseUnitNames(ctx, a, cs)
	if err != nil {
		return err
	}
	for _, c := range cs {
		v.Rows = append(v.Rows, s.row(c, now, q.lang, units))
	}
	v.Total, v.Page = total, f.Page
	v.Pages = max(1, (total+f.Size-1)/f.Size)
	if len(cs) > 0 {
		v.First, v.Last = df.Offset+1, df.Offset+len(cs)
	}
	link := func(set map[string]string) string {
		u := url.Values{}
		for k, vs := range query {
			u[k] = vs
		}
		for k, val := range set {
			if val == "" {
				u.Del(k)
			} else {
				u.Set(k, val)
			}
		}
		return "/cases?" + u.Encode()
	}
	if f.Page > 1 {
		v.PrevHref = link(map[string]string{"page": strconv.Itoa(f.Page - 1)})
	}
	if f.Page < v.Pages {
		v.NextHref = link(map[string]string{"page": strconv.Itoa(f.Page + 1)})
	}
	// Tabs: all, open, each state, overdue; each keeps the other filters.
	all, open := 0, 0
	for st, n := range counts {
		all += n
		if st.Open() {
			open += n
		}
	}
	v.Tabs = append(v.Tabs,
		tab{Key: "", Count: all, Href: link(map[string]string{"state": "", "overdue": "", "page": ""}), Active: f.State == "" && !f.Overdue},
		tab{Key: "open", Count: open, Href: link(map[string]string{"state": "open", "overdue": "", "page": ""}), Active: f.State == "open" && !f.Overdue})
	for _, st := range casework.States {
		v.Tabs = append(v.Tabs, tab{Key: "state", State: st, Count: counts[st],
			Href: link(map[string]string{"state": string(st), "overdue": "", "page": ""}), Active: f.State == string(st) && !f.Overdue})
	}
	v.Tabs = append(v.Tabs, tab{Key: "overdue", Count: overdue, Href: link(map[string]string{"state": "", "overdue": "1", "page": ""}), Active: f.Overdue})
	// Sortable columns: a click sorts by the column, a second click reverses.
	v.Sorts = map[string]sortLink{}
	cur := f.Sort
	if cur == "" {
		cur = "-id"
	}
	for col, first := range map[string]string{"id": "-id", "state": "state", "category": "category", "created": "-created", "deadline": "deadline", "updated": "-updated"} {
		next, dir := first, ""
		switch cur {
		case col:
			next, dir = "-"+col, "asc"
		case "-" + col:
			next, dir = col, "desc"
		}
		v.Sorts[col] = sortLink{Href: link(map[string]string{"sort": next, "page": ""}), Dir: dir}
	}
	s.render(w, r, q, st, "desk", "", v)
	return nil
}

// areaOptions lists the territory filter's choices: the actor's scope and
// two levels below it (the whole tree would be thousands of lines).
func (s *Server) areaOptions(scope string) []option {
	ix := s.App.Territory()
	var out []option
	var walk func(code string, depth int)
	walk = func(code string, depth int) {
		if depth > 2 {
			return
		}
		for _, c := range ix.Children(code) {
			if c.Level == territory.Grid && depth > 1 {
				continue
			}
			out = append(out, option{Value: c.Code, Label: c.Name, Depth: depth})
			walk(c.Code, depth+1)
		}
	}
	if a, ok := ix.Area(scope); ok && scope != "" {
		out = append(out, option{Value: a.Code, Label: a.Name})
	}
	walk(scope, 1)
	return out
}
