package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
	"github.com/xiuhua/xiuhua/internal/territory"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// clock is a test clock shared by several runners.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *clock               { return &clock{t: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)} }
func minutely(now time.Time) string {
	return now.UTC().Truncate(time.Minute).Format("2006-01-02T15:04")
}
func runner(db *store.DB, id string, c *clock, jobs ...Job) *Runner {
	return &Runner{DB: db, Log: quiet, ID: id, Jobs: jobs, Lease: 10 * time.Second, Now: c.now}
}

// runsOf lists a job's attempts oldest first.
func runsOf(t *testing.T, db *store.DB, job string) []RunInfo {
	t.Helper()
	rs, err := Runs(context.Background(), db, job, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	return rs
}

// TestOncePerPeriod: three runners on one store, racing every tick, run a
// minutely job exactly once a minute, whoever wins.
func TestOncePerPeriod(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		var mu sync.Mutex
		count := map[string]int{}
		job := Job{Name: "count", Period: minutely, Run: func(ctx context.Context, p string, _ int64) (string, error) {
			mu.Lock()
			count[p]++
			mu.Unlock()
			return `{"ok":true}`, nil
		}}
		rs := []*Runner{runner(db, "a", c, job), runner(db, "b", c, job), runner(db, "c", c, job)}
		for minute := 0; minute < 3; minute++ {
			for tick := 0; tick < 4; tick++ {
				var wg sync.WaitGroup
				for _, r := range rs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if err := r.RunDue(ctx); err != nil {
							t.Error(err)
						}
					}()
				}
				wg.Wait()
				c.add(10 * time.Second)
			}
			c.add(20 * time.Second)
		}
		want := map[string]int{"2026-11-25T08:00": 1, "2026-11-25T08:01": 1, "2026-11-25T08:02": 1}
		if len(count) != 3 {
			t.Errorf("periods run: %v, want %v", count, want)
		}
		for p, n := range want {
			if count[p] != n {
				t.Errorf("period %s ran %d times, want %d", p, count[p], n)
			}
		}
		runs := runsOf(t, db, "count")
		if len(runs) != 3 {
			t.Fatalf("%d attempts recorded, want 3: %+v", len(runs), runs)
		}
		for i, r := range runs {
			if r.Finished.IsZero() || r.Result != `{"ok":true}` || r.Error != "" || r.Period != []string{"2026-11-25T08:00", "2026-11-25T08:01", "2026-11-25T08:02"}[i] {
				t.Errorf("run %d: %+v", i, r)
			}
		}
	})
}

// TestTakeOver: an instance that claims a run and dies keeps the period
// until its lease runs out, then another instance takes it over; when the
// dead one comes back it cannot finish what is no longer its own.
func TestTakeOver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		ran := atomic.Int32{}
		job := Job{Name: "scan", Period: minutely, Run: func(context.Context, string, int64) (string, error) {
			ran.Add(1)
			return "{}", nil
		}}
		a, b := runner(db, "a", c, job), runner(db, "b", c, job)
		a.defaults()
		if err := a.ensure(ctx); err != nil {
			t.Fatal(err)
		}
		// a claims the 08:00 run and is killed before it ends.
		runA, ok, err := a.claim(ctx, "scan", "2026-11-25T08:00", c.now())
		if err != nil || !ok {
			t.Fatalf("a's claim: %v %v", ok, err)
		}
		c.add(9 * time.Second) // lease is 10 s: still a's
		if err := b.RunDue(ctx); err != nil || ran.Load() != 0 {
			t.Fatalf("b ran a held period: %d runs, %v", ran.Load(), err)
		}
		c.add(1001 * time.Millisecond) // a's lease ran out
		if err := b.RunDue(ctx); err != nil || ran.Load() != 1 {
			t.Fatalf("b did not take over: %d runs, %v", ran.Load(), err)
		}
		// a wakes up and tries to finish its attempt.
		if err := a.finish(ctx, "scan", "2026-11-25T08:00", runA, "{}", nil); err != nil {
			t.Fatal(err)
		}
		runs := runsOf(t, db, "scan")
		if len(runs) != 2 || runs[0].Instance != "a" || !runs[0].Finished.IsZero() || runs[0].Error != errLost.Error() ||
			runs[1].Instance != "b" || runs[1].Finished.IsZero() {
			t.Fatalf("attempts: %+v", runs)
		}
		if got, want := runs[1].Started, time.Date(2026, 11, 25, 8, 0, 10, 1_000_000, time.UTC); !got.Equal(want) {
			t.Errorf("taken over at %s, want %s (when the lease ran out)", got, want)
		}
		// The period is done: nobody runs it again.
		if err := a.RunDue(ctx); err != nil || ran.Load() != 1 {
			t.Errorf("period run again: %d runs, %v", ran.Load(), err)
		}
	})
}

// TestFailedRunRetries: a failed run frees the period for a retry after
// Retry, and the failure is kept with the attempt.
func TestFailedRunRetries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		fail := true
		job := Job{Name: "flaky", Period: func(time.Time) string { return "p1" }, Run: func(context.Context, string, int64) (string, error) {
			if fail {
				return "", context.DeadlineExceeded
			}
			return "{}", nil
		}}
		r := runner(db, "a", c, job)
		r.Retry = time.Minute
		if err := r.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		fail = false
		c.add(30 * time.Second)
		r.RunDue(ctx)
		if n := len(runsOf(t, db, "flaky")); n != 1 {
			t.Fatalf("retried before Retry: %d attempts", n)
		}
		c.add(31 * time.Second)
		r.RunDue(ctx)
		runs := runsOf(t, db, "flaky")
		if len(runs) != 2 || runs[0].Error != context.DeadlineExceeded.Error() || !runs[0].Finished.IsZero() || runs[0].Ended.IsZero() || runs[1].Finished.IsZero() {
			t.Fatalf("attempts: %+v", runs)
		}
	})
}

// TestOverdueScan: the scan marks each dispatched case past its deadline
// once, however often it runs, and counts them.
func TestOverdueScan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := apptest.New(t, db)
		// Wednesday 2026-11-25 09:00 Shanghai: E0102 is due within its working hours.
		start := time.Date(2026, 11, 25, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
		f.App.Cases.Now = func() time.Time { return start }
		var ids []int64
		for i := 0; i < 3; i++ {
			pt := apptest.PointJiale1
			c, err := f.App.Cases.Report(ctx, f.Actors["inspector"], casework.ReportInput{Category: "E0102", Description: "垃圾",
				Lon: &pt[0], Lat: &pt[1], Attachments: []string{f.Photo(t, "o"+string(rune('a'+i)))}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
			if i == 2 {
				break // stays reported: never overdue
			}
			d := f.Actors["dispatcher"]
			if c, err = f.App.Cases.Act(ctx, d, c.ID, casework.Register, casework.Input{Version: c.Version}); err != nil {
				t.Fatal(err)
			}
			if _, err = f.App.Cases.Act(ctx, d, c.ID, casework.Dispatch, casework.Input{Version: c.Version, Unit: "320213.sanitation"}); err != nil {
				t.Fatal(err)
			}
		}
		var deadline int64
		if err := db.R.QueryRow(db.Q(`SELECT deadline FROM cases WHERE id = ?`), ids[0]).Scan(&deadline); err != nil || deadline == 0 {
			t.Fatalf("no deadline: %v", err)
		}
		job := OverdueJob(db, time.Minute)
		run := func(at time.Time, id int64) OverdueResult {
			t.Helper()
			res, err := job.Run(ctx, job.Period(at), id)
			if err != nil {
				t.Fatal(err)
			}
			var r OverdueResult
			json.Unmarshal([]byte(res), &r)
			return r
		}
		due := time.UnixMilli(deadline)
		if r := run(due.Add(-time.Minute), 1); r != (OverdueResult{}) {
			t.Errorf("before the deadline: %+v", r)
		}
		if r := run(due.Add(2*time.Minute), 2); r != (OverdueResult{Overdue: 2, New: 2}) {
			t.Errorf("after the deadline: %+v, want 2 overdue, 2 new", r)
		}
		if r := run(due.Add(3*time.Minute), 3); r != (OverdueResult{Overdue: 2, New: 0}) {
			t.Errorf("again: %+v, want 2 overdue, none new", r)
		}
		var n, run2 int
		db.R.QueryRow(`SELECT COUNT(*), MIN(run_id) FROM case_overdue`).Scan(&n, &run2)
		if n != 2 || run2 != 2 {
			t.Errorf("case_overdue: %d rows, first noticed by run %d; want 2, run 2", n, run2)
		}
	})
}

// TestScoringJobWithoutRounds: the month just ended is the job's period; with
// no round it computes nothing and says so.
func TestScoringJobWithoutRounds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		job := ScoringJob(f.App)
		// 2026-12-01 00:30 Shanghai is still 2026-11-30 in UTC: November has ended.
		if p := job.Period(time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC)); p != "2026-11" {
			t.Errorf("period %q, want 2026-11", p)
		}
		if p := job.Period(time.Date(2026, 11, 30, 15, 59, 0, 0, time.UTC)); p != "2026-10" {
			t.Errorf("period %q, want 2026-10", p)
		}
		res, err := job.Run(context.Background(), "2026-12", 1)
		if err != nil || res != "[]" {
			t.Errorf("result %q, %v", res, err)
		}
	})
}

// TestScoringJobScoresRound: October's round is scored, as of October's
// end, by the run for 2026-10 (as the service scores it) and by no other.
func TestScoringJobScoresRound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := apptest.New(t, db)
		a := f.App
		admin := f.Actors["admin"]
		svc := &assess.Service{Store: db, Cases: a.Cases, Calendar: a.Calendar, Locate: a.Locate, Category: a.Category,
			Area: func(code string) (territory.Area, bool) { return a.Territory().Area(code) }, Now: time.Now}
		sc := assess.Scheme{Code: "civic", Name: "考核办法", Level: "community", ListSize: 1, Indicators: []assess.Indicator{
			{Code: "road", Name: "道路", FullMarks: 10000, PointTypes: []string{"main_road"}, Deductions: []assess.Deduction{{Points: 200}}}}}
		if _, err := svc.PutScheme(ctx, admin, sc); err != nil {
			t.Fatal(err)
		}
		for i, pt := range [][2]float64{{120.21, 31.51}, {120.26, 31.51}} {
			lon, lat := pt[0], pt[1]
			if _, err := svc.PutPoint(ctx, admin, assess.PointInput{Code: fmt.Sprint("R", i), Name: "路", Type: "main_road", Lon: &lon, Lat: &lat}); err != nil {
				t.Fatal(err)
			}
		}
		seed := uint64(7)
		r, _, err := svc.CreateRound(ctx, admin, assess.RoundInput{Scheme: "civic", Period: "2026-10", Name: "10月", Territory: "320213",
			Sizes: map[string]int{"main_road": 1}, Seed: &seed})
		if err != nil {
			t.Fatal(err)
		}
		want, err := svc.Scores(ctx, admin, assess.ScoreQuery{Round: r.ID, Period: "2026-10"})
		if err != nil {
			t.Fatal(err)
		}
		job := ScoringJob(a)
		res, err := job.Run(ctx, "2026-10", 1)
		if err != nil {
			t.Fatal(err)
		}
		var got []ScoringResult
		if err := json.Unmarshal([]byte(res), &got); err != nil || len(got) != 1 || got[0].Round != r.ID || got[0].Period != "2026-10" ||
			got[0].Scored != want.Scored || got[0].ExcellentUnits != want.ExcellentUnits || len(want.Units) != 2 {
			t.Errorf("result %s (%v), want round %d scored %d of %d units", res, err, r.ID, want.Scored, len(want.Units))
		}
		if res, err := job.Run(ctx, "2026-11", 2); err != nil || res != "[]" {
			t.Errorf("November: %q %v", res, err)
		}
	})
}

// TestRefresh: two app instances on one store; a category, a calendar and a
// territory changed through one reach the other at its next Refresh, and
// only the kinds that changed are reloaded.
func TestRefresh(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := apptest.New(t, db)
		one := f.App
		two, err := app.New(ctx, db, quiet, nil)
		if err != nil {
			t.Fatal(err)
		}
		if kinds, err := two.Refresh(ctx); err != nil || len(kinds) != 0 {
			t.Fatalf("nothing changed, yet reloaded %v (%v)", kinds, err)
		}
		c, _ := one.Category("E0102")
		c.Code, c.NameZh, c.NameEn = "E0199", "测试类别", "Test category"
		if err := one.PutCategory(ctx, auth.Actor{Role: auth.Admin, Username: "admin"}, c); err != nil {
			t.Fatal(err)
		}
		if _, ok := one.Category("E0199"); !ok {
			t.Fatal("the changing instance does not see its change")
		}
		if _, ok := two.Category("E0199"); ok {
			t.Fatal("the other instance saw it before refreshing (test is wrong)")
		}
		kinds, err := two.Refresh(ctx)
		if err != nil || strings.Join(kinds, ",") != app.RefCatalog {
			t.Fatalf("reloaded %v (%v), want catalog", kinds, err)
		}
		if got, ok := two.Category("E0199"); !ok || got.NameZh != "测试类别" {
			t.Errorf("after refresh: %+v %v", got, ok)
		}
		// The changer itself has nothing to reload.
		if kinds, _ := one.Refresh(ctx); len(kinds) != 0 {
			t.Errorf("the changing instance reloads again: %v", kinds)
		}
		// A holiday schedule and a territory change.
		if _, err := one.ImportCalendar(ctx, []byte(`{"days":[{"date":"2031-01-01","kind":"holiday","name_en":"New Year","name_zh":"元旦"}]}`)); err != nil {
			t.Fatal(err)
		}
		if !one.Calendar().Covered(2031) || two.Calendar().Covered(2031) {
			t.Fatal("calendar before refresh")
		}
		if _, _, err := one.ImportTerritory(ctx, apptest.TerritoryGeoJSON()); err != nil {
			t.Fatal(err)
		}
		kinds, err = two.Refresh(ctx)
		if err != nil || strings.Join(kinds, ",") != app.RefTerritory+","+app.RefCalendar || !two.Calendar().Covered(2031) {
			t.Errorf("reloaded %v (%v), covered %v", kinds, err, two.Calendar().Covered(2031))
		}
	})
}

// TestShutdownGivesBack: an instance stopped mid-run gives the period back,
// so another takes it at once instead of after the lease.
func TestShutdownGivesBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClock()
		started := make(chan struct{})
		slow := Job{Name: "slow", Period: minutely, Run: func(ctx context.Context, _ string, _ int64) (string, error) {
			close(started)
			<-ctx.Done()
			return "", ctx.Err()
		}}
		ctx, cancel := context.WithCancel(context.Background())
		a := runner(db, "a", c, slow)
		done := make(chan error)
		go func() { done <- a.RunDue(ctx) }()
		<-started
		cancel()
		<-done
		ran := false
		b := runner(db, "b", c, Job{Name: "slow", Period: minutely, Run: func(context.Context, string, int64) (string, error) {
			ran = true
			return "{}", nil
		}})
		if err := b.RunDue(context.Background()); err != nil || !ran {
			t.Fatalf("b did not take the period given back: ran %v, %v", ran, err)
		}
		runs := runsOf(t, db, "slow")
		if len(runs) != 2 || runs[0].Error != "instance shut down" || runs[0].Ended.IsZero() || runs[1].Finished.IsZero() {
			t.Errorf("attempts: %+v", runs)
		}
	})
}

// TestMigrateConcurrently: instances starting together on a fresh schema
// take turns migrating, and leave the rate buckets unlogged.
func TestMigrateConcurrently(t *testing.T) {
	base := os.Getenv(storetest.EnvPostgres)
	if base == "" {
		t.Skip(storetest.EnvPostgres + " is not set")
	}
	dbURL := freshSchema(t, base)
	ctx := context.Background()
	errs := make(chan error, 3)
	var dbs []*store.DB
	for i := 0; i < 3; i++ {
		db, err := store.Open(ctx, t.TempDir(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs = append(dbs, db)
	}
	for _, db := range dbs {
		go func() { errs <- Migrate(ctx, db) }()
	}
	for range dbs {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	var p string
	if err := dbs[0].R.QueryRow(`SELECT relpersistence FROM pg_class WHERE oid = 'rate_buckets'::regclass`).Scan(&p); err != nil || p != "u" {
		t.Errorf("rate_buckets persistence %q (%v), want u (unlogged)", p, err)
	}
}

func TestOptionsFromEnv(t *testing.T) {
	env := map[string]string{"XIUHUA_JOBS_TICK": "2s", "XIUHUA_JOBS_LEASE": "45s", "XIUHUA_OVERDUE_EVERY": "5m", "XIUHUA_INSTANCE": "web-1"}
	o, probs := OptionsFromEnv(func(k string) string { return env[k] })
	if len(probs) != 0 || o.Tick != 2*time.Second || o.Lease != 45*time.Second || o.OverdueEvery != 5*time.Minute ||
		o.RefreshEvery != 2*time.Second || o.MinRun != 0 || o.Instance != "web-1" {
		t.Errorf("%+v %v", o, probs)
	}
	env = map[string]string{"XIUHUA_JOBS_TICK": "soon", "XIUHUA_JOBS_LEASE": "10ms", "XIUHUA_REFRESH_EVERY": "-1s"}
	o, probs = OptionsFromEnv(func(k string) string { return env[k] })
	if len(probs) != 3 || o.Tick != 10*time.Second || o.Lease != 30*time.Second || o.RefreshEvery != 2*time.Second {
		t.Errorf("bad values: %+v %v", o, probs)
	}
}
