package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// script writes an executable shell script standing for the xiuhua binary.
func script(t *testing.T, body string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "xiuhua")
	if err := os.WriteFile(f, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestStartExited(t *testing.T) {
	bin := script(t, `echo "serve $*" >&2; exit 1`)
	_, err := Start(Options{Bin: bin, Data: "/nowhere", Wait: 10 * time.Second})
	if err == nil || err.Error() != "the server exited at start" {
		t.Errorf("without a log: %v", err)
	}
	log := filepath.Join(t.TempDir(), "server.log")
	_, err = Start(Options{Bin: bin, Addr: "127.0.0.1:1", Data: "/nowhere", Database: "postgres://x", Log: log, Wait: 10 * time.Second})
	want := "the server exited at start:\nserve serve --addr 127.0.0.1:1 --data /nowhere --database postgres://x\n"
	if err == nil || err.Error() != want {
		t.Errorf("with a log: %v, want %q", err, want)
	}
}

func TestStartSilent(t *testing.T) {
	bin := script(t, `exec sleep 30`)
	begin := time.Now()
	_, err := Start(Options{Bin: bin, Wait: time.Second})
	if err == nil || err.Error() != "the server did not answer /healthz within 1 s" {
		t.Errorf("%v", err)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("Start took %v", d)
	}
}

func TestFreeAddr(t *testing.T) {
	a, err := FreeAddr()
	if err != nil || !strings.HasPrefix(a, "127.0.0.1:") || strings.HasSuffix(a, ":0") {
		t.Errorf("%q %v", a, err)
	}
}
