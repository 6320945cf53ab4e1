package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestHotlineJobs: a job's progress, report and failure as written by the
// instance running it and read by anyone (its user only); the heartbeat's
// lease; the limits; how long finished jobs are kept.
func TestHotlineJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := apptest.New(t, db)
		disp, admin := f.Actors["dispatcher"].UserID, f.Actors["admin"].UserID
		t0 := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
		j := store.HotlineJob{ID: "job-a", UserID: disp, File: "12345.csv", DryRun: true, Instance: "one", Started: t0}
		if err := db.StartHotlineJob(ctx, j, 4); err != nil {
			t.Fatal(err)
		}
		if ok, err := db.HotlineJobProgress(ctx, "job-a", "one", 1000, 2500, t0.Add(20*time.Second)); !ok || err != nil {
			t.Fatalf("progress: %v %v", ok, err)
		}
		// Another instance's name does not write to it.
		if ok, err := db.HotlineJobProgress(ctx, "job-a", "two", 2000, 2500, t0.Add(20*time.Second)); ok || err != nil {
			t.Fatalf("progress by another instance: %v %v", ok, err)
		}
		got, err := db.HotlineJob(ctx, "job-a", disp, t0.Add(49*time.Second))
		if err != nil || got.State != "running" || got.Done != 1000 || got.Total != 2500 || !got.DryRun || got.File != "12345.csv" ||
			got.Instance != "one" || !got.Started.Equal(t0) || !got.Heartbeat.Equal(t0.Add(20*time.Second)) {
			t.Fatalf("running job 29 s after its heartbeat: %+v %v", got, err)
		}
		if _, err := db.HotlineJob(ctx, "job-a", admin, t0); xiuhua.ErrorCode(err) != xiuhua.ENotFound {
			t.Errorf("another user reads the job: %v", err)
		}
		// 31 s without a sign of life: failed, saying a re-import is safe.
		got, err = db.HotlineJob(ctx, "job-a", disp, t0.Add(51*time.Second))
		if err != nil || got.State != "failed" || !strings.Contains(got.ErrorZh, "重新导入同一文件是安全的") || !strings.Contains(got.ErrorEn, "importing the same file again is safe") || got.Done != 1000 {
			t.Fatalf("job 31 s after its heartbeat: %+v %v", got, err)
		}
		// A heartbeat renews it.
		if ok, err := db.HotlineJobBeat(ctx, "job-a", "one", t0.Add(50*time.Second)); !ok || err != nil {
			t.Fatalf("beat: %v %v", ok, err)
		}
		if got, _ := db.HotlineJob(ctx, "job-a", disp, t0.Add(51*time.Second)); got.State != "running" {
			t.Fatalf("after the beat: %+v", got)
		}
		// Its user's next import waits; another user's does not.
		if err := db.StartHotlineJob(ctx, store.HotlineJob{ID: "job-b", UserID: disp, Instance: "two", Started: t0.Add(60 * time.Second)}, 4); xiuhua.ErrorCode(err) != xiuhua.EConflict {
			t.Fatalf("second import of the user: %v", err)
		}
		if err := db.StartHotlineJob(ctx, store.HotlineJob{ID: "job-c", UserID: admin, Instance: "two", Started: t0.Add(60 * time.Second)}, 4); err != nil {
			t.Fatalf("another user's import: %v", err)
		}
		// The report, with its row errors as JSON.
		rep := store.HotlineJobResult{Rows: 5, Imported: 3, Skipped: 0, Failed: 2, Errors: `[{"row":4,"order_no":"GD003","message":"m","message_zh":"甲"}]`}
		if err := db.FinishHotlineJob(ctx, "job-c", "two", rep, t0.Add(70*time.Second)); err != nil {
			t.Fatal(err)
		}
		got, err = db.HotlineJob(ctx, "job-c", admin, t0.Add(time.Hour))
		if err != nil || got.State != "done" || got.Rows != 5 || got.Imported != 3 || got.Failed != 2 || got.Errors != rep.Errors || !got.Finished.Equal(t0.Add(70*time.Second)) {
			t.Fatalf("finished job: %+v %v", got, err)
		}
		// A failure keeps its reason in both languages.
		if err := db.FinishHotlineJob(ctx, "job-a", "one", store.HotlineJobResult{Err: xiuhua.Errorf(xiuhua.EInvalid, "bad header", "表头错误")}, t0.Add(80*time.Second)); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.HotlineJob(ctx, "job-a", disp, t0.Add(time.Hour)); got.State != "failed" || got.ErrorEn != "bad header" || got.ErrorZh != "表头错误" {
			t.Fatalf("failed job: %+v", got)
		}
		// The user's list, newest first.
		if err := db.StartHotlineJob(ctx, store.HotlineJob{ID: "job-d", UserID: disp, Instance: "one", Started: t0.Add(90 * time.Second)}, 4); err != nil {
			t.Fatal(err)
		}
		list, err := db.HotlineJobs(ctx, disp, t0.Add(100*time.Second), 10)
		if err != nil || len(list) != 2 || list[0].ID != "job-d" || list[1].ID != "job-a" || list[0].Errors != "" {
			t.Fatalf("list: %+v %v", list, err)
		}
		// A dead job does not hold its user: the next claim marks it failed.
		later := t0.Add(90*time.Second + store.HotlineJobLease + time.Millisecond)
		if err := db.StartHotlineJob(ctx, store.HotlineJob{ID: "job-e", UserID: disp, Instance: "two", Started: later}, 4); err != nil {
			t.Fatalf("import after the instance died: %v", err)
		}
		if got, _ := db.HotlineJob(ctx, "job-d", disp, t0); got.State != "failed" || got.ErrorEn != store.HotlineJobDied().Message || !got.Finished.Equal(later) {
			t.Fatalf("the dead job as stored: %+v", got)
		}
		// Finished jobs are kept 7 days, then forgotten at the next claim.
		week := t0.Add(70*time.Second + store.HotlineJobKeep)
		if _, err := db.HotlineJob(ctx, "job-c", admin, week); err != nil {
			t.Errorf("job-c on its 7th day: %v", err)
		}
		if _, err := db.HotlineJob(ctx, "job-c", admin, week.Add(time.Millisecond)); xiuhua.ErrorCode(err) != xiuhua.ENotFound {
			t.Errorf("job-c after 7 days: %v", err)
		}
		if list, _ := db.HotlineJobs(ctx, admin, week.Add(time.Millisecond), 10); len(list) != 0 {
			t.Errorf("admin's list after 7 days: %+v", list)
		}
		if err := db.StartHotlineJob(ctx, store.HotlineJob{ID: "job-f", UserID: admin, Instance: "one", Started: week.Add(time.Millisecond)}, 4); err != nil {
			t.Fatal(err)
		}
		// job-c finished at t0+70s, 7 days and 1 ms ago: gone; job-a
		// (t0+80s) and job-d (marked failed at t0+120s) are kept.
		if ids := jobIDs(t, db, `finished_at IS NOT NULL AND id IN ('job-a', 'job-c', 'job-d')`); ids != "job-a job-d" {
			t.Errorf("kept: %q", ids)
		}
	})
}

// TestHotlineJobLimits: claims racing from many connections (as from
// several instances) never exceed the limits.
func TestHotlineJobLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := apptest.New(t, db)
		t0 := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
		race := func(prefix string, users []int64, max int) (ok, busy, tooMany int) {
			var mu sync.Mutex
			var wg sync.WaitGroup
			for i, u := range users {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := db.StartHotlineJob(ctx, store.HotlineJob{ID: prefix + string(rune('a'+i)), UserID: u, Instance: "i" + string(rune('a'+i)), Started: t0}, max)
					mu.Lock()
					defer mu.Unlock()
					switch xiuhua.ErrorCode(err) {
					case "":
						ok++
					case xiuhua.EConflict:
						busy++
					case xiuhua.ETooMany:
						tooMany++
					default:
						t.Errorf("claim: %v", err)
					}
				}()
			}
			wg.Wait()
			return
		}
		// One user, eight claims at once: one runs.
		same := make([]int64, 8)
		for i := range same {
			same[i] = f.Actors["dispatcher"].UserID
		}
		if ok, busy, many := race("same-", same, 4); ok != 1 || busy != 7 || many != 0 {
			t.Errorf("one user: %d started, %d busy, %d too many", ok, busy, many)
		}
		// Eight other users at once, three places left of four.
		var others []int64
		for _, u := range []string{"admin", "dispatcher-jx", "inspector", "inspector2", "san", "jiale", "nanyuan", "leader"} {
			others = append(others, f.Actors[u].UserID)
		}
		if ok, busy, many := race("other-", others, 4); ok != 3 || busy != 0 || many != 5 {
			t.Errorf("eight users: %d started, %d busy, %d too many", ok, busy, many)
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM hotline_jobs WHERE state = 'running'`).Scan(&n); err != nil || n != 4 {
			t.Errorf("running: %d %v", n, err)
		}
	})
}

// jobIDs lists the ids of the jobs matching where, in order.
func jobIDs(t *testing.T, db *store.DB, where string) string {
	t.Helper()
	rows, err := db.R.Query(`SELECT id FROM hotline_jobs WHERE ` + where + ` ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	return strings.Join(ids, " ")
}
