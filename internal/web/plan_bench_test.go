package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/plan"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// BenchmarkPlanPages measures the plan pages' server side in SQLite as the
// district leader: a task book of 200 hand-reported targets (3 reports
// each, a least-squares forecast per target) and a portfolio of 100
// projects with 5 milestones each. Run:
//
//	go test ./internal/web -run '^$' -bench PlanPages -benchtime 2s
func BenchmarkPlanPages(b *testing.B) {
	db := storetest.SQLite(b)
	f := apptest.New(b, db)
	s := New(f.App, slog.New(slog.NewTextHandler(io.Discard, nil)))
	now := testStart
	clock := func() time.Time { return now }
	s.Now, f.App.Cases.Now = clock, clock
	ctx := context.Background()
	svc := s.planService()
	admin := f.Actors["admin"]
	units := []string{jialeCommunity, nanyuanCommunity, "320213023.street_office", "320213.sanitation"}
	var first int64
	for i := range 200 {
		t, err := svc.CreateTarget(ctx, admin, plan.Target{Year: 2026, Unit: units[i%4], Name: fmt.Sprintf("目标 %d", i), Measure: plan.Percent,
			Baseline: 50, Goal: 90, Due: time.Date(2027, 1, 1, 0, 0, 0, 0, shanghai)})
		if err != nil {
			b.Fatal(err)
		}
		if first == 0 {
			first = t.ID
		}
		for k := range 3 {
			if _, err := svc.Report(ctx, admin, t.ID, plan.ReportInput{Value: float64(55 + 5*k)}); err != nil {
				b.Fatal(err)
			}
		}
	}
	for i := range 100 {
		var steps []plan.Step
		for k := range 5 {
			steps = append(steps, plan.Step{Name: fmt.Sprintf("节点 %d", k), Planned: fmt.Sprintf("2026-%02d-15", 3+2*k)})
		}
		if _, err := svc.SaveProject(ctx, admin, plan.Project{Name: fmt.Sprintf("项目 %d", i), Kind: projectKinds[i%3], Territory: []string{"320213022010", "320213022003", "320213023"}[i%3],
			Budget: 1000000, Spent: int64(10000 * i), Milestones: steps}); err != nil {
			b.Fatal(err)
		}
	}
	cookie := benchSession(b, db, f.Actors["leader"])
	for _, bc := range []struct{ name, path string }{
		{"targets-200", "/plan/targets?year=2026"},
		{"target", fmt.Sprintf("/plan/targets/%d", first)},
		{"projects-100", "/plan/projects"},
		{"report-xlsx", "/plan/report.xlsx?year=2026"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", bc.path, nil)
				req.AddCookie(cookie)
				w := httptest.NewRecorder()
				s.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d", bc.path, w.Code)
				}
			}
		})
	}
}
