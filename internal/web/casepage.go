package web

import (
	"context"
	"math"
	"mime/multipart"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// eventRow is one step of the timeline.
type eventRow struct {
	Seq          int
	At           time.Time
	Actor        string
	ActorUnit    string
	Action       casework.Action
	From, To     casework.State
	Note         string
	Reason       string
	Unit         string
	Deadline     time.Time
	PrevDeadline time.Time
	Hours        float64
	Passed       *bool
	Approved     *bool
	Photos       []string
}

// actionForm is a button for one allowed action with the fields it needs.
type actionForm struct {
	Action    casework.Action
	Multipart bool
	Reason    bool
	Unit      bool
	Photos    bool
	Passed    bool
	Hours     bool
	Approved  bool
	// Danger marks the actions that end or undo work (reject, return).
	Danger bool
}

type unitOption struct {
	Code, Name string
	Suggested  bool
}

type caseView struct {
	C         casework.Case
	Code      string
	Place     []territory.Ref
	Reporter  string
	Unit      string
	Overdue   bool
	Left      string
	Before    []string
	After     []string
	Events    []eventRow
	Actions   []actionForm
	Units     []unitOption
	ExtPend   bool
	Lat, Lon  string
	MaxPhotos int
	// Approx names the area the address was matched to when the position
	// was located from it (approximate); "" when it came from coordinates.
	Approx string
	// Citizen is what citizens added after reporting (市民补充), for the command centre.
	Citizen []citizenRow
}

// formFor says what each action asks for (casework's checkInput is the rule;
// this is the form that satisfies it).
func formFor(a casework.Action) actionForm {
	f := actionForm{Action: a}
	switch a {
	case casework.Reject, casework.Return, casework.Suspend:
		f.Reason = true
	case casework.Extend:
		f.Reason, f.Hours = true, true
	case casework.Dispatch:
		f.Unit = true
	case casework.Handle:
		f.Photos = true
	case casework.Verify:
		f.Photos, f.Passed = true, true
	case casework.ApproveExtension:
		f.Approved = true
	}
	f.Multipart = f.Photos
	f.Danger = a == casework.Reject || a == casework.Return
	return f
}

func pathCaseID(r *http.Request) (int64, error) {
	id, ok := casework.IDFromCode(r.PathValue("id"))
	if !ok {
		return 0, xiuhua.Errorf(xiuhua.ENotFound, "no case %s", "案件 %s 不存在", r.PathValue("id"))
	}
	return id, nil
}

// doneKeys are the notices shown after an action succeeded (?done=…).
var doneKeys = func() map[string]string {
	m := map[string]string{"report": "done.report"}
	for _, a := range casework.Actions {
		m[string(a)] = "done." + string(a)
	}
	return m
}()

func (s *Server) casePage(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathCaseID(r)
	if err != nil {
		return err
	}
	flash := ""
	if k, ok := doneKeys[r.URL.Query().Get("done")]; ok {
		flash = translate(q.lang, k)
	}
	return s.showCase(w, r, q, id, http.StatusOK, flash)
}

// showCase renders a case as the actor may see it: through the case
// service, so out of scope reads as absent.
func (s *Server) showCase(w http.ResponseWriter, r *http.Request, q *request, id int64, st int, flash string) error {
	ctx := r.Context()
	c, evs, err := s.App.Cases.Get(ctx, q.actor, id)
	if err != nil {
		return err
	}
	v, err := s.caseView(ctx, q, c, evs)
	if err != nil {
		return err
	}
	s.render(w, r, q, st, "case", flash, v)
	return nil
}

func (s *Server) caseView(ctx context.Context, q *request, c casework.Case, evs []casework.Event) (caseView, error) {
	a := q.actor
	now := s.Now()
	v := caseView{C: c, Code: c.Code(), ExtPend: c.ExtensionHours != 0, MaxPhotos: maxPhotos,
		Lat: strconv.FormatFloat(c.Lat, 'f', 6, 64), Lon: strconv.FormatFloat(c.Lon, 'f', 6, 64)}
	ix := s.App.Territory()
	for _, code := range []string{c.District, c.Street, c.Community, c.Grid} {
		if ar, ok := ix.Area(code); ok {
			v.Place = append(v.Place, territory.Ref{Code: code, Name: ar.Name})
		}
	}
	if c.ApproxArea != "" {
		v.Approx = c.ApproxArea
		if ar, ok := ix.Area(c.ApproxArea); ok {
			v.Approx = ar.Name
		}
	}
	units, err := s.App.Units(ctx, a)
	if err != nil {
		return v, err
	}
	unitName := map[string]string{}
	for _, u := range units {
		unitName[u.Code] = u.Name
	}
	name := func(code string) string {
		if n, ok := unitName[code]; ok {
			return n
		}
		return code
	}
	v.Unit = name(c.Unit)
	v.Left, v.Overdue = s.timeLeft(c, now, q.lang, false)
	ids := []int64{c.ReporterID}
	for _, e := range evs {
		ids = append(ids, e.ActorID)
	}
	names, err := s.App.DB.UserDisplayNames(ctx, ids)
	if err != nil {
		return v, err
	}
	v.Reporter = names[c.ReporterID]
	for _, e := range evs {
		er := eventRow{Seq: e.Seq, At: e.At, Actor: names[e.ActorID], ActorUnit: name(e.ActorUnit), Action: e.Action, From: e.From, To: e.To,
			Note: e.Note, Reason: e.Data.Reason, Hours: e.Data.Hours, Passed: e.Data.Passed, Approved: e.Data.Approved, Photos: e.Attachments}
		if er.Actor == "" {
			er.Actor = e.ActorName
		}
		if e.Data.Unit != "" {
			er.Unit = name(e.Data.Unit)
		}
		if e.Action == casework.Report && e.Note == c.Description {
			er.Note = "" // the description is shown above
		}
		if e.Data.Deadline != nil {
			er.Deadline = *e.Data.Deadline
		}
		if e.Data.PrevDeadline != nil {
			er.PrevDeadline = *e.Data.PrevDeadline
		}
		v.Events = append(v.Events, er)
		// Before: the report's photos. After: the latest handling's (and
		// the verification's, taken on site after it).
		switch e.Action {
		case casework.Report:
			v.Before = append(v.Before, e.Attachments...)
		case casework.Handle:
			v.After = append([]string(nil), e.Attachments...)
		case casework.Verify:
			v.After = append(v.After, e.Attachments...)
		}
	}
	v.After = dedupe(v.After)
	if v.Citizen, err = s.citizenRows(ctx, q, c); err != nil {
		return v, err
	}
	for _, act := range casework.AllowedActions(c, a) {
		v.Actions = append(v.Actions, formFor(act))
		if act == casework.Dispatch {
			v.Units = dispatchUnits(s, c, units)
		}
	}
	return v, nil
}

// dispatchUnits are the enabled units whose scope covers the case, those
// whose duty matches the category's first, then the narrowest scope first.
func dispatchUnits(s *Server, c casework.Case, units []org.Unit) []unitOption {
	duty := ""
	if cat, ok := s.App.Category(c.Category); ok {
		duty = cat.Duty
	}
	type cand struct {
		unitOption
		depth int
	}
	var cs []cand
	for _, u := range units {
		if !u.Enabled || !auth.Within(c.Grid, u.Scope) {
			continue
		}
		cs = append(cs, cand{unitOption{Code: u.Code, Name: u.Name, Suggested: u.Duty == duty}, len(u.Scope)})
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].Suggested != cs[j].Suggested {
			return cs[i].Suggested
		}
		if cs[i].depth != cs[j].depth {
			return cs[i].depth > cs[j].depth
		}
		return cs[i].Code < cs[j].Code
	})
	out := make([]unitOption, len(cs))
	for i, c := range cs {
		out[i] = c.unitOption
	}
	return out
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// act takes one action from the case page's form: the photos are stored
// first, then the case service decides. Success goes back to the case page
// (303, so a reload does not repeat it); a refusal shows the page again
// with the reason.
func (s *Server) act(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := pathCaseID(r)
	if err != nil {
		return err
	}
	action := casework.Action(r.PathValue("action"))
	if !casework.ValidAction(action) {
		return xiuhua.Errorf(xiuhua.ENotFound, "unknown action %q", "未知操作 %q", action)
	}
	in, err := s.actionInput(r, q, action)
	if err == nil {
		_, err = s.App.Cases.Act(r.Context(), q.actor, id, action, in)
	}
	if err == nil && (action == casework.Close || action == casework.Reject) {
		s.ended.forget() // the desk shows this closure at once
	}
	if err != nil {
		if code := xiuhua.ErrorCode(err); code == xiuhua.EInternal || code == xiuhua.ENotFound {
			return err
		}
		q.flashErr = xiuhua.AsError(err)
		q.here = "/cases/" + strconv.FormatInt(id, 10)
		return s.showCase(w, r, q, id, status(err), "")
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(id, 10)+"?done="+string(action), http.StatusSeeOther)
	return nil
}

func (s *Server) actionInput(r *http.Request, q *request, action casework.Action) (casework.Input, error) {
	var in casework.Input
	v, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil || v <= 0 {
		return in, xiuhua.Errorf(xiuhua.EInvalid, "the form lacks the case version: reload the page", "表单缺少案件版本号，请刷新页面")
	}
	in.Version = v
	in.Note = strings.TrimSpace(r.PostFormValue("note"))
	in.Reason = strings.TrimSpace(r.PostFormValue("reason"))
	in.Unit = r.PostFormValue("unit")
	if h := strings.TrimSpace(r.PostFormValue("hours")); h != "" {
		f, err := strconv.ParseFloat(h, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return in, xiuhua.Errorf(xiuhua.EInvalid, "hours must be a number", "延期时长须为数字")
		}
		in.Hours = f
	}
	boolField := func(name string) *bool {
		switch r.PostFormValue(name) {
		case "true":
			b := true
			return &b
		case "false":
			b := false
			return &b
		}
		return nil
	}
	in.Passed, in.Approved = boolField("passed"), boolField("approved")
	if r.MultipartForm != nil {
		ids, err := s.storePhotos(r.Context(), q, r.MultipartForm.File["photos"])
		if err != nil {
			return in, err
		}
		in.Attachments = ids
	}
	return in, nil
}

// storePhotos stores uploaded photos (internal/blob checks type and size by
// content) and returns their ids. Leaders, read-only on cases, may not.
func (s *Server) storePhotos(ctx context.Context, q *request, files []*multipart.FileHeader) ([]string, error) {
	// Too many photos is answered first, by planPhotos, as it always was.
	if len(files) <= maxPhotos && q.actor.Role == auth.Leader {
		return nil, xiuhua.Errorf(xiuhua.EForbidden, "leaders have read-only access", "领导账号为只读")
	}
	return s.planPhotos(ctx, q, files)
}
