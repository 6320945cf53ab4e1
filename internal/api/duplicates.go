package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
)

// duplicateRoutes registers the dispatcher's duplicate handling: likely
// duplicates of a case (same category, close in space and time), merging a
// report into its master, unmerging, and dismissing a pair.
func (s *Server) duplicateRoutes() {
	s.handle("GET /api/v1/cases/{id}/duplicates", s.getDuplicates)
	s.handle("POST /api/v1/cases/{id}/merge", s.mergeCase)
	s.handle("POST /api/v1/cases/{id}/unmerge", s.unmergeCase)
	s.handle("POST /api/v1/cases/{id}/duplicates/dismiss", s.dismissDuplicate)
}

// caseRef names a case in a body: its number ("20261125000042") or its id,
// as a string or a number.
type caseRef string

func (c *caseRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = caseRef(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return xiuhua.Errorf(xiuhua.EInvalid, "a case is named by its number or id", "案件须以编号或 id 指明")
	}
	*c = caseRef(n.String())
	return nil
}

func (c caseRef) id(field string) (int64, error) {
	id, ok := casework.IDFromCode(string(c))
	if !ok {
		return 0, xiuhua.Errorf(xiuhua.EInvalid, "%s must name a case by its number or id", "%s 须为案件编号或 id", field)
	}
	return id, nil
}

func (s *Server) getDuplicates(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	v, err := s.App.Duplicates(r.Context(), a, id)
	if err != nil {
		return err
	}
	loc := s.App.Calendar().Location()
	zone := func(c *app.Candidate) {
		if c != nil {
			c.CreatedAt = c.CreatedAt.In(loc)
		}
	}
	zone(v.MergedInto)
	zone(v.FollowedBy)
	for i := range v.Merged {
		zone(&v.Merged[i])
	}
	for i := range v.Candidates {
		zone(&v.Candidates[i])
	}
	writeJSON(w, 200, map[string]any{"radius_m": app.Duplicates.Radius, "window_hours": app.Duplicates.Window.Hours(),
		"merged_into": v.MergedInto, "followed_by": v.FollowedBy, "merged": v.Merged, "candidates": v.Candidates})
	return nil
}

func (s *Server) mergeCase(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	var in struct {
		Into    caseRef `json:"into"`
		Version int     `json:"version"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	into, err := in.Into.id("into")
	if err != nil {
		return err
	}
	if in.Version == 0 {
		return xiuhua.Errorf(xiuhua.EInvalid, "version is required: send the version of the case you are merging", "缺少 version：请提交被合并案件的版本号")
	}
	c, err := s.App.Merge(r.Context(), a, id, into, in.Version)
	if err != nil {
		return err
	}
	s.actions.WithLabelValues("merge").Inc()
	writeJSON(w, 200, s.caseOut(c, a, time.Now()))
	return nil
}

func (s *Server) unmergeCase(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	if r.ContentLength != 0 {
		var in struct{}
		if err := decode(r, &in); err != nil {
			return err
		}
	}
	c, err := s.App.Unmerge(r.Context(), a, id)
	if err != nil {
		return err
	}
	s.actions.WithLabelValues("unmerge").Inc()
	w.Header().Set("Location", "/api/v1/cases/"+strconv.FormatInt(c.ID, 10))
	writeJSON(w, http.StatusCreated, s.caseOut(c, a, time.Now()))
	return nil
}

func (s *Server) dismissDuplicate(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := caseID(r)
	if err != nil {
		return err
	}
	var in struct {
		Candidate caseRef `json:"candidate"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	other, err := in.Candidate.id("candidate")
	if err != nil {
		return err
	}
	if other == id {
		return xiuhua.Errorf(xiuhua.EUnprocessable, "a case is not a duplicate of itself", "案件不会与自身重复")
	}
	if err := s.App.DismissDuplicate(r.Context(), a, id, other); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
