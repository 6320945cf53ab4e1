package web

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// benchCases is the size of the ledger the page benchmarks read.
const benchCases = 100_000

// bulkCases writes n cases straight into the store in one transaction: the
// fixture's four grids, every state, reports spread over 90 days before
// testStart, each with its report event (and a dispatch event when it has
// a unit). Going around the case service is fine here: it is a benchmark's
// setup, not a path of the product.
func bulkCases(b *testing.B, db *store.DB, reporter int64, n int) {
	b.Helper()
	ctx := context.Background()
	grids := []struct{ grid, community, street string }{
		{"32021302201001", "320213022010", "320213022"}, {"32021302201002", "320213022010", "320213022"},
		{"32021302200301", "320213022003", "320213022"}, {"32021302300101", "320213023001", "320213023"},
	}
	points := [][2]float64{apptest.PointJiale1, apptest.PointJiale2, apptest.PointNanyuan, apptest.PointJinxing}
	cats := []string{"E0102", "E0504", "E0201", "C0110", "E0107", "C0402"}
	states := []casework.State{casework.Reported, casework.Registered, casework.Dispatched, casework.Dispatched, casework.Handled,
		casework.Verified, casework.Closed, casework.Closed, casework.Closed, casework.Rejected, casework.Suspended}
	rng := rand.New(rand.NewPCG(1, 2))
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, db.Q(`INSERT INTO cases (state, version, category, description, address, lon, lat,
			grid, community, street, district, source, urgency, reporter_id, unit_code, deadline, rework_count, extension_hours,
			suspended_from, remaining_ms, handler_id, handled_at, created_at, updated_at, closed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`))
		if err != nil {
			return err
		}
		ev, err := tx.PrepareContext(ctx, db.Q(`INSERT INTO events (case_id, seq, action, from_state, to_state, actor_id, actor_name, actor_unit, at, note, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`))
		if err != nil {
			return err
		}
		for i := range n {
			g := rng.IntN(len(grids))
			st := states[rng.IntN(len(states))]
			created := testStart.Add(-time.Duration(rng.Int64N(int64(90 * 24 * time.Hour))))
			var unit, deadline, closed any
			if st != casework.Reported && st != casework.Registered && st != casework.Rejected {
				unit = "320213.sanitation"
				deadline = created.Add(time.Duration(8+rng.IntN(72)) * time.Hour).UnixMilli()
			}
			if st == casework.Closed || st == casework.Rejected {
				closed = created.Add(48 * time.Hour).UnixMilli()
			}
			desc := fmt.Sprintf("第%d号 清扬路附近暴露垃圾，需清运", i)
			pt := points[g]
			var id int64
			if err := ins.QueryRowContext(ctx, string(st), 2, cats[rng.IntN(len(cats))], desc, "清扬路", pt[0], pt[1],
				grids[g].grid, grids[g].community, grids[g].street, "320213", "inspector", "normal", reporter, unit, deadline, 0, 0.0,
				"", int64(0), nil, nil, created.UnixMilli(), created.Add(time.Hour).UnixMilli(), closed).Scan(&id); err != nil {
				return err
			}
			if _, err := ev.ExecContext(ctx, id, 1, "report", "", "reported", reporter, "inspector", "", created.UnixMilli(), desc, "{}"); err != nil {
				return err
			}
			if unit != nil {
				if _, err := ev.ExecContext(ctx, id, 2, "dispatch", "registered", "dispatched", reporter, "dispatcher", "", created.Add(time.Hour).UnixMilli(), "",
					`{"unit":"320213.sanitation"}`); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPages measures the server side of the console's pages (query,
// working-time arithmetic, template) over a 100,000-case ledger in SQLite,
// as the district dispatcher, whose scope holds every case. Run:
//
//	go test ./internal/web -run '^$' -bench Pages -benchtime 2s
func BenchmarkPages(b *testing.B) {
	db := storetest.SQLite(b)
	f := apptest.New(b, db)
	start := time.Now()
	bulkCases(b, db, f.Actors["inspector"].UserID, benchCases)
	b.Logf("%d cases written in %v", benchCases, time.Since(start).Round(time.Millisecond))
	s := New(f.App, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Now = func() time.Time { return testStart }
	ctx := context.Background()
	cookies := map[string]*http.Cookie{"dispatcher": benchSession(b, db, f.Actors["dispatcher"]), "inspector": benchSession(b, db, f.Actors["inspector"])}
	var mid casework.Case
	cs, err := db.DeskCases(ctx, store.DeskFilter{Territory: "320213", States: []casework.State{casework.Dispatched}, Limit: 1, Offset: 5000})
	if err != nil || len(cs) == 0 {
		b.Fatalf("a dispatched case: %v", err)
	}
	mid = cs[0]
	for _, bc := range []struct{ name, path, who string }{
		{"desk-open", "/cases", "dispatcher"},
		{"desk-all", "/cases?state=", "dispatcher"},
		{"desk-overdue", "/cases?state=&overdue=1", "dispatcher"},
		{"desk-street-category", "/cases?state=&territory=320213022&category=E0102", "dispatcher"},
		{"desk-date-range", "/cases?state=&from=2026-10-01&to=2026-10-31", "dispatcher"},
		{"desk-sort-deadline", "/cases?state=open&sort=deadline", "dispatcher"},
		{"desk-page-100", "/cases?state=&page=100", "dispatcher"},
		{"case-page", "/cases/" + itoa(mid.ID), "dispatcher"},
		{"mine-100k", "/mine", "inspector"},
		{"nearby", "/nearby?lat=31.55&lon=120.27", "inspector"},
		{"map-cases-2000", "/map/cases.json?bbox=120.1,31.4,120.5,31.7", "dispatcher"},
		{"map-grids", "/map/areas.json?level=grid&bbox=120.1,31.4,120.5,31.7", "dispatcher"},
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

func benchSession(b *testing.B, db *store.DB, a auth.Actor) *http.Cookie {
	id := newID(32)
	now := testStart
	err := db.CreateWebSession(context.Background(), store.WebSession{IDHash: auth.HashToken(id), UserID: a.UserID, CSRF: newID(32),
		CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(12 * time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	return &http.Cookie{Name: sessionCookie, Value: id}
}
