package api

import (
	"net/http"
	"strconv"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/cluster"
)

// jobRoutes registers the record of the background jobs (internal/cluster).
func (s *Server) jobRoutes() {
	s.handle("GET /api/v1/jobs", s.listJobRuns)
}

// listJobRuns lists the latest attempts at the background jobs, on whichever
// instance they ran. The jobs work on the whole installation, so only a
// city-wide admin may see them.
func (s *Server) listJobRuns(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	if a.Role != auth.Admin || a.Scope != "" {
		return xiuhua.Errorf(xiuhua.EForbidden, "only a city-wide admin may see the background jobs", "仅全市管理员可查看后台任务")
	}
	q := r.URL.Query()
	job := q.Get("job")
	switch job {
	case "", cluster.JobOptimize, cluster.JobOverdue, cluster.JobScoring, cluster.JobVacuum:
	default:
		return xiuhua.Errorf(xiuhua.EInvalid, "query parameter job must be optimize, overdue, scoring or vacuum", "查询参数 job 须为 optimize、overdue、scoring 或 vacuum")
	}
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return xiuhua.Errorf(xiuhua.EInvalid, "query parameter limit must be a whole number from 1 to 500", "查询参数 limit 须为 1 到 500 的整数")
		}
		limit = n
	}
	runs, err := cluster.Runs(r.Context(), s.App.DB, job, limit)
	if err != nil {
		return err
	}
	if runs == nil {
		runs = []cluster.RunInfo{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": runs})
	return nil
}
