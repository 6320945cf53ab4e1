package api

import (
	"encoding/base64"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/blob"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/territory"
)

func (s *Server) me(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	writeJSON(w, 200, map[string]any{"id": a.UserID, "username": a.Username, "role": a.Role, "unit": a.Unit, "scope": a.Scope})
	return nil
}

// categoryJSON is a catalogue entry as the API shows it.
type categoryJSON struct {
	catalog.Category
	Limits map[string]any `json:"limits"`
}

func (s *Server) listCategories(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	all, err := boolParam(r, "all")
	if err != nil {
		return err
	}
	out := []categoryJSON{}
	for _, c := range s.App.Categories() {
		if c.Enabled || all {
			out = append(out, categoryOut(c))
		}
	}
	writeJSON(w, 200, map[string]any{"items": out})
	return nil
}

func categoryOut(c catalog.Category) categoryJSON {
	unit := "working_hours"
	if c.Clock {
		unit = "clock_hours"
	}
	return categoryJSON{c, map[string]any{"urgent": c.UrgentHours, "normal": c.NormalHours, "unit": unit}}
}

func (s *Server) putCategory(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	c := catalog.Category{Enabled: true} // a new category is in use unless said otherwise
	if err := decode(r, &c); err != nil {
		return err
	}
	if err := s.App.PutCategory(r.Context(), a, c); err != nil {
		return err
	}
	stored, _ := s.App.Category(c.Code)
	writeJSON(w, 200, categoryOut(stored))
	return nil
}

func (s *Server) deleteCategory(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	if err := s.App.DeleteCategory(r.Context(), a, r.PathValue("code")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// boolParam parses an optional boolean query parameter (absent is false).
func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, xiuhua.Errorf(xiuhua.EInvalid, "query parameter %s must be true or false", "查询参数 %s 须为 true 或 false", name)
	}
	return b, nil
}

// floatParam parses a required query parameter as a finite number.
func floatParam(r *http.Request, name string) (float64, error) {
	v := r.URL.Query().Get(name)
	f, err := strconv.ParseFloat(v, 64)
	if v == "" || err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, xiuhua.Errorf(xiuhua.EInvalid, "query parameter %s must be a number in degrees", "查询参数 %s 须为以度为单位的数字", name)
	}
	return f, nil
}

func (s *Server) locate(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	lat, err := floatParam(r, "lat")
	if err != nil {
		return err
	}
	lon, err := floatParam(r, "lon")
	if err != nil {
		return err
	}
	if lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return xiuhua.Errorf(xiuhua.EInvalid, "lat must be within −90…90 and lon within −180…180", "纬度须在 −90…90、经度须在 −180…180 之间")
	}
	loc, ok := s.App.Locate(lon, lat)
	if !ok {
		return xiuhua.Errorf(xiuhua.EUnprocessable, "the point (%.6f, %.6f) is outside every unit grid of this jurisdiction",
			"该位置（%.6f, %.6f）不在本辖区任何单元网格内", lon, lat)
	}
	writeJSON(w, 200, loc)
	return nil
}

func (s *Server) area(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	code := r.PathValue("code")
	// An area is visible inside the actor's scope, and so are the ancestors of
	// the scope (to navigate down to it); out of scope reads as absent.
	above := auth.Within(a.Scope, code)
	ix := s.App.Territory()
	ar, ok := ix.Area(code)
	if !ok || !(a.Covers(code) || above) {
		return xiuhua.Errorf(xiuhua.ENotFound, "no territory %s", "区域 %s 不存在", code)
	}
	kids := []territory.Ref{}
	for _, c := range ix.Children(code) {
		// Above the scope, only the branch that leads to it.
		if !above || a.Covers(c.Code) || auth.Within(a.Scope, c.Code) {
			kids = append(kids, territory.Ref{Code: c.Code, Name: c.Name})
		}
	}
	writeJSON(w, 200, map[string]any{"code": ar.Code, "name": ar.Name, "level": ar.Level, "parent_code": ar.ParentCode, "children": kids})
	return nil
}

// caseJSON is a case as the API shows it.
type caseJSON struct {
	ID             int64             `json:"id"`
	Code           string            `json:"code"`
	State          casework.State    `json:"state"`
	StateZh        string            `json:"state_zh"`
	Version        int               `json:"version"`
	Category       string            `json:"category"`
	CategoryZh     string            `json:"category_name_zh"`
	CategoryEn     string            `json:"category_name_en"`
	Description    string            `json:"description"`
	Address        string            `json:"address"`
	Lat            float64           `json:"lat"`
	Lon            float64           `json:"lon"`
	Grid           territory.Ref     `json:"grid"`
	Community      territory.Ref     `json:"community"`
	Street         territory.Ref     `json:"street"`
	District       territory.Ref     `json:"district"`
	Source         casework.Source   `json:"source"`
	Urgency        catalog.Urgency   `json:"urgency"`
	Unit           *string           `json:"unit"`
	Deadline       *time.Time        `json:"deadline"`
	Overdue        bool              `json:"overdue"`
	ReworkCount    int               `json:"rework_count"`
	ExtensionHours float64           `json:"pending_extension_hours,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	ClosedAt       *time.Time        `json:"closed_at"`
	Approx         *approxJSON       `json:"location_approximate"` // null when the position came from coordinates
	Actions        []casework.Action `json:"actions"`
	Events         []casework.Event  `json:"events,omitempty"`
}

// approxJSON says that a case's position was located from its address, to
// a point inside the area the address names: approximate, to check on site.
type approxJSON struct {
	AreaCode string `json:"area_code"`
	// AreaName is "" if the area is no longer in the territory.
	AreaName string `json:"area_name"`
}

func (s *Server) caseOut(c casework.Case, a auth.Actor, now time.Time) caseJSON {
	ix := s.App.Territory()
	// Times are shown in the calendar's zone (Asia/Shanghai): the zone people read deadlines in.
	loc := s.App.Calendar().Location()
	c.Deadline, c.CreatedAt, c.UpdatedAt, c.ClosedAt = inZone(c.Deadline, loc), c.CreatedAt.In(loc), c.UpdatedAt.In(loc), inZone(c.ClosedAt, loc)
	ref := func(code string) territory.Ref {
		ar, _ := ix.Area(code)
		return territory.Ref{Code: code, Name: ar.Name}
	}
	out := caseJSON{ID: c.ID, Code: c.Code(), State: c.State, StateZh: c.State.NameZh(), Version: c.Version, Category: c.Category,
		Description: c.Description, Address: c.Address, Lat: c.Lat, Lon: c.Lon,
		Grid: ref(c.Grid), Community: ref(c.Community), Street: ref(c.Street), District: ref(c.District),
		Source: c.Source, Urgency: c.Urgency, Overdue: c.Overdue(now), ReworkCount: c.ReworkCount,
		ExtensionHours: c.ExtensionHours, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		Actions: casework.AllowedActions(c, a)}
	if out.Actions == nil {
		out.Actions = []casework.Action{}
	}
	if cat, ok := s.App.Category(c.Category); ok {
		out.CategoryZh, out.CategoryEn = cat.NameZh, cat.NameEn
	}
	if c.Unit != "" {
		out.Unit = &c.Unit
	}
	if !c.Deadline.IsZero() {
		out.Deadline = &c.Deadline
	}
	if !c.ClosedAt.IsZero() {
		out.ClosedAt = &c.ClosedAt
	}
	if c.ApproxArea != "" {
		r := ref(c.ApproxArea)
		out.Approx = &approxJSON{AreaCode: r.Code, AreaName: r.Name}
	}
	return out
}

func (s *Server) reportCase(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var in casework.ReportInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.App.Cases.Report(r.Context(), a, in)
	if err != nil {
		return err
	}
	s.actions.WithLabelValues("report").Inc()
	out := s.caseOut(c, a, time.Now())
	w.Header().Set("Location", "/api/v1/cases/"+strconv.FormatInt(c.ID, 10))
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func caseID(r *http.Request) (int64, error) {
	id, ok := casework.IDFromCode(r.PathValue("id"))
	if !ok {
		return 0, xiuhua.Errorf(xiuhua.ENotFound, "no case %s", "案件 %s 不存在", r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	c, evs, err := s.App.Cases.Get(r.Context(), a, id)
	if err != nil {
		return err
	}
	out := s.caseOut(c, a, time.Now())
	loc := s.App.Calendar().Location()
	for i := range evs {
		evs[i].At = evs[i].At.In(loc)
		evs[i].Data.Deadline = zonePtr(evs[i].Data.Deadline, loc)
		evs[i].Data.PrevDeadline = zonePtr(evs[i].Data.PrevDeadline, loc)
	}
	out.Events = evs
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) act(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	action := casework.Action(r.PathValue("action"))
	if !casework.ValidAction(action) {
		return xiuhua.Errorf(xiuhua.ENotFound, "unknown action %q: one of register, reject, dispatch, return, handle, verify, close, extend, approve-extension, suspend, resume",
			"未知操作 %q", action)
	}
	var in casework.Input
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Version == 0 {
		return xiuhua.Errorf(xiuhua.EInvalid, "version is required: send the version of the case you are acting on", "缺少 version：请提交您所操作案件的版本号")
	}
	c, err := s.App.Cases.Act(r.Context(), a, id, action, in)
	if err != nil {
		return err
	}
	s.actions.WithLabelValues(string(action)).Inc()
	out := s.caseOut(c, a, time.Now())
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q := r.URL.Query()
	f := casework.Filter{Territory: q.Get("territory"), Category: q.Get("category"), Unit: q.Get("unit"), Source: casework.Source(q.Get("source"))}
	if v := q.Get("state"); v != "" {
		for _, st := range strings.Split(v, ",") {
			if !casework.State(st).Valid() {
				return xiuhua.Errorf(xiuhua.EInvalid, "unknown state %q", "未知状态 %q", st)
			}
			f.States = append(f.States, casework.State(st))
		}
	}
	if q.Get("overdue") != "" {
		b, err := boolParam(r, "overdue")
		if err != nil {
			return err
		}
		f.Overdue = &b
	}
	if q.Get("approx") != "" {
		b, err := boolParam(r, "approx")
		if err != nil {
			return err
		}
		f.Approx = &b
	}
	if f.Source != "" && !f.Source.Valid() {
		return xiuhua.Errorf(xiuhua.EInvalid, "unknown source %q", "未知来源 %q", f.Source)
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return xiuhua.Errorf(xiuhua.EInvalid, "limit must be between 1 and 500", "limit 须在 1 到 500 之间")
		}
		f.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		n, err2 := strconv.ParseInt(string(b), 10, 64)
		if err != nil || err2 != nil || n <= 0 {
			return xiuhua.Errorf(xiuhua.EInvalid, "bad cursor: pass next_cursor from the previous page unchanged", "cursor 无效：请原样传入上一页返回的 next_cursor")
		}
		f.Before = n
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	cs, err := s.App.Cases.List(r.Context(), a, f)
	if err != nil {
		return err
	}
	var next *string
	if len(cs) > limit {
		cs = cs[:limit]
		c := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(cs[limit-1].ID, 10)))
		next = &c
	}
	now := time.Now()
	items := make([]caseJSON, len(cs))
	for i, c := range cs {
		items[i] = s.caseOut(c, a, now)
	}
	writeJSON(w, 200, map[string]any{"items": items, "next_cursor": next})
	return nil
}

func (s *Server) putBlob(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	if r.ContentLength > blob.MaxSize {
		return xiuhua.Errorf(xiuhua.ETooLarge, "the file is larger than 10 MB", "文件超过 10 MB")
	}
	id, ct, n, err := s.App.Blobs.Put(io.LimitReader(r.Body, blob.MaxSize+1))
	if err != nil {
		return err
	}
	if err := s.App.DB.PutBlob(r.Context(), store.Blob{ID: id, ContentType: ct, Size: n, CreatedBy: a.UserID, CreatedAt: time.Now()}); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "content_type": ct, "size": n})
	return nil
}

func (s *Server) getBlob(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id := r.PathValue("id")
	if !blob.ValidID(id) {
		return xiuhua.Errorf(xiuhua.ENotFound, "no file %s", "文件 %s 不存在", id)
	}
	ok, err := s.App.DB.BlobVisible(r.Context(), id, a.UserID, a.Scope)
	if err != nil {
		return err
	}
	if !ok {
		return xiuhua.Errorf(xiuhua.ENotFound, "no file %s", "文件 %s 不存在", id)
	}
	return s.sendBlob(w, r, id)
}

// sendBlob sends a stored file the caller has decided the actor may see.
func (s *Server) sendBlob(w http.ResponseWriter, r *http.Request, id string) error {
	b, err := s.App.DB.Blob(r.Context(), id)
	if err != nil {
		return err
	}
	f, err := s.App.Blobs.Open(id)
	if err != nil {
		return xiuhua.Internal(err)
	}
	defer f.Close()
	w.Header().Set("Content-Type", b.ContentType)
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	http.ServeContent(w, r, "", b.CreatedAt, f)
	return nil
}

func (s *Server) putUnit(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var u org.Unit
	u.Enabled = true
	if err := decode(r, &u); err != nil {
		return err
	}
	stored, err := s.App.PutUnit(r.Context(), a, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, stored)
	return nil
}

func (s *Server) listUnits(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	us, err := s.App.Units(r.Context(), a)
	if err != nil {
		return err
	}
	if us == nil {
		us = []org.Unit{}
	}
	writeJSON(w, 200, map[string]any{"items": us})
	return nil
}

func (s *Server) calendarAdd(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q := r.URL.Query()
	start, err := time.Parse(time.RFC3339, q.Get("start"))
	if err != nil {
		return xiuhua.Errorf(xiuhua.EInvalid, "start must be an RFC 3339 time, e.g. 2026-09-30T16:00:00+08:00", "start 须为 RFC 3339 时间，如 2026-09-30T16:00:00+08:00")
	}
	hours, err := strconv.ParseFloat(q.Get("hours"), 64)
	if err != nil || hours < 0 || hours > 24*365 || math.IsNaN(hours) {
		return xiuhua.Errorf(xiuhua.EInvalid, "hours must be a number between 0 and 8760", "hours 须为 0 到 8760 之间的数字")
	}
	clock, err := boolParam(r, "clock")
	if err != nil {
		return err
	}
	cal := s.App.Calendar()
	d := cal.Deadline(start, time.Duration(hours*float64(time.Hour)), clock)
	writeJSON(w, 200, map[string]any{"deadline": d.In(cal.Location()).Format(time.RFC3339), "covered": cal.Covered(d.In(cal.Location()).Year())})
	return nil
}

func inZone(t time.Time, loc *time.Location) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(loc)
}

func zonePtr(t *time.Time, loc *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	x := t.In(loc)
	return &x
}
