package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// BenchmarkDashboard measures the dashboard's server side (five scoped
// aggregate queries and the template, or the JSON, or one download) over
// a 100,000-case ledger in SQLite, as the district dispatcher, whose scope
// holds every case, and as a community's handler. Run:
//
//	go test ./internal/web -run '^$' -bench Dashboard -benchtime 2s
func BenchmarkDashboard(b *testing.B) {
	db := storetest.SQLite(b)
	f := apptest.New(b, db)
	bulkCases(b, db, f.Actors["inspector"].UserID, benchCases)
	s := New(f.App, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Now = func() time.Time { return testStart }
	cookies := map[string]*http.Cookie{"dispatcher": benchSession(b, db, f.Actors["dispatcher"]), "nanyuan": benchSession(b, db, f.Actors["nanyuan"])}
	for _, bc := range []struct{ name, path, who string }{
		{"page-district", "/dashboard", "dispatcher"},
		{"page-community", "/dashboard", "nanyuan"},
		{"data-json", "/dashboard/data.json", "dispatcher"},
		{"csv-daily", "/dashboard/daily.csv", "dispatcher"},
		{"xlsx-daily", "/dashboard/daily.xlsx", "dispatcher"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", bc.path, nil)
				req.AddCookie(cookies[bc.who])
				w := httptest.NewRecorder()
				s.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d", bc.path, w.Code)
				}
			}
		})
	}
}
