// Package web is the browser console: server-rendered pages (html/template)
// for the case desk of the command centre and the phone screens of
// inspectors, with a little JavaScript where the browser is the point (device
// location, category search, photo previews). Chinese first, English on a
// switch. Templates, scripts, styles and locales are embedded.
//
// Every page but the sign-in page has a signed-in actor; every POST carries
// the session's CSRF token, checked in one place (ServeHTTP); reads and
// actions go through the same app services as the JSON API, scoped to the
// actor's territory.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/reqtext"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Server serves the console.
type Server struct {
	App *app.App
	Log *slog.Logger
	// SecureCookies marks cookies Secure even on plain-HTTP requests: set it
	// (XIUHUA_SECURE_COOKIES=true) behind a proxy that terminates TLS.
	SecureCookies bool
	// IdleTimeout ends a session not used for this long; MaxAge ends any
	// session this long after sign-in (one working shift).
	IdleTimeout, MaxAge time.Duration
	// Now is the clock (tests move it).
	Now func() time.Time
	// TileURL is the map's basemap, a Leaflet tile URL template such as a
	// city's own tile server or 天地图 (XIUHUA_TILE_URL); empty shows the
	// territory outlines alone. TileAttribution credits it.
	TileURL, TileAttribution string
	// Instance names this server in the hotline imports it runs (default: host-pid-random).
	Instance string

	mux   *http.ServeMux
	pages map[string]map[string]*pageTemplate // lang → page → template
	// hashing bounds how many password hashes run at once: each takes
	// 19 MiB, and a burst of sign-ins must not exhaust memory.
	hashing chan struct{}
	dash    dashCache   // the dashboard's figures, a few seconds old at most (dashcache.go)
	ended   endedCounts // the desk's counts of ended cases, 30 s old at most (deskcounts.go)
}

// Session lifetimes and lockout rules.
const (
	DefaultIdleTimeout = 2 * time.Hour
	DefaultMaxAge      = 12 * time.Hour
	// touchEvery limits last-seen writes to one a minute per session.
	touchEvery = time.Minute
	// MaxFailures failed sign-ins for one username within LockWindow lock
	// it for LockFor.
	MaxFailures = 5
	LockWindow  = 15 * time.Minute
	LockFor     = 15 * time.Minute
)

// Upload limits of one form: photos are checked one by one by internal/blob.
const (
	maxPhotos    = 6
	maxFormBytes = maxPhotos*(10<<20) + 1<<20
	maxPlainForm = 64 << 10
)

// New builds the console on an app. Cookies are Secure on TLS requests, and
// on every request when XIUHUA_SECURE_COOKIES is true.
func New(a *app.App, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	secure, _ := strconv.ParseBool(os.Getenv("XIUHUA_SECURE_COOKIES"))
	s := &Server{App: a, Log: log, SecureCookies: secure, IdleTimeout: DefaultIdleTimeout, MaxAge: DefaultMaxAge,
		Now: time.Now, mux: http.NewServeMux(), hashing: make(chan struct{}, max(2, runtime.NumCPU())),
		TileURL: os.Getenv("XIUHUA_TILE_URL"), TileAttribution: os.Getenv("XIUHUA_TILE_ATTRIBUTION")}
	s.pages = mustParseTemplates(s)

	s.mux.HandleFunc("GET /static/{path...}", s.static)
	s.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, assetURL("favicon.svg"), http.StatusMovedPermanently)
	})
	s.public("GET /login", s.loginPage)
	s.public("POST /login", s.login)
	s.public("POST /lang", s.setLang)
	s.page("POST /logout", s.logout)
	s.page("GET /{$}", s.home)
	s.page("GET /cases", s.desk)
	s.page("GET /cases/{id}", s.casePage)
	s.page("POST /cases/{id}/{action}", s.act)
	s.page("GET /report", s.reportPage)
	s.page("POST /report", s.report)
	s.page("GET /mine", s.mine)
	s.page("GET /nearby", s.nearby)
	s.page("GET /locate", s.locate)
	s.page("GET /photos/{id}", s.photo)
	s.page("GET /map", s.mapPage)
	s.page("GET /map/areas.json", s.mapAreas)
	s.page("GET /map/cases.json", s.mapCases)
	s.page("GET /dashboard", s.dashboardPage)
	s.page("GET /dashboard/data.json", s.dashboardData)
	s.page("GET /dashboard/{file}", s.dashboardFile)
	s.assessRoutes()
	s.assessUnitsRoutes()
	s.hotlineRoutes()
	s.planRoutes()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		q := s.request(w, r)
		s.fail(w, r, q, xiuhua.Errorf(xiuhua.ENotFound, "no such page", "页面不存在"))
	})
	return s
}

// request is what a handler knows of the request: who (sess nil when
// signed out), in which language, and the CSRF token its forms carry.
type request struct {
	sess  *store.WebSession
	actor auth.Actor
	lang  string
	csrf  string
	rid   string
	// flashErr is shown above a page rendered again after a refused form.
	flashErr *xiuhua.Error
	// here is the page a POST that renders stands for (the language
	// switch returns there); "" for the request's own path.
	here string
	// styles and scripts a page adds to the layout's (static file names).
	styles, scripts []string
}

type ctxKey struct{}

// handlerFunc is a console handler; a returned error is rendered as a page.
type handlerFunc func(http.ResponseWriter, *http.Request, *request) error

// public registers a page that needs no sign-in.
func (s *Server) public(pattern string, fn handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		q := s.request(w, r)
		if err := fn(w, r, q); err != nil {
			s.fail(w, r, q, err)
		}
	})
}

// page registers a page that needs a signed-in actor: without one, a GET is
// sent to the sign-in page and back, anything else is refused.
func (s *Server) page(pattern string, fn handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		q := s.request(w, r)
		if q.sess == nil {
			if r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/photos/") && r.URL.Path != "/locate" && !strings.HasPrefix(r.URL.Path, "/map/") {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.fail(w, r, q, xiuhua.Errorf(xiuhua.EUnauthorized, "your session has ended: sign in again", "登录已失效，请重新登录"))
			return
		}
		if err := fn(w, r, q); err != nil {
			s.fail(w, r, q, err)
		}
	})
}

func (s *Server) request(w http.ResponseWriter, r *http.Request) *request {
	if q, ok := r.Context().Value(ctxKey{}).(*request); ok {
		return q
	}
	return &request{lang: "zh"}
}

// ServeHTTP sets the security headers, resolves the session and the
// language, checks the CSRF token of every POST, and recovers from panics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rid := newID(8)
	h := w.Header()
	h.Set("X-Request-Id", rid)
	h.Set("Content-Security-Policy", s.policy())
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "geolocation=(self), camera=(self), microphone=(), payment=()")
	if s.secure(r) {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	if strings.HasPrefix(r.URL.Path, "/static/") {
		s.mux.ServeHTTP(w, r)
		return
	}
	// Pages hold ledger data: never cached by the browser or a proxy.
	h.Set("Cache-Control", "no-store")
	q := &request{rid: rid}
	defer func() {
		if p := recover(); p != nil {
			s.Log.Error("panic", "request_id", rid, "method", r.Method, "path", r.URL.Path, "panic", p)
			s.fail(w, r, q, xiuhua.Internal(errors.New("panic")))
		}
	}()
	if err := reqtext.Check(r); err != nil {
		s.fail(w, r, q, err)
		return
	}
	if err := s.loadSession(w, r, q); err != nil {
		s.fail(w, r, q, err)
		return
	}
	q.lang = s.chooseLang(r, q)
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, q))
	if r.Method == http.MethodPost {
		if err := s.checkPost(w, r, q); err != nil {
			s.fail(w, r, q, err)
			return
		}
		defer func() {
			if r.MultipartForm != nil {
				r.MultipartForm.RemoveAll()
			}
		}()
	}
	s.mux.ServeHTTP(w, r)
}

// policy is the Content-Security-Policy: scripts, styles and images from
// the console itself only (and the map's tile server, when one is set), no
// inline script or style, no framing. blob: images are the previews of
// photos about to be uploaded.
func (s *Server) policy() string {
	img := "'self' blob: data:"
	if o := tileOrigin(s.TileURL); o != "" {
		img += " " + o
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src " + img + "; connect-src 'self'; " +
		"font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}

// checkPost reads the form of a POST within its size limit and checks its
// CSRF token: the session's, or before sign-in the pre-session cookie's.
func (s *Server) checkPost(w http.ResponseWriter, r *http.Request, q *request) error {
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/form-data") {
		if q.sess == nil {
			// Only signed-in people upload: refuse before reading the body.
			return xiuhua.Errorf(xiuhua.EUnauthorized, "your session has ended: sign in again", "登录已失效，请重新登录")
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return formError(err)
		}
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, maxPlainForm)
		if err := r.ParseForm(); err != nil {
			return formError(err)
		}
	}
	want := q.csrf
	if want == "" || !constantEqual(r.PostFormValue("_csrf"), want) {
		return xiuhua.Errorf(xiuhua.EForbidden, "the form has expired or did not come from this site: reload the page and try again",
			"表单已过期或来源不明，请刷新页面后重试")
	}
	return reqtext.Check(r)
}

func formError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		// The same limit serves photo forms and file imports (hotline CSV,
		// inspection points), so the message names both.
		mb := maxFormBytes >> 20
		return xiuhua.Errorf(xiuhua.ETooLarge, "the upload is too large: at most %d MB in one form (up to %d photos of 10 MB each, or one file; split a larger import)",
			"提交内容过大：一次最多 %d MB（最多 %d 张照片，每张不超过 10 MB，或一个文件；更大的导入文件请拆分）", mb, maxPhotos)
	}
	return xiuhua.Errorf(xiuhua.EInvalid, "the form could not be read", "无法读取表单内容")
}

var statusOf = map[xiuhua.Code]int{
	xiuhua.EInvalid: 400, xiuhua.EUnauthorized: 401, xiuhua.EForbidden: 403, xiuhua.ENotFound: 404,
	xiuhua.EConflict: 409, xiuhua.ETooLarge: 413, xiuhua.EUnsupported: 415, xiuhua.EUnprocessable: 422,
	xiuhua.ETooMany: 429, xiuhua.EInternal: 500,
}

func status(err error) int {
	if st := statusOf[xiuhua.ErrorCode(err)]; st != 0 {
		return st
	}
	return 500
}

// fail renders an error page in the request's language.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, q *request, err error) {
	e := xiuhua.AsError(err)
	if errors.Is(err, context.Canceled) {
		e = xiuhua.Errorf(xiuhua.EInvalid, "request cancelled", "请求已取消")
	}
	st := status(e)
	if st >= 500 {
		// The detail goes to the log with the request id; the person sees the id only.
		s.Log.Error("request failed", "request_id", q.rid, "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if q.lang == "" {
		q.lang = "zh"
	}
	s.render(w, r, q, st, "error", "", errorView{Err: e, Status: st, RequestID: q.rid, SignIn: st == 401})
}

type errorView struct {
	Err       *xiuhua.Error
	Status    int
	RequestID string
	SignIn    bool
}

// home sends each role to where its work starts.
func (s *Server) home(w http.ResponseWriter, r *http.Request, q *request) error {
	to := "/cases"
	if q.actor.Role == auth.Inspector {
		to = "/report"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (s *Server) secure(r *http.Request) bool { return s.SecureCookies || r.TLS != nil }

// newID returns n random bytes in hex.
func newID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// localPath keeps a post-sign-in destination on this site: a path, never
// "//host" or "/\host", which browsers read as another site.
func localPath(p string) string {
	if p == "" || p[0] != '/' || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return "/"
	}
	return p
}
