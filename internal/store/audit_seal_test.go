package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/audit"
	"github.com/xiuhua/xiuhua/internal/store/pgtest"
)

func openAt(t *testing.T, u string) *DB {
	t.Helper()
	db, err := Open(context.Background(), t.TempDir(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestAuditSealing runs two "instances" on one PostgreSQL that append audit
// entries concurrently, some in transactions that roll back, and checks
// that the chain links exactly the committed entries, once each, with no
// hole, and verifies; then that entries a crashed process left queued are
// linked by the next process's sealer without anyone writing.
func TestAuditSealing(t *testing.T) {
	u := pgtest.URL(t)
	a, b := openAt(t, u), openAt(t, u)
	ctx := context.Background()
	errRollback := errors.New("roll back")
	const workers, each = 8, 60
	var wg sync.WaitGroup
	var mu sync.Mutex
	committed := map[string]bool{}
	failures := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			db := a
			if w%2 == 1 {
				db = b
			}
			for i := 0; i < each; i++ {
				subject := fmt.Sprintf("w%d-%d", w, i)
				rollback := i%7 == 3
				err := db.Tx(ctx, func(tx *sql.Tx) error {
					if err := db.appendAudit(ctx, tx, int64(w), "test.write", subject, `{"i":`+fmt.Sprint(i)+`}`, time.Now()); err != nil {
						return err
					}
					if rollback {
						return errRollback
					}
					return nil
				})
				switch {
				case rollback && errors.Is(err, errRollback):
				case err != nil:
					failures <- err
					return
				default:
					mu.Lock()
					committed[subject] = true
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Fatal(err)
	}
	if _, err := a.SealAudit(ctx); err != nil {
		t.Fatal(err)
	}
	if q, err := a.AuditQueue(ctx); err != nil || q != 0 || a.AuditSealFailures() != 0 || b.AuditSealFailures() != 0 {
		fails := a.AuditSealFailures() + b.AuditSealFailures()
		t.Fatalf("after sealing: %d queued, %d failed seals (%v)", q, fails, err)
	}
	entries := readChain(t, a)
	if len(entries) != len(committed) {
		t.Errorf("%d entries in the chain, %d committed", len(entries), len(committed))
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if !committed[e.Subject] || seen[e.Subject] {
			t.Errorf("entry %d %s: committed %v, seen before %v", e.Seq, e.Subject, committed[e.Subject], seen[e.Subject])
		}
		seen[e.Subject] = true
	}
	if ps, _ := audit.Chain(entries, audit.Genesis, 1); len(ps) != 0 {
		t.Errorf("chain problems: %v", ps)
	}
	if rep, err := b.VerifyAudit(ctx); err != nil || len(rep.Problems) != 0 || rep.Entries != int64(len(committed)) {
		t.Errorf("verify: %+v %v", rep, err)
	}

	// A process killed after its commit and before its sealer ran leaves
	// entries queued. Stop b's sealer and write behind it, as that process.
	b.sealer.stop <- struct{}{}
	<-b.sealer.done
	b.sealer = nil
	for i := 0; i < 3; i++ {
		if err := b.Tx(ctx, func(tx *sql.Tx) error {
			return b.appendAudit(ctx, tx, 0, "test.crash", fmt.Sprint(i), `{}`, time.Now())
		}); err != nil {
			t.Fatal(err)
		}
	}
	a.Close() // a's last seal may link them; a fresh process must not need it
	if _, err := b.W.Exec(`INSERT INTO audit_queue (at, actor_id, kind, subject, payload) VALUES (0, 0, 'test.crash', 'late', '{}')`); err != nil {
		t.Fatal(err)
	}
	c := openAt(t, u)
	deadline := time.Now().Add(5 * time.Second)
	for {
		q, err := c.AuditQueue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if q == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d entries still queued 5 s after a new process started", q)
		}
		time.Sleep(50 * time.Millisecond)
	}
	entries = readChain(t, c)
	if len(entries) != len(committed)+4 {
		t.Errorf("%d entries after the crash, want %d", len(entries), len(committed)+4)
	}
	if ps, _ := audit.Chain(entries, audit.Genesis, 1); len(ps) != 0 {
		t.Errorf("chain problems after the crash: %v", ps)
	}
}

func readChain(t *testing.T, db *DB) []audit.Entry {
	t.Helper()
	rows, err := db.R.Query(`SELECT seq, at, actor_id, kind, subject, payload, prev, hash FROM audit_log ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		var e audit.Entry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.ActorID, &e.Kind, &e.Subject, &e.Payload, &e.Prev, &e.Hash); err != nil {
			t.Fatal(err)
		}
		e.At = time.UnixMilli(at)
		out = append(out, e)
	}
	return out
}
