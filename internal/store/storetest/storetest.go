// Package storetest runs a test against every store: SQLite always, and
// PostgreSQL when XIUHUA_TEST_POSTGRES_URL names a server (each test gets a
// schema of its own, dropped afterwards).
package storetest

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/pgtest"
)

// EnvPostgres names the PostgreSQL server for tests.
const EnvPostgres = pgtest.Env

var warnOnce sync.Once

// Each runs fn once per store, as subtests named "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	if os.Getenv(EnvPostgres) == "" {
		warnOnce.Do(func() {
			os.Stderr.WriteString("storetest: " + EnvPostgres + " is not set: PostgreSQL runs are SKIPPED\n")
		})
		t.Run("postgres", func(t *testing.T) { t.Skip(EnvPostgres + " is not set: PostgreSQL run skipped") })
		return
	}
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite opens a migrated SQLite store in a temporary folder.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return open(t, t.TempDir(), "")
}

// Postgres opens a migrated store in a fresh schema of the test server.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	return open(t, t.TempDir(), pgtest.URL(t))
}

func open(t testing.TB, dir, dbURL string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dir, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}
