package api

import (
	"bytes"
	"io"
	"net/http"
	"sort"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/hotline"
)

// maxHotlineFile bounds one hotline CSV upload (about 200,000 orders).
const maxHotlineFile = 64 << 20

func (s *Server) hotlineRoutes() {
	s.handle("POST /api/v1/hotline/import", s.importHotline)
	s.handle("GET /api/v1/hotline/mappings", s.listHotlineMappings)
	s.handle("PUT /api/v1/hotline/mappings", s.putHotlineMapping)
}

func (s *Server) importHotline(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	dry, err := boolParam(r, "dry_run")
	if err != nil {
		return err
	}
	if r.ContentLength > maxHotlineFile {
		return xiuhua.Errorf(xiuhua.ETooLarge, "the file is larger than 64 MB: split the export", "文件超过 64 MB，请分批导出")
	}
	body := http.MaxBytesReader(w, r.Body, maxHotlineFile)
	data, err := io.ReadAll(body)
	if err != nil {
		return xiuhua.Errorf(xiuhua.ETooLarge, "the file is larger than 64 MB: split the export", "文件超过 64 MB，请分批导出")
	}
	rep, err := s.App.ImportHotline(r.Context(), a, bytes.NewReader(data), dry, nil)
	if err != nil {
		return err
	}
	if rep.Errors == nil {
		rep.Errors = []hotline.RowError{}
	}
	writeJSON(w, 200, rep)
	return nil
}

func (s *Server) listHotlineMappings(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	m, err := s.App.HotlineMapping(r.Context())
	if err != nil {
		return err
	}
	type item struct {
		Text     string `json:"text"`
		Category string `json:"category"`
	}
	items := make([]item, 0, len(m))
	for t, c := range m {
		items = append(items, item{t, c})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Text < items[j].Text })
	writeJSON(w, 200, map[string]any{"items": items})
	return nil
}

func (s *Server) putHotlineMapping(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var in struct {
		Text     string `json:"text"`
		Category string `json:"category"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.App.PutHotlineMapping(r.Context(), a, in.Text, in.Category); err != nil {
		return err
	}
	writeJSON(w, 200, in)
	return nil
}
