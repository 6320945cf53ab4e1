package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestSoakSmoke runs the harness small: the demo and 100 more cases on
// SQLite, 60 requests/s for 3 s. Every kind of request is made and
// answered without error, the server's memory is sampled, and the report
// has its tables. The long runs are by hand (see the package comment).
//
// It takes 10–40 s (building xiuhua and importing the Wuxi territory are
// most of it), so it runs only when XIUHUA_SOAK_SMOKE=1; XIUHUA_SOAK_BIN
// names a built xiuhua to skip the build:
//
//	XIUHUA_SOAK_SMOKE=1 go test ./bench/soak
func TestSoakSmoke(t *testing.T) {
	if os.Getenv("XIUHUA_SOAK_SMOKE") != "1" {
		t.Skip("set XIUHUA_SOAK_SMOKE=1 to run the soak harness's smoke test (10–40 s)")
	}
	var log strings.Builder
	res, err := Run(context.Background(), Config{Bin: os.Getenv("XIUHUA_SOAK_BIN"), Rate: 60, Duration: 3 * time.Second, Cases: 100,
		Sample: time.Second, Seed: 2026, Log: &log})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	md := res.Markdown()
	t.Log("\n" + md)
	if res.Overall.Requests != 180 || res.Overall.Errors != 0 {
		t.Fatalf("%d requests (want 180), %d errors: %v", res.Overall.Requests, res.Overall.Errors, res.Errors)
	}
	if res.Seeded < 100+300 {
		t.Errorf("seeded %d cases, want the demo's and 100 more", res.Seeded)
	}
	names := map[string]bool{}
	for _, k := range res.Kinds {
		names[k.Kind] = k.Requests > 0 && k.P50 > 0 && k.P99 >= k.P50
	}
	for _, want := range []string{"api.photo POST /blobs", "api.report POST /cases", "api.register", "api.dispatch", "api.handle", "api.verify", "api.close",
		"api.list GET /cases", "api.get GET /cases/{id}", "console.desk GET /cases", "console.dashboard data", "open311.list requests.json", "open311.get requests/{id}.json"} {
		if !names[want] {
			t.Errorf("no %s request measured", want)
		}
	}
	if len(res.RSS) < 3 || res.RSS[0].RSS < 10<<20 {
		t.Errorf("RSS samples: %+v", res.RSS)
	}
	for _, h := range []string{"| request | count | errors |", "| **all** | 180 | 0 | 0 |", "| t | RSS MB |"} {
		if !strings.Contains(md, h) {
			t.Errorf("the report has no %q", h)
		}
	}
}

// TestProcessCPU: the processes of a name are found with their CPU time,
// and the CPU since a sample counts growth and newcomers, never a negative
// figure for a process that exited.
func TestProcessCPU(t *testing.T) {
	comm, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Skip("no /proc here")
	}
	procs := procsNamed(strings.TrimSpace(string(comm)))
	if _, ok := procs[os.Getpid()]; !ok {
		t.Fatalf("this test's own process is not among %v", procs)
	}
	before := map[int]time.Duration{1: time.Second, 2: 3 * time.Second, 3: time.Second}
	now := map[int]time.Duration{1: 3 * time.Second, 4: time.Second} // 2 and 3 exited, 4 is new
	if got := cpuSince(before, now); got != 3*time.Second {
		t.Errorf("cpuSince = %v, want 3s", got)
	}
}
