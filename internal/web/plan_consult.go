package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/plan"
)

// Public consultation of a project (问需于民、问计于民、问绩于民) as staff
// see it: publishing on the citizen portal, moderating the suggestions
// citizens send there, the satisfaction poll's result; and the year-end
// report of targets and projects.

// consultView is the consultation part of a project page.
type consultView struct {
	Suggestions []plan.Suggestion // pending first, then the newest
	Pending     int
	Poll        plan.Poll
}

// planConsult publishes a project on the portal (public) and opens it for
// suggestions (consult).
func (s *Server) planConsult(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := planID(r, "project", "项目")
	if err != nil {
		return err
	}
	q.here = "/plan/projects/" + strconv.FormatInt(id, 10)
	in := plan.ConsultInput{Public: r.PostFormValue("public") == "yes", Consult: r.PostFormValue("consult") == "yes"}
	if _, err := s.planService().SetConsultation(r.Context(), q.actor, id, in); err != nil {
		return s.projectRefused(w, r, q, id, err, false)
	}
	http.Redirect(w, r, "/plan/projects/"+strconv.FormatInt(id, 10)+"?done=consult#consult", http.StatusSeeOther)
	return nil
}

// planModerate approves a citizen's suggestion or rejects it with a reason.
func (s *Server) planModerate(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := planID(r, "project", "项目")
	if err != nil {
		return err
	}
	q.here = "/plan/projects/" + strconv.FormatInt(id, 10)
	sid, err := strconv.ParseInt(r.PathValue("sid"), 10, 64)
	if err != nil || sid <= 0 {
		return xiuhua.Errorf(xiuhua.ENotFound, "no suggestion %s", "意见 %s 不存在", r.PathValue("sid"))
	}
	err = func() error {
		// The suggestion must be this project's: the page posts to its own.
		sgs, err := s.planService().Suggestions(r.Context(), q.actor, id, "")
		if err != nil {
			return err
		}
		found := false
		for _, sg := range sgs {
			found = found || sg.ID == sid
		}
		if !found {
			return xiuhua.Errorf(xiuhua.ENotFound, "no suggestion %d on project %d", "项目 %d 没有意见 %d", sid, id)
		}
		var in plan.ModerateInput
		switch r.PostFormValue("decision") {
		case "approve":
			in.Approve = true
		case "reject":
			in.Reason = r.PostFormValue("reason")
		default:
			return xiuhua.Errorf(xiuhua.EInvalid, "decision: approve or reject", "请选择采纳或不予采纳")
		}
		_, err = s.planService().Moderate(r.Context(), q.actor, sid, in)
		return err
	}()
	if err != nil {
		return s.projectRefused(w, r, q, id, err, false)
	}
	http.Redirect(w, r, "/plan/projects/"+strconv.FormatInt(id, 10)+"?done=moderated#consult", http.StatusSeeOther)
	return nil
}

// planYearReport serves the year-end report of targets and projects
// (?year=, ?territory=) as XLSX or as a printable page, as the API does.
func (s *Server) planYearReport(w http.ResponseWriter, r *http.Request, q *request) error {
	year, err := s.planYear(r)
	if err != nil {
		return err
	}
	rep, err := s.planService().YearReport(r.Context(), q.actor, year, r.URL.Query().Get("territory"))
	if err != nil {
		return err
	}
	h := w.Header()
	if strings.HasSuffix(r.URL.Path, ".xlsx") {
		data, err := rep.XLSX()
		if err != nil {
			return xiuhua.Internal(err)
		}
		h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		h.Set("Content-Disposition", `attachment; filename="plan-`+strconv.Itoa(year)+`.xlsx"`)
		w.Write(data)
		return nil
	}
	page, err := rep.HTML()
	if err != nil {
		return xiuhua.Internal(err)
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	// A printable page with inline styles only: nothing loaded or run.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Write(page)
	return nil
}
