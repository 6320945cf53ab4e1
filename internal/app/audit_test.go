package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
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
