// Package portal is the citizen portal under /public/: a phone-first web
// form to report a problem without an account (a map pin or the phone's
// location, a category, a description, up to three photos, an optional name
// and phone kept private), a tracking page reached by a random tracking
// code that shows only the public part of the case's history, and, once the
// case is closed, a satisfaction rating (满意/基本满意/不满意) that, when
// unsatisfied, reports a follow-up case linked to the closed one for review.
//
// It has its own templates, styles, script, locales (Chinese first, English
// on a switch) and a copy of Leaflet, all embedded, so that the staff
// console can change without breaking it. Reports are made by the system
// actor "portal" (auth.SystemActor) with source citizen and no reporter
// user. Abuse limits: a per-IP rate limit (open311's limiter) on every POST
// and, more loosely, on every page, a honeypot field, a CSRF token bound to
// a cookie, and upload size, count and type limits. Photos are decoded and
// re-encoded, which drops EXIF (location, camera) and PNG text chunks, both
// when stored and again whenever one is shown publicly.
package portal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/open311"
	"github.com/xiuhua/xiuhua/internal/reqtext"
)

// Prefix is where the portal is mounted.
const Prefix = "/public/"

// Config holds the portal's limits. ConfigFromEnv reads them; a Server's
// Config may be changed before it serves.
type Config struct {
	// PostLimit bounds the POSTs (reports, ratings) of one client address;
	// PageLimit bounds every request of one address (it stops guessing
	// tracking codes). Rates are per second. XIUHUA_PORTAL_RATE and
	// XIUHUA_PORTAL_BURST (posts: per hour and burst), XIUHUA_PORTAL_PAGE_RATE
	// and XIUHUA_PORTAL_PAGE_BURST (pages: per minute and burst). 0 turns a limit off.
	PostLimit, PageLimit open311.Limit
	// TrustProxy takes the client address from the last X-Forwarded-For
	// entry: only behind one reverse proxy that sets it. XIUHUA_PORTAL_TRUST_PROXY.
	TrustProxy bool
	// MaxPhotos and MaxPhotoBytes bound the photos of one report; MaxPixels
	// bounds a photo's width×height (decoding allocates 4 bytes a pixel).
	// XIUHUA_PORTAL_MAX_PHOTOS, XIUHUA_PORTAL_MAX_PHOTO_BYTES, XIUHUA_PORTAL_MAX_PIXELS.
	MaxPhotos     int
	MaxPhotoBytes int64
	MaxPixels     int
	// MaxDescription bounds a description in characters.
	MaxDescription int
	// Center and Zoom are where the report map opens (lon, lat).
	// XIUHUA_PORTAL_CENTER ("lon,lat"), XIUHUA_PORTAL_ZOOM.
	Center [2]float64
	Zoom   int
	// TileURL and TileAttribution are the basemap (XIUHUA_TILE_URL,
	// XIUHUA_TILE_ATTRIBUTION, the console's settings); without a tile URL
	// the map is a plain canvas to pin on.
	TileURL, TileAttribution string
	// SecureCookies marks cookies Secure on plain HTTP (behind a TLS proxy).
	// XIUHUA_SECURE_COOKIES.
	SecureCookies bool
}

// DefaultConfig is the configuration without environment: 10 posts an hour
// (burst 5) and 60 pages a minute (burst 60) per address, 3 photos of at
// most 5 MiB and 40 megapixels each, descriptions of at most 1000
// characters, a map on central Wuxi.
func DefaultConfig() Config {
	return Config{
		PostLimit:      open311.Limit{Rate: 10.0 / 3600, Burst: 5},
		PageLimit:      open311.Limit{Rate: 1, Burst: 60},
		MaxPhotos:      3,
		MaxPhotoBytes:  5 << 20,
		MaxPixels:      40_000_000,
		MaxDescription: 1000,
		Center:         [2]float64{120.30, 31.57},
		Zoom:           12,
	}
}

// ConfigFromEnv reads the configuration from the environment over the
// defaults, returning the settings it could not use (their defaults stay).
func ConfigFromEnv(getenv func(string) string) (Config, []string) {
	c := DefaultConfig()
	var probs []string
	num := func(name string, ok func(float64) bool, set func(float64)) {
		v := getenv(name)
		if v == "" {
			return
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || !ok(f) {
			probs = append(probs, fmt.Sprintf("%s=%q is not a usable number", name, v))
			return
		}
		set(f)
	}
	nonNeg := func(f float64) bool { return f >= 0 }
	atLeast1 := func(f float64) bool { return f >= 1 }
	num("XIUHUA_PORTAL_RATE", nonNeg, func(f float64) { c.PostLimit.Rate = f / 3600 })
	num("XIUHUA_PORTAL_BURST", atLeast1, func(f float64) { c.PostLimit.Burst = f })
	num("XIUHUA_PORTAL_PAGE_RATE", nonNeg, func(f float64) { c.PageLimit.Rate = f / 60 })
	num("XIUHUA_PORTAL_PAGE_BURST", atLeast1, func(f float64) { c.PageLimit.Burst = f })
	num("XIUHUA_PORTAL_MAX_PHOTOS", func(f float64) bool { return f >= 0 && f <= 10 }, func(f float64) { c.MaxPhotos = int(f) })
	num("XIUHUA_PORTAL_MAX_PHOTO_BYTES", func(f float64) bool { return f >= 1024 && f <= 10<<20 }, func(f float64) { c.MaxPhotoBytes = int64(f) })
	num("XIUHUA_PORTAL_MAX_PIXELS", func(f float64) bool { return f >= 1 && f <= 100_000_000 }, func(f float64) { c.MaxPixels = int(f) })
	num("XIUHUA_PORTAL_ZOOM", func(f float64) bool { return f >= 1 && f <= 19 }, func(f float64) { c.Zoom = int(f) })
	if v := getenv("XIUHUA_PORTAL_CENTER"); v != "" {
		lonS, latS, _ := strings.Cut(v, ",")
		lon, e1 := strconv.ParseFloat(strings.TrimSpace(lonS), 64)
		lat, e2 := strconv.ParseFloat(strings.TrimSpace(latS), 64)
		if e1 != nil || e2 != nil || math.Abs(lon) > 180 || math.Abs(lat) > 90 {
			probs = append(probs, fmt.Sprintf("XIUHUA_PORTAL_CENTER=%q is not lon,lat", v))
		} else {
			c.Center = [2]float64{lon, lat}
		}
	}
	for name, dst := range map[string]*bool{"XIUHUA_PORTAL_TRUST_PROXY": &c.TrustProxy, "XIUHUA_SECURE_COOKIES": &c.SecureCookies} {
		if v := getenv(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				probs = append(probs, fmt.Sprintf("%s=%q is not true or false", name, v))
				continue
			}
			*dst = b
		}
	}
	c.TileURL, c.TileAttribution = getenv("XIUHUA_TILE_URL"), getenv("XIUHUA_TILE_ATTRIBUTION")
	return c, probs
}

// Server serves the portal.
type Server struct {
	App    *app.App
	Log    *slog.Logger
	Config Config
	// Now is the clock of the rate limits and the records (tests move it).
	Now func() time.Time

	once      sync.Once
	postLimit *open311.Limiter
	pageLimit *open311.Limiter
	mux       *http.ServeMux
}

// actor is who reports and rates through the portal.
var actor = auth.SystemActor("portal", "")

// New builds the portal with the configuration from the environment.
func New(a *app.App, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	c, probs := ConfigFromEnv(os.Getenv)
	for _, p := range probs {
		log.Warn("portal: ignoring a setting, its default stays", "problem", p)
	}
	return &Server{App: a, Log: log, Config: c, Now: time.Now}
}

func (s *Server) init() {
	s.postLimit = open311.NewLimiter(s.Config.PostLimit, s.Now).Shared(s.App.DB, "portal.post")
	s.pageLimit = open311.NewLimiter(s.Config.PageLimit, s.Now).Shared(s.App.DB, "portal.page")
	m := http.NewServeMux()
	m.Handle("GET /public/static/", http.StripPrefix("/public/", http.FileServerFS(staticFS)))
	m.HandleFunc("GET /public/{$}", s.handle(s.reportForm))
	m.HandleFunc("POST /public/report", s.handle(s.report))
	m.HandleFunc("GET /public/track", s.handle(s.trackForm))
	m.HandleFunc("GET /public/t/{code}", s.handle(s.track))
	m.HandleFunc("POST /public/t/{code}/rate", s.handle(s.rate))
	m.HandleFunc("GET /public/t/{code}/photo/{id}", s.handle(s.photo))
	s.projectRoutes(m)
	m.HandleFunc("GET /public/board", s.handle(s.board))
	m.HandleFunc("/public/", s.handle(func(w http.ResponseWriter, r *http.Request, q *request) error {
		return xiuhua.Errorf(xiuhua.ENotFound, "no such page", "页面不存在")
	}))
	s.mux = m
}

// request is what a handler knows of its request beyond http.Request.
type request struct {
	lang string
	csrf string
	// switchURL is this page in the other language.
	switchURL string
}

// ServeHTTP sets the security headers, applies the per-address limits and
// routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.once.Do(s.init)
	h := w.Header()
	h.Set("Content-Security-Policy", s.policy())
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Permissions-Policy", "geolocation=(self), camera=(self), microphone=(), payment=()")
	if strings.HasPrefix(r.URL.Path, Prefix+"static/") {
		s.mux.ServeHTTP(w, r)
		return
	}
	h.Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

// policy allows scripts, styles and images from the portal only (and the
// tile server's images), nothing inline, no framing.
func (s *Server) policy() string {
	img := "'self' blob: data:"
	if u, err := url.Parse(strings.ReplaceAll(s.Config.TileURL, "{s}", "*")); err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http") {
		img += " " + u.Scheme + "://" + u.Host
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src " + img + "; connect-src 'self'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}

// handle wraps a page: language, CSRF cookie, the page limit (and the post
// limit on POST), panics and errors rendered as pages.
func (s *Server) handle(fn func(http.ResponseWriter, *http.Request, *request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := &request{lang: s.chooseLang(w, r)}
		other := "en"
		if q.lang == "en" {
			other = "zh"
		}
		q.switchURL = Prefix + "?lang=" + other
		if r.Method == http.MethodGet {
			q.switchURL = langURL(r, other)
		}
		defer func() {
			if p := recover(); p != nil {
				s.Log.Error("portal: panic", "method", r.Method, "path", r.URL.Path, "panic", p)
				s.fail(w, r, q, xiuhua.Internal(errors.New("panic")))
			}
		}()
		ip := s.clientIP(r)
		ok, wait := s.pageLimit.Allow(ip)
		if ok && r.Method == http.MethodPost {
			ok, wait = s.postLimit.Allow(ip)
		}
		if !ok {
			secs := max(1, int(math.Ceil(wait.Seconds())))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			s.fail(w, r, q, xiuhua.Errorf(xiuhua.ETooMany, "Too many requests from your network: please try again in %d seconds.",
				"您的网络提交过于频繁，请在 %d 秒后重试。", secs))
			return
		}
		q.csrf = s.csrfCookie(w, r)
		if err := reqtext.Check(r); err != nil {
			s.fail(w, r, q, err)
			return
		}
		if err := fn(w, r, q); err != nil {
			s.fail(w, r, q, err)
		}
	}
}

// clientIP is the address the limits count against (as on Open311).
func (s *Server) clientIP(r *http.Request) string { return open311.ClientIP(r, s.Config.TrustProxy) }

// statusOf maps an error code to the page's HTTP status.
func statusOf(code xiuhua.Code) int {
	switch code {
	case xiuhua.EInvalid:
		return http.StatusBadRequest
	case xiuhua.EUnauthorized, xiuhua.EForbidden:
		return http.StatusForbidden
	case xiuhua.ENotFound:
		return http.StatusNotFound
	case xiuhua.EConflict:
		return http.StatusConflict
	case xiuhua.EUnprocessable:
		return http.StatusUnprocessableEntity
	case xiuhua.ETooLarge:
		return http.StatusRequestEntityTooLarge
	case xiuhua.EUnsupported:
		return http.StatusUnsupportedMediaType
	case xiuhua.ETooMany:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// fail renders an error page in the request's language.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, q *request, err error) {
	e := xiuhua.AsError(err)
	if errors.Is(err, context.Canceled) {
		e = xiuhua.Errorf(xiuhua.EInvalid, "request cancelled", "请求已取消")
	}
	code := statusOf(e.Code)
	if code >= 500 {
		s.Log.Error("portal: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	msg := e.MessageZh
	if q.lang == "en" {
		msg = e.Message
	}
	var details []string
	for _, d := range e.Details {
		details = append(details, pickHalf(d, q.lang))
	}
	s.render(w, q, code, "error", map[string]any{"Message": msg, "Details": details, "Status": code})
}

// pickHalf picks the language's half of an "English / 中文" detail.
func pickHalf(d, lang string) string {
	en, zh, ok := strings.Cut(d, " / ")
	if !ok {
		return d
	}
	if lang == "en" {
		return en
	}
	return zh
}
