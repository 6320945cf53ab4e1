package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPprofListener checks the opt-in profiler: off without
// XIUHUA_PPROF_ADDR, refused on a non-loopback address, served on a
// loopback one and closed with the context.
func TestPprofListener(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	t.Setenv("XIUHUA_PPROF_ADDR", "")
	startPprof(ctx, log)
	if logs.Len() != 0 {
		t.Errorf("profiler unset, yet: %s", logs.String())
	}

	t.Setenv("XIUHUA_PPROF_ADDR", "0.0.0.0:0")
	startPprof(ctx, log)
	if !strings.Contains(logs.String(), "must be a loopback address") {
		t.Errorf("a public address was not refused: %s", logs.String())
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv("XIUHUA_PPROF_ADDR", addr)
	startPprof(ctx, log)
	resp, err := http.Get("http://" + addr + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("profiler answered %d", resp.StatusCode)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the profiler still listens after the context ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
