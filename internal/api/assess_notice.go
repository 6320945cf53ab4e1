package api

import (
	"context"
	"io"
	"net/http"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/assess/notice"
	"github.com/xiuhua/xiuhua/internal/assess/pointimport"
	"github.com/xiuhua/xiuhua/internal/auth"
)

// assessNoticeRoutes registers the published notice (通报) of a period and
// the import of inspection points.
func (s *Server) assessNoticeRoutes() {
	s.handle("GET /api/v1/assess/publications/{id}/notice.html", s.assessNoticeHTML)
	s.handle("GET /api/v1/assess/publications/{id}/notice.xlsx", s.assessNoticeXLSX)
	s.handle("POST /api/v1/assess/points/import", s.assessPointsImport)
}

// maxPointsFile bounds an uploaded points file.
const maxPointsFile = 32 << 20

// assessPointsImport imports a CSV or GeoJSON file of inspection points (the
// request body), all or nothing.
func (s *Server) assessPointsImport(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	tooLarge := xiuhua.Errorf(xiuhua.ETooLarge, "the file is larger than 32 MB: split it", "文件超过 32 MB，请分批导入")
	if r.ContentLength > maxPointsFile {
		return tooLarge
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPointsFile))
	if err != nil {
		return tooLarge
	}
	rows, err := pointimport.Parse(data)
	if err != nil {
		return err
	}
	res, err := pointimport.Import(r.Context(), s.App.DB, s.App.Locate, UnitScopes(r.Context(), s.App), a, rows)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// UnitScopes resolves unit codes to their territory scope, for a points
// import's unit column.
func UnitScopes(ctx context.Context, a *app.App) pointimport.Units {
	return func(code string) (string, bool) {
		u, err := a.DB.Unit(ctx, code)
		if err != nil {
			return "", false
		}
		return u.Scope, true
	}
}

func (s *Server) serveNotice(w http.ResponseWriter, r *http.Request, a auth.Actor, format string) error {
	id, err := notice.ParseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	n, err := notice.Load(r.Context(), s.assessService(), s.App.DB, a, id, s.App.CodeNames(r.Context()))
	if err != nil {
		return err
	}
	return n.Serve(w, format)
}

func (s *Server) assessNoticeHTML(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	return s.serveNotice(w, r, a, notice.FormatHTML)
}

func (s *Server) assessNoticeXLSX(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	return s.serveNotice(w, r, a, notice.FormatXLSX)
}
