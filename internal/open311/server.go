// Package open311 is xiuhua's Open311 GeoReport v2 door under /open311/v2/:
// discovery, services and service definitions, service requests (POST and
// GET, with tokens), and the common extensions (Chicago's page, page_size,
// updated_after/updated_before and extensions=true; FixMyStreet's
// servicerequestupdates). Every answer exists in XML, the format the spec
// requires, and in JSON, chosen by the .xml or .json suffix; errors are the
// spec's <errors><error><code/><description/></error></errors> or a JSON array.
//
// Client systems hold API keys (keys.go), scoped to a territory and
// revocable; a request they post becomes a case reported by the system
// actor of the key, with source "citizen" and no reporter user. What the
// public reads never includes contact details, internal notes, staff names
// or more of the responsible unit than its name.
package open311

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/blob"
)

// Config holds the door's settings. ConfigFromEnv reads them from the
// environment; a Server's Config may be changed before it serves.
type Config struct {
	// Jurisdiction is this endpoint's jurisdiction_id (e.g. "wuxi.gov.cn").
	// When set, a request naming another jurisdiction is refused (404); when
	// empty, any jurisdiction_id is accepted, as the spec allows for an
	// endpoint that serves one jurisdiction. XIUHUA_OPEN311_JURISDICTION.
	Jurisdiction string
	// Contact and KeyService are shown in the discovery document.
	// XIUHUA_OPEN311_CONTACT, XIUHUA_OPEN311_KEY_SERVICE.
	Contact, KeyService string
	// AnonymousReads lets GET requests without an api_key read the public
	// part of every case, as the spec does. With a key, reads are limited to
	// the key's territory. XIUHUA_OPEN311_ANONYMOUS_READS (default true).
	AnonymousReads bool
	// PerIP and PerKey are the rate limits (token buckets): every request
	// counts against its client address, and a request with a valid key also
	// against its key. XIUHUA_OPEN311_RATE and XIUHUA_OPEN311_BURST (per IP,
	// requests per minute and burst), XIUHUA_OPEN311_KEY_RATE and
	// XIUHUA_OPEN311_KEY_BURST (per key). A rate of 0 turns a limit off.
	PerIP, PerKey Limit
	// TrustProxy takes the client address from the last X-Forwarded-For
	// entry and the scheme from X-Forwarded-Proto: set it only behind one
	// reverse proxy that sets them. XIUHUA_OPEN311_TRUST_PROXY.
	TrustProxy bool
	// MaxBody bounds a request body without media, in bytes.
	// XIUHUA_OPEN311_MAX_BODY (default 256 KiB).
	MaxBody int64
	// MaxMedia bounds each uploaded photo (multipart field "media"), at most
	// blob.MaxSize; MaxMediaFiles bounds how many one request may carry.
	// XIUHUA_OPEN311_MAX_MEDIA (default 5 MiB), XIUHUA_OPEN311_MAX_MEDIA_FILES (default 3).
	MaxMedia      int64
	MaxMediaFiles int
}

// DefaultConfig is the configuration without environment.
func DefaultConfig() Config {
	return Config{
		AnonymousReads: true,
		PerIP:          Limit{Rate: 120.0 / 60, Burst: 60},
		PerKey:         Limit{Rate: 600.0 / 60, Burst: 200},
		MaxBody:        256 << 10,
		MaxMedia:       5 << 20,
		MaxMediaFiles:  3,
	}
}

// ConfigFromEnv reads the configuration from the environment over the
// defaults, returning the problems of values it could not use (their
// defaults stay).
func ConfigFromEnv(getenv func(string) string) (Config, []string) {
	c := DefaultConfig()
	var probs []string
	num := func(name string, set func(float64) bool) {
		v := getenv(name)
		if v == "" {
			return
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || !set(f) {
			probs = append(probs, fmt.Sprintf("%s=%q is not a usable number", name, v))
		}
	}
	c.Jurisdiction = getenv("XIUHUA_OPEN311_JURISDICTION")
	c.Contact = getenv("XIUHUA_OPEN311_CONTACT")
	c.KeyService = getenv("XIUHUA_OPEN311_KEY_SERVICE")
	for name, dst := range map[string]*bool{"XIUHUA_OPEN311_ANONYMOUS_READS": &c.AnonymousReads, "XIUHUA_OPEN311_TRUST_PROXY": &c.TrustProxy} {
		if v := getenv(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				probs = append(probs, fmt.Sprintf("%s=%q is not true or false", name, v))
				continue
			}
			*dst = b
		}
	}
	num("XIUHUA_OPEN311_RATE", func(f float64) bool { c.PerIP.Rate = f / 60; return true })
	num("XIUHUA_OPEN311_BURST", func(f float64) bool { c.PerIP.Burst = f; return f >= 1 })
	num("XIUHUA_OPEN311_KEY_RATE", func(f float64) bool { c.PerKey.Rate = f / 60; return true })
	num("XIUHUA_OPEN311_KEY_BURST", func(f float64) bool { c.PerKey.Burst = f; return f >= 1 })
	num("XIUHUA_OPEN311_MAX_BODY", func(f float64) bool { c.MaxBody = int64(f); return f >= 1024 })
	num("XIUHUA_OPEN311_MAX_MEDIA", func(f float64) bool { c.MaxMedia = int64(f); return f >= 1024 && f <= blob.MaxSize })
	num("XIUHUA_OPEN311_MAX_MEDIA_FILES", func(f float64) bool { c.MaxMediaFiles = int(f); return f <= 20 })
	if len(probs) > 0 {
		// Keep the defaults for what could not be read.
		d := DefaultConfig()
		if c.PerIP.Burst < 1 {
			c.PerIP.Burst = d.PerIP.Burst
		}
		if c.PerKey.Burst < 1 {
			c.PerKey.Burst = d.PerKey.Burst
		}
		if c.MaxBody < 1024 {
			c.MaxBody = d.MaxBody
		}
		if c.MaxMedia < 1024 || c.MaxMedia > blob.MaxSize {
			c.MaxMedia = d.MaxMedia
		}
		if c.MaxMediaFiles > 20 {
			c.MaxMediaFiles = d.MaxMediaFiles
		}
	}
	return c, probs
}

// Server serves /open311/v2/.
type Server struct {
	App    *app.App
	Log    *slog.Logger
	Config Config
	// Now is the clock (tests move it).
	Now func() time.Time

	once     sync.Once
	ipLimit  *limiter
	keyLimit *limiter
}

// Prefix is where the door is mounted.
const Prefix = "/open311/v2/"

// New builds the door with the configuration from the environment.
func New(a *app.App, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	c, probs := ConfigFromEnv(os.Getenv)
	for _, p := range probs {
		log.Warn("open311: ignoring a setting, its default stays", "problem", p)
	}
	return &Server{App: a, Log: log, Config: c, Now: time.Now}
}

type ridKey struct{}

// ServeHTTP routes a request by its path and suffix, after the rate limit
// of its client address.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.once.Do(func() {
		s.ipLimit = newLimiter(s.Config.PerIP, s.Now).sharedOn(s.App.DB, "open311.ip")
		s.keyLimit = newLimiter(s.Config.PerKey, s.Now).sharedOn(s.App.DB, "open311.key")
	})
	rid := r.Header.Get("X-Request-Id")
	if rid == "" || len(rid) > 64 {
		b := make([]byte, 8)
		rand.Read(b)
		rid = hex.EncodeToString(b)
	}
	h := w.Header()
	h.Set("X-Request-Id", rid)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	r = r.WithContext(context.WithValue(r.Context(), ridKey{}, rid))

	name, f, ok := splitFormat(strings.TrimPrefix(r.URL.Path, Prefix))
	defer func() {
		if p := recover(); p != nil {
			s.Log.Error("open311: panic", "request_id", rid, "method", r.Method, "path", r.URL.Path, "panic", p)
			s.fail(w, r, f, xiuhua.Internal(errors.New("panic")))
		}
	}()
	if ok, wait := s.ipLimit.allow(s.clientIP(r)); !ok {
		s.tooMany(w, r, f, wait)
		return
	}
	if !ok {
		s.fail(w, r, f, xiuhua.Errorf(xiuhua.ENotFound, "no such resource: %s (GeoReport v2 paths end in .xml or .json)",
			"资源不存在：%s（GeoReport v2 的路径以 .xml 或 .json 结尾）", r.URL.Path))
		return
	}
	var get, post func(http.ResponseWriter, *http.Request, format) error
	switch {
	case name == "discovery":
		get = s.discovery
	case name == "services":
		get = s.services
	case strings.HasPrefix(name, "services/"):
		get = s.serviceDefinition
	case name == "requests":
		get, post = s.getRequests, s.postRequest
	case strings.HasPrefix(name, "requests/"):
		get = s.getRequest
	case strings.HasPrefix(name, "tokens/"):
		get = s.getToken
	case name == "servicerequestupdates":
		get, post = s.getUpdates, s.postUpdate
	default:
		s.fail(w, r, f, xiuhua.Errorf(xiuhua.ENotFound, "no such resource: %s", "资源不存在：%s", r.URL.Path))
		return
	}
	if strings.Count(name, "/") > 1 {
		s.fail(w, r, f, xiuhua.Errorf(xiuhua.ENotFound, "no such resource: %s", "资源不存在：%s", r.URL.Path))
		return
	}
	var fn func(http.ResponseWriter, *http.Request, format) error
	switch {
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && get != nil:
		fn = get
		// Public reads may be used from any web page; writes carry a key and
		// contact details, so browsers are not invited to send them cross-site.
		h.Set("Access-Control-Allow-Origin", "*")
	case r.Method == http.MethodPost && post != nil:
		fn = post
	default:
		allow := "GET, HEAD"
		if post != nil {
			allow += ", POST"
		}
		if get == nil {
			allow = "POST"
		}
		h.Set("Allow", allow)
		s.fail(w, r, f, &xiuhua.Error{Code: "method", Message: "method " + r.Method + " is not allowed here (allowed: " + allow + ")",
			MessageZh: "此处不支持 " + r.Method + " 方法（支持：" + allow + "）"})
		return
	}
	// The server removes the files of a multipart body only for the request
	// it made; this one is a copy (WithContext), so remove them here.
	defer func() {
		if r.MultipartForm != nil {
			r.MultipartForm.RemoveAll()
		}
	}()
	if err := fn(w, r, f); err != nil {
		var tm tooManyErr
		if errors.As(err, &tm) {
			s.tooMany(w, r, f, tm.wait)
			return
		}
		s.fail(w, r, f, err)
	}
}

// tooManyErr is a rate limit hit after routing (the per-key limit).
type tooManyErr struct{ wait time.Duration }

func (e tooManyErr) Error() string { return "rate limited" }

// pathName is the resource path without the prefix and the format suffix,
// e.g. "services/E0102".
func pathName(r *http.Request) string {
	name, _, _ := splitFormat(strings.TrimPrefix(r.URL.Path, Prefix))
	return name
}

// splitFormat cuts "requests.xml" into "requests" and the format.
func splitFormat(p string) (string, format, bool) {
	i := strings.LastIndexByte(p, '.')
	if i <= 0 || strings.ContainsRune(p[i:], '/') {
		return p, fmtXML, false
	}
	switch strings.ToLower(p[i+1:]) {
	case "xml":
		return p[:i], fmtXML, true
	case "json":
		return p[:i], fmtJSON, true
	}
	return p, fmtXML, false
}

// clientIP is the address the rate limit counts against.
func (s *Server) clientIP(r *http.Request) string { return ClientIP(r, s.Config.TrustProxy) }

func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, f format, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.fail(w, r, f, xiuhua.Errorf(xiuhua.ETooMany, "too many requests: retry after %d s", "请求过于频繁，请在 %d 秒后重试", secs))
}

// status maps an error to the HTTP status and the code of the error
// document. The spec names 400, 403 and 404; requests that are well formed
// but impossible (a point outside every grid, an illegal state) are 400s too.
func status(code xiuhua.Code) int {
	switch code {
	case xiuhua.EForbidden, xiuhua.EUnauthorized:
		return http.StatusForbidden
	case xiuhua.ENotFound:
		return http.StatusNotFound
	case xiuhua.ETooLarge:
		return http.StatusRequestEntityTooLarge
	case xiuhua.EUnsupported:
		return http.StatusUnsupportedMediaType
	case xiuhua.ETooMany:
		return http.StatusTooManyRequests
	case xiuhua.EInternal:
		return http.StatusInternalServerError
	case "method":
		return http.StatusMethodNotAllowed
	}
	return http.StatusBadRequest
}

// fail writes the spec's error document: one error per problem, each with
// the HTTP status as its code and the message in English and Chinese.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, f format, err error) {
	e := xiuhua.AsError(err)
	if errors.Is(err, context.Canceled) {
		e = xiuhua.Errorf(xiuhua.EInvalid, "request cancelled", "请求已取消")
	}
	code := status(e.Code)
	if code >= 500 {
		rid, _ := r.Context().Value(ridKey{}).(string)
		s.Log.Error("open311: request failed", "request_id", rid, "method", r.Method, "path", r.URL.Path, "err", err)
	}
	descs := e.Details
	if len(descs) == 0 {
		descs = []string{e.Message + " / " + e.MessageZh}
	}
	items := make([]any, len(descs))
	for i, d := range descs {
		items[i] = object{{"code", code}, {"description", d}}
	}
	write(w, f, code, "errors", list{Item: "error", Items: items})
}
