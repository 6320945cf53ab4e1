// Package bench measures the product end to end. Run:
//
//	go test ./bench -run '^$' -bench . -benchtime 5s
//
// With XIUHUA_TEST_POSTGRES_URL set, the PostgreSQL variants run too.
// Results go in BENCHMARKS.md with the machine and the date.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/api"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

func stores(b *testing.B, fn func(b *testing.B, db func(testing.TB) *store.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storetest.SQLite) })
	b.Run("postgres", func(b *testing.B) { fn(b, storetest.Postgres) })
}

// BenchmarkCaseCreateHTTP reports cases over the JSON API with concurrent
// clients on loopback: authentication, validation, locate, one transaction.
func BenchmarkCaseCreateHTTP(b *testing.B) {
	stores(b, func(b *testing.B, open func(testing.TB) *store.DB) {
		f := apptest.New(b, open(b))
		srv := httptest.NewServer(api.New(f.App, slog.New(slog.NewTextHandler(io.Discard, nil))))
		defer srv.Close()
		tr := &http.Transport{MaxIdleConnsPerHost: 64}
		cl := &http.Client{Transport: tr}
		tok := "Bearer " + f.Tokens["inspector"]
		var n atomic.Int64
		b.SetParallelism(8)
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				body, _ := json.Marshal(map[string]any{"category": "E0102", "description": fmt.Sprint("暴露垃圾 ", i),
					"lat": 31.50 + float64(i%1000)/10000, "lon": 120.21 + float64(i%700)/10000})
				req, _ := http.NewRequest("POST", srv.URL+"/api/v1/cases", bytes.NewReader(body))
				req.Header.Set("Authorization", tok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := cl.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 201 {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "cases/s")
	})
}

// BenchmarkRawInsert is the floor to compare with: the same case row and its
// first event inserted through the driver, one transaction each, by the same
// number of concurrent writers, with no HTTP, JSON, auth or validation.
func BenchmarkRawInsert(b *testing.B) {
	stores(b, func(b *testing.B, open func(testing.TB) *store.DB) {
		db := open(b)
		apptest.New(b, db) // same schema and territory as the HTTP run
		ctx := context.Background()
		var n atomic.Int64
		b.SetParallelism(8)
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				now := time.Now().UnixMilli()
				tx, err := db.W.BeginTx(ctx, nil)
				if err != nil {
					b.Error(err)
					return
				}
				var id int64
				err = tx.QueryRowContext(ctx, db.Q(`INSERT INTO cases (state, version, category, description, address, lon, lat,
					grid, community, street, district, source, urgency, reporter_id, unit_code, deadline, rework_count, extension_hours,
					suspended_from, remaining_ms, handler_id, handled_at, created_at, updated_at, closed_at)
					VALUES ('reported', 1, 'E0102', ?, '', 120.22, 31.52, '32021302201001', '320213022010', '320213022', '320213',
					'inspector', 'normal', NULL, NULL, NULL, 0, 0, '', 0, NULL, NULL, ?, ?, NULL) RETURNING id`), fmt.Sprint("暴露垃圾 ", i), now, now).Scan(&id)
				if err == nil {
					_, err = tx.ExecContext(ctx, db.Q(`INSERT INTO events (case_id, seq, action, from_state, to_state, actor_id, actor_name, actor_unit, at, note, data)
						VALUES (?, 1, 'report', '', 'reported', NULL, 'bench', '', ?, '', '{}')`), id, now)
				}
				if err == nil {
					err = tx.Commit()
				} else {
					tx.Rollback()
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "cases/s")
	})
}
