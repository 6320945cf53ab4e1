package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/plan"
)

// planRoutes registers target task books, responsibility statements and
// renovation projects (internal/plan).
func (s *Server) planRoutes() {
	s.handle("GET /api/v1/plan/targets", s.listTargets)
	s.handle("POST /api/v1/plan/targets", s.createTarget)
	s.handle("GET /api/v1/plan/targets/{id}", s.getTarget)
	s.handle("POST /api/v1/plan/targets/{id}/reports", s.reportTarget)
	s.handle("GET /api/v1/plan/statements", s.listStatements)
	s.handle("POST /api/v1/plan/statements", s.issueStatement)
	s.handle("POST /api/v1/plan/statements/{id}/sign", s.signStatement)
	s.handle("GET /api/v1/plan/projects", s.listProjects)
	s.handle("POST /api/v1/plan/projects", s.createProject)
	s.handle("GET /api/v1/plan/projects/{id}", s.getProject)
	s.handle("PUT /api/v1/plan/projects/{id}", s.updateProject)
	s.handle("GET /api/v1/plan/portfolio", s.portfolio)
	s.planConsultRoutes()
}

// planService binds plans to the app. Computed targets read the
// assessment's own figures (plan.Service.UseAssessment): the on-time
// handling rate from assess.Service.Metrics, scores, excellence and clean
// rates from its rounds.
func (s *Server) planService() *plan.Service {
	return s.App.PlanService()
}

func planID(r *http.Request, what, whatZh string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, xiuhua.Errorf(xiuhua.ENotFound, "no "+what+" %s", whatZh+" %s 不存在", r.PathValue("id"))
	}
	return id, nil
}

func yearParam(r *http.Request) (int, error) {
	v := r.URL.Query().Get("year")
	if v == "" {
		return 0, nil
	}
	y, err := strconv.Atoi(v)
	if err != nil || y < 2000 || y > 2999 {
		return 0, xiuhua.Errorf(xiuhua.EInvalid, "year %q must be 2000–2999", "年度 %q 须在 2000–2999 之间", v)
	}
	return y, nil
}

// targetInput is a target as posted; due is a date: the target is due by
// the end of that day (Shanghai).
type targetInput struct {
	Year      int     `json:"year"`
	Unit      string  `json:"unit"`
	Territory string  `json:"territory"`
	Name      string  `json:"name"`
	Measure   string  `json:"measure"`
	Direction string  `json:"direction"`
	Baseline  float64 `json:"baseline"`
	Goal      float64 `json:"goal"`
	Due       string  `json:"due"`
	Source    string  `json:"source"`
	Category  string  `json:"category"`
	Scheme    string  `json:"scheme"`
	PointType string  `json:"point_type"`
}

func (s *Server) createTarget(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	var in targetInput
	if err := decode(r, &in); err != nil {
		return err
	}
	d, err := time.ParseInLocation(time.DateOnly, in.Due, calendar.Shanghai())
	if err != nil {
		return xiuhua.Errorf(xiuhua.EInvalid, "due %q must be a date (YYYY-MM-DD)", "完成期限 %q 须为日期（YYYY-MM-DD）", in.Due)
	}
	t, err := s.planService().CreateTarget(r.Context(), actor, plan.Target{Year: in.Year, Unit: in.Unit, Territory: in.Territory, Name: in.Name,
		Measure: in.Measure, Direction: in.Direction, Baseline: in.Baseline, Goal: in.Goal, Due: d.AddDate(0, 0, 1), Source: in.Source, Category: in.Category,
		Scheme: in.Scheme, PointType: in.PointType})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) listTargets(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	y, err := yearParam(r)
	if err != nil {
		return err
	}
	items, err := s.planService().Targets(r.Context(), actor, y, r.URL.Query().Get("unit"))
	if err != nil {
		return err
	}
	late := 0
	for _, it := range items {
		if it.Late {
			late++
		}
	}
	writeJSON(w, 200, map[string]any{"items": items, "late": late})
	return nil
}

func (s *Server) getTarget(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	id, err := planID(r, "target", "目标")
	if err != nil {
		return err
	}
	st, err := s.planService().Target(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, st)
	return nil
}

func (s *Server) reportTarget(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	id, err := planID(r, "target", "目标")
	if err != nil {
		return err
	}
	var in plan.ReportInput
	if err := decode(r, &in); err != nil {
		return err
	}
	rep, err := s.planService().Report(r.Context(), actor, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rep)
	return nil
}

type statementInput struct {
	Year    int     `json:"year"`
	Unit    string  `json:"unit"`
	Title   string  `json:"title"`
	Targets []int64 `json:"targets"`
}

func (s *Server) issueStatement(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	var in statementInput
	if err := decode(r, &in); err != nil {
		return err
	}
	st, err := s.planService().Issue(r.Context(), actor, plan.Statement{Year: in.Year, Unit: in.Unit, Title: in.Title, Targets: in.Targets})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, st)
	return nil
}

func (s *Server) listStatements(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	y, err := yearParam(r)
	if err != nil {
		return err
	}
	items, err := s.planService().Statements(r.Context(), actor, y)
	if err != nil {
		return err
	}
	writeJSON(w, 200, map[string]any{"items": items})
	return nil
}

func (s *Server) signStatement(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	id, err := planID(r, "responsibility statement", "责任状")
	if err != nil {
		return err
	}
	st, err := s.planService().Sign(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, st)
	return nil
}

// projectInput is a project as posted; version is required on PUT.
type projectInput struct {
	Name       string        `json:"name"`
	Kind       string        `json:"kind"`
	Territory  string        `json:"territory"`
	Budget     int64         `json:"budget"`
	Spent      int64         `json:"spent"`
	Milestones []plan.Step   `json:"milestones"`
	Outputs    []plan.Output `json:"outputs"`
	Cases      []int64       `json:"cases"`
	// Area is a GeoJSON Polygon or MultiPolygon (or a Feature of one).
	Area    json.RawMessage `json:"area"`
	Version int             `json:"version"`
}

func (in projectInput) project() plan.Project {
	return plan.Project{Name: in.Name, Kind: in.Kind, Territory: in.Territory, Budget: in.Budget, Spent: in.Spent,
		Milestones: in.Milestones, Outputs: in.Outputs, Cases: in.Cases, Area: in.Area, Version: in.Version}
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	var in projectInput
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.planService().SaveProject(r.Context(), actor, in.project())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) updateProject(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	id, err := planID(r, "project", "项目")
	if err != nil {
		return err
	}
	var in projectInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Version <= 0 {
		return xiuhua.Errorf(xiuhua.EInvalid, "version: required (the version you read)", "须提供 version（读取时的版本）")
	}
	p := in.project()
	p.ID = id
	if p, err = s.planService().SaveProject(r.Context(), actor, p); err != nil {
		return err
	}
	writeJSON(w, 200, p)
	return nil
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	id, err := planID(r, "project", "项目")
	if err != nil {
		return err
	}
	p, err := s.planService().ProjectWithPhotos(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, p)
	return nil
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	q := r.URL.Query()
	items, err := s.planService().Projects(r.Context(), actor, q.Get("territory"), q.Get("kind"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, map[string]any{"items": items})
	return nil
}

func (s *Server) portfolio(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	q := r.URL.Query()
	items, err := s.planService().Projects(r.Context(), actor, q.Get("territory"), q.Get("kind"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, plan.Sum(items))
	return nil
}
