package store

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/store/pgtest"
)

// TestMaintainRules: autovacuum's thresholds with its defaults.
func TestMaintainRules(t *testing.T) {
	for _, tc := range []struct {
		live, n         int64
		vacuum, analyze bool
	}{
		{0, 50, false, false}, {0, 51, true, true}, {1000, 250, false, true}, {1000, 251, true, true},
		{1000, 150, false, false}, {1000, 151, false, true}, {100000, 20050, false, true}, {100000, 20051, true, true},
	} {
		if got := needsVacuum(tc.live, tc.n); got != tc.vacuum {
			t.Errorf("vacuum with %d live, %d dead: %v", tc.live, tc.n, got)
		}
		if got := needsAnalyze(tc.live, tc.n); got != tc.analyze {
			t.Errorf("analyze with %d live, %d changed: %v", tc.live, tc.n, got)
		}
	}
}

// TestMaintainPostgres: on a server without autovacuum, maintenance
// vacuums and analyzes the schema's own tables (the statistics say when
// they were), the queue of linked audit entries among them; Maintain
// follows the server's setting: nothing when autovacuum runs.
func TestMaintainPostgres(t *testing.T) {
	db := openAt(t, pgtest.URL(t))
	ctx := context.Background()
	for i := 0; i < 300; i++ {
		if err := db.Tx(ctx, func(tx *sql.Tx) error {
			return db.appendAudit(ctx, tx, 0, "test.maintain", "x", `{}`, time.Now())
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.SealAudit(ctx); err != nil {
		t.Fatal(err)
	}
	all := func(int64, int64) bool { return true }
	m, err := db.maintain(ctx, all, all)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(m.Vacuumed, "audit_queue") || !slices.Contains(m.Vacuumed, "cases") || len(m.Analyzed) != 0 {
		t.Fatalf("maintenance: %+v", m)
	}
	var vacuumed sql.NullTime
	if err := db.R.QueryRow(`SELECT last_vacuum FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = 'audit_queue'`).Scan(&vacuumed); err != nil || !vacuumed.Valid {
		t.Errorf("audit_queue not vacuumed: %v %v", vacuumed, err)
	}
	on, err := db.Autovacuum(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.Maintain(ctx)
	if err != nil || got.Autovacuum != on || (on && (got.Vacuumed != nil || got.Analyzed != nil)) {
		t.Errorf("Maintain with autovacuum %v: %+v %v", on, got, err)
	}
}
