package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/store"
)

// TestPasswordStdin adds a user with a password read from standard input,
// refuses weak and missing ones, and changes it with `user password`.
func TestPasswordStdin(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XIUHUA_DATA", dir)
	t.Setenv("XIUHUA_DATABASE_URL", "")
	terr := filepath.Join(dir, "t.geojson")
	os.WriteFile(terr, apptest.TerritoryGeoJSON(), 0o600)
	if _, err := runCmd(t, "import", "territory", terr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin = os.Stdin })
	withStdin := func(s string) { stdin = strings.NewReader(s) }

	withStdin("short1\n")
	if _, err := runCmd(t, "user", "add", "--username", "wang", "--role", "inspector", "--scope", "320213", "--password-stdin"); xiuhua.ErrorCode(err) != xiuhua.EInvalid {
		t.Errorf("weak password: %v", err)
	}
	withStdin("")
	if _, err := runCmd(t, "user", "add", "--username", "wang", "--role", "inspector", "--scope", "320213", "--password-stdin"); xiuhua.ErrorCode(err) != xiuhua.EInvalid {
		t.Errorf("no password: %v", err)
	}
	withStdin("grid-walker-2026\r\nsecond line ignored\n")
	out, err := runCmd(t, "user", "add", "--username", "wang", "--role", "inspector", "--scope", "320213", "--password-stdin")
	if err != nil || !strings.Contains(out, "user wang added") {
		t.Fatalf("user add: %v %q", err, out)
	}
	hash := storedHash(t, dir, "wang")
	if !auth.CheckPassword(hash, "grid-walker-2026") || auth.CheckPassword(hash, "grid-walker-2026\r") {
		t.Fatalf("stored hash %q does not match the first line without its line end", hash)
	}

	withStdin("new-password-9\n")
	out, err = runCmd(t, "user", "password", "--username", "wang", "--password-stdin")
	if err != nil || !strings.Contains(out, "password of wang set") {
		t.Fatalf("user password: %v %q", err, out)
	}
	if h := storedHash(t, dir, "wang"); !auth.CheckPassword(h, "new-password-9") || auth.CheckPassword(h, "grid-walker-2026") {
		t.Error("the new password is not the one stored")
	}
	withStdin("new-password-9\n")
	if _, err := runCmd(t, "user", "password", "--username", "nobody", "--password-stdin"); xiuhua.ErrorCode(err) != xiuhua.ENotFound {
		t.Errorf("password of nobody: %v", err)
	}
	if _, err := runCmd(t, "user", "password", "--username", "wang"); xiuhua.ErrorCode(err) != xiuhua.EInvalid {
		t.Errorf("without --password-stdin: %v", err)
	}
}

func storedHash(t *testing.T, dir, username string) string {
	t.Helper()
	db, err := store.Open(context.Background(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, h, err := db.UserPassword(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
