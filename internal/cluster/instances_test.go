package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/pgtest"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// instance is one `xiuhua serve` process of the test.
type instance struct {
	name string
	cmd  *exec.Cmd
	url  string
	out  *bytes.Buffer
	dead bool
}

// TestThreeInstances starts three `xiuhua serve` processes on one fresh
// PostgreSQL schema and one shared data folder, drives case reports and
// transitions through all three, SIGKILLs the instance holding the scoring
// job's lease in the middle of it, and checks that the three behave as one:
// every acknowledged write is there, every job period finished exactly once
// (the killed instance's run taken over once its lease ran out), a console
// session and a lockout count made on one instance hold on the others, the
// Open311 rate budget is shared, and a category added on one is served by
// the others within seconds.
func TestThreeInstances(t *testing.T) {
	base := os.Getenv(storetest.EnvPostgres)
	if base == "" {
		t.Skip(storetest.EnvPostgres + " is not set: the three-instance test needs PostgreSQL")
	}
	if testing.Short() {
		t.Skip("builds the binary and runs three servers (-short)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	bin := filepath.Join(dir, "xiuhua")
	build := exec.Command("go", "build", "-o", bin, "github.com/xiuhua/xiuhua/cmd/xiuhua")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dbURL := freshSchema(t, base)
	data := filepath.Join(dir, "data") // the shared photo storage (NFS in production)

	// The installation: the apptest territory, units and users, with tokens,
	// and console passwords for two of them.
	db, err := store.Open(ctx, data, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	f := apptest.New(t, db)
	const password = "Cluster-test-2026!"
	for _, u := range []string{"dispatcher", "leader"} {
		if err := db.SetPassword(ctx, u, auth.HashPassword(password)); err != nil {
			t.Fatal(err)
		}
	}

	const lease = 1500 * time.Millisecond
	env := append(os.Environ(), "XIUHUA_DATABASE_URL="+dbURL, "XIUHUA_DATA="+data,
		"XIUHUA_JOBS_TICK=200ms", "XIUHUA_JOBS_LEASE="+lease.String(), "XIUHUA_OVERDUE_EVERY=1s",
		"XIUHUA_JOBS_MIN_RUN=4s", "XIUHUA_REFRESH_EVERY=300ms",
		"XIUHUA_OPEN311_RATE=1", "XIUHUA_OPEN311_BURST=4")
	var ins []*instance
	for i := 1; i <= 3; i++ {
		in := start(t, bin, fmt.Sprintf("i%d", i), env)
		ins = append(ins, in)
	}
	defer func() {
		for _, in := range ins {
			if !in.dead {
				in.cmd.Process.Signal(syscall.SIGTERM)
				in.cmd.Wait()
			}
		}
		if t.Failed() {
			for _, in := range ins {
				t.Logf("--- %s log ---\n%s", in.name, in.out.String())
			}
		}
	}()
	client := &http.Client{Timeout: 10 * time.Second}

	// Load: workers report, register and dispatch cases, each step on the
	// next instance, and remember every write answered 2xx.
	type ack struct {
		caseID  int64
		action  string
		version int
	}
	var mu sync.Mutex
	var acks []ack
	cut := 0 // uploads that got no answer: sent to the killed instance
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := w; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				at := func(k int) *instance { return ins[(n+k)%3] }
				var blob struct{ ID string }
				if st := call(client, at(0), "POST", "/api/v1/blobs", f.Tokens["inspector"], append(append([]byte{}, apptest.PNG...), fmt.Sprint(w, n)...), &blob); st != 201 {
					mu.Lock()
					cut += map[bool]int{true: 1}[st == 0]
					mu.Unlock()
					continue
				}
				pt := apptest.PointJiale1
				var c struct {
					ID      int64
					Version int
					State   string
				}
				body, _ := json.Marshal(map[string]any{"category": "E0102", "description": "cluster test", "lon": pt[0], "lat": pt[1], "attachments": []string{blob.ID}})
				// Reported on another instance than the one that took the photo: the folder is shared.
				if st := call(client, at(1), "POST", "/api/v1/cases", f.Tokens["inspector"], body, &c); st != 201 {
					continue
				}
				mu.Lock()
				acks = append(acks, ack{c.ID, "report", c.Version})
				mu.Unlock()
				for k, step := range []struct{ action, unit string }{{"register", ""}, {"dispatch", "320213.sanitation"}} {
					body, _ := json.Marshal(map[string]any{"version": c.Version, "unit": step.unit})
					if st := call(client, at(2+k), "POST", fmt.Sprintf("/api/v1/cases/%d/%s", c.ID, step.action), f.Tokens["dispatcher"], body, &c); st != 200 {
						break
					}
					mu.Lock()
					acks = append(acks, ack{c.ID, step.action, c.Version})
					mu.Unlock()
				}
			}
		}()
	}

	// Kill the instance running the scoring of last month, mid-run and
	// mid-load (on a slow machine, whichever instance holds a job).
	time.Sleep(700 * time.Millisecond)
	var victimJob, owner, period string
	var leaseUntil int64
	for _, job := range []string{JobScoring, JobOverdue, JobOptimize} {
		if err := db.R.QueryRow(`SELECT owner, period FROM cluster_jobs WHERE name = $1`, job).Scan(&owner, &period); err == nil && owner != "" {
			victimJob = job
			break
		}
	}
	var victim *instance
	for _, in := range ins {
		if owner != "" && strings.HasPrefix(owner, in.name+"-") {
			victim = in
		}
	}
	if victim == nil {
		t.Fatalf("no instance holds a job at the kill (owner %q): each run should last XIUHUA_JOBS_MIN_RUN", owner)
	}
	victim.cmd.Process.Signal(syscall.SIGKILL)
	victim.cmd.Wait()
	victim.dead = true
	killedAt := time.Now()
	db.R.QueryRow(`SELECT lease_until FROM cluster_jobs WHERE name = $1`, victimJob).Scan(&leaseUntil) // its last renewal
	t.Logf("killed %s holding %s %s, lease until %s", victim.name, victimJob, period, time.UnixMilli(leaseUntil).Format("15:04:05.000"))
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()
	live := []*instance{}
	for _, in := range ins {
		if !in.dead {
			live = append(live, in)
		}
	}

	// 1. Every acknowledged write is in the ledger.
	if len(acks) < 10 {
		t.Errorf("only %d writes acknowledged: the load did not run", len(acks))
	}
	for _, a := range acks {
		var n int
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM events WHERE case_id = $1 AND action = $2 AND seq <= $3`, a.caseID, a.action, a.version).Scan(&n); err != nil || n != 1 {
			t.Errorf("acknowledged %s of case %d (version %d): %d events, %v", a.action, a.caseID, a.version, n, err)
		}
	}
	t.Logf("%d writes acknowledged across the instances; %d uploads unanswered (sent to the killed instance)", len(acks), cut)
	// No case is half-transitioned: its version counts its events and its
	// state is where the last event left it.
	var bad int
	if err := db.R.QueryRow(`SELECT COUNT(*) FROM cases c WHERE c.version <> (SELECT COUNT(*) FROM events e WHERE e.case_id = c.id)
		OR c.state <> (SELECT e.to_state FROM events e WHERE e.case_id = c.id ORDER BY e.seq DESC LIMIT 1)`).Scan(&bad); err != nil || bad != 0 {
		t.Errorf("%d cases whose version or state disagrees with their events (%v)", bad, err)
	}

	// 2. The killed instance's job is taken over by another instance once its
	// lease has run out (for scoring: the same period, finished once); its
	// own attempt stays open.
	deadline := time.Now().Add(15 * time.Second)
	var killed, taker *RunInfo
	for killed == nil || taker == nil {
		all, err := Runs(ctx, db, victimJob, 1000)
		if err != nil {
			t.Fatal(err)
		}
		killed, taker = nil, nil
		for i := len(all) - 1; i >= 0; i-- {
			r := all[i]
			switch {
			case strings.HasPrefix(r.Instance, victim.name+"-") && r.Period == period:
				killed = &r
			case killed != nil && taker == nil && !r.Finished.IsZero():
				taker = &r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not taken over within 15 s of the kill: killed attempt %+v, attempts %+v", victimJob, killed, all)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !killed.Ended.IsZero() || taker.Started.UnixMilli() < leaseUntil || (victimJob == JobScoring && taker.Period != period) {
		t.Errorf("killed attempt %+v, taken over by %+v; want it open, and taken over after %s (the same period for scoring)",
			*killed, *taker, time.UnixMilli(leaseUntil).Format("15:04:05.000"))
	}
	t.Logf("%s taken over by %s %s after the kill", victimJob, taker.Instance, taker.Started.Sub(killedAt).Round(time.Millisecond))

	// 3. The overdue scan: two dispatched cases pass their deadline (moved
	// behind the product's back); the next scans mark each once, and every
	// live instance's gauge says 2.
	var overdueIDs []int64
	rows, err := db.R.Query(`SELECT id FROM cases WHERE state = 'dispatched' ORDER BY id LIMIT 2`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		overdueIDs = append(overdueIDs, id)
	}
	rows.Close()
	if len(overdueIDs) != 2 {
		t.Fatalf("only %d dispatched cases", len(overdueIDs))
	}
	movedAt := time.Now()
	if _, err := db.W.Exec(`UPDATE cases SET deadline = $1 WHERE id = ANY($2)`, movedAt.Add(-time.Hour).UnixMilli(), overdueIDs); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		var n int
		db.R.QueryRow(`SELECT COUNT(*) FROM cluster_job_runs WHERE job = 'overdue' AND finished_at IS NOT NULL AND started_at > $1`, movedAt.Add(time.Second).UnixMilli()).Scan(&n)
		if n >= 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	var marked, distinct int
	db.R.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT case_id) FROM case_overdue`).Scan(&marked, &distinct)
	if marked != 2 || distinct != 2 {
		t.Errorf("case_overdue: %d rows for %d cases, want 2 for 2", marked, distinct)
	}
	for _, in := range live {
		var metrics string
		resp, err := client.Get(in.url + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			metrics = string(b)
		}
		if !regexp.MustCompile(`(?m)^xiuhua_cases_overdue 2$`).MatchString(metrics) {
			t.Errorf("%s /metrics: no xiuhua_cases_overdue 2 (%v)\n%s", in.name, err, grepLines(metrics, "xiuhua_cases_overdue", "xiuhua_job"))
		}
	}

	// 4. Every job period finished exactly once; the only attempts left open
	// are the killed instance's or a live one's still running.
	all, err := Runs(ctx, db, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	finished := map[string]int{}
	for _, r := range all {
		key := r.Job + " " + r.Period
		if !r.Finished.IsZero() {
			finished[key]++
		}
		if r.Ended.IsZero() && !strings.HasPrefix(r.Instance, victim.name) {
			var holder string
			db.R.QueryRow(`SELECT owner FROM cluster_jobs WHERE name = $1 AND period = $2`, r.Job, r.Period).Scan(&holder)
			if holder != r.Instance {
				t.Errorf("attempt %+v is open but its instance does not hold the job", r)
			}
		}
		if r.Error != "" {
			t.Errorf("attempt %+v failed", r)
		}
	}
	for k, n := range finished {
		if n != 1 {
			t.Errorf("%s finished %d times", k, n)
		}
	}
	if finished[JobOptimize+" "+time.Now().UTC().Format("2006-01-02T15")] != 1 && finished[JobOptimize+" "+killedAt.UTC().Format("2006-01-02T15")] != 1 {
		t.Errorf("optimize did not run this hour: %v", finished)
	}
	t.Logf("%d attempts, %d periods finished", len(all), len(finished))

	// 5. A console session made on one instance works on the other; a
	// lockout counted on one holds on the other.
	one, two := live[0], live[1]
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if st := signIn(t, browser, one, "dispatcher", password); st != http.StatusSeeOther {
		t.Fatalf("sign-in on %s: %d", one.name, st)
	}
	// The cookie jar keys cookies by host: both instances are 127.0.0.1.
	resp, err := browser.Get(two.url + "/cases")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "dispatcher") {
		t.Errorf("session from %s on %s: %d %s", one.name, two.name, resp.StatusCode, resp.Header.Get("Location"))
	}
	for i := 0; i < 5; i++ {
		jar, _ := cookiejar.New(nil)
		b := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: browser.CheckRedirect}
		st := signIn(t, b, live[i%2], "leader", "wrong password")
		if want := map[bool]int{true: 429, false: 401}[i == 4]; st != want {
			t.Errorf("failed sign-in %d on %s: %d, want %d", i+1, live[i%2].name, st, want)
		}
	}

	// 6. The Open311 budget (4 per client, one more a minute) is shared.
	var codes []int
	for i := 0; i < 6; i++ {
		resp, err := client.Get(live[i%2].url + "/open311/v2/services.json")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	if fmt.Sprint(codes) != "[200 200 200 200 429 429]" {
		t.Errorf("Open311 statuses across two instances: %v, want 4 × 200 then 429", codes)
	}

	// 7. A category added through one instance is served by the other within seconds.
	cat, _ := json.Marshal(map[string]any{"code": "E0198", "kind": "event", "name_zh": "集群测试", "name_en": "Cluster test",
		"urgent_hours": 2, "normal_hours": 24, "duty": "sanitation", "enabled": true})
	if st := call(client, one, "POST", "/api/v1/categories", f.Tokens["admin"], cat, nil); st/100 != 2 {
		t.Fatalf("add category on %s: %d", one.name, st)
	}
	added := time.Now()
	for {
		var cats struct{ Items []struct{ Code string } }
		call(client, two, "GET", "/api/v1/categories", f.Tokens["admin"], nil, &cats)
		found := false
		for _, c := range cats.Items {
			found = found || c.Code == "E0198"
		}
		if found {
			t.Logf("category served by %s %s after it was added on %s", two.name, time.Since(added).Round(time.Millisecond), one.name)
			break
		}
		if time.Since(added) > 5*time.Second {
			t.Errorf("%s does not serve the category added on %s after 5 s", two.name, one.name)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}

	// 8. An instance stopped with SIGTERM in the middle of a run gives the
	// job back at once, saying why.
	var holder *instance
	var heldPeriod string
	for end := time.Now().Add(10 * time.Second); holder == nil && time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		var o string
		db.R.QueryRow(`SELECT owner, period FROM cluster_jobs WHERE name = 'overdue'`).Scan(&o, &heldPeriod)
		for _, in := range live {
			if o != "" && strings.HasPrefix(o, in.name+"-") {
				holder = in
			}
		}
	}
	if holder == nil {
		t.Fatal("no live instance took the overdue job within 10 s")
	}
	holder.cmd.Process.Signal(syscall.SIGTERM)
	if err := holder.cmd.Wait(); err != nil {
		t.Errorf("%s after SIGTERM: %v", holder.name, err)
	}
	holder.dead = true
	var o string
	db.R.QueryRow(`SELECT owner FROM cluster_jobs WHERE name = 'overdue'`).Scan(&o)
	runs := jobRuns(t, db, JobOverdue, heldPeriod)
	if strings.HasPrefix(o, holder.name+"-") || len(runs) == 0 || !strings.HasPrefix(runs[0].Instance, holder.name+"-") || runs[0].Error != "instance shut down" {
		t.Errorf("after SIGTERM of %s: overdue held by %q, attempts at %s: %+v", holder.name, o, heldPeriod, runs)
	}
}

// freshSchema makes a schema of its own for the test and returns the URL that uses it.
func freshSchema(t *testing.T, base string) string { return pgtest.Schema(t, base) }

var servingRe = regexp.MustCompile(`serving on (http://\S+)`)

// start runs `xiuhua serve` on a free port and waits until it says where.
func start(t *testing.T, bin, name string, env []string) *instance {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(env, "XIUHUA_INSTANCE="+name+"-test")
	out := &bytes.Buffer{}
	cmd.Stderr = out
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in := &instance{name: name, cmd: cmd, out: out}
	got := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingRe.FindStringSubmatch(sc.Text()); m != nil {
				got <- m[1]
			}
		}
	}()
	select {
	case in.url = <-got:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%s did not start:\n%s", name, out.String())
	}
	return in
}

// call sends a JSON request with a bearer token and decodes the answer into
// v; it returns the status, 0 when the instance did not answer.
func call(c *http.Client, in *instance, method, path, token string, body []byte, v any) int {
	req, _ := http.NewRequest(method, in.url+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil && !strings.HasSuffix(path, "/blobs") {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if v != nil && resp.StatusCode/100 == 2 {
		json.NewDecoder(resp.Body).Decode(v)
	}
	return resp.StatusCode
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signIn signs in on the console of in with a fresh pre-session and
// returns the status of the POST.
func signIn(t *testing.T, b *http.Client, in *instance, user, pw string) int {
	t.Helper()
	resp, err := b.Get(in.url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRe.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on %s/login", in.url)
	}
	resp, err = b.PostForm(in.url+"/login", url.Values{"_csrf": {string(m[1])}, "username": {user}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// jobRuns lists the attempts at one period of a job, oldest first.
func jobRuns(t *testing.T, db *store.DB, job, period string) []RunInfo {
	t.Helper()
	all, err := Runs(context.Background(), db, job, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []RunInfo
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Period == period {
			out = append(out, all[i])
		}
	}
	return out
}

func grepLines(s string, prefixes ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				out = append(out, l)
			}
		}
	}
	return strings.Join(out, "\n")
}
