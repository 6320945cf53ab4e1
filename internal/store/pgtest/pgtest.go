// Package pgtest gives a test a PostgreSQL schema of its own on the test
// server named by XIUHUA_TEST_POSTGRES_URL, dropped when the test ends. It
// imports nothing of xiuhua, so tests inside package store can use it as
// well as storetest (which wraps it) and the end-to-end tests.
package pgtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

// Env names the variable holding the test server's URL.
const Env = "XIUHUA_TEST_POSTGRES_URL"

// URL is a fresh schema on the test server (Schema), or skips the test
// when Env is not set.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		t.Skip(Env + " is not set: PostgreSQL run skipped")
	}
	return Schema(t, base)
}

// Schema creates a schema with a random name on the server at base and
// returns base with search_path set to it; the schema is dropped, with all
// it holds, when the test ends.
func Schema(t testing.TB, base string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if a, err := sql.Open("pgx", base); err == nil {
			a.Exec("DROP SCHEMA " + schema + " CASCADE")
			a.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
