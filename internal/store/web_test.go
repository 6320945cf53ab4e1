package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

func TestWebSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := apptest.New(t, db)
		u := f.Actors["inspector"]
		t0 := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
		s := store.WebSession{IDHash: "h1", UserID: u.UserID, CSRF: "c1", CreatedAt: t0, LastSeen: t0, ExpiresAt: t0.Add(12 * time.Hour)}
		if err := db.CreateWebSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateWebSession(ctx, store.WebSession{IDHash: "h2", UserID: u.UserID, CSRF: "c2", CreatedAt: t0, LastSeen: t0.Add(-3 * time.Hour), ExpiresAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		got, err := db.WebSession(ctx, "h1")
		if err != nil || got.User.Username != "inspector" || got.CSRF != "c1" || !got.ExpiresAt.Equal(t0.Add(12*time.Hour)) || got.Lang != "" {
			t.Fatalf("session: %+v %v", got, err)
		}
		if err := db.SetUserLang(ctx, u.UserID, "en"); err != nil {
			t.Fatal(err)
		}
		if err := db.SetUserLang(ctx, u.UserID, "zh"); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.WebSession(ctx, "h1"); got.Lang != "zh" {
			t.Errorf("lang %q", got.Lang)
		}
		if err := db.TouchWebSession(ctx, "h1", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.WebSession(ctx, "h1"); !got.LastSeen.Equal(t0.Add(time.Hour)) {
			t.Errorf("last seen %v", got.LastSeen)
		}
		if _, err := db.WebSession(ctx, "nope"); xiuhua.ErrorCode(err) != xiuhua.EUnauthorized {
			t.Errorf("unknown session: %v", err)
		}
		// Purge at t0+30m with a 2 h idle limit: h2 (seen 3 h before t0) goes, h1 stays.
		n, err := db.PurgeWebSessions(ctx, t0.Add(30*time.Minute), t0.Add(30*time.Minute-2*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("purge: %d %v", n, err)
		}
		if _, err := db.WebSession(ctx, "h1"); err != nil {
			t.Errorf("h1 purged: %v", err)
		}
		if err := db.DeleteUserWebSessions(ctx, u.UserID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.WebSession(ctx, "h1"); xiuhua.ErrorCode(err) != xiuhua.EUnauthorized {
			t.Errorf("after deleting the user's sessions: %v", err)
		}
		if err := db.SetPassword(ctx, "nobody", "x"); xiuhua.ErrorCode(err) != xiuhua.ENotFound {
			t.Errorf("password of nobody: %v", err)
		}
		names, err := db.UserDisplayNames(ctx, []int64{u.UserID, f.Actors["san"].UserID, 99999})
		if err != nil || len(names) != 2 || names[u.UserID] != "inspector" {
			t.Errorf("display names %v %v", names, err)
		}
	})
}

// TestLoginFailures checks the counting window and the lock, and that
// concurrent failures are all counted (one statement, no read-modify-write).
func TestLoginFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
		window, lock := 15*time.Minute, 15*time.Minute
		rec := func(at time.Time) store.LoginFailures {
			t.Helper()
			f, err := db.RecordLoginFailure(ctx, "wang", at, window, 5, lock)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
		for i := 1; i <= 4; i++ {
			if f := rec(t0.Add(time.Duration(i) * time.Minute)); f.Failures != i || f.Locked(t0.Add(time.Duration(i)*time.Minute)) {
				t.Fatalf("failure %d: %+v", i, f)
			}
		}
		// The fifth, at t0+5m, locks until t0+20m.
		f := rec(t0.Add(5 * time.Minute))
		if f.Failures != 5 || !f.LockedUntil.Equal(t0.Add(20*time.Minute)) {
			t.Fatalf("fifth: %+v", f)
		}
		// Failures while locked do not extend the lock.
		if f := rec(t0.Add(10 * time.Minute)); !f.LockedUntil.Equal(t0.Add(20 * time.Minute)) {
			t.Errorf("lock extended: %+v", f)
		}
		if got, _ := db.LoginFailures(ctx, "wang"); !got.Locked(t0.Add(19*time.Minute)) || got.Locked(t0.Add(20*time.Minute)) {
			t.Errorf("stored: %+v", got)
		}
		// After the lock, counting starts again.
		if f := rec(t0.Add(21 * time.Minute)); f.Failures != 1 || !f.LockedUntil.IsZero() {
			t.Errorf("after the lock: %+v", f)
		}
		// Purge keeps running windows and locks.
		if err := db.PurgeLoginFailures(ctx, t0.Add(22*time.Minute-window), t0.Add(22*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.LoginFailures(ctx, "wang"); got.Failures != 1 {
			t.Errorf("purged a running window: %+v", got)
		}
		if err := db.PurgeLoginFailures(ctx, t0.Add(40*time.Minute-window), t0.Add(40*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.LoginFailures(ctx, "wang"); got.Failures != 0 {
			t.Errorf("an old window survived the purge: %+v", got)
		}
		// Twenty at once: all counted.
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := db.RecordLoginFailure(ctx, "li", t0, window, 5, lock); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if got, _ := db.LoginFailures(ctx, "li"); got.Failures != 20 || !got.LockedUntil.Equal(t0.Add(lock)) {
			t.Errorf("concurrent failures: %+v", got)
		}
		if err := db.ClearLoginFailures(ctx, "li"); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.LoginFailures(ctx, "li"); got.Failures != 0 {
			t.Errorf("cleared: %+v", got)
		}
	})
}
