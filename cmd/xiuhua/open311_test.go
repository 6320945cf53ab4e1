package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
)

// TestOpen311KeyCommands adds a scoped key (printed as the last line),
// lists it, revokes it, and refuses what is wrong.
func TestOpen311KeyCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XIUHUA_DATA", dir)
	t.Setenv("XIUHUA_DATABASE_URL", "")
	terr := filepath.Join(dir, "t.geojson")
	os.WriteFile(terr, apptest.TerritoryGeoJSON(), 0o600)
	if _, err := runCmd(t, "import", "territory", terr); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "open311", "key", "add", "--name", "fixmystreet", "--scope", "320213022")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err != nil || !strings.HasPrefix(lines[len(lines)-1], "o311_") || len(lines[len(lines)-1]) != 5+43 {
		t.Fatalf("key add: %v %q", err, out)
	}
	if _, err := runCmd(t, "open311", "key", "add", "--name", "fixmystreet"); xiuhua.ErrorCode(err) != xiuhua.EConflict {
		t.Errorf("second live key of a name: %v", err)
	}
	if _, err := runCmd(t, "open311", "key", "add", "--name", "x2", "--scope", "999999"); xiuhua.ErrorCode(err) != xiuhua.EUnprocessable {
		t.Errorf("unknown scope: %v", err)
	}
	if _, err := runCmd(t, "open311", "key", "add"); xiuhua.ErrorCode(err) != xiuhua.EInvalid {
		t.Errorf("no name: %v", err)
	}
	out, err = runCmd(t, "open311", "key", "list")
	if err != nil || !strings.Contains(out, "fixmystreet") || !strings.Contains(out, "320213022") || strings.Contains(out, "o311_") {
		t.Errorf("key list: %v %q", err, out)
	}
	if out, err = runCmd(t, "open311", "key", "revoke", "--name", "fixmystreet"); err != nil || !strings.Contains(out, "revoked") {
		t.Errorf("key revoke: %v %q", err, out)
	}
	if _, err := runCmd(t, "open311", "key", "revoke", "--name", "fixmystreet"); xiuhua.ErrorCode(err) != xiuhua.ENotFound {
		t.Errorf("revoke twice: %v", err)
	}
	if _, err := runCmd(t, "open311", "keys"); xiuhua.ErrorCode(err) != xiuhua.EInvalid {
		t.Errorf("open311 keys: %v", err)
	}
	if _, err := runCmd(t, "open311", "key", "rotate", "--name", "a"); xiuhua.ErrorCode(err) != xiuhua.EInvalid {
		t.Errorf("open311 key rotate: %v", err)
	}
}
