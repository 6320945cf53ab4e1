package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/audit"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestAuditCatchesTampering edits the database behind the product's back, in
// each way that matters, and checks that verification names the damage.
func TestAuditCatchesTampering(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		type tamper struct {
			name string
			sql  []string
			want string
		}
		for _, tc := range []tamper{
			{"edit an event's note", []string{`UPDATE events SET note = 'nothing to see' WHERE seq = 2`}, "the event was edited"},
			{"move a case back", []string{`UPDATE cases SET state = 'reported'`}, "the case row was edited"},
			{"delete an event", []string{`DELETE FROM events WHERE id = (SELECT MAX(id) FROM events)`}, "it was deleted"},
			{"edit a log entry", []string{`UPDATE audit_log SET actor_id = 999 WHERE seq = 3`}, "the entry was edited"},
			{"delete a log entry", []string{`DELETE FROM audit_log WHERE seq = 4`}, "deleted"},
			{"reorder log entries", []string{`UPDATE audit_log SET seq = -1 WHERE seq = 5`, `UPDATE audit_log SET seq = 5 WHERE seq = 6`, `UPDATE audit_log SET seq = 6 WHERE seq = -1`}, "does not follow"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				db := db
				if tc.name != "edit an event's note" {
					// A fresh store per tampering, so that each is caught on its own.
					if db.Dialect == store.SQLite {
						db = storetest.SQLite(t)
					} else {
						db = storetest.Postgres(t)
					}
				}
				f := apptest.New(t, db)
				c := report(t, f, "inspector", apptest.PointJiale1)
				c = act(t, f, "dispatcher", c, casework.Register, casework.Input{})
				act(t, f, "dispatcher", c, casework.Dispatch, casework.Input{Unit: "320213.sanitation"})
				rep, err := db.VerifyAudit(ctx)
				if err != nil || len(rep.Problems) != 0 || rep.Events != 3 || rep.Entries < 3 {
					t.Fatalf("before tampering: %+v %v", rep, err)
				}
				for _, q := range tc.sql {
					if _, err := db.W.ExecContext(ctx, q); err != nil {
						t.Fatal(err)
					}
				}
				rep, err = db.VerifyAudit(ctx)
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, p := range rep.Problems {
					found = found || strings.Contains(p.Reason, tc.want)
				}
				if !found {
					t.Errorf("not caught: %+v", rep.Problems)
				}
			})
		}
	})
}

// TestAuditAnchorCatchesRewrite: someone who rewrites the whole log,
// recomputing every hash, passes the chain check; an anchor kept from
// before (AuditHead) catches it, and a wrong or future anchor is named.
func TestAuditAnchorCatchesRewrite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := apptest.New(t, db)
		c := report(t, f, "inspector", apptest.PointJiale1)
		act(t, f, "dispatcher", c, casework.Register, casework.Input{})
		head, err := db.AuditHead(ctx)
		if err != nil || head.Seq < 3 || len(head.Hash) != 64 {
			t.Fatalf("head %+v %v", head, err)
		}
		if rep, err := db.VerifyAudit(ctx, head); err != nil || len(rep.Problems) != 0 {
			t.Fatalf("intact log with its anchor: %+v %v", rep.Problems, err)
		}

		// Rewrite: the first entry's actor changed, every hash recomputed.
		rows, err := db.R.Query(`SELECT seq, at, actor_id, kind, subject, payload FROM audit_log ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		var es []audit.Entry
		for rows.Next() {
			var e audit.Entry
			var at int64
			if err := rows.Scan(&e.Seq, &at, &e.ActorID, &e.Kind, &e.Subject, &e.Payload); err != nil {
				t.Fatal(err)
			}
			e.At = time.UnixMilli(at)
			es = append(es, e)
		}
		rows.Close()
		prev := audit.Genesis
		for i := range es {
			if i == 0 {
				es[i].ActorID = 999
			}
			es[i].Prev = prev
			es[i].Hash = audit.Sum(es[i])
			prev = es[i].Hash
			if _, err := db.W.Exec(db.Q(`UPDATE audit_log SET actor_id = ?, prev = ?, hash = ? WHERE seq = ?`), es[i].ActorID, es[i].Prev, es[i].Hash, es[i].Seq); err != nil {
				t.Fatal(err)
			}
		}
		if rep, err := db.VerifyAudit(ctx); err != nil || len(rep.Problems) != 0 {
			t.Fatalf("the chain alone should not see a whole rewrite (that is what anchors are for): %+v %v", rep.Problems, err)
		}
		rep, err := db.VerifyAudit(ctx, head, audit.Anchor{Seq: head.Seq + 1000, Hash: head.Hash})
		if err != nil || len(rep.Problems) != 2 ||
			!strings.Contains(rep.Problems[0].Reason, "no longer has its anchored hash") ||
			!strings.Contains(rep.Problems[1].Reason, "is not in the log") {
			t.Errorf("with anchors: %+v %v", rep.Problems, err)
		}
	})
}

// TestParseAnchor: SEQ:HASH as audit head prints it, and nothing else.
func TestParseAnchor(t *testing.T) {
	h := strings.Repeat("ab", 32)
	if a, err := audit.ParseAnchor("12:" + strings.ToUpper(h)); err != nil || a.Seq != 12 || a.Hash != h || a.String() != "12:"+h {
		t.Errorf("good anchor: %+v %v", a, err)
	}
	for _, bad := range []string{"", "12", "12:" + h[:63], "0:" + h, "x:" + h, "12:" + strings.Repeat("zz", 32)} {
		if _, err := audit.ParseAnchor(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
