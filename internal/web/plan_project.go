package web

import (
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/plan"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// Renovation projects (背街小巷整治, 老旧小区改造, 城中村整治): the
// portfolio by district and kind, the list, and a project's page where an
// admin or a leader records milestones reached, money spent and outputs.

// projectKinds are the kinds in the order the filters offer them.
var projectKinds = []string{plan.BackAlley, plan.OldEstate, plan.UrbanVillage}

type projectsView struct {
	planBase
	Territory, Kind string
	Kinds           []string
	// Areas are the filter's territories: the districts and territories of
	// the visible projects.
	Areas     []string
	Portfolio plan.Portfolio
	Projects  []projectRow
	// CanCreate shows the new-project form (admins and leaders) with the
	// areas they plan; Open shows it open, Form as typed, after a refusal.
	CanCreate bool
	NewAreas  []projectArea
	Open      bool
	Form      projectForm
	// Tiles and Attribution are the drawing map's basemap.
	Tiles, Attribution string
}

// projectRow is a project with its milestone counts.
type projectRow struct {
	plan.Project
	Done, Steps int
}

func rowOf(p plan.Project) projectRow {
	r := projectRow{Project: p, Steps: len(p.Milestones)}
	for _, m := range p.Milestones {
		if m.Actual != "" {
			r.Done++
		}
	}
	return r
}

func (s *Server) planProjectsPage(w http.ResponseWriter, r *http.Request, q *request) error {
	qs := r.URL.Query()
	return s.projectsPage(w, r, q, strings.TrimSpace(qs.Get("territory")), strings.TrimSpace(qs.Get("kind")), nil, http.StatusOK)
}

// projectsPage renders the portfolio and the list, filtered; f is the
// new-project form after a refusal (nil: a blank one, closed).
func (s *Server) projectsPage(w http.ResponseWriter, r *http.Request, q *request, terr, kind string, f *projectForm, st int) error {
	ctx := r.Context()
	v := projectsView{planBase: planBase{q.lang, s.App.CodeNames(ctx)}, Territory: terr, Kind: kind, Kinds: projectKinds,
		CanCreate: canIssue(q.actor), Open: f != nil, Tiles: s.TileURL, Attribution: s.TileAttribution}
	if f != nil {
		v.Form = *f
	}
	if v.CanCreate {
		v.NewAreas = s.projectAreas(q.actor)
	}
	if v.Kind != "" && plan.KindZh[v.Kind] == "" {
		return xiuhua.Errorf(xiuhua.EInvalid, "kind %q: back_alley, old_estate or urban_village", "类型 %q 须为 back_alley、old_estate 或 urban_village", v.Kind)
	}
	svc := s.planService()
	all, err := svc.Projects(ctx, q.actor, "", "")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, p := range all {
		for _, c := range []string{p.District, p.Territory} {
			if !seen[c] {
				seen[c] = true
				v.Areas = append(v.Areas, c)
			}
		}
	}
	sort.Strings(v.Areas)
	ps, err := svc.Projects(ctx, q.actor, v.Territory, v.Kind)
	if err != nil {
		return err
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].ID < ps[j].ID })
	v.Portfolio = plan.Sum(ps)
	for _, p := range ps {
		v.Projects = append(v.Projects, rowOf(p))
	}
	q.styles = []string{"plan.css"}
	if v.CanCreate {
		// The new-project form draws the area on a map.
		q.styles = append(q.styles, "vendor/leaflet/leaflet.css")
		q.scripts = []string{"vendor/leaflet/leaflet.js", "plan.js"}
	}
	flash := ""
	if f == nil {
		flash = planFlash(q, r)
	}
	s.render(w, r, q, st, "plan_projects", flash, v)
	return nil
}

// stepRow is a milestone as the timeline shows it.
type stepRow struct {
	plan.Step
	I int
	// State: done, late (reached after its date, or not reached and past
	// it), due (still ahead).
	State string
}

// caseLink is a linked case as the actor may see it (Known false: out of
// the actor's territory or gone, shown by number alone).
type caseLink struct {
	ID       int64
	Known    bool
	Code     string
	Category string
	State    casework.State
}

// photoGroup is a kind of project photo (before, progress, after) with its photos.
type photoGroup struct {
	Kind   string
	Photos []plan.Photo
}

type projectView struct {
	planBase
	P      projectRow
	Cases  []caseLink
	Photos []photoGroup
	// Area is the project's polygon (GeoJSON) for the map, "" for none;
	// Tiles and Attribution the basemap as on the map page.
	Area, Tiles, Attribution string
	PhotoKinds               []string
	MaxPhotos                int
	Consult                  consultView
	Steps                    []stepRow
	Today                    string
	CanEdit                  bool
	// Form holds the update form as typed after a refusal (nil: the
	// project's own values).
	Form map[string]string
}

// Field is the update form's value of a field: as typed after a refusal
// (when the form carried it), else def.
func (v projectView) Field(name, def string) string {
	if x, ok := v.Form[name]; ok {
		return x
	}
	return def
}

func (s *Server) projectView(ctx context.Context, q *request, id int64) (projectView, error) {
	p, err := s.planService().ProjectWithPhotos(ctx, q.actor, id)
	if err != nil {
		return projectView{}, err
	}
	today := s.App.Cases.Now().In(shanghai).Format(time.DateOnly)
	v := projectView{planBase: planBase{q.lang, s.App.CodeNames(ctx)}, P: rowOf(p), Today: today,
		CanEdit: q.actor.Is(auth.Admin, auth.Leader) && q.actor.Covers(p.Territory),
		Tiles:   s.TileURL, Attribution: s.TileAttribution, PhotoKinds: plan.PhotoKinds, MaxPhotos: maxPhotos}
	if len(p.Area) > 0 {
		v.Area = string(p.Area)
	}
	for _, k := range plan.PhotoKinds {
		g := photoGroup{Kind: k}
		for _, ph := range p.Photos {
			if ph.Kind == k {
				g.Photos = append(g.Photos, ph)
			}
		}
		v.Photos = append(v.Photos, g)
	}
	svc := s.planService()
	sgs, err := svc.Suggestions(ctx, q.actor, id, "")
	if err != nil {
		return v, err
	}
	sort.SliceStable(sgs, func(i, j int) bool {
		if (sgs[i].State == plan.Pending) != (sgs[j].State == plan.Pending) {
			return sgs[i].State == plan.Pending
		}
		return sgs[i].ID > sgs[j].ID
	})
	v.Consult.Suggestions = sgs
	for _, sg := range sgs {
		if sg.State == plan.Pending {
			v.Consult.Pending++
		}
	}
	if v.Consult.Poll, err = svc.Poll(ctx, q.actor, id); err != nil {
		return v, err
	}
	// Linked cases through the case service: a case outside the actor's
	// territory shows as a number only.
	for _, cid := range p.Cases {
		l := caseLink{ID: cid}
		if c, _, err := s.App.Cases.Get(ctx, q.actor, cid); err == nil {
			l.Known, l.Code, l.Category, l.State = true, c.Code(), c.Category, c.State
		} else if xiuhua.ErrorCode(err) == xiuhua.EInternal {
			return v, err
		}
		v.Cases = append(v.Cases, l)
	}
	for i, m := range p.Milestones {
		st := "due"
		switch {
		case m.Late(today):
			st = "late"
		case m.Actual != "":
			st = "done"
		}
		v.Steps = append(v.Steps, stepRow{Step: m, I: i, State: st})
	}
	return v, nil
}

func (s *Server) planProjectPage(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := planID(r, "project", "项目")
	if err != nil {
		return err
	}
	v, err := s.projectView(r.Context(), q, id)
	if err != nil {
		return err
	}
	s.projectAssets(q, v)
	s.render(w, r, q, http.StatusOK, "plan_project", planFlash(q, r), v)
	return nil
}

// planUpdateProject records a project's progress: the milestones' actual
// dates (empty: not reached), the money spent and the outputs achieved, on
// the version read (a concurrent change is refused by the store).
func (s *Server) planUpdateProject(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := planID(r, "project", "项目")
	if err != nil {
		return err
	}
	q.here = "/plan/projects/" + strconv.FormatInt(id, 10)
	err = func() error {
		svc := s.planService()
		p, err := svc.Project(r.Context(), q.actor, id)
		if err != nil {
			return err
		}
		if !q.actor.Is(auth.Admin, auth.Leader) {
			return xiuhua.Errorf(xiuhua.EForbidden, "only an admin or a leader may update a project", "只有管理员或领导可以更新项目")
		}
		ver, err := strconv.Atoi(r.PostFormValue("version"))
		if err != nil || ver <= 0 {
			return xiuhua.Errorf(xiuhua.EInvalid, "version: required (the version you read)", "须提供 version（读取时的版本）")
		}
		p.Version = ver
		spent, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("spent")), 10, 64)
		if err != nil {
			return xiuhua.Errorf(xiuhua.EInvalid, "money spent: whole yuan", "已支出金额须为整数（元）")
		}
		p.Spent = spent
		// Budget and linked cases: changed when the form carries them.
		if _, ok := r.PostForm["budget"]; ok {
			if p.Budget, err = strconv.ParseInt(strings.TrimSpace(r.PostFormValue("budget")), 10, 64); err != nil {
				return xiuhua.Errorf(xiuhua.EInvalid, "budget: whole yuan", "预算须为整数（元）")
			}
		}
		if _, ok := r.PostForm["area"]; ok {
			extra, err := parseProject(projectForm{Budget: "0", Area: r.PostFormValue("area")})
			if err != nil {
				return err
			}
			p.Area = extra.Area // empty: the area is removed
		}
		if _, ok := r.PostForm["cases"]; ok {
			extra, err := parseProject(projectForm{Budget: "0", Cases: r.PostFormValue("cases")})
			if err != nil {
				return err
			}
			p.Cases = extra.Cases
		}
		for i := range p.Milestones {
			a := strings.TrimSpace(r.PostFormValue("actual-" + strconv.Itoa(i)))
			if _, err := time.Parse(time.DateOnly, a); a != "" && err != nil {
				return xiuhua.Errorf(xiuhua.EInvalid, "milestone %d (%s): the date reached %q must be YYYY-MM-DD", "第 %d 个节点（%s）：完成日期 %q 须为 YYYY-MM-DD", i+1, p.Milestones[i].Name, a)
			}
			if a != "" && a > s.App.Cases.Now().In(shanghai).Format(time.DateOnly) {
				return xiuhua.Errorf(xiuhua.EInvalid, "milestone %s: the date reached %s is in the future", "节点 %s：完成日期 %s 晚于今天", p.Milestones[i].Name, a)
			}
			p.Milestones[i].Actual = a
		}
		for i := range p.Outputs {
			f, err := parseNum(r.PostFormValue("achieved-"+strconv.Itoa(i)), "output "+p.Outputs[i].Name, "产出"+p.Outputs[i].Name, false)
			if err != nil {
				return err
			}
			p.Outputs[i].Achieved = f
		}
		// A milestone or an output added at the end.
		if n, d := strings.TrimSpace(r.PostFormValue("new-step-name")), strings.TrimSpace(r.PostFormValue("new-step-planned")); n != "" || d != "" {
			p.Milestones = append(p.Milestones, plan.Step{Name: n, Planned: d})
		}
		if n := strings.TrimSpace(r.PostFormValue("new-output-name")); n != "" || strings.TrimSpace(r.PostFormValue("new-output-planned")) != "" {
			f, err := parseNum(r.PostFormValue("new-output-planned"), "new output: planned", "新增产出的计划数", false)
			if err != nil {
				return err
			}
			p.Outputs = append(p.Outputs, plan.Output{Name: n, Unit: strings.TrimSpace(r.PostFormValue("new-output-unit")), Planned: f})
		}
		_, err = svc.SaveProject(r.Context(), q.actor, p)
		return err
	}()
	if err != nil {
		return s.projectRefused(w, r, q, id, err, true)
	}
	http.Redirect(w, r, "/plan/projects/"+strconv.FormatInt(id, 10)+"?done=project", http.StatusSeeOther)
	return nil
}

// CasesText is the linked cases as the update form shows them: case
// numbers where the actor sees the case, ids otherwise.
func (v projectView) CasesText() string {
	var out []string
	for _, c := range v.Cases {
		if c.Known {
			out = append(out, c.Code)
		} else {
			out = append(out, strconv.FormatInt(c.ID, 10))
		}
	}
	return strings.Join(out, ", ")
}

// PhotoURL is where the page shows a project photo: through the project,
// so whoever sees the project sees its photos.
func (v projectView) PhotoURL(blob string) string {
	return "/plan/projects/" + strconv.FormatInt(v.P.ID, 10) + "/photos/" + blob
}

// planProjectPhoto serves a photo of a project the actor may see.
func (s *Server) planProjectPhoto(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := planID(r, "project", "项目")
	if err != nil {
		return err
	}
	blobID := r.PathValue("blob")
	ok, err := s.planService().HasPhoto(r.Context(), q.actor, id, blobID)
	if err != nil {
		return err
	}
	if !ok {
		return xiuhua.Errorf(xiuhua.ENotFound, "no photo %s", "照片 %s 不存在", blobID)
	}
	return s.serveBlob(w, r, blobID)
}

// planAddPhotos adds photos of one kind (before, progress, after) to a
// project: the uploads are kept as the actor's blobs, then attached.
func (s *Server) planAddPhotos(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := planID(r, "project", "项目")
	if err != nil {
		return err
	}
	q.here = "/plan/projects/" + strconv.FormatInt(id, 10)
	err = func() error {
		svc := s.planService()
		p, err := svc.Project(r.Context(), q.actor, id)
		if err != nil {
			return err
		}
		if !q.actor.Is(auth.Admin, auth.Leader) || !q.actor.Covers(p.Territory) {
			return xiuhua.Errorf(xiuhua.EForbidden, "only an admin or a leader may add photos to a project", "只有管理员或领导可以上传项目照片")
		}
		kind := r.PostFormValue("kind")
		if !slices.Contains(plan.PhotoKinds, kind) {
			return xiuhua.Errorf(xiuhua.EInvalid, "kind: before, progress or after", "类型须为 before、progress 或 after")
		}
		var taken time.Time
		if d := strings.TrimSpace(r.PostFormValue("taken")); d != "" {
			if taken, err = time.ParseInLocation(time.DateOnly, d, shanghai); err != nil {
				return xiuhua.Errorf(xiuhua.EInvalid, "date taken %q must be a date (YYYY-MM-DD)", "拍摄日期 %q 须为日期（YYYY-MM-DD）", d)
			}
			taken = taken.Add(12 * time.Hour) // midday: the day stays the day in any reading
		}
		var files []*multipart.FileHeader
		if r.MultipartForm != nil {
			files = r.MultipartForm.File["photos"]
		}
		blobs, err := s.planPhotos(r.Context(), q, files)
		if err != nil {
			return err
		}
		if len(blobs) == 0 {
			return xiuhua.Errorf(xiuhua.EInvalid, "choose at least one photo", "请至少选择一张照片")
		}
		for _, b := range blobs {
			if _, err := svc.AddPhoto(r.Context(), q.actor, id, plan.PhotoInput{Blob: b, Kind: kind, Caption: r.PostFormValue("caption"), TakenAt: taken}); err != nil {
				return err
			}
		}
		return nil
	}()
	if err != nil {
		return s.projectRefused(w, r, q, id, err, false)
	}
	http.Redirect(w, r, "/plan/projects/"+strconv.FormatInt(id, 10)+"?done=photos#photos", http.StatusSeeOther)
	return nil
}

// projectRefused renders the project page again with the refusal of a form
// (keep: the update form shows what was typed).
func (s *Server) projectRefused(w http.ResponseWriter, r *http.Request, q *request, id int64, err error, keep bool) error {
	if xiuhua.ErrorCode(err) == xiuhua.EInternal {
		return err
	}
	v, verr := s.projectView(r.Context(), q, id)
	if verr != nil {
		return err // the project itself is not the actor's: the first refusal says why
	}
	if keep && xiuhua.ErrorCode(err) != xiuhua.EConflict {
		// Keep what was typed; after a conflict show the new version instead.
		v.Form = map[string]string{}
		for k := range r.PostForm {
			if k != "_csrf" {
				v.Form[k] = r.PostFormValue(k)
			}
		}
	}
	q.flashErr = xiuhua.AsError(err)
	s.projectAssets(q, v)
	s.render(w, r, q, status(err), "plan_project", "", v)
	return nil
}

// projectAssets adds the project page's styles and, with an area to show
// or a form to draw one, Leaflet and the page script.
func (s *Server) projectAssets(q *request, v projectView) {
	q.styles = []string{"plan.css"}
	if v.Area != "" || v.CanEdit {
		q.styles = append(q.styles, "vendor/leaflet/leaflet.css")
		q.scripts = []string{"vendor/leaflet/leaflet.js", "plan.js"}
	}
}

// projectForm is the new-project form as typed.
type projectForm struct {
	Name, Kind, Territory, Budget, Milestones, Outputs, Cases, Area string
}

// projectArea is a territory a project may be placed in, indented by level.
type projectArea struct {
	Code, Name string
	Depth      int
}

// projectAreas are the districts, streets and communities the actor plans.
func (s *Server) projectAreas(a auth.Actor) []projectArea {
	tree := s.App.Territory()
	var out []projectArea
	var walk func(code string, depth int)
	walk = func(code string, depth int) {
		for _, c := range tree.Children(code) {
			if c.Level == territory.Grid {
				continue
			}
			if a.Covers(c.Code) {
				out = append(out, projectArea{c.Code, c.Name, depth})
			}
			if depth < 2 && (a.Covers(c.Code) || auth.Within(a.Scope, c.Code)) {
				walk(c.Code, depth+1)
			}
		}
	}
	walk("", 0)
	return out
}

// Indent shows an area option's level.
func (o projectArea) Indent() string { return strings.Repeat("　", o.Depth) }

// parseProject turns the new-project form into a project: milestones one a
// line "名称 YYYY-MM-DD", outputs "名称 单位 计划数", case numbers separated
// by spaces or commas, the area as GeoJSON (optional).
func parseProject(f projectForm) (plan.Project, error) {
	p := plan.Project{Name: f.Name, Kind: f.Kind, Territory: strings.TrimSpace(f.Territory)}
	var err error
	if p.Budget, err = strconv.ParseInt(strings.TrimSpace(f.Budget), 10, 64); err != nil {
		return p, xiuhua.Errorf(xiuhua.EInvalid, "budget: whole yuan", "预算须为整数（元）")
	}
	for i, line := range strings.Split(f.Milestones, "\n") {
		w := strings.Fields(line)
		if len(w) == 0 {
			continue
		}
		if len(w) < 2 {
			return p, xiuhua.Errorf(xiuhua.EInvalid, "milestones line %d: a name and a planned date (YYYY-MM-DD)", "节点第 %d 行：须为“名称 计划日期（YYYY-MM-DD）”", i+1)
		}
		p.Milestones = append(p.Milestones, plan.Step{Name: strings.Join(w[:len(w)-1], " "), Planned: w[len(w)-1]})
	}
	for i, line := range strings.Split(f.Outputs, "\n") {
		w := strings.Fields(line)
		if len(w) == 0 {
			continue
		}
		var n float64
		if len(w) >= 3 {
			n, err = strconv.ParseFloat(w[len(w)-1], 64)
		}
		if len(w) < 3 || err != nil {
			return p, xiuhua.Errorf(xiuhua.EInvalid, "outputs line %d: a name, a unit and the planned amount", "产出第 %d 行：须为“名称 单位 计划数”", i+1)
		}
		p.Outputs = append(p.Outputs, plan.Output{Name: strings.Join(w[:len(w)-2], " "), Unit: w[len(w)-2], Planned: n})
	}
	for _, c := range strings.FieldsFunc(f.Cases, func(r rune) bool {
		return r == ',' || r == '，' || r == '、' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	}) {
		id, ok := casework.IDFromCode(c)
		if !ok {
			return p, xiuhua.Errorf(xiuhua.EInvalid, "%q is not a case number", "%q 不是案件编号", c)
		}
		p.Cases = append(p.Cases, id)
	}
	if a := strings.TrimSpace(f.Area); a != "" {
		if !json.Valid([]byte(a)) {
			return p, xiuhua.Errorf(xiuhua.EInvalid, "area: not GeoJSON", "项目范围不是有效的 GeoJSON")
		}
		p.Area = json.RawMessage(a)
	}
	return p, nil
}

// planCreateProject creates a project from the new-project form (admins
// and leaders, in their territory).
func (s *Server) planCreateProject(w http.ResponseWriter, r *http.Request, q *request) error {
	q.here = "/plan/projects"
	f := projectForm{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Territory: r.PostFormValue("territory"), Budget: r.PostFormValue("budget"),
		Milestones: r.PostFormValue("milestones"), Outputs: r.PostFormValue("outputs"), Cases: r.PostFormValue("cases"), Area: r.PostFormValue("area")}
	p, err := parseProject(f)
	if err == nil {
		p, err = s.planService().SaveProject(r.Context(), q.actor, p)
	}
	if err != nil {
		if xiuhua.ErrorCode(err) == xiuhua.EInternal {
			return err
		}
		q.flashErr = xiuhua.AsError(err)
		return s.projectsPage(w, r, q, "", "", &f, status(err))
	}
	http.Redirect(w, r, "/plan/projects/"+strconv.FormatInt(p.ID, 10)+"?done=created_project", http.StatusSeeOther)
	return nil
}
