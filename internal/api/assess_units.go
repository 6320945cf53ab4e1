package api

import (
	"io"
	"net/http"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/auth"
)

// assessUnitsRoutes registers the management units (管理单元) a scheme at
// level management_unit scores.
func (s *Server) assessUnitsRoutes() {
	s.handle("GET /api/v1/assess/management-units", s.assessMgmtUnits)
	s.handle("POST /api/v1/assess/management-units", s.assessPutMgmtUnit)
	s.handle("POST /api/v1/assess/management-units/import", s.assessImportMgmtUnits)
}

func (s *Server) assessMgmtUnits(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	out, err := s.assessService().MgmtUnits(r.Context(), a, r.URL.Query().Get("territory"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, map[string]any{"items": out})
	return nil
}

// assessPutMgmtUnit adds or replaces one management unit (its grids whole).
func (s *Server) assessPutMgmtUnit(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var u assess.MgmtUnit
	if err := decode(r, &u); err != nil {
		return err
	}
	res, err := s.assessService().PutMgmtUnits(r.Context(), a, []assess.MgmtUnit{u})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Created == 1 {
		status = http.StatusCreated
	}
	writeJSON(w, status, res.Units[0])
	return nil
}

// assessImportMgmtUnits imports a CSV or JSON file of management units (the
// request body), all or nothing.
func (s *Server) assessImportMgmtUnits(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	tooLarge := xiuhua.Errorf(xiuhua.ETooLarge, "the file is larger than 32 MB: split it", "文件超过 32 MB，请分批导入")
	if r.ContentLength > maxPointsFile {
		return tooLarge
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPointsFile))
	if err != nil {
		return tooLarge
	}
	us, err := assess.ParseMgmtUnits(data)
	if err != nil {
		return err
	}
	res, err := s.assessService().PutMgmtUnits(r.Context(), a, us)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
