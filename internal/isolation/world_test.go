// Package isolation_test proves, over the whole server as cmd/xiuhua
// composes it, that no actor reads or writes outside its territory, that
// the public doors reveal no contact details or internal notes, and the
// security basics of every door (issue 6, items 2 and 8).
package isolation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/xiuhua/xiuhua/internal/api"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/open311"
	"github.com/xiuhua/xiuhua/internal/portal"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/web"
)

// handler is cmd/xiuhua/handler.go's handler, copied line for line: it is
// unexported in package main, which a test cannot import.
func handler(a *app.App, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	apiSrv := api.New(a, log)
	mux.Handle("/api/", apiSrv)
	mux.Handle("/healthz", apiSrv)
	mux.Handle("/metrics", apiSrv)
	mux.Handle(open311.Prefix, open311.New(a, log))
	mux.Handle(portal.Prefix, portal.New(a, log))
	mux.Handle("/", web.New(a, log))
	return mux
}

// password is every fixture user's console password here.
const password = "isolation-test-2026"

// syncBuf collects the server's log across goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// world is the whole server over the fixture on one store.
type world struct {
	t    *testing.T
	f    *apptest.Fixture
	srv  *httptest.Server
	log  *syncBuf
	keys map[string]string // Open311 keys by name
	// secrets are every token, key, password, session id and CSRF token
	// issued during the run: none may reach the log.
	secrets []string
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	f := apptest.New(t, db)
	// A leader of the other street: the fixture's leader sees the whole district.
	tok, err := f.App.AddUser(ctx, auth.User{Username: "leader-jx", Role: auth.Leader, Scope: "320213023"}, "")
	if err != nil {
		t.Fatal(err)
	}
	actor, err := f.App.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	f.Tokens["leader-jx"], f.Actors["leader-jx"] = tok, actor
	hash := auth.HashPasswordWith(password, auth.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	w := &world{t: t, f: f, log: &syncBuf{}, keys: map[string]string{}}
	for name := range f.Tokens {
		if err := db.SetPassword(ctx, name, hash); err != nil {
			t.Fatal(err)
		}
		w.secrets = append(w.secrets, f.Tokens[name])
	}
	w.secrets = append(w.secrets, password)
	for name, scope := range map[string]string{"qmq": "320213022", "city": ""} {
		_, secret, err := open311.AddKey(ctx, f.App, name, scope)
		if err != nil {
			t.Fatal(err)
		}
		w.keys[name] = secret
		w.secrets = append(w.secrets, secret)
	}
	log := slog.New(slog.NewTextHandler(w.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w.srv = httptest.NewServer(handler(f.App, log))
	t.Cleanup(w.srv.Close)
	return w
}

// resp is an answer.
type resp struct {
	status int
	header http.Header
	body   string
}

// client is one caller: a bearer token, or a browser with cookies.
type client struct {
	w      *world
	hc     *http.Client
	bearer string
	csrf   string // console CSRF token once signed in
}

func (w *world) client(bearer string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{w: w, bearer: bearer, hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path, ctype string, body io.Reader) resp {
	c.w.t.Helper()
	req, err := http.NewRequest(method, c.w.srv.URL+path, body)
	if err != nil {
		c.w.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	r, err := c.hc.Do(req)
	if err != nil {
		c.w.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{r.StatusCode, r.Header, string(b)}
}

func (c *client) get(path string) resp { return c.do("GET", path, "", nil) }

func (c *client) postJSON(path string, v any) resp {
	b, _ := json.Marshal(v)
	return c.do("POST", path, "application/json", bytes.NewReader(b))
}

func (c *client) postForm(path string, v url.Values) resp {
	return c.do("POST", path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
}

var (
	consoleCSRF = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	portalCSRF  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

func match(t *testing.T, re *regexp.Regexp, r resp) string {
	t.Helper()
	m := re.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no CSRF token in the page (status %d): %.300s", r.status, r.body)
	}
	return m[1]
}

// login signs a browser in to the console.
func (w *world) login(username string) *client {
	w.t.Helper()
	c := w.client("")
	tok := match(w.t, consoleCSRF, c.get("/login"))
	r := c.postForm("/login", url.Values{"_csrf": {tok}, "username": {username}, "password": {password}, "next": {"/cases"}})
	if r.status != http.StatusSeeOther {
		w.t.Fatalf("sign-in of %s: %d %.300s", username, r.status, r.body)
	}
	c.csrf = match(w.t, consoleCSRF, c.get("/cases"))
	u, _ := url.Parse(w.srv.URL)
	for _, ck := range c.hc.Jar.Cookies(u) {
		w.secrets = append(w.secrets, ck.Value)
	}
	w.secrets = append(w.secrets, tok, c.csrf)
	return c
}

// report puts a case with a photo in the ledger and moves it on.
func (w *world) report(who string, pt [2]float64, desc, photoTag string) (casework.Case, string) {
	w.t.Helper()
	lon, lat := pt[0], pt[1]
	ph := w.f.Photo(w.t, photoTag)
	c, err := w.f.App.Cases.Report(context.Background(), w.f.Actors[who], casework.ReportInput{
		Category: "E0102", Description: desc, Lon: &lon, Lat: &lat, Attachments: []string{ph}})
	if err != nil {
		w.t.Fatal(err)
	}
	return c, ph
}

func (w *world) act(who string, c casework.Case, a casework.Action, in casework.Input) casework.Case {
	w.t.Helper()
	in.Version = c.Version
	c, err := w.f.App.Cases.Act(context.Background(), w.f.Actors[who], c.ID, a, in)
	if err != nil {
		w.t.Fatalf("%s %s: %v", who, a, err)
	}
	return c
}

// version is a case's version as the ledger holds it.
func (w *world) version(id int64) int {
	w.t.Helper()
	c, _, err := w.f.App.Cases.Get(context.Background(), auth.Actor{Role: auth.Admin, Username: "isolation"}, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return c.Version
}

// multipartBody is a form with one file of n bytes under field.
func multipartBody(fields url.Values, field string, n int) (string, *bytes.Buffer) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile(field, "big.png")
	fw.Write(apptest.PNG)
	fw.Write(make([]byte, n))
	mw.Close()
	return mw.FormDataContentType(), &buf
}

// checkLog fails the test when the server logged any secret issued in the
// run, and, when mustLog, when it logged nothing (then the check proves
// nothing).
func (w *world) checkLog(t *testing.T, mustLog bool) {
	t.Helper()
	log := w.log.String()
	if mustLog && log == "" {
		t.Error("the server logged nothing: the secret check cannot be trusted")
	}
	for _, s := range w.secrets {
		if len(s) >= 8 && strings.Contains(log, s) {
			i := strings.Index(log, s)
			t.Errorf("the log holds a secret (%d chars) near %q", len(s), log[max(0, i-200):i])
		}
	}
	t.Logf("log: %d bytes checked for %d secrets", len(log), len(w.secrets))
}
