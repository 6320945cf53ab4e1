package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

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

// NoticeNames names territory codes by the territory tree and unit codes by
// the organisation, for a notice.
func NoticeNames(ctx context.Context, a *app.App) func(string) string {
	units := map[string]string{}
	if us, err := a.DB.Units(ctx, ""); err == nil {
		for _, u := range us {
			units[u.Code] = u.Name
		}
	}
	tree := a.Territory()
	return func(code string) string {
		if n, ok := units[code]; ok {
			return n
		}
		if ar, ok := tree.Area(code); ok {
			return ar.Name
		}
		return ""
	}
}

func (s *Server) loadNotice(r *http.Request, a auth.Actor) (*notice.Notice, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, xiuhua.Errorf(xiuhua.ENotFound, "no publication %s", "发布记录 %s 不存在", r.PathValue("id"))
	}
	return notice.Load(r.Context(), s.assessService(), s.App.DB, a, id, NoticeNames(r.Context(), s.App))
}

func (s *Server) assessNoticeHTML(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	n, err := s.loadNotice(r, a)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := n.HTML(&b); err != nil {
		return xiuhua.Internal(err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// A printable page: inline styles only, nothing loaded or run.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Write(b.Bytes())
	return nil
}

func (s *Server) assessNoticeXLSX(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	n, err := s.loadNotice(r, a)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := n.XLSX(&b); err != nil {
		return xiuhua.Internal(err)
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="notice-%s-v%d.xlsx"`, n.Period, n.Version))
	w.Write(b.Bytes())
	return nil
}
