// Command soak is the load harness: it seeds a store with the Wuxi demo and
// some thousands of cases spread over the loop, starts `xiuhua serve` on it
// as a subprocess on loopback, and drives a realistic mix of requests at a
// fixed arrival rate for a set time:
//
//   - inspectors upload photos and report cases with them (API);
//   - the dispatcher registers, dispatches and closes, handlers handle with a
//     photo, inspectors verify: the loop, through the API;
//   - the dispatcher lists and opens cases (API), reads the desk and the
//     leader the dashboard (web console, signed in);
//   - the public reads service requests through Open311.
//
// The load is open-loop: requests start on schedule (rate per second,
// evenly spaced) whether or not earlier ones have been answered, and a
// request's latency counts from when it was due, so a slow server shows as
// latency instead of slowing the load down. The mix, in percent of
// requests: photo upload 8, report 8, register 5, dispatch 5, handle 5,
// verify 4, close 4, case list 10, case page 17, locate 8, console desk 8,
// console dashboard data 3, Open311 list 5, Open311 request 10 (a loop step
// with no case waiting for it reads a case instead). It reports the error
// rate and p50/p95/p99 latency per kind of request and overall, and every
// 10 s the server's RSS (VmRSS of the process) and the CPU the server and
// the generator used (and, on PostgreSQL, every postgres process of the
// machine), as Markdown.
//
// Run from the repository root:
//
//	go run ./bench/soak --rate 500 --duration 10m
//	go run ./bench/soak --rate 500 --duration 10m --database "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
//
// Flags: --cases (cases seeded besides the demo's, default 3000), --bin (a
// built xiuhua; default: go build one), --max-inflight (requests in flight
// beyond which a due request is dropped, never sent, and counted as an
// error; default 2000), --sample (RSS interval, default 10s), --out (a file
// for the Markdown as well as stdout), --mix (only some kinds of request,
// e.g. --mix dashboard=1,open311=2, to see what each costs). With
// --database the harness works in a fresh schema of that server and drops
// it afterwards. The server runs with the per-client rate limits of Open311
// and the portal off (all load comes from one address). Load generator and
// server share the machine: on a small machine the generator's own CPU
// (reported) counts against the server; so does PostgreSQL's (not reported).
//
// A smoke test (60 requests/s for 3 s) runs with XIUHUA_SOAK_SMOKE=1 go test ./bench/soak.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/bench/internal/server"
)

// Config sets a run.
type Config struct {
	Bin         string        // the xiuhua binary; built into a temporary folder when empty
	Database    string        // a postgres:// URL for a PostgreSQL run; SQLite when empty
	Rate        float64       // requests started per second
	Duration    time.Duration // how long the load runs
	Cases       int           // cases seeded besides the demo's
	MaxInflight int           // requests in flight beyond which a due one is dropped
	Sample      time.Duration // RSS sampling interval
	Seed        uint64        // the random mix's seed
	Mix         string        // "name=weight,…": only the kinds whose name contains a name, with its weight; empty for the default mix
	Log         io.Writer     // progress
}

// Result is what a run measured.
type Result struct {
	Config   Config
	Store    string
	Seeded   int           // cases in the store at the start
	SeedTime time.Duration // seeding took
	Elapsed  time.Duration // the load phase took, until the last answer
	Kinds    []Stats       // per kind of request, by name
	Overall  Stats
	RSS      []RSSSample
	Errors   []string // a sample of what went wrong
}

// Stats are one kind's numbers. Requests counts every request that was
// due; Errors those that failed, Dropped included (due while MaxInflight
// were in flight: never sent). Latencies are of the requests sent.
type Stats struct {
	Kind          string
	Requests      int
	Errors        int
	Dropped       int
	P50, P95, P99 time.Duration
	Max           time.Duration
}

// RSSSample is the server's resident memory at a time into the load, and
// the CPU the server and the load generator used since the previous sample.
type RSSSample struct {
	At             time.Duration
	RSS            int64   // bytes
	ServerCPU, Gen float64 // CPU use since the previous sample, in cores (1.0 = one core busy)
	// DB is the CPU of every PostgreSQL process on this machine since the
	// previous sample (cores; PostgreSQL runs only): on a shared machine
	// the database is the third party to the two cores.
	DB float64
}

func main() {
	var cfg Config
	var out string
	flag.StringVar(&cfg.Bin, "bin", "", "xiuhua binary (default: go build one)")
	flag.StringVar(&cfg.Database, "database", "", "PostgreSQL URL (a fresh schema is made in it); SQLite when empty")
	flag.Float64Var(&cfg.Rate, "rate", 500, "requests per second (open loop)")
	flag.DurationVar(&cfg.Duration, "duration", time.Minute, "how long the load runs")
	flag.IntVar(&cfg.Cases, "cases", 3000, "cases seeded besides the demo's")
	flag.IntVar(&cfg.MaxInflight, "max-inflight", 2000, "requests in flight beyond which a due request is dropped (and counted as an error)")
	flag.DurationVar(&cfg.Sample, "sample", 10*time.Second, "RSS sampling interval")
	flag.Uint64Var(&cfg.Seed, "seed", 2026, "seed of the random mix")
	flag.StringVar(&out, "out", "", "also write the Markdown report to this file")
	flag.StringVar(&cfg.Mix, "mix", "", `only some kinds of request, e.g. "dashboard=1,desk=1" (a kind runs with the weight of the first name its name contains)`)
	flag.Parse()
	cfg.Log = os.Stderr
	res, err := Run(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	md := res.Markdown()
	fmt.Print(md)
	if out != "" {
		if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "soak:", err)
			os.Exit(1)
		}
	}
}

// Run seeds, serves, loads and measures.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Rate <= 0 || cfg.Duration <= 0 {
		return Result{}, errors.New("--rate and --duration must be positive")
	}
	if cfg.MaxInflight <= 0 {
		cfg.MaxInflight = 2000
	}
	if cfg.Sample <= 0 {
		cfg.Sample = 10 * time.Second
	}
	res := Result{Config: cfg, Store: "sqlite"}
	tmp, err := os.MkdirTemp("", "xiuhua-soak-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(tmp)
	bin := cfg.Bin
	if bin == "" {
		fmt.Fprintln(cfg.Log, "building xiuhua …")
		if bin, err = server.Build(tmp); err != nil {
			return res, err
		}
	}
	data := filepath.Join(tmp, "data")
	dbURL := ""
	if cfg.Database != "" {
		res.Store = "postgres"
		u, drop, err := server.FreshSchema(cfg.Database, "soak")
		if err != nil {
			return res, err
		}
		defer drop()
		dbURL = u
	}
	rng := mrand.New(mrand.NewPCG(cfg.Seed, 7))
	fmt.Fprintf(cfg.Log, "seeding the demo and %d cases …\n", cfg.Cases)
	sd, err := seed(ctx, data, dbURL, cfg.Cases, rng, cfg.Log)
	if err != nil {
		return res, fmt.Errorf("seed: %w", err)
	}
	res.Seeded, res.SeedTime = sd.Cases, sd.SeedTime
	fmt.Fprintf(cfg.Log, "seeded %d cases in %v\n", sd.Cases, sd.SeedTime.Round(time.Millisecond))

	srv, err := server.Start(server.Options{Bin: bin, Data: data, Database: dbURL, Log: filepath.Join(tmp, "server.log"), Wait: 60 * time.Second,
		// All load comes from one address: Open311's per-client limit would refuse it.
		Env: []string{"XIUHUA_OPEN311_RATE=0", "XIUHUA_PORTAL_RATE=0"}})
	if err != nil {
		return res, err
	}
	defer srv.Stop()
	l, err := newLoad(ctx, cfg, sd, "http://"+srv.Addr, rng)
	if err != nil {
		return res, fmt.Errorf("%w\nserver log:\n%s", err, srv.LogTail())
	}

	// RSS every cfg.Sample while the load runs, and once at its end.
	sampleCtx, stopSampling := context.WithCancel(ctx)
	var samples []RSSSample
	var smu sync.Mutex
	begin := time.Now()
	pid := srv.Cmd.Process.Pid
	lastAt, lastSrv, lastGen := time.Now(), cpuTime(pid), cpuTime(os.Getpid())
	pg := res.Store == "postgres"
	var lastDB map[int]time.Duration
	if pg {
		lastDB = procsNamed("postgres")
	}
	sample := func() {
		rss, err := vmRSS(pid)
		if err != nil {
			return
		}
		now, cs, cg := time.Now(), cpuTime(pid), cpuTime(os.Getpid())
		smu.Lock()
		defer smu.Unlock()
		wall := now.Sub(lastAt).Seconds()
		if len(samples) > 0 && wall < cfg.Sample.Seconds()/2 {
			return // the end of the load, just after a sample
		}
		s := RSSSample{At: time.Since(begin).Round(time.Second), RSS: rss}
		var db map[int]time.Duration
		if pg {
			db = procsNamed("postgres")
		}
		if len(samples) > 0 && wall > 0 {
			s.ServerCPU, s.Gen = (cs-lastSrv).Seconds()/wall, (cg-lastGen).Seconds()/wall
			s.DB = cpuSince(lastDB, db).Seconds() / wall
		}
		lastAt, lastSrv, lastGen, lastDB = now, cs, cg, db
		samples = append(samples, s)
	}
	var swg sync.WaitGroup
	swg.Add(1)
	go func() {
		defer swg.Done()
		sample()
		t := time.NewTicker(cfg.Sample)
		defer t.Stop()
		for {
			select {
			case <-sampleCtx.Done():
				return
			case <-t.C:
				sample()
				fmt.Fprintf(cfg.Log, "%v: %d requests started, %d errors\n", time.Since(begin).Round(time.Second), l.started.Load(), l.failed.Load())
			}
		}
	}()
	fmt.Fprintf(cfg.Log, "load: %.0f requests/s for %v on %s\n", cfg.Rate, cfg.Duration, srv.Addr)
	l.run(ctx, cfg.Rate, cfg.Duration)
	res.Elapsed = time.Since(begin)
	stopSampling()
	swg.Wait()
	sample()
	res.RSS = samples
	select {
	case <-srv.Exited:
		return res, fmt.Errorf("the server exited during the load\nserver log:\n%s", srv.LogTail())
	default:
	}
	res.Kinds, res.Overall, res.Errors = l.stats()
	return res, nil
}

// vmRSS reads a process's resident set size from /proc.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest) // "123456 kB"
			if len(f) == 2 && f[1] == "kB" {
				n, err := strconv.ParseInt(f[0], 10, 64)
				return n * 1024, err
			}
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// cpuTime is the user and system CPU time a process has used, from /proc
// (in clock ticks of 1/100 s, the USER_HZ of Linux).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name is in parentheses and may hold spaces: fields count from after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

// procsNamed is the CPU time used so far by each process of the given
// command name, by pid.
func procsNamed(name string) map[int]time.Duration {
	out := map[int]time.Duration{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(comm)) != name {
			continue
		}
		out[pid] = cpuTime(pid)
	}
	return out
}

// cpuSince is the CPU the processes of now used since before: a process in
// both counts its growth, a new one all it used (it started meanwhile); one
// that exited meanwhile loses its last stretch, a small undercount rather
// than the negative figure a plain difference of sums gives.
func cpuSince(before, now map[int]time.Duration) time.Duration {
	var d time.Duration
	for pid, t := range now {
		if t >= before[pid] {
			d += t - before[pid]
		}
	}
	return d
}

// Markdown is the report.
func (r Result) Markdown() string {
	var b strings.Builder
	c := r.Config
	rate := float64(r.Overall.Requests) / r.Elapsed.Seconds()
	fmt.Fprintf(&b, "### Soak: %.0f requests/s for %v, %s\n\n", c.Rate, c.Duration, r.Store)
	fmt.Fprintf(&b, "Store seeded with the Wuxi demo and %d more cases (%d in all, %v). Open-loop load from one process on loopback; latency counts from when each request was due.\n\n",
		c.Cases, r.Seeded, r.SeedTime.Round(time.Second))
	fmt.Fprintf(&b, "%d requests in %v (%.1f/s achieved), %d errors (%.3f%%).\n\n", r.Overall.Requests, r.Elapsed.Round(time.Millisecond), rate,
		r.Overall.Errors, pct(r.Overall.Errors, r.Overall.Requests))
	b.WriteString("| request | count | errors | of which dropped | error % | p50 ms | p95 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	row := func(s Stats, bold bool) {
		name := s.Kind
		if bold {
			name = "**" + name + "**"
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %.3f | %s | %s | %s | %s |\n", name, s.Requests, s.Errors, s.Dropped, pct(s.Errors, s.Requests),
			ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Max))
	}
	for _, s := range r.Kinds {
		row(s, false)
	}
	row(r.Overall, true)
	if r.Store == "postgres" {
		b.WriteString("\nServer RSS (VmRSS) every sample, and the CPU used since the previous one by the server, by the load generator and by every PostgreSQL process of the machine (cores):\n\n")
		b.WriteString("| t | RSS MB | server CPU | generator CPU | PostgreSQL CPU |\n|---:|---:|---:|---:|---:|\n")
		for _, s := range r.RSS {
			fmt.Fprintf(&b, "| %v | %.1f | %.2f | %.2f | %.2f |\n", s.At, float64(s.RSS)/(1<<20), s.ServerCPU, s.Gen, s.DB)
		}
	} else {
		b.WriteString("\nServer RSS (VmRSS) every sample, and the CPU used since the previous one by the server and by the load generator (cores):\n\n")
		b.WriteString("| t | RSS MB | server CPU | generator CPU |\n|---:|---:|---:|---:|\n")
		for _, s := range r.RSS {
			fmt.Fprintf(&b, "| %v | %.1f | %.2f | %.2f |\n", s.At, float64(s.RSS)/(1<<20), s.ServerCPU, s.Gen)
		}
	}
	if len(r.Errors) > 0 {
		b.WriteString("\nErrors (a sample):\n\n")
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "- %s\n", e)
		}
	}
	return b.String()
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
}

// percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func summarize(kind string, lat []time.Duration, errs, dropped int) Stats {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	s := Stats{Kind: kind, Requests: len(lat) + dropped, Errors: errs + dropped, Dropped: dropped,
		P50: percentile(lat, .50), P95: percentile(lat, .95), P99: percentile(lat, .99)}
	if len(lat) > 0 {
		s.Max = lat[len(lat)-1]
	}
	return s
}
