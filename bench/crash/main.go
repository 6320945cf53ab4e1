// Command crash is the crash harness: it runs `xiuhua serve` on a fresh data
// folder, drives case creation and transitions from several clients, kills
// the server with SIGKILL at random moments, restarts it on the same data,
// and checks that nothing acknowledged was lost:
//
//   - every case answered 2xx exists with at least the acknowledged version;
//   - its state is its last event's to-state and its version its event count;
//   - every photo answered 2xx reads back byte for byte;
//   - `xiuhua audit verify` succeeds after every kill (it checks every event
//     and case row of the whole ledger against the hash-chained log).
//
// Run by hand from the repository root, e.g. a long run:
//
//	go run ./bench/crash --kills 50 --interval 3s --clients 8
//	go run ./bench/crash --database "postgres://postgres@127.0.0.1:5432/test?sslmode=disable" --kills 50
//
// With --database the harness works in a fresh schema of that server (set as
// the URL's search_path) and drops it afterwards.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/bench/internal/server"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
)

// Config sets the size of a run.
type Config struct {
	Bin      string        // the xiuhua binary; built into a temporary folder when empty
	Database string        // a postgres:// URL for a PostgreSQL run; SQLite when empty
	Kills    int           // how many times the server is killed
	Interval time.Duration // mean time between kills (each is uniform in [interval/2, 3·interval/2])
	Clients  int           // concurrent clients
	Log      io.Writer
}

// Result counts what a run did and what it found.
type Result struct {
	Store       string
	Kills       int
	Cases       int // cases whose creation was acknowledged
	Writes      int // acknowledged writes: reports, transitions, photos
	Transitions int
	Photos      int
	Cut         int         // requests that got no answer (cut by a kill, or sent while the server was down)
	Refused     map[int]int // requests answered with a status other than 2xx, by status
	Lost        []string
}

func (r Result) String() string {
	return fmt.Sprintf("%s: %d kills, %d writes acknowledged (%d cases, %d transitions, %d photos), %d requests cut, refused %v, %d lost",
		r.Store, r.Kills, r.Writes, r.Cases, r.Transitions, r.Photos, r.Cut, r.Refused, len(r.Lost))
}

func main() {
	var cfg Config
	flag.StringVar(&cfg.Bin, "bin", "", "xiuhua binary (default: go build one)")
	flag.StringVar(&cfg.Database, "database", "", "PostgreSQL URL (a fresh schema is made in it); SQLite when empty")
	flag.IntVar(&cfg.Kills, "kills", 10, "SIGKILLs")
	flag.DurationVar(&cfg.Interval, "interval", 2*time.Second, "mean time between kills")
	flag.IntVar(&cfg.Clients, "clients", 6, "concurrent clients")
	flag.Parse()
	cfg.Log = os.Stderr
	res, err := Run(context.Background(), cfg)
	fmt.Println(res)
	for _, l := range res.Lost {
		fmt.Println("  LOST:", l)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash:", err)
		os.Exit(1)
	}
	if len(res.Lost) > 0 {
		os.Exit(2)
	}
}

// harness is one run's state.
type harness struct {
	cfg    Config
	bin    string
	data   string
	dbURL  string
	addr   string
	tokens map[string]string
	http   *http.Client

	mu     sync.Mutex
	srv    *server.Server
	acked  map[int64]int    // case id → highest acknowledged version
	photos map[string]photo // photo id → uploader and bytes
	res    Result
}

// Run performs one harness run.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Clients <= 0 {
		cfg.Clients = 1
	}
	h := &harness{cfg: cfg, tokens: map[string]string{}, acked: map[int64]int{}, photos: map[string]photo{},
		http: &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	h.res.Store, h.res.Refused = "sqlite", map[int]int{}
	tmp, err := os.MkdirTemp("", "xiuhua-crash-")
	if err != nil {
		return h.res, err
	}
	defer os.RemoveAll(tmp)
	h.data = filepath.Join(tmp, "data")
	h.bin = cfg.Bin
	if h.bin == "" {
		if h.bin, err = server.Build(tmp); err != nil {
			return h.res, err
		}
	}
	if cfg.Database != "" {
		h.res.Store = "postgres"
		u, drop, err := server.FreshSchema(cfg.Database, "crash")
		if err != nil {
			return h.res, err
		}
		defer drop()
		h.dbURL = u
	}
	if err := h.setup(tmp); err != nil {
		h.stop()
		return h.res, fmt.Errorf("setup: %w", err)
	}
	defer h.stop()

	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range cfg.Clients {
		wg.Add(1)
		go func() { defer wg.Done(); h.client(wctx, i) }()
	}
	var runErr error
	for range cfg.Kills {
		d := cfg.Interval/2 + time.Duration(mrand.Int64N(int64(cfg.Interval)+1))
		time.Sleep(d)
		if err := h.kill(); err != nil {
			runErr = err
			break
		}
		h.res.Kills++
		// The on-disk state right after the crash, before anything repairs it.
		if out, err := h.xiuhua("audit", "verify"); err != nil {
			runErr = fmt.Errorf("audit verify after kill %d: %v\n%s", h.res.Kills, err, out)
			break
		}
		if err := h.start(); err != nil {
			runErr = fmt.Errorf("restart after kill %d: %w", h.res.Kills, err)
			break
		}
		fmt.Fprintf(cfg.Log, "kill %d/%d after %v: audit intact, restarted (%d writes acknowledged so far)\n",
			h.res.Kills, cfg.Kills, d.Round(time.Millisecond), h.writes())
	}
	cancel()
	wg.Wait()
	if runErr != nil {
		return h.res, runErr
	}
	if err := h.check(); err != nil {
		return h.res, err
	}
	return h.res, nil
}

func (h *harness) writes() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.res.Writes
}

// xiuhua runs a subcommand on the harness's store.
func (h *harness) xiuhua(args ...string) (string, error) {
	args = append(args, "--data", h.data, "--database", h.dbURL)
	out, err := exec.Command(h.bin, args...).CombinedOutput()
	return string(out), err
}

// token is the last line of `user add`.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func (h *harness) setup(tmp string) error {
	geo := filepath.Join(tmp, "territory.geojson")
	if err := os.WriteFile(geo, apptest.TerritoryGeoJSON(), 0o600); err != nil {
		return err
	}
	if out, err := h.xiuhua("import", "territory", geo); err != nil {
		return fmt.Errorf("import territory: %v\n%s", err, out)
	}
	for _, u := range [][]string{
		{"admin", "--role", "admin"},
		{"dispatcher", "--role", "dispatcher", "--scope", "320213"},
		{"inspector", "--role", "inspector", "--scope", "320213"},
	} {
		out, err := h.xiuhua(append([]string{"user", "add", "--username", u[0]}, u[1:]...)...)
		if err != nil {
			return fmt.Errorf("user add %s: %v\n%s", u[0], err, out)
		}
		h.tokens[u[0]] = lastLine(out)
	}
	addr, err := server.FreeAddr()
	if err != nil {
		return err
	}
	h.addr = addr
	if err := h.start(); err != nil {
		return err
	}
	unit, _ := json.Marshal(apptest.Units[0])
	if st, body, err := h.do("admin", "POST", "/api/v1/units", "application/json", unit); err != nil || st/100 != 2 {
		return fmt.Errorf("add unit: %d %v %s", st, err, body)
	}
	out, err := h.xiuhua("user", "add", "--username", "san", "--role", "handler", "--unit", apptest.Units[0].Code)
	if err != nil {
		return fmt.Errorf("user add san: %v\n%s", err, out)
	}
	h.tokens["san"] = lastLine(out)
	return nil
}

// start runs the server and waits until it answers.
func (h *harness) start() error {
	srv, err := server.Start(server.Options{Bin: h.bin, Addr: h.addr, Data: h.data, Database: h.dbURL, Wait: 30 * time.Second})
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.srv = srv
	h.mu.Unlock()
	return nil
}

// kill sends SIGKILL and waits for the process to be gone.
func (h *harness) kill() error {
	h.mu.Lock()
	srv := h.srv
	h.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Kill()
}

func (h *harness) stop() {
	h.kill()
	h.mu.Lock()
	h.srv = nil
	h.mu.Unlock()
}

func (h *harness) do(who, method, path, ctype string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, "http://"+h.addr+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+h.tokens[who])
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := h.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

type photo struct {
	who  string
	body []byte
}

type caseOut struct {
	ID      int64  `json:"id"`
	State   string `json:"state"`
	Version int    `json:"version"`
	Events  []struct {
		To string `json:"to"`
	} `json:"events"`
}

// photo uploads a unique photo as who; ok only on 2xx.
func (h *harness) upload(who string, tag string) (string, bool) {
	body := append(append([]byte{}, apptest.PNG...), tag...)
	st, b, err := h.do(who, "POST", "/api/v1/blobs", "image/png", body)
	var out struct {
		ID string `json:"id"`
	}
	if err != nil || st/100 != 2 || json.Unmarshal(b, &out) != nil {
		h.failed(st)
		return "", false
	}
	h.mu.Lock()
	h.photos[out.ID] = photo{who, body}
	h.res.Photos++
	h.res.Writes++
	h.mu.Unlock()
	return out.ID, true
}

// failed counts a request without a 2xx: status 0 when it got no answer.
func (h *harness) failed(status int) {
	h.mu.Lock()
	if status == 0 {
		h.res.Cut++
	} else {
		h.res.Refused[status]++
	}
	h.mu.Unlock()
}

// client walks cases through the whole loop until ctx ends; a request cut by
// a kill abandons its case (its outcome is unknown, so it is not counted).
func (h *harness) client(ctx context.Context, n int) {
	points := [][2]float64{apptest.PointJiale1, apptest.PointJiale2, apptest.PointNanyuan, apptest.PointJinxing}
	for i := 0; ctx.Err() == nil; i++ {
		pt := points[(n+i)%len(points)]
		body, _ := json.Marshal(map[string]any{"category": "E0102", "description": fmt.Sprintf("crash harness %d/%d", n, i), "lon": pt[0], "lat": pt[1]})
		st, b, err := h.do("inspector", "POST", "/api/v1/cases", "application/json", body)
		var c caseOut
		if err != nil || st/100 != 2 || json.Unmarshal(b, &c) != nil {
			h.failed(st)
			time.Sleep(20 * time.Millisecond)
			continue
		}
		h.ack(c, true)
		tag := fmt.Sprintf("%d-%d", n, i)
		yes := true
		steps := []struct {
			who, action string
			in          map[string]any
			photo       bool
		}{
			{"dispatcher", "register", map[string]any{}, false},
			{"dispatcher", "dispatch", map[string]any{"unit": apptest.Units[0].Code}, false},
			{"san", "handle", map[string]any{"note": "done"}, true},
			{"inspector", "verify", map[string]any{"passed": &yes}, true},
			{"dispatcher", "close", map[string]any{}, false},
		}
		for _, s := range steps {
			if ctx.Err() != nil {
				return
			}
			if s.photo {
				id, ok := h.upload(s.who, tag+s.action)
				if !ok {
					break
				}
				s.in["attachments"] = []string{id}
			}
			s.in["version"] = c.Version
			body, _ := json.Marshal(s.in)
			st, b, err := h.do(s.who, "POST", fmt.Sprintf("/api/v1/cases/%d/%s", c.ID, s.action), "application/json", body)
			var next caseOut
			if err != nil || st/100 != 2 || json.Unmarshal(b, &next) != nil {
				h.failed(st)
				break
			}
			c = next
			h.ack(c, false)
		}
	}
}

func (h *harness) ack(c caseOut, created bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.Version > h.acked[c.ID] {
		h.acked[c.ID] = c.Version
	}
	h.res.Writes++
	if created {
		h.res.Cases++
	} else {
		h.res.Transitions++
	}
}

// check reads back every acknowledged write from the running server.
func (h *harness) check() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, v := range h.acked {
		st, b, err := h.do("admin", "GET", fmt.Sprintf("/api/v1/cases/%d", id), "", nil)
		if err != nil {
			return err
		}
		var c caseOut
		if st != 200 || json.Unmarshal(b, &c) != nil {
			h.res.Lost = append(h.res.Lost, fmt.Sprintf("case %d (acknowledged at version %d): %d %s", id, v, st, b))
			continue
		}
		switch {
		case c.Version < v:
			h.res.Lost = append(h.res.Lost, fmt.Sprintf("case %d: version %d, acknowledged %d", id, c.Version, v))
		case len(c.Events) != c.Version:
			h.res.Lost = append(h.res.Lost, fmt.Sprintf("case %d: version %d but %d events", id, c.Version, len(c.Events)))
		case c.Events[len(c.Events)-1].To != c.State:
			h.res.Lost = append(h.res.Lost, fmt.Sprintf("case %d: state %s but last event to %s", id, c.State, c.Events[len(c.Events)-1].To))
		}
	}
	for id, want := range h.photos {
		// The uploader reads it: a photo not yet attached is visible to them only.
		st, b, err := h.do(want.who, "GET", "/api/v1/blobs/"+id, "", nil)
		if err != nil {
			return err
		}
		if st != 200 || !bytes.Equal(b, want.body) {
			h.res.Lost = append(h.res.Lost, fmt.Sprintf("photo %s: %d, %d bytes (sha256 %x)", id, st, len(b), sha256.Sum256(b)))
		}
	}
	return nil
}
