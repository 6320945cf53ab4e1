package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/api"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/cluster"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestJobRuns: a city-wide admin reads the job runs; anyone else is refused;
// bad parameters are 400.
func TestJobRuns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		ctx := context.Background()
		r := &cluster.Runner{DB: db, ID: "test-1", Jobs: []cluster.Job{cluster.OverdueJob(db, time.Minute), cluster.ScoringJob(f.App)}}
		if err := r.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		srv := api.New(f.App, nil)
		get := func(user, q string) (int, []cluster.RunInfo) {
			req := httptest.NewRequest("GET", "/api/v1/jobs"+q, nil)
			req.Header.Set("Authorization", "Bearer "+f.Tokens[user])
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			var out struct{ Items []cluster.RunInfo }
			json.Unmarshal(rec.Body.Bytes(), &out)
			return rec.Code, out.Items
		}
		st, runs := get("admin", "")
		if st != 200 || len(runs) != 2 || runs[0].Job != cluster.JobScoring || runs[1].Job != cluster.JobOverdue ||
			runs[1].Result != `{"overdue":0,"new":0}` || runs[0].Instance != "test-1" || runs[0].Finished.IsZero() {
			t.Errorf("admin: %d %+v", st, runs)
		}
		if st, runs := get("admin", "?job=overdue&limit=1"); st != 200 || len(runs) != 1 || runs[0].Job != cluster.JobOverdue {
			t.Errorf("admin, overdue only: %d %+v", st, runs)
		}
		for _, q := range []string{"?job=nope", "?limit=0", "?limit=501", "?limit=x"} {
			if st, _ := get("admin", q); st != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400", q, st)
			}
		}
		for _, u := range []string{"dispatcher", "leader", "inspector"} {
			if st, _ := get(u, ""); st != http.StatusForbidden {
				t.Errorf("%s: %d, want 403", u, st)
			}
		}
	})
}
