package main

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// freshDatabase returns "" for SQLite, or the URL of a fresh PostgreSQL
// schema (dropped after the test) when pg is set.
func freshDatabase(t *testing.T, pg bool) string {
	t.Helper()
	if !pg {
		return ""
	}
	base := os.Getenv(storetest.EnvPostgres)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
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

// TestBackupRestoreCommands backs up a folder with the commands, restores
// it into a fresh store, and checks the refusals.
func TestBackupRestoreCommands(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			pg := kind == "postgres"
			if pg && os.Getenv(storetest.EnvPostgres) == "" {
				t.Skip(storetest.EnvPostgres + " is not set: PostgreSQL run skipped")
			}
			src, dst := t.TempDir(), t.TempDir()
			srcDB, dstDB := freshDatabase(t, pg), freshDatabase(t, pg)
			terr := filepath.Join(t.TempDir(), "t.geojson")
			os.WriteFile(terr, apptest.TerritoryGeoJSON(), 0o600)
			if _, err := runCmd(t, "import", "territory", terr, "--data", src, "--database", srcDB); err != nil {
				t.Fatal(err)
			}
			if _, err := runCmd(t, "user", "add", "--username", "ops", "--role", "admin", "--data", src, "--database", srcDB); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "b.tar.gz")
			if _, err := runCmd(t, "backup", "--data", src, "--database", srcDB); xiuhua.ErrorCode(err) != xiuhua.EInvalid {
				t.Fatalf("backup without --out: %v", err)
			}
			out, err := runCmd(t, "backup", "--data", src, "--database", srcDB, "--out", file)
			if err != nil || !strings.Contains(out, "backup written to") {
				t.Fatalf("backup: %v %q", err, out)
			}
			out, err = runCmd(t, "restore", "--data", dst, "--database", dstDB, file)
			if err != nil || !strings.Contains(out, "restored "+kind+" backup") {
				t.Fatalf("restore: %v %q", err, out)
			}
			out, err = runCmd(t, "audit", "verify", "--data", dst, "--database", dstDB)
			if err != nil || !strings.Contains(out, "audit log intact") {
				t.Fatalf("audit verify after restore: %v %q", err, out)
			}
			// The restored users can sign in: a token issued for ops works on the copy.
			if _, err := runCmd(t, "token", "issue", "--username", "ops", "--data", dst, "--database", dstDB); err != nil {
				t.Fatalf("token for a restored user: %v", err)
			}
			if _, err := runCmd(t, "restore", "--data", dst, "--database", dstDB, file); xiuhua.ErrorCode(err) != xiuhua.EConflict {
				t.Fatalf("restore into a non-empty store: %v", err)
			}
			if _, err := runCmd(t, "restore", "--force", "--data", dst, "--database", dstDB, file); err != nil {
				t.Fatalf("forced restore: %v", err)
			}
			raw, _ := os.ReadFile(file)
			raw[len(raw)-20] ^= 0x55
			bad := filepath.Join(t.TempDir(), "bad.tar.gz")
			os.WriteFile(bad, raw, 0o600)
			if _, err := runCmd(t, "restore", "--data", t.TempDir(), bad); xiuhua.ErrorCode(err) != xiuhua.EUnprocessable {
				t.Fatalf("damaged backup: %v", err)
			}
		})
	}
}
