package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
)

// testPassword is every fixture user's password in these tests.
const testPassword = "xiuhua-test-2026"

// cheapHash is testPassword hashed with small argon2id parameters, shared
// by all fixture users so a test does not spend seconds hashing. The first
// sign-in of each user upgrades it to the defaults (auth.NeedsRehash).
var cheapHash = sync.OnceValue(func() string {
	return auth.HashPasswordWith(testPassword, auth.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
})

// testStart is the tests' "now": Wednesday 2026-11-25 10:00 in Wuxi, a
// workday with office hours 09:00–12:00 and 13:00–18:00.
var testStart = time.Date(2026, 11, 25, 10, 0, 0, 0, shanghai)

// env is a console over the apptest fixture on one store.
type env struct {
	t   *testing.T
	f   *apptest.Fixture
	srv *httptest.Server
	web *Server

	mu  sync.Mutex
	now time.Time
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	f := apptest.New(t, db)
	for _, u := range apptest.Users {
		if err := db.SetPassword(context.Background(), u.Username, cheapHash()); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{t: t, f: f, now: testStart}
	e.web = New(f.App, slog.New(slog.NewTextHandler(io.Discard, nil)))
	// One clock for the console and the case loop, so deadlines and the
	// time left on them can be worked out by hand.
	e.web.Now = e.clock
	f.App.Cases.Now = e.clock
	e.srv = httptest.NewServer(e.web)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

// advance moves the console's clock (sessions and lockout read it).
func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// report puts a case in the ledger directly through the case service.
func (e *env) report(who string, pt [2]float64, cat, desc string) casework.Case {
	e.t.Helper()
	lon, lat := pt[0], pt[1]
	c, err := e.f.App.Cases.Report(context.Background(), e.f.Actors[who], casework.ReportInput{Category: cat, Description: desc, Lon: &lon, Lat: &lat})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// act moves a case directly through the case service.
func (e *env) act(who string, c casework.Case, a casework.Action, in casework.Input) casework.Case {
	e.t.Helper()
	in.Version = c.Version
	c, err := e.f.App.Cases.Act(context.Background(), e.f.Actors[who], c.ID, a, in)
	if err != nil {
		e.t.Fatalf("%s %s: %v", who, a, err)
	}
	return c
}

// client is one browser: a cookie jar, redirects not followed so tests see them.
type client struct {
	e    *env
	hc   *http.Client
	lang string // Accept-Language
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	body   string
	header http.Header
}

func (p page) location() string { return p.header.Get("Location") }

func (c *client) do(req *http.Request) page {
	c.e.t.Helper()
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, string(b), resp.Header}
}

func (c *client) get(path string) page {
	c.e.t.Helper()
	req, _ := http.NewRequest("GET", c.e.srv.URL+path, nil)
	return c.do(req)
}

func (c *client) post(path string, form url.Values) page {
	c.e.t.Helper()
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// postFiles posts a multipart form with photos under "photos".
func (c *client) postFiles(path string, form url.Values, photos ...[]byte) page {
	c.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for i, p := range photos {
		fw, _ := mw.CreateFormFile("photos", "photo"+string(rune('a'+i))+".png")
		fw.Write(p)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([0-9a-f]+)"`)

// csrf reads the CSRF token from a page's forms.
func csrf(t *testing.T, p page) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token on the page (status %d): %.400s", p.status, p.body)
	}
	return m[1]
}

// login signs in through the form and fails the test unless it worked.
func (c *client) login(username string) {
	c.e.t.Helper()
	p := c.tryLogin(username, testPassword)
	if p.status != http.StatusSeeOther {
		c.e.t.Fatalf("sign-in of %s: status %d: %s", username, p.status, alert(p.body))
	}
}

func (c *client) tryLogin(username, password string) page {
	c.e.t.Helper()
	lp := c.get("/login")
	if lp.status == http.StatusSeeOther {
		lp = c.get("/cases") // signed in already: any page has the token
	}
	return c.post("/login", url.Values{"_csrf": {csrf(c.e.t, lp)}, "username": {username}, "password": {password}, "next": {"/cases"}})
}

// token reads a CSRF token from any signed-in page.
func (c *client) token() string {
	c.e.t.Helper()
	return csrf(c.e.t, c.get("/cases"))
}

func (c *client) cookie(name string) *http.Cookie {
	u, _ := url.Parse(c.e.srv.URL)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

var alertRE = regexp.MustCompile(`(?s)role="alert">(?:<p>)?(.*?)</`)

// alert returns the text of a page's error box ("" when none).
func alert(body string) string {
	m := alertRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}

// photo is a distinct small PNG.
func photo(tag string) []byte { return append(append([]byte{}, apptest.PNG...), tag...) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
