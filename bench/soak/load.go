package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/demo"
)

// kind is one kind of request of the mix; do performs one and says what
// it did (a loop step whose pool is empty reads a case instead).
type kind struct {
	name   string
	weight int
	do     func(ctx context.Context) (did string, ok bool, detail string)
}

// load drives the server.
type load struct {
	base    string
	sd      *seeded
	api     *http.Client
	console map[string]*http.Client // signed-in console sessions by username
	kinds   []kind
	total   int
	rng     *mrand.Rand // the scheduler's: which kind comes next
	max     int64

	// pools hold the cases waiting for their next loop step; photos the
	// inspector's uploads waiting to go into a report.
	pools  map[casework.State]chan tracked
	photos chan string
	known  []tracked // cases to read
	photoN atomic.Uint64

	mu       sync.Mutex
	lat      map[string][]time.Duration
	errs     map[string]int
	dropped  map[string]int
	samples  []string
	seen     map[string]bool
	started  atomic.Int64
	failed   atomic.Int64
	inflight atomic.Int64
}

func newLoad(ctx context.Context, cfg Config, sd *seeded, base string, rng *mrand.Rand) (*load, error) {
	tr := &http.Transport{MaxIdleConns: cfg.MaxInflight, MaxIdleConnsPerHost: cfg.MaxInflight, IdleConnTimeout: 90 * time.Second}
	l := &load{base: base, sd: sd, api: &http.Client{Transport: tr, Timeout: 60 * time.Second}, console: map[string]*http.Client{},
		rng: rng, max: int64(cfg.MaxInflight), pools: map[casework.State]chan tracked{}, photos: make(chan string, 1<<14),
		lat: map[string][]time.Duration{}, errs: map[string]int{}, dropped: map[string]int{}, seen: map[string]bool{}}
	for _, st := range []casework.State{casework.Reported, casework.Registered, casework.Dispatched, casework.Handled, casework.Verified} {
		l.pools[st] = make(chan tracked, 1<<17)
		for _, c := range sd.Pools[st] {
			l.pools[st] <- c
			l.known = append(l.known, c)
		}
	}
	for _, who := range []string{"dispatcher", "leader"} {
		c, err := l.signIn(ctx, tr, who)
		if err != nil {
			return nil, fmt.Errorf("console sign-in as %s: %w", who, err)
		}
		l.console[who] = c
	}
	t := true
	// The mix, in percent: a district's day is mostly inspectors' phones
	// (photos, reports, locating) and the loop's steps, the dispatchers' desk
	// and case pages, a few dashboards, and public clients polling Open311.
	l.kinds = []kind{
		{"api.photo POST /blobs", 8, l.uploadPhoto},
		{"api.report POST /cases", 8, l.report},
		{"api.register", 5, l.step(casework.Reported, casework.Registered, "register", func(tracked) (string, casework.Input) { return "dispatcher", casework.Input{} })},
		{"api.dispatch", 5, l.step(casework.Registered, casework.Dispatched, "dispatch", func(c tracked) (string, casework.Input) {
			return "dispatcher", casework.Input{Unit: "320213." + c.Duty}
		})},
		{"api.handle", 5, l.step(casework.Dispatched, casework.Handled, "handle", func(c tracked) (string, casework.Input) {
			h := handlers[c.Duty]
			return h, casework.Input{Note: "已清理整改", Attachments: []string{sd.Photos[h]}}
		})},
		{"api.verify", 4, l.step(casework.Handled, casework.Verified, "verify", func(tracked) (string, casework.Input) {
			return "inspector2", casework.Input{Passed: &t, Note: "现场核查通过", Attachments: []string{sd.Photos["inspector2"]}}
		})},
		{"api.close", 4, l.step(casework.Verified, casework.Closed, "close", func(tracked) (string, casework.Input) {
			return "dispatcher", casework.Input{Note: "核查通过，予以结案"}
		})},
		{"api.list GET /cases", 10, l.listCases},
		{"api.get GET /cases/{id}", 17, l.getCase},
		{"api.locate", 8, l.locate},
		{"console.desk GET /cases", 8, l.desk},
		{"console.dashboard data", 3, l.dashboard},
		{"open311.list requests.json", 5, l.open311List},
		{"open311.get requests/{id}.json", 10, l.open311Get},
	}
	if cfg.Mix != "" {
		if err := l.setMix(cfg.Mix); err != nil {
			return nil, err
		}
	}
	for _, k := range l.kinds {
		l.total += k.weight
	}
	if l.total == 0 {
		return nil, fmt.Errorf("--mix %q matches no kind of request", cfg.Mix)
	}
	return l, nil
}

// setMix keeps the kinds named in mix ("name=weight,…"), with their weights.
func (l *load) setMix(mix string) error {
	type pair struct {
		name   string
		weight int
	}
	var ps []pair
	for _, part := range strings.Split(mix, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(w)
		if !ok || err != nil || n < 0 || name == "" {
			return fmt.Errorf("--mix: %q is not name=weight", part)
		}
		ps = append(ps, pair{name, n})
	}
	for i := range l.kinds {
		l.kinds[i].weight = 0
		for _, p := range ps {
			if strings.Contains(l.kinds[i].name, p.name) {
				l.kinds[i].weight = p.weight
				break
			}
		}
	}
	return nil
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([0-9a-f]+)"`)

// signIn opens a console session as a demo user, as a browser does.
func (l *load) signIn(ctx context.Context, tr http.RoundTripper, who string) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: tr, Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(l.base + "/login")
	if err != nil {
		return nil, err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRE.FindSubmatch(page)
	if m == nil {
		return nil, fmt.Errorf("no CSRF token on the sign-in page (%d)", resp.StatusCode)
	}
	form := url.Values{"username": {who}, "password": {demo.Password}, "_csrf": {string(m[1])}, "next": {"/"}}
	resp, err = c.PostForm(l.base+"/login", form)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign-in answered %d", resp.StatusCode)
	}
	return c, nil
}

// run starts requests at rate for d, open loop, and waits for the last answer.
func (l *load) run(ctx context.Context, rate float64, d time.Duration) {
	start := time.Now()
	n := int(d.Seconds() * rate)
	var wg sync.WaitGroup
	for i := range n {
		due := start.Add(time.Duration(float64(i) * float64(time.Second) / rate))
		if w := time.Until(due); w > 0 {
			time.Sleep(w)
		}
		if ctx.Err() != nil {
			break
		}
		k := l.pick()
		l.started.Add(1)
		if l.inflight.Load() >= l.max {
			l.drop(k.name)
			continue
		}
		l.inflight.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer l.inflight.Add(-1)
			did, ok, detail := k.do(ctx)
			l.record(did, time.Since(due), ok, detail)
		}()
	}
	wg.Wait()
}

func (l *load) pick() kind {
	x := l.rng.IntN(l.total)
	for _, k := range l.kinds {
		if x < k.weight {
			return k
		}
		x -= k.weight
	}
	return l.kinds[len(l.kinds)-1]
}

// drop counts a request that was due while too many were in flight: an
// error without a latency (it was never sent).
func (l *load) drop(kind string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dropped[kind]++
	l.failed.Add(1)
	l.note(kind, "dropped: too many requests in flight")
}

func (l *load) record(kind string, lat time.Duration, ok bool, detail string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lat[kind] = append(l.lat[kind], lat)
	if !ok {
		l.failed.Add(1)
		l.errs[kind]++
		l.note(kind, detail)
	}
}

// note keeps a sample of distinct errors; l.mu is held.
func (l *load) note(kind, detail string) {
	key := kind + ": " + detail
	if len(key) > 300 {
		key = key[:300]
	}
	if !l.seen[key] && len(l.samples) < 20 {
		l.seen[key] = true
		l.samples = append(l.samples, key)
	}
}

func (l *load) stats() ([]Stats, Stats, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Stats
	var all []time.Duration
	errs := 0
	dropped := 0
	for _, k := range l.kinds {
		lat := l.lat[k.name]
		if len(lat) == 0 && l.dropped[k.name] == 0 {
			continue
		}
		all = append(all, lat...)
		errs += l.errs[k.name]
		dropped += l.dropped[k.name]
		out = append(out, summarize(k.name, lat, l.errs[k.name], l.dropped[k.name]))
	}
	return out, summarize("all", all, errs, dropped), l.samples
}

// call sends one request and reads the whole answer.
func (l *load) call(ctx context.Context, c *http.Client, token, method, path, ct string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, l.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// answer judges a call: 2xx is success.
func answer(st int, b []byte, err error) (bool, string) {
	if err != nil {
		return false, err.Error()
	}
	if st/100 != 2 {
		return false, fmt.Sprintf("%d %s", st, bytes.TrimSpace(b))
	}
	return true, ""
}

// caseAnswer is the part of a case the load follows.
type caseAnswer struct {
	ID      int64  `json:"id"`
	Code    string `json:"code"`
	Version int    `json:"version"`
	State   string `json:"state"`
}

func (l *load) uploadPhoto(ctx context.Context) (string, bool, string) {
	n := l.photoN.Add(1)
	st, b, err := l.call(ctx, l.api, l.sd.Tokens["inspector"], "POST", "/api/v1/blobs", "image/png", photoBytes(0x55, n))
	ok, detail := answer(st, b, err)
	if ok {
		var out struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(b, &out) == nil && out.ID != "" {
			select {
			case l.photos <- out.ID:
			default:
			}
		}
	}
	return "api.photo POST /blobs", ok, detail
}

func (l *load) report(ctx context.Context) (string, bool, string) {
	photo := l.sd.Photos["inspector"]
	select {
	case photo = <-l.photos:
	default:
	}
	code := l.sd.CodeList[mrand.IntN(len(l.sd.CodeList))]
	pt := l.sd.Points[mrand.IntN(len(l.sd.Points))]
	body, _ := json.Marshal(map[string]any{"category": code, "description": "压测上报：人行道暴露垃圾，未及时清运", "lat": pt[1], "lon": pt[0],
		"source": "inspector", "urgency": "normal", "address": "清扬路" + strconv.Itoa(1+mrand.IntN(300)) + "号附近", "attachments": []string{photo}})
	st, b, err := l.call(ctx, l.api, l.sd.Tokens["inspector"], "POST", "/api/v1/cases", "application/json", body)
	ok, detail := answer(st, b, err)
	if ok {
		var c caseAnswer
		if json.Unmarshal(b, &c) == nil {
			l.push(casework.Reported, tracked{ID: c.ID, Code: c.Code, Version: c.Version, Duty: l.sd.Codes[code]})
		}
	}
	return "api.report POST /cases", ok, detail
}

func (l *load) push(st casework.State, c tracked) {
	if p, ok := l.pools[st]; ok {
		select {
		case p <- c:
		default:
		}
	}
}

// step takes a case waiting in from, acts on it, and puts it where it goes;
// with none waiting it reads a case instead.
func (l *load) step(from, to casework.State, action string, in func(tracked) (string, casework.Input)) func(context.Context) (string, bool, string) {
	return func(ctx context.Context) (string, bool, string) {
		var c tracked
		select {
		case c = <-l.pools[from]:
		default:
			return l.getCase(ctx)
		}
		who, input := in(c)
		input.Version = c.Version
		body, _ := json.Marshal(input)
		st, b, err := l.call(ctx, l.api, l.sd.Tokens[who], "POST", "/api/v1/cases/"+strconv.FormatInt(c.ID, 10)+"/"+action, "application/json", body)
		ok, detail := answer(st, b, err)
		if ok {
			var out caseAnswer
			if json.Unmarshal(b, &out) == nil && out.State == string(to) {
				c.Version = out.Version
				l.push(to, c)
			} else {
				ok, detail = false, fmt.Sprintf("%s answered state %q, want %s", action, out.State, to)
			}
		}
		return "api." + action, ok, detail
	}
}

func (l *load) someCase() tracked {
	if len(l.known) == 0 {
		return tracked{ID: 1, Code: "1"}
	}
	return l.known[mrand.IntN(len(l.known))]
}

var listQueries = []string{"", "?state=reported", "?state=dispatched&limit=20", "?overdue=true", "?category=E0102", "?territory=320213022"}

func (l *load) listCases(ctx context.Context) (string, bool, string) {
	st, b, err := l.call(ctx, l.api, l.sd.Tokens["dispatcher"], "GET", "/api/v1/cases"+listQueries[mrand.IntN(len(listQueries))], "", nil)
	ok, detail := answer(st, b, err)
	return "api.list GET /cases", ok, detail
}

func (l *load) getCase(ctx context.Context) (string, bool, string) {
	id := 1 + mrand.IntN(l.sd.Cases)
	st, b, err := l.call(ctx, l.api, l.sd.Tokens["dispatcher"], "GET", "/api/v1/cases/"+strconv.Itoa(id), "", nil)
	ok, detail := answer(st, b, err)
	return "api.get GET /cases/{id}", ok, detail
}

func (l *load) locate(ctx context.Context) (string, bool, string) {
	pt := l.sd.Points[mrand.IntN(len(l.sd.Points))]
	path := fmt.Sprintf("/api/v1/territory/locate?lat=%.6f&lon=%.6f", pt[1], pt[0])
	st, b, err := l.call(ctx, l.api, l.sd.Tokens["inspector"], "GET", path, "", nil)
	ok, detail := answer(st, b, err)
	return "api.locate", ok, detail
}

var deskQueries = []string{"", "", "?state=reported", "?state=dispatched", "?overdue=1", "?page=2"}

func (l *load) desk(ctx context.Context) (string, bool, string) {
	st, b, err := l.call(ctx, l.console["dispatcher"], "", "GET", "/cases"+deskQueries[mrand.IntN(len(deskQueries))], "", nil)
	ok, detail := answer(st, b, err)
	if ok && !bytes.Contains(b, []byte("<table")) {
		ok, detail = false, "the desk has no table of cases"
	}
	return "console.desk GET /cases", ok, detail
}

func (l *load) dashboard(ctx context.Context) (string, bool, string) {
	st, b, err := l.call(ctx, l.console["leader"], "", "GET", "/dashboard/data.json", "", nil)
	ok, detail := answer(st, b, err)
	return "console.dashboard data", ok, detail
}

var open311Queries = []string{"", "?status=open", "?service_code=E0102", "?page_size=20&page=2", "?status=closed&locale=en"}

func (l *load) open311List(ctx context.Context) (string, bool, string) {
	st, b, err := l.call(ctx, l.api, "", "GET", "/open311/v2/requests.json"+open311Queries[mrand.IntN(len(open311Queries))], "", nil)
	ok, detail := answer(st, b, err)
	return "open311.list requests.json", ok, detail
}

func (l *load) open311Get(ctx context.Context) (string, bool, string) {
	c := l.someCase()
	st, b, err := l.call(ctx, l.api, "", "GET", "/open311/v2/requests/"+url.PathEscape(c.Code)+".json", "", nil)
	ok, detail := answer(st, b, err)
	if ok && !strings.Contains(string(b), c.Code) {
		ok, detail = false, "the answer does not name the request"
	}
	return "open311.get requests/{id}.json", ok, detail
}
