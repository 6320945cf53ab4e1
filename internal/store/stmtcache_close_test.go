package store

import (
	"context"
	"testing"
)

// TestStatementsClosedWithStore: the statements readRow prepares belong to
// the store and are closed with it (a process opening many stores, as the
// tests do, kept every one before).
func TestStatementsClosedWithStore(t *testing.T) {
	db, err := Open(context.Background(), t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	var n int
	for _, q := range []string{`SELECT COUNT(*) FROM cases`, `SELECT COUNT(*) FROM areas`} {
		if err := db.readRow(context.Background(), q).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	count := func() (n int) {
		db.stmts.m.Range(func(any, any) bool { n++; return true })
		return n
	}
	if got := count(); got != 2 {
		t.Fatalf("%d statements prepared, want 2", got)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != 0 {
		t.Errorf("%d statements left after Close", got)
	}
}
