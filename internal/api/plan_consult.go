package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/blob"
	"github.com/xiuhua/xiuhua/internal/plan"
)

// planConsultRoutes registers project photos, public consultation
// (publishing, moderation of suggestions, the satisfaction poll) and the
// year-end report.
func (s *Server) planConsultRoutes() {
	s.handle("GET /api/v1/plan/projects/{id}/photos", s.listProjectPhotos)
	s.handle("POST /api/v1/plan/projects/{id}/photos", s.addProjectPhoto)
	s.handle("GET /api/v1/plan/projects/{id}/photos/{blob}", s.getProjectPhoto)
	s.handle("PUT /api/v1/plan/projects/{id}/consultation", s.setConsultation)
	s.handle("GET /api/v1/plan/projects/{id}/suggestions", s.listSuggestions)
	s.handle("GET /api/v1/plan/suggestions", s.suggestionQueue)
	s.handle("POST /api/v1/plan/suggestions/{id}/moderate", s.moderateSuggestion)
	s.handle("GET /api/v1/plan/projects/{id}/poll", s.projectPoll)
	s.handle("GET /api/v1/plan/report.xlsx", s.planReportXLSX)
	s.handle("GET /api/v1/plan/report.html", s.planReportHTML)
}

// photoInput is a photo as posted: taken_at is RFC 3339 (default now).
type photoInput struct {
	Blob    string `json:"blob"`
	Kind    string `json:"kind"`
	Caption string `json:"caption"`
	TakenAt string `json:"taken_at"`
}

func (s *Server) addProjectPhoto(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	id, err := planID(r, "project", "项目")
	if err != nil {
		return err
	}
	var in photoInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var at time.Time
	if in.TakenAt != "" {
		if at, err = time.Parse(time.RFC3339, in.TakenAt); err != nil {
			return xiuhua.Errorf(xiuhua.EInvalid, "taken_at %q must be a time (RFC 3339)", "拍摄时间 %q 须为 RFC 3339 时间", in.TakenAt)
		}
	}
	ph, err := s.planService().AddPhoto(r.Context(), actor, id, plan.PhotoInput{Blob: in.Blob, Kind: in.Kind, Caption: in.Caption, TakenAt: at})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ph)
	return nil
}

func (s *Server) listProjectPhotos(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	id, err := planID(r, "project", "项目")
	if err != nil {
		return err
	}
	items, err := s.planService().Photos(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, map[string]any{"items": items})
	return nil
}

// getProjectPhoto serves a project's photo to whoever may see the project:
// such photos are not attached to cases, so /blobs would not show them.
func (s *Server) getProjectPhoto(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	id, err := planID(r, "project", "项目")
	if err != nil {
		return err
	}
	bid := r.PathValue("blob")
	ok, err := s.planService().HasPhoto(r.Context(), actor, id, bid)
	if err != nil {
		return err
	}
	if !ok || !blob.ValidID(bid) {
		return xiuhua.Errorf(xiuhua.ENotFound, "project %d has no photo %s", "项目 %d 没有照片 %s", id, bid)
	}
	return s.sendBlob(w, r, bid)
}

func (s *Server) setConsultation(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	id, err := planID(r, "project", "项目")
	if err != nil {
		return err
	}
	var in plan.ConsultInput
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.planService().SetConsultation(r.Context(), actor, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, 200, p)
	return nil
}

func (s *Server) listSuggestions(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	id, err := planID(r, "project", "项目")
	if err != nil {
		return err
	}
	items, err := s.planService().Suggestions(r.Context(), actor, id, r.URL.Query().Get("state"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, map[string]any{"items": items})
	return nil
}

func (s *Server) suggestionQueue(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	items, err := s.planService().SuggestionQueue(r.Context(), actor, r.URL.Query().Get("state"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, map[string]any{"items": items})
	return nil
}

func (s *Server) moderateSuggestion(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	id, err := planID(r, "suggestion", "意见")
	if err != nil {
		return err
	}
	var in plan.ModerateInput
	if err := decode(r, &in); err != nil {
		return err
	}
	sg, err := s.planService().Moderate(r.Context(), actor, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, 200, sg)
	return nil
}

func (s *Server) projectPoll(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	id, err := planID(r, "project", "项目")
	if err != nil {
		return err
	}
	p, err := s.planService().Poll(r.Context(), actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, p)
	return nil
}

// reportParams reads year (required) and territory (optional) of the
// year-end report.
func reportParams(r *http.Request) (int, string, error) {
	y, err := yearParam(r)
	if err != nil {
		return 0, "", err
	}
	if y == 0 {
		return 0, "", xiuhua.Errorf(xiuhua.EInvalid, "year: required (e.g. year=2026)", "须指定年度（如 year=2026）")
	}
	return y, r.URL.Query().Get("territory"), nil
}

func (s *Server) planReportXLSX(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	y, terr, err := reportParams(r)
	if err != nil {
		return err
	}
	rep, err := s.planService().YearReport(r.Context(), actor, y, terr)
	if err != nil {
		return err
	}
	data, err := rep.XLSX()
	if err != nil {
		return xiuhua.Internal(err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", `attachment; filename="plan-`+strconv.Itoa(y)+`.xlsx"`)
	h.Set("Cache-Control", "no-store")
	w.Write(data)
	return nil
}

func (s *Server) planReportHTML(w http.ResponseWriter, r *http.Request, actor auth.Actor) error {
	y, terr, err := reportParams(r)
	if err != nil {
		return err
	}
	rep, err := s.planService().YearReport(r.Context(), actor, y, terr)
	if err != nil {
		return err
	}
	if ar, ok := s.App.Territory().Area(rep.Territory); ok {
		rep.TerritoryName = ar.Name
	}
	page, err := rep.HTML()
	if err != nil {
		return xiuhua.Internal(err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("Cache-Control", "no-store")
	w.Write(page)
	return nil
}
