package bench

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Sizes of the assessment benchmark: a month of a million cases over 5,000 units.
const (
	assessCases = 1_000_000
	assessUnits = 5_000
	assessBatch = 500
)

// loadMonth bulk-loads October 2026: every case reported, registered and
// dispatched in October to one of the units, each with its six events; one
// in twenty is handled, verified and closed only in November (so computing
// October replays it from its events), one in a hundred never handled, and
// one in seven handled after its deadline.
func loadMonth(b *testing.B, db *store.DB) (due int) {
	ctx := context.Background()
	loc := calendar.Shanghai()
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, loc).UnixMilli()
	span := int64(31 * 24 * time.Hour / time.Millisecond)
	hour := int64(time.Hour / time.Millisecond)
	nov := time.Date(2026, 11, 2, 10, 0, 0, 0, loc).UnixMilli()
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, loc).UnixMilli()
	grids := []string{"32021302201001", "32021302201002", "32021302200301", "32021302300101"}
	comms := []string{"320213022010", "320213022010", "320213022003", "320213023001"}
	iso := func(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano) }
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var sb strings.Builder
		for u := 0; u < assessUnits; u += assessBatch {
			sb.Reset()
			sb.WriteString(`INSERT INTO units (code, name, kind, duty, scope, enabled, created_at) VALUES `)
			for k := u; k < u+assessBatch; k++ {
				if k > u {
					sb.WriteByte(',')
				}
				fmt.Fprintf(&sb, "('bench.u%04d', '单位%d', 'department', 'sanitation', '320213', TRUE, 0)", k, k)
			}
			if _, err := tx.ExecContext(ctx, sb.String()); err != nil {
				return err
			}
		}
		var eb strings.Builder
		for i0 := 0; i0 < assessCases; i0 += assessBatch {
			sb.Reset()
			eb.Reset()
			sb.WriteString(`INSERT INTO cases (id, state, version, category, description, address, lon, lat, grid, community, street, district,
				source, urgency, reporter_id, unit_code, deadline, rework_count, extension_hours, suspended_from, remaining_ms,
				handler_id, handled_at, created_at, updated_at, closed_at) VALUES `)
			eb.WriteString(`INSERT INTO events (case_id, seq, action, from_state, to_state, actor_id, actor_name, actor_unit, at, note, data) VALUES `)
			for i := i0; i < i0+assessBatch; i++ {
				id := int64(i + 1)
				t := start + int64(i)*span/assessCases
				g := i % len(grids)
				unit := fmt.Sprintf("bench.u%04d", i%assessUnits)
				disp, deadline := t+120_000, t+120_000+8*hour
				if deadline < end {
					due++ // the last 8 hours' deadlines fall in November
				}
				handled := t + 3*hour
				switch {
				case i%20 == 0:
					handled = nov
				case i%7 == 0:
					handled = deadline + hour
				}
				state, last := "closed", handled+2*hour
				if i > i0 {
					sb.WriteByte(',')
					eb.WriteByte(',')
				}
				if i%100 == 1 {
					state, last = "dispatched", disp
					fmt.Fprintf(&sb, "(%d,'dispatched',3,'E0104','bench','',120.22,31.52,'%s','%s','%s','320213','inspector','normal',NULL,'%s',%d,0,0,'',0,NULL,NULL,%d,%d,NULL)",
						id, grids[g], comms[g], comms[g][:9], unit, deadline, t, last)
					fmt.Fprintf(&eb, `(%d,1,'report','','reported',NULL,'b','',%d,'','{}'),(%d,2,'register','reported','registered',NULL,'b','',%d,'','{}'),`+
						`(%d,3,'dispatch','registered','dispatched',NULL,'b','',%d,'','{"unit":"%s","deadline":"%s"}')`,
						id, t, id, t+60_000, id, disp, unit, iso(deadline))
					continue
				}
				fmt.Fprintf(&sb, "(%d,'%s',6,'E0104','bench','',120.22,31.52,'%s','%s','%s','320213','inspector','normal',NULL,'%s',%d,0,0,'',0,NULL,%d,%d,%d,%d)",
					id, state, grids[g], comms[g], comms[g][:9], unit, deadline, handled, t, last, last)
				fmt.Fprintf(&eb, `(%d,1,'report','','reported',NULL,'b','',%d,'','{}'),(%d,2,'register','reported','registered',NULL,'b','',%d,'','{}'),`+
					`(%d,3,'dispatch','registered','dispatched',NULL,'b','',%d,'','{"unit":"%s","deadline":"%s"}'),`+
					`(%d,4,'handle','dispatched','handled',NULL,'b','',%d,'','{}'),(%d,5,'verify','handled','verified',NULL,'b','',%d,'','{"passed":true}'),`+
					`(%d,6,'close','verified','closed',NULL,'b','',%d,'','{}')`,
					id, t, id, t+60_000, id, disp, unit, iso(deadline), id, handled, id, handled+hour, id, last)
			}
			if _, err := tx.ExecContext(ctx, sb.String()); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, eb.String()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if db.Dialect == store.Postgres {
		// Identity columns do not move on explicit ids; analyse for the planner.
		for _, q := range []string{`SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT MAX(id) FROM cases))`,
			`SELECT setval(pg_get_serial_sequence('events', 'id'), (SELECT MAX(id) FROM events))`, `ANALYZE`} {
			if _, err := db.W.ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	}
	return due
}

// BenchmarkAssessMetrics computes the department metrics of October 2026
// for a million cases over 5,000 units (after the month, so the cases
// finished in November are replayed from their events as of 31 October).
// Loading and the first, full derivation of the per-case facts are setup,
// reported as metrics; the timed part is Service.Metrics: the incremental
// facts refresh (nothing to do), the one query of the month's summaries and
// the computation.
func BenchmarkAssessMetrics(b *testing.B) {
	stores(b, func(b *testing.B, open func(testing.TB) *store.DB) {
		db := open(b)
		f := apptest.New(b, db)
		t0 := time.Now()
		want := loadMonth(b, db)
		load := time.Since(t0)
		ctx := context.Background()
		t0 = time.Now()
		n, err := db.RefreshFacts(ctx, true)
		if err != nil || n != assessCases {
			b.Fatalf("refresh: %d, %v", n, err)
		}
		derive := time.Since(t0)
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, calendar.Shanghai())
		svc := &assess.Service{Store: db, Cases: f.App.Cases, Calendar: f.App.Calendar, Now: func() time.Time { return now }}
		p, _ := assess.ParsePeriod("2026-10")
		b.ResetTimer()
		var res assess.MetricsResult
		for i := 0; i < b.N; i++ {
			res, err = svc.Metrics(ctx, f.Actors["leader"], assess.MetricsQuery{Period: p})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		due := 0
		for _, m := range res.Items {
			due += m.Due
		}
		if len(res.Items) != assessUnits || due != want {
			b.Fatalf("%d units, %d due, want %d", len(res.Items), due, want)
		}
		b.ReportMetric(load.Seconds(), "load-s")
		b.ReportMetric(derive.Seconds(), "derive-s")
	})
}
