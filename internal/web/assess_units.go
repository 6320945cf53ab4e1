package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
)

// Management units (管理单元) in the console: the units in the actor's scope
// with their grids, and for assessors the import of a CSV or JSON file
// through assess.ParseMgmtUnits, all or nothing (as the API's import).

func init() {
	pageNames = append(pageNames, "assess_units")
}

func (s *Server) assessUnitsRoutes() {
	s.page("GET /assess/units", s.assessUnitsPage)
	s.page("POST /assess/units/import", s.assessImportUnits)
}

type unitsView struct {
	assessBase
	Units   []assess.MgmtUnit
	CanPlan bool
}

func (s *Server) renderUnits(w http.ResponseWriter, r *http.Request, q *request, st int, flash string) error {
	us, err := s.assessService().MgmtUnits(r.Context(), q.actor, "")
	if err != nil {
		return err
	}
	q.styles = []string{"assess.css", "assess_edit.css"}
	s.render(w, r, q, st, "assess_units", flash, unitsView{assessBase: assessBase{q.lang}, Units: us, CanPlan: canPlan(q.actor)})
	return nil
}

func (s *Server) assessUnitsPage(w http.ResponseWriter, r *http.Request, q *request) error {
	flash := ""
	if qs := r.URL.Query(); qs.Get("done") == "import" {
		c, _ := strconv.Atoi(qs.Get("created"))
		u, _ := strconv.Atoi(qs.Get("updated"))
		flash = translate(q.lang, "assess.mu.done", c, u)
	}
	return s.renderUnits(w, r, q, http.StatusOK, flash)
}

// assessImportUnits imports an uploaded CSV or JSON file of management units.
func (s *Server) assessImportUnits(w http.ResponseWriter, r *http.Request, q *request) error {
	q.here = "/assess/units"
	if !canPlan(q.actor) {
		return notPlanner()
	}
	err := func() error {
		data, err := uploadedFile(r, "JSON")
		if err != nil {
			return err
		}
		us, err := assess.ParseMgmtUnits(data)
		if err != nil {
			return err
		}
		res, err := s.assessService().PutMgmtUnits(r.Context(), q.actor, us)
		if err != nil {
			return err
		}
		http.Redirect(w, r, "/assess/units?"+url.Values{"done": {"import"}, "created": {fmt.Sprint(res.Created)},
			"updated": {fmt.Sprint(res.Updated)}}.Encode(), http.StatusSeeOther)
		return nil
	}()
	if err == nil || xiuhua.ErrorCode(err) == xiuhua.EInternal {
		return err
	}
	q.flashErr = xiuhua.AsError(err)
	return s.renderUnits(w, r, q, status(err), "")
}
