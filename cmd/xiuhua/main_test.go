package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
)

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String(), err
}

// TestCommands drives the administration commands on a fresh SQLite folder:
// migrate, import territory and calendar, add a unitless admin and a scoped
// inspector, issue a token; and their refusals.
func TestCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XIUHUA_DATA", dir) // flags also come from the environment
	t.Setenv("XIUHUA_DATABASE_URL", "")
	out, err := runCmd(t, "migrate")
	if err != nil || !strings.HasPrefix(out, "schema at version ") {
		t.Fatalf("migrate: %v %q", err, out)
	}
	terr := filepath.Join(dir, "t.geojson")
	os.WriteFile(terr, apptest.TerritoryGeoJSON(), 0o600)
	out, err = runCmd(t, "import", "territory", terr)
	if err != nil || !strings.Contains(out, "imported 10 areas") {
		t.Fatalf("import territory: %v %q", err, out)
	}
	bad := filepath.Join(dir, "bad.geojson")
	os.WriteFile(bad, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"12","name":"x","level":"district"},"geometry":null}]}`), 0o600)
	if _, err := runCmd(t, "import", "territory", bad); xiuhua.ErrorCode(err) != xiuhua.EInvalid || len(xiuhua.AsError(err).Details) == 0 {
		t.Fatalf("bad territory accepted: %v", err)
	}
	cal := filepath.Join(dir, "2027.json")
	os.WriteFile(cal, []byte(`{"holidays":{"2027-01-01":"New Year's Day,元旦,1"},"workdays":{}}`), 0o600)
	out, err = runCmd(t, "import", "calendar", cal, "--data", dir)
	if err != nil || !strings.Contains(out, "2004–2027") {
		t.Fatalf("import calendar: %v %q", err, out)
	}
	out, err = runCmd(t, "user", "add", "--username", "ops", "--role", "admin")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err != nil || !strings.HasPrefix(lines[len(lines)-1], "xh_") {
		t.Fatalf("user add: %v %q", err, out)
	}
	if _, err := runCmd(t, "user", "add", "--username", "ops", "--role", "admin"); xiuhua.ErrorCode(err) != xiuhua.EConflict {
		t.Errorf("duplicate user: %v", err)
	}
	if _, err := runCmd(t, "user", "add", "--username", "walker", "--role", "inspector", "--scope", "999999"); xiuhua.ErrorCode(err) != xiuhua.EUnprocessable {
		t.Errorf("unknown scope: %v", err)
	}
	if _, err := runCmd(t, "user", "add", "--username", "walker", "--role", "wizard", "--scope", "320213"); xiuhua.ErrorCode(err) != xiuhua.EInvalid {
		t.Errorf("unknown role: %v", err)
	}
	if _, err := runCmd(t, "user", "add", "--username", "walker", "--role", "inspector", "--scope", "320213022"); err != nil {
		t.Errorf("inspector: %v", err)
	}
	out, err = runCmd(t, "token", "issue", "--username", "walker")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if err != nil || !strings.HasPrefix(lines[len(lines)-1], "xh_") {
		t.Fatalf("token issue: %v %q", err, out)
	}
	walkerToken := lines[len(lines)-1]
	if _, err := runCmd(t, "token", "revoke", "--username", "walker"); err != nil {
		t.Fatalf("token revoke: %v", err)
	}
	a, err := (&storeFlags{data: dir}).open(context.Background(), logger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(context.Background(), walkerToken); xiuhua.ErrorCode(err) != xiuhua.EUnauthorized {
		t.Errorf("revoked token still works: %v", err)
	}
	a.DB.Close()
	if _, err := runCmd(t, "token", "issue", "--username", "nobody"); xiuhua.ErrorCode(err) != xiuhua.ENotFound {
		t.Errorf("token for nobody: %v", err)
	}
	hot := filepath.Join(dir, "12345.csv")
	os.WriteFile(hot, []byte("工单编号,诉求类别,问题描述,经度,纬度\nGD1,违章停车,占用消防通道,120.22,31.52\nGD2,违章停车,辖区外,121,31\n"), 0o600)
	out, err = runCmd(t, "import", "hotline", hot, "--as", "ops")
	if err != nil || !strings.Contains(out, "2 rows: imported 1, skipped 0 already imported, 1 failed") || !strings.Contains(out, "row 3 GD2") {
		t.Errorf("import hotline: %v %q", err, out)
	}
	if _, err := runCmd(t, "import", "hotline", hot, "--as", "walker"); xiuhua.ErrorCode(err) != xiuhua.EForbidden {
		t.Errorf("an inspector imports: %v", err)
	}
	if out, err := runCmd(t, "audit", "verify"); err != nil || !strings.Contains(out, "audit log intact") {
		t.Errorf("audit verify: %v %q", err, out)
	}
	head, err := runCmd(t, "audit", "head")
	if err != nil || !regexp.MustCompile(`^\d+:[0-9a-f]{64}\n$`).MatchString(head) {
		t.Fatalf("audit head: %v %q", err, head)
	}
	if out, err := runCmd(t, "audit", "verify", "--anchor", strings.TrimSpace(head)); err != nil || !strings.Contains(out, "1 anchors held") {
		t.Errorf("verify with its anchor: %v %q", err, out)
	}
	wrong := strings.SplitN(head, ":", 2)[0] + ":" + strings.Repeat("0", 64)
	if out, err := runCmd(t, "audit", "verify", "--anchor", wrong); xiuhua.ErrorCode(err) != xiuhua.EConflict || !strings.Contains(out, "no longer has its anchored hash") {
		t.Errorf("verify with a wrong anchor: %v %q", err, out)
	}
	if _, err := runCmd(t, "audit", "verify", "--anchor", "12"); err == nil {
		t.Error("a malformed anchor accepted")
	}
	if _, err := runCmd(t, "frobnicate"); err == nil {
		t.Error("unknown command accepted")
	}
	if out, err := runCmd(t, "version"); err != nil || !strings.HasPrefix(out, "xiuhua ") {
		t.Errorf("version: %v %q", err, out)
	}
	if out, err := runCmd(t, "serve", "--help"); err == nil || !strings.Contains(out, "-addr") || !strings.Contains(out, "XIUHUA_DATA") {
		t.Errorf("serve --help: %v %q", err, out)
	}
}
