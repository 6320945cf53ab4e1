package open311

import (
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestSharedBucket: two limiters on one PostgreSQL, as two instances behind a
// load balancer, draw on one budget per client, with the arithmetic of
// TestTokenBucket; on SQLite (one process) each keeps its own.
func TestSharedBucket(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		one := newLimiter(Limit{Rate: 1, Burst: 2}, clock).sharedOn(db, "test")
		two := newLimiter(Limit{Rate: 1, Burst: 2}, clock).sharedOn(db, "test")
		step := func(l *limiter, want bool, wantWait time.Duration) {
			t.Helper()
			ok, wait := l.allow("a")
			if ok != want || wait != wantWait {
				t.Fatalf("at %s: allow = %v, wait %s; want %v, %s", now.Format("15:04:05.000"), ok, wait, want, wantWait)
			}
		}
		if db.Dialect == store.SQLite {
			if one.shared != nil {
				t.Fatal("SQLite limiter goes to the database")
			}
			step(one, true, 0)
			step(one, true, 0)
			step(two, true, 0) // its own bucket
			step(one, false, time.Second)
			return
		}
		step(one, true, 0)
		step(two, true, 0)
		step(one, false, time.Second) // the other instance took the second token
		step(two, false, time.Second)
		now = now.Add(500 * time.Millisecond)
		step(two, false, 500*time.Millisecond) // half a token
		now = now.Add(500 * time.Millisecond)
		step(one, true, 0)
		if ok, _ := two.allow("b"); !ok {
			t.Error("another client shares a's bucket")
		}
		now = now.Add(time.Hour)
		step(two, true, 0)
		step(one, true, 0) // refilled to the burst, not beyond
		step(two, false, time.Second)
		// Another limit's buckets are its own.
		if ok, _ := newLimiter(Limit{Rate: 1, Burst: 2}, clock).sharedOn(db, "other").allow("a"); !ok {
			t.Error("limits share buckets across names")
		}
		if e := one.shared.errors.Load() + two.shared.errors.Load(); e != 0 {
			t.Errorf("%d requests fell back to memory", e)
		}

		// Concurrent requests on both never take more than the budget: a
		// burst of 10 that does not refill within the test.
		var allowed atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 40; i++ {
			// Each its own limiter: as many instances as requests.
			l2 := newLimiter(Limit{Rate: 1e-6, Burst: 10}, clock).sharedOn(db, "burst")
			wg.Add(1)
			go func() {
				defer wg.Done()
				if ok, _ := l2.allow("c"); ok {
					allowed.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := allowed.Load(); n != 10 {
			t.Errorf("%d of 40 concurrent requests allowed, want the burst of 10", n)
		}
	})
}

// TestSharedFallsBack: when the database does not answer, the limiter goes
// on in memory rather than failing or letting everyone through.
func TestSharedFallsBack(t *testing.T) {
	db := storetest.Postgres(t)
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	l := newLimiter(Limit{Rate: 1, Burst: 1}, func() time.Time { return now }).sharedOn(db, "test")
	db.W.Exec(`DROP TABLE rate_buckets`)
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("first request refused")
	}
	if ok, wait := l.allow("a"); ok || wait != time.Second {
		t.Fatalf("second request: %v %s, want refused for 1 s by the in-memory bucket", ok, wait)
	}
	if l.shared.errors.Load() != 2 {
		t.Errorf("%d fallbacks counted, want 2", l.shared.errors.Load())
	}
}

// BenchmarkSharedAllow is the cost of a shared bucket: one UPSERT per
// request (PostgreSQL only), from parallel clients.
func BenchmarkSharedAllow(b *testing.B) {
	db := storetest.Postgres(b)
	if os.Getenv("BENCH_LOGGED") == "" {
		db.W.Exec(`ALTER TABLE rate_buckets SET UNLOGGED`) // as cluster.Migrate leaves it
	}
	l := newLimiter(Limit{Rate: 1e6, Burst: 1e6}, time.Now).sharedOn(db, "bench")
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		client := "c" + string(rune('a'+n.Add(1)))
		for pb.Next() {
			l.allow(client)
		}
	})
	if e := l.shared.errors.Load(); e != 0 {
		b.Errorf("%d fallbacks", e)
	}
}
