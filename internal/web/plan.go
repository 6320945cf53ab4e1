package web

import (
	"context"
	"encoding/json"
	"math"
	"mime/multipart"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/blob"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/plan"
	"github.com/xiuhua/xiuhua/internal/store"
)

// The plan pages (目标与项目): target task books with their progress and
// forecasts, responsibility statements issued and signed in the console,
// and the renovation projects' portfolio. Every read and write goes through
// plan.Service, which decides what the actor may see and do; the pages lay
// it out and turn forms into its inputs.

func init() {
	pageNames = append(pageNames, "plan_targets", "plan_target", "plan_statements", "plan_statement", "plan_print",
		"plan_projects", "plan_project")
}

// planRoutes registers the plan pages (called from New).
func (s *Server) planRoutes() {
	s.page("GET /plan", func(w http.ResponseWriter, r *http.Request, q *request) error {
		http.Redirect(w, r, "/plan/targets", http.StatusSeeOther)
		return nil
	})
	s.page("GET /plan/targets", s.planTargetsPage)
	s.page("POST /plan/targets", s.planCreateTarget)
	s.page("GET /plan/targets/{id}", s.planTargetPage)
	s.page("POST /plan/targets/{id}/reports", s.planReport)
	s.page("GET /plan/statements", s.planStatementsPage)
	s.page("POST /plan/statements", s.planIssue)
	s.page("GET /plan/statements/{id}", s.planStatementPage)
	s.page("GET /plan/statements/{id}/print", s.planPrintPage)
	s.page("POST /plan/statements/{id}/sign", s.planSign)
	s.page("GET /plan/projects", s.planProjectsPage)
	s.page("POST /plan/projects", s.planCreateProject)
	s.page("GET /plan/projects/{id}", s.planProjectPage)
	s.page("POST /plan/projects/{id}", s.planUpdateProject)
	s.page("POST /plan/projects/{id}/photos", s.planAddPhotos)
	s.page("GET /plan/projects/{id}/photos/{blob}", s.planProjectPhoto)
	s.page("GET /plan/targets/{id}/photos/{blob}", s.planTargetPhoto)
	s.page("POST /plan/projects/{id}/consult", s.planConsult)
	s.page("POST /plan/projects/{id}/suggestions/{sid}", s.planModerate)
	s.page("GET /plan/report.xlsx", s.planYearReport)
	s.page("GET /plan/report.html", s.planYearReport)
}

// planService binds plans to the app as the API does: computed targets
// read the assessment's own figures (plan.Service.UseAssessment), on the
// case loop's clock.
func (s *Server) planService() *plan.Service {
	return s.App.PlanService()
}

// planDone are the notices after a plan form succeeded (?done=…).
var planDone = map[string]string{
	"created": "plan.done.created", "report": "plan.done.report", "issued": "plan.done.issued",
	"signed": "plan.done.signed", "project": "plan.done.project", "photos": "plan.done.photos", "created_project": "plan.done.created_project",
	"consult": "plan.done.consult", "moderated": "plan.done.moderated",
}

func planFlash(q *request, r *http.Request) string {
	if k, ok := planDone[r.URL.Query().Get("done")]; ok {
		return translate(q.lang, k)
	}
	return ""
}

// planBase gives the plan templates their language's names and number formats.
type planBase struct {
	Lang  string
	names func(string) string
}

// Name names a unit or territory code (the code itself when unknown).
func (b planBase) Name(code string) string {
	if b.names != nil {
		if n := b.names(code); n != "" {
			return n
		}
	}
	return code
}

// Measure, Source, Direction and Kind name the plan's enumerations.
func (b planBase) Measure(m string) string   { return translate(b.Lang, "plan.measure."+m) }
func (b planBase) Source(src string) string  { return translate(b.Lang, "plan.source."+src) }
func (b planBase) Direction(d string) string { return translate(b.Lang, "plan.direction."+d) }
func (b planBase) KindName(k string) string  { return translate(b.Lang, "plan.kind."+k) }

// Val shows a target's value in its measure: "85.5%", "12", done/not done;
// "—" for none.
func (b planBase) Val(measure string, v *float64) string {
	if v == nil {
		return "—"
	}
	return b.Fmt(measure, *v)
}

// Fmt shows a number in a measure.
func (b planBase) Fmt(measure string, v float64) string {
	switch measure {
	case plan.Percent:
		return num(v) + "%"
	case plan.Milestone:
		if v >= 1 {
			return translate(b.Lang, "plan.milestone.done")
		}
		return translate(b.Lang, "plan.milestone.open")
	}
	return num(v)
}

// P is a progress for a <progress> element (0 for none).
func (b planBase) P(v *float64) float64 {
	if v == nil {
		return 0
	}
	return *v
}

// DueDate is the last day of a target: it is due by the end of that day.
func (b planBase) DueDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Add(-time.Second).In(shanghai).Format(time.DateOnly)
}

// Money shows whole yuan with thousands separators.
func (b planBase) Money(yuan int64) string {
	s := strconv.FormatInt(yuan, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// Share is part of whole in percent, two decimals ("—" when whole is 0).
func (b planBase) Share(part, whole int64) string {
	if whole <= 0 {
		return "—"
	}
	return num(math.Round(float64(part)*10000/float64(whole))/100) + "%"
}

// num shows a number without trailing zeros, at most two decimals.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

func planID(r *http.Request, what, whatZh string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, xiuhua.Errorf(xiuhua.ENotFound, "no "+what+" %s", whatZh+" %s 不存在", r.PathValue("id"))
	}
	return id, nil
}

// thisYear is the year of now in Wuxi.
func (s *Server) thisYear() int { return s.App.Cases.Now().In(shanghai).Year() }

// planYear reads ?year= (the current year when absent).
func (s *Server) planYear(r *http.Request) (int, error) {
	v := strings.TrimSpace(r.URL.Query().Get("year"))
	if v == "" {
		return s.thisYear(), nil
	}
	y, err := strconv.Atoi(v)
	if err != nil || y < 2000 || y > 2999 {
		return 0, xiuhua.Errorf(xiuhua.EInvalid, "year %q must be 2000–2999", "年度 %q 须在 2000–2999 之间", v)
	}
	return y, nil
}

// canIssue: the plan pages offer the issuing forms to admins and leaders
// (the service decides each territory).
func canIssue(a auth.Actor) bool { return a.Is(auth.Admin, auth.Leader) }

// mayReport says whether the actor may report a target by hand, as
// plan.Service.Report decides.
func mayReport(a auth.Actor, t plan.Target) bool {
	if t.Source != plan.Manual {
		return false
	}
	return a.Unit == t.Unit && a.Is(auth.Handler, auth.Leader) || a.Is(auth.Admin, auth.Leader) && a.Covers(t.Territory)
}

// issuable are the units the actor may issue targets and statements to.
func (s *Server) issuable(ctx context.Context, a auth.Actor) ([]org.Unit, error) {
	us, err := s.App.DB.Units(ctx, a.Scope)
	if err != nil {
		return nil, err
	}
	out := []org.Unit{}
	for _, u := range us {
		if u.Enabled && a.Covers(u.Scope) {
			out = append(out, u)
		}
	}
	return out, nil
}

// targetForm is the create-target form as typed.
type targetForm struct {
	Year, Unit, Territory, Name, Measure, Direction, Baseline, Goal, Due, Source, Category, Scheme, PointType string
}

// targetRow is a target of the task book with its cells formatted (a
// district's book runs to hundreds of lines: the template only prints).
type targetRow struct {
	plan.Status
	UnitName, Kind, Baseline, Goal, Value, Progress, Forecast, Due string
	P                                                              float64
}

func (b planBase) row(st plan.Status) targetRow {
	return targetRow{Status: st, UnitName: b.Name(st.Unit), Kind: b.Measure(st.Measure) + " · " + b.Source(st.Source),
		Baseline: b.Fmt(st.Measure, st.Baseline), Goal: b.Fmt(st.Measure, st.Goal), Value: b.Val(st.Measure, st.Value),
		Progress: b.Val(plan.Percent, st.Progress), Forecast: b.Val(st.Measure, st.Forecast), Due: b.DueDate(st.Due), P: b.P(st.Progress)}
}

type targetsView struct {
	planBase
	Year     int
	Unit     string
	Targets  []targetRow
	Late     int
	Units    []org.Unit // the filter's choice: the units of the targets shown
	Issuable []org.Unit
	Cats     []catOption
	// CanCreate shows the create form (admins and leaders).
	CanCreate bool
	// Leader: the late flags are theirs to act on; a summary says how many.
	Leader bool
	Form   targetForm
	Open   bool // the create form is open (after a refusal)
}

func (s *Server) targetsView(ctx context.Context, q *request, year int, unit string, f targetForm) (targetsView, error) {
	names := s.App.CodeNames(ctx)
	v := targetsView{planBase: planBase{q.lang, names}, Year: year, Unit: unit, CanCreate: canIssue(q.actor),
		Leader: q.actor.Is(auth.Leader, auth.Admin), Form: f}
	ts, err := s.planService().Targets(ctx, q.actor, year, unit)
	if err != nil {
		return v, err
	}
	sort.SliceStable(ts, func(i, j int) bool {
		if ts[i].Unit != ts[j].Unit {
			return ts[i].Unit < ts[j].Unit
		}
		return ts[i].ID < ts[j].ID
	})
	for i := range ts {
		ts[i] = bounded(ts[i])
		v.Targets = append(v.Targets, v.row(ts[i]))
	}
	for _, t := range ts {
		if t.Late {
			v.Late++
		}
	}
	// The filter offers the units of the year's visible targets (evaluated
	// again only when the page shows one unit's).
	all := ts
	if unit != "" {
		if all, err = s.planService().Targets(ctx, q.actor, year, ""); err != nil {
			return v, err
		}
	}
	seen := map[string]bool{}
	for _, t := range all {
		if !seen[t.Unit] {
			seen[t.Unit] = true
			v.Units = append(v.Units, org.Unit{Code: t.Unit, Name: v.Name(t.Unit)})
		}
	}
	sort.Slice(v.Units, func(i, j int) bool { return v.Units[i].Code < v.Units[j].Code })
	if v.CanCreate {
		if v.Issuable, err = s.issuable(ctx, q.actor); err != nil {
			return v, err
		}
		v.Cats = s.reportView(q.lang, q.actor, reportForm{}).Categories
	}
	if v.Form.Year == "" {
		v.Form.Year = strconv.Itoa(year)
	}
	return v, nil
}

func (s *Server) planTargetsPage(w http.ResponseWriter, r *http.Request, q *request) error {
	year, err := s.planYear(r)
	if err != nil {
		return err
	}
	v, err := s.targetsView(r.Context(), q, year, strings.TrimSpace(r.URL.Query().Get("unit")), targetForm{})
	if err != nil {
		return err
	}
	q.styles = []string{"plan.css"}
	s.render(w, r, q, http.StatusOK, "plan_targets", planFlash(q, r), v)
	return nil
}

// parseNum reads a number field; empty reads as 0 when allowed.
func parseNum(v, field, fieldZh string, emptyOK bool) (float64, error) {
	v = strings.TrimSpace(v)
	if v == "" && emptyOK {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, xiuhua.Errorf(xiuhua.EInvalid, field+": %q is not a number", fieldZh+"：%q 不是数字", v)
	}
	return f, nil
}

// planCreateTarget adds a target to a unit's task book (admins and leaders).
func (s *Server) planCreateTarget(w http.ResponseWriter, r *http.Request, q *request) error {
	q.here = "/plan/targets"
	f := targetForm{Year: r.PostFormValue("year"), Unit: r.PostFormValue("unit"), Territory: strings.TrimSpace(r.PostFormValue("territory")),
		Name: r.PostFormValue("name"), Measure: r.PostFormValue("measure"), Direction: r.PostFormValue("direction"),
		Baseline: r.PostFormValue("baseline"), Goal: r.PostFormValue("goal"), Due: r.PostFormValue("due"),
		Source: r.PostFormValue("source"), Category: r.PostFormValue("category"),
		Scheme: strings.TrimSpace(r.PostFormValue("scheme")), PointType: strings.TrimSpace(r.PostFormValue("point_type"))}
	t, err := func() (plan.Target, error) {
		year, err := strconv.Atoi(strings.TrimSpace(f.Year))
		if err != nil {
			return plan.Target{}, xiuhua.Errorf(xiuhua.EInvalid, "year %q must be 2000–2999", "年度 %q 须在 2000–2999 之间", f.Year)
		}
		base, err := parseNum(f.Baseline, "baseline", "基准值", f.Measure == plan.Milestone)
		if err != nil {
			return plan.Target{}, err
		}
		goal, err := parseNum(f.Goal, "goal", "目标值", f.Measure == plan.Milestone)
		if err != nil {
			return plan.Target{}, err
		}
		d, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(f.Due), calendar.Shanghai())
		if err != nil {
			return plan.Target{}, xiuhua.Errorf(xiuhua.EInvalid, "due %q must be a date (YYYY-MM-DD)", "完成期限 %q 须为日期（YYYY-MM-DD）", f.Due)
		}
		cat := f.Category
		if f.Source != plan.Cases {
			cat = ""
		}
		return s.planService().CreateTarget(r.Context(), q.actor, plan.Target{Year: year, Unit: f.Unit, Territory: f.Territory, Name: f.Name,
			Measure: f.Measure, Direction: f.Direction, Baseline: base, Goal: goal, Due: d.AddDate(0, 0, 1), Source: f.Source, Category: cat,
			Scheme: f.Scheme, PointType: f.PointType})
	}()
	if err != nil {
		if xiuhua.ErrorCode(err) == xiuhua.EInternal {
			return err
		}
		year, _ := strconv.Atoi(f.Year)
		if year < 2000 || year > 2999 {
			year = s.thisYear()
		}
		v, verr := s.targetsView(r.Context(), q, year, "", f)
		if verr != nil {
			return err
		}
		v.Open = true
		q.flashErr = xiuhua.AsError(err)
		q.styles = []string{"plan.css"}
		s.render(w, r, q, status(err), "plan_targets", "", v)
		return nil
	}
	http.Redirect(w, r, "/plan/targets/"+strconv.FormatInt(t.ID, 10)+"?done=created", http.StatusSeeOther)
	return nil
}

// reportRow is a report with its reporter's name.
type reportRow struct {
	plan.Report
	By string
}

type targetView struct {
	planBase
	S         plan.Status
	Reports   []reportRow // newest first
	CanReport bool
	MaxPhotos int
	// Chart is the history line's data for plan.js (JSON).
	Chart      string
	Value      string // the report form's value as typed (after a refusal)
	Note       string
	Statements []plan.Statement
}

// chartData is what plan.js draws: the values over time, the forecast to
// the due date, the goal.
type chartData struct {
	Lang     string      `json:"lang"`
	Measure  string      `json:"measure"`
	Goal     float64     `json:"goal"`
	Points   [][2]any    `json:"points"`
	Forecast [][2]any    `json:"forecast"`
	Labels   chartLabels `json:"labels"`
}

type chartLabels struct {
	Value    string `json:"value"`
	Forecast string `json:"forecast"`
	Goal     string `json:"goal"`
}

func (s *Server) targetView(ctx context.Context, q *request, id int64) (targetView, error) {
	svc := s.planService()
	st, err := svc.Target(ctx, q.actor, id)
	if err != nil {
		return targetView{}, err
	}
	st = bounded(st)
	v := targetView{planBase: planBase{q.lang, s.App.CodeNames(ctx)}, S: st, CanReport: mayReport(q.actor, st.Target), MaxPhotos: maxPhotos}
	var ids []int64
	for _, r := range st.History {
		ids = append(ids, r.ActorID)
	}
	who, err := s.App.DB.UserDisplayNames(ctx, ids)
	if err != nil {
		return v, err
	}
	for i := len(st.History) - 1; i >= 0; i-- {
		rp := st.History[i]
		v.Reports = append(v.Reports, reportRow{Report: rp, By: who[rp.ActorID]})
	}
	day := func(t time.Time) string { return t.In(shanghai).Format(time.DateOnly) }
	c := chartData{Lang: q.lang, Measure: st.Measure, Goal: st.Goal, Points: [][2]any{}, Forecast: [][2]any{},
		Labels: chartLabels{translate(q.lang, "plan.chart.value"), translate(q.lang, "plan.chart.forecast"), translate(q.lang, "plan.chart.goal")}}
	switch {
	case st.Source == plan.Manual:
		c.Points = append(c.Points, [2]any{day(st.CreatedAt), st.Baseline})
		for _, rp := range st.History {
			c.Points = append(c.Points, [2]any{day(rp.At), rp.Value})
		}
	case st.Value != nil:
		c.Points = append(c.Points, [2]any{day(s.App.Cases.Now()), *st.Value})
	}
	if st.Forecast != nil && len(c.Points) > 0 {
		c.Forecast = append(c.Forecast, c.Points[len(c.Points)-1], [2]any{v.DueDate(st.Due), *st.Forecast})
	}
	b, _ := json.Marshal(c)
	v.Chart = string(b)
	sts, err := svc.Statements(ctx, q.actor, st.Year)
	if err != nil {
		return v, err
	}
	for _, x := range sts {
		for _, tid := range x.Targets {
			if tid == id {
				v.Statements = append(v.Statements, x)
			}
		}
	}
	return v, nil
}

func (s *Server) planTargetPage(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := planID(r, "target", "目标")
	if err != nil {
		return err
	}
	v, err := s.targetView(r.Context(), q, id)
	if err != nil {
		return err
	}
	q.styles, q.scripts = []string{"plan.css"}, []string{"vendor/echarts/echarts.min.js", "plan.js"}
	s.render(w, r, q, http.StatusOK, "plan_target", planFlash(q, r), v)
	return nil
}

// planPhotos keeps the photos of a form as blobs (evidence of a target,
// photos of a project). Unlike a case's, a leader may add them: leaders
// report targets and follow projects.
func (s *Server) planPhotos(ctx context.Context, q *request, files []*multipart.FileHeader) ([]string, error) {
	if len(files) > maxPhotos {
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "at most %d photos at a time", "每次最多上传 %d 张照片", maxPhotos)
	}
	var ids []string
	for _, fh := range files {
		if fh.Size == 0 && fh.Filename == "" {
			continue // an empty file input
		}
		f, err := fh.Open()
		if err != nil {
			return nil, xiuhua.Errorf(xiuhua.EInvalid, "could not read the photo %s", "无法读取照片 %s", fh.Filename)
		}
		id, ct, n, err := s.App.Blobs.Put(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		if err := s.App.DB.PutBlob(ctx, store.Blob{ID: id, ContentType: ct, Size: n, CreatedBy: q.actor.UserID, CreatedAt: s.Now()}); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// planReport reports a manual target's value with its evidence photos. The
// service's checks run before the photos are kept, so that a refused report
// leaves none behind (Report checks them again).
func (s *Server) planReport(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := planID(r, "target", "目标")
	if err != nil {
		return err
	}
	q.here = "/plan/targets/" + strconv.FormatInt(id, 10)
	value, note := strings.TrimSpace(r.PostFormValue("value")), r.PostFormValue("note")
	err = func() error {
		st, err := s.planService().Target(r.Context(), q.actor, id)
		if err != nil {
			return err
		}
		if !mayReport(q.actor, st.Target) {
			if st.Source != plan.Manual {
				return xiuhua.Errorf(xiuhua.EUnprocessable, "target %d is computed from the ledger (%s), not reported by hand", "目标 %d 由台账自动计算（%s），不可手工填报", id, st.Source)
			}
			return xiuhua.Errorf(xiuhua.EForbidden, "only the owner unit, a leader or an admin may report this target", "只有责任单位、领导或管理员可以填报此目标")
		}
		var v float64
		if st.Measure == plan.Milestone {
			switch value {
			case "1", "0":
				v, _ = strconv.ParseFloat(value, 64)
			default:
				return xiuhua.Errorf(xiuhua.EInvalid, "choose done or not done", "请选择已完成或未完成")
			}
		} else if v, err = parseNum(value, "value", "数值", false); err != nil {
			return err
		}
		if err := st.CheckValue(v); err != nil {
			return err
		}
		in := plan.ReportInput{Value: v, Note: note}
		if r.MultipartForm != nil {
			if in.Blobs, err = s.planPhotos(r.Context(), q, r.MultipartForm.File["photos"]); err != nil {
				return err
			}
		}
		_, err = s.planService().Report(r.Context(), q.actor, id, in)
		return err
	}()
	if err != nil {
		if xiuhua.ErrorCode(err) == xiuhua.EInternal {
			return err
		}
		v, verr := s.targetView(r.Context(), q, id)
		if verr != nil {
			return err // the target itself is not the actor's: the first refusal says why
		}
		v.Value, v.Note = value, note
		q.flashErr = xiuhua.AsError(err)
		q.styles, q.scripts = []string{"plan.css"}, []string{"vendor/echarts/echarts.min.js", "plan.js"}
		s.render(w, r, q, status(err), "plan_target", "", v)
		return nil
	}
	http.Redirect(w, r, "/plan/targets/"+strconv.FormatInt(id, 10)+"?done=report", http.StatusSeeOther)
	return nil
}

// bounded keeps a percent target's forecast within 0–100: the line through
// the reports may run past what a percentage can be.
func bounded(st plan.Status) plan.Status {
	if st.Measure == plan.Percent && st.Forecast != nil {
		f := math.Max(0, math.Min(100, *st.Forecast))
		st.Forecast = &f
	}
	return st
}

// planTab is a tab of the plan pages.
type planTab struct {
	Href, Label string
	Current     bool
}

// Tabs are the plan pages' tabs, the one of page marked.
func (b planBase) Tabs(page string) []planTab {
	return []planTab{
		{"/plan/targets", translate(b.Lang, "plan.tab.targets"), page == "plan_targets" || page == "plan_target"},
		{"/plan/statements", translate(b.Lang, "plan.tab.statements"), page == "plan_statements" || page == "plan_statement"},
		{"/plan/projects", translate(b.Lang, "plan.tab.projects"), page == "plan_projects" || page == "plan_project"},
	}
}

// Stage and PhotoKind name a project's stage and a kind of project photo.
func (b planBase) Stage(st string) string    { return translate(b.Lang, "plan.stage."+st) }
func (b planBase) PhotoKind(k string) string { return translate(b.Lang, "plan.photo."+k) }

// SgKind and SgState name a suggestion's kind and moderation state.
func (b planBase) SgKind(k string) string   { return translate(b.Lang, "plan.sg."+k) }
func (b planBase) SgState(st string) string { return translate(b.Lang, "plan.sg."+st) }

// Measures and Sources are the create form's choices.
func (b planBase) Measures() []string { return []string{plan.Percent, plan.Count, plan.Milestone} }
func (b planBase) Sources() []string {
	return []string{plan.Manual, plan.Cases, plan.OnTime, plan.Score, plan.Excellence, plan.Clean}
}

// N shows a count pointer (0 for none).
func (b planBase) N(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}

// PhotoURL is where the target page shows an evidence photo: through the
// target, so whoever sees the target sees its evidence.
func (v targetView) PhotoURL(blob string) string {
	return "/plan/targets/" + strconv.FormatInt(v.S.ID, 10) + "/photos/" + blob
}

// planTargetPhoto serves an evidence photo of a target the actor may see.
func (s *Server) planTargetPhoto(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := planID(r, "target", "目标")
	if err != nil {
		return err
	}
	blobID := r.PathValue("blob")
	st, err := s.planService().Target(r.Context(), q.actor, id)
	if err != nil {
		return err
	}
	for _, rp := range st.History {
		if slices.Contains(rp.Blobs, blobID) {
			return s.serveBlob(w, r, blobID)
		}
	}
	return xiuhua.Errorf(xiuhua.ENotFound, "no photo %s", "照片 %s 不存在", blobID)
}

// serveBlob sends a stored photo the caller has decided the actor may see,
// with the headers of /photos/{id}.
func (s *Server) serveBlob(w http.ResponseWriter, r *http.Request, id string) error {
	if !blob.ValidID(id) {
		return xiuhua.Errorf(xiuhua.ENotFound, "no photo %s", "照片 %s 不存在", id)
	}
	b, err := s.App.DB.Blob(r.Context(), id)
	if err != nil {
		return err
	}
	f, err := s.App.Blobs.Open(id)
	if err != nil {
		return xiuhua.Internal(err)
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", b.ContentType)
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	// Content-addressed, so it never changes; private: it is ledger evidence.
	h.Set("Cache-Control", "private, max-age=86400")
	http.ServeContent(w, r, "", b.CreatedAt, f)
	return nil
}
