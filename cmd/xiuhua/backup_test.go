package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/store/pgtest"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// freshDatabase returns "" for SQLite, or the URL of a fresh PostgreSQL
// schema (dropped after the test) when pg is set.
func freshDatabase(t *testing.T, pg bool) string {
	t.Helper()
	if !pg {
		return ""
	}
	return pgtest.URL(t)
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
