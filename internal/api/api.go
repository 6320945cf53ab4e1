// Package api is the JSON door under /api/v1: it authenticates the actor,
// decodes and validates input, calls one domain operation and renders the
// result. Errors carry a code, an English and a Chinese message.
package api

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/reqtext"
)

// Server serves the API.
type Server struct {
	App *app.App
	Log *slog.Logger

	mux     *http.ServeMux
	reg     *prometheus.Registry
	reqs    *prometheus.CounterVec
	latency *prometheus.HistogramVec
	actions *prometheus.CounterVec
}

// New builds the handler tree.
func New(a *app.App, log *slog.Logger) *Server {
	s := &Server{App: a, Log: log, mux: http.NewServeMux(), reg: prometheus.NewRegistry()}
	s.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xiuhua_http_requests_total", Help: "HTTP requests by route and status."}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "xiuhua_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route"})
	s.actions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xiuhua_case_actions_total", Help: "Case actions that succeeded, by action (report included)."}, []string{"action"})
	s.reg.MustRegister(s.reqs, s.latency, s.actions, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	// The audit chain's backlog (PostgreSQL; always 0 on SQLite): a queue
	// that grows, or failures that count up, mean entries are kept but not
	// linked, and verification will link them late.
	s.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "xiuhua_audit_queued_entries",
		Help: "Audit entries committed but not yet linked into the hash chain."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		q, err := a.DB.AuditQueue(ctx)
		if err != nil {
			return -1
		}
		return float64(q)
	}), prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "xiuhua_audit_seal_failures_total",
		Help: "Attempts by this instance to link queued audit entries that failed."}, func() float64 {
		return float64(a.DB.AuditSealFailures())
	}))

	// Public: health, metrics and the API description carry no ledger data.
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openapiJSON)
	})

	s.handle("GET /api/v1/me", s.me)
	s.handle("GET /api/v1/categories", s.listCategories)
	s.handle("POST /api/v1/categories", s.putCategory)
	s.handle("DELETE /api/v1/categories/{code}", s.deleteCategory)
	s.handle("GET /api/v1/territory/locate", s.locate)
	s.handle("GET /api/v1/territory/{code}", s.area)
	s.handle("POST /api/v1/cases", s.reportCase)
	s.handle("GET /api/v1/cases", s.listCases)
	s.handle("GET /api/v1/cases/{id}", s.getCase)
	s.handle("POST /api/v1/cases/{id}/{action}", s.act)
	s.handle("POST /api/v1/blobs", s.putBlob)
	s.handle("GET /api/v1/blobs/{id}", s.getBlob)
	s.handle("POST /api/v1/units", s.putUnit)
	s.handle("GET /api/v1/units", s.listUnits)
	s.handle("GET /api/v1/calendar/add", s.calendarAdd)
	s.hotlineRoutes()
	s.duplicateRoutes()
	s.assessRoutes()
	s.assessNoticeRoutes()
	s.planRoutes()
	s.jobRoutes()
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, xiuhua.Errorf(xiuhua.ENotFound, "no such endpoint: %s %s (see /api/v1/openapi.json)", "接口不存在：%s %s（见 /api/v1/openapi.json）", r.Method, r.URL.Path))
	})
	return s
}

// ServeHTTP adds a request id, security headers, metrics and panic recovery.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := r.Header.Get("X-Request-Id")
	if rid == "" || len(rid) > 64 {
		b := make([]byte, 8)
		rand.Read(b)
		rid = hex.EncodeToString(b)
	}
	rw := &statusWriter{ResponseWriter: w, code: 200}
	h := rw.Header()
	h.Set("X-Request-Id", rid)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	r = r.WithContext(context.WithValue(r.Context(), ridKey{}, rid))
	defer func() {
		if p := recover(); p != nil {
			s.Log.Error("panic", "request_id", rid, "method", r.Method, "path", r.URL.Path, "panic", p)
			if !rw.wrote {
				s.fail(rw, r, xiuhua.Internal(errors.New("panic")))
			}
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		s.reqs.WithLabelValues(route, strconv.Itoa(rw.code)).Inc()
		s.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	}()
	if err := checkAddress(r); err != nil {
		s.fail(rw, r, err)
		return
	}
	s.mux.ServeHTTP(rw, r)
}

// checkAddress refuses a path or query parameter that is not UTF-8 text or
// holds a NUL character: no code, id or filter has one, and PostgreSQL
// refuses to compare text with them (a 500 otherwise).
func checkAddress(r *http.Request) error {
	if reqtext.Bad(r.URL.Path) {
		return xiuhua.Errorf(xiuhua.EInvalid, "the address is not valid UTF-8 text", "请求地址不是有效的 UTF-8 文本")
	}
	for k, vs := range r.URL.Query() {
		if reqtext.Bad(k) || slices.ContainsFunc(vs, reqtext.Bad) {
			return xiuhua.Errorf(xiuhua.EInvalid, "query parameter %q is not valid UTF-8 text", "查询参数 %q 不是有效的 UTF-8 文本", strings.ToValidUTF8(k, "?"))
		}
	}
	return nil
}

type ridKey struct{}
type actorKey struct{}

// handle registers an authenticated route: no handler runs without an actor.
func (s *Server) handle(pattern string, fn func(http.ResponseWriter, *http.Request, auth.Actor) error) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		// The scheme name is case-insensitive (RFC 9110 §11.1).
		tok := ""
		if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
			tok = h[7:]
		}
		actor, err := s.App.Authenticate(r.Context(), strings.TrimSpace(tok))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="xiuhua"`)
			s.fail(w, r, err)
			return
		}
		if err := fn(w, r, actor); err != nil {
			s.fail(w, r, err)
		}
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.App.DB.R.PingContext(ctx); err != nil {
		s.Log.Error("health check", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, 200, map[string]any{"status": "ok", "store": s.App.DB.Dialect, "areas": s.App.Territory().Len()})
}

var statusOf = map[xiuhua.Code]int{
	xiuhua.EInvalid: 400, xiuhua.EUnauthorized: 401, xiuhua.EForbidden: 403, xiuhua.ENotFound: 404,
	xiuhua.EConflict: 409, xiuhua.ETooLarge: 413, xiuhua.EUnsupported: 415, xiuhua.EUnprocessable: 422,
	xiuhua.ETooMany: 429, xiuhua.EInternal: 500,
}

// errorBody is the error envelope of every failed request.
type errorBody struct {
	Error struct {
		Code      xiuhua.Code `json:"code"`
		Message   string      `json:"message"`
		MessageZh string      `json:"message_zh"`
		Details   []string    `json:"details,omitempty"`
		RequestID string      `json:"request_id,omitempty"`
	} `json:"error"`
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := xiuhua.AsError(err)
	if errors.Is(err, context.Canceled) {
		e = xiuhua.Errorf(xiuhua.EInvalid, "request cancelled", "请求已取消")
	}
	status := statusOf[e.Code]
	if status == 0 {
		status = 500
	}
	rid, _ := r.Context().Value(ridKey{}).(string)
	if status >= 500 {
		// The detail goes to the log with the request id; the person sees the id only.
		s.Log.Error("request failed", "request_id", rid, "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var b errorBody
	b.Error.Code, b.Error.Message, b.Error.MessageZh, b.Error.Details = e.Code, e.Message, e.MessageZh, e.Details
	b.Error.RequestID = rid
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// maxJSON bounds JSON bodies; uploads go to /blobs.
const maxJSON = 1 << 20

// decode reads a JSON body strictly: unknown fields and trailing data are
// errors, so a typo in a field name is caught instead of silently ignored.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return xiuhua.Errorf(xiuhua.EUnsupported, "send JSON (Content-Type: application/json)", "请以 JSON 格式提交（Content-Type: application/json）")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxJSON+1))
	if err != nil {
		return xiuhua.Errorf(xiuhua.EInvalid, "could not read the request body", "无法读取请求内容")
	}
	if len(body) > maxJSON {
		return xiuhua.Errorf(xiuhua.ETooLarge, "the JSON body is larger than 1 MB", "请求内容超过 1 MB")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badJSON(err)
	}
	if dec.More() {
		return xiuhua.Errorf(xiuhua.EInvalid, "unexpected data after the JSON object", "JSON 对象之后有多余内容")
	}
	if hasNUL(body) {
		return xiuhua.Errorf(xiuhua.EInvalid, "text in the JSON body contains a NUL character (\\u0000)", "JSON 内容中的文本含有 NUL 字符（\\u0000）")
	}
	return nil
}

// hasNUL says whether a valid JSON document has the escape \u0000 in a
// string: no text needs it and PostgreSQL refuses to store it. Backslashes
// occur only in strings, so a scan that skips escaped characters suffices.
func hasNUL(doc []byte) bool {
	for i := 0; i < len(doc); i++ {
		if doc[i] != '\\' || i+1 >= len(doc) {
			continue
		}
		if doc[i+1] == 'u' && i+6 <= len(doc) && string(doc[i+2:i+6]) == "0000" {
			return true
		}
		i++ // the escaped character
	}
	return false
}

func badJSON(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return xiuhua.Errorf(xiuhua.EInvalid, "the request body is empty: send a JSON object", "请求内容为空，请提交 JSON 对象")
	case errors.As(err, &se):
		return xiuhua.Errorf(xiuhua.EInvalid, "malformed JSON at byte %d: %v", "JSON 格式错误（第 %d 字节）：%v", se.Offset, se)
	case errors.As(err, &te):
		return xiuhua.Errorf(xiuhua.EInvalid, "field %q must be %s, not %s", "字段 %q 应为 %s 类型，而不是 %s", te.Field, te.Type.String(), te.Value)
	case strings.Contains(err.Error(), ",string struct tag"):
		// A field that carries a number as a string (a 64-bit seed) was sent bare.
		return xiuhua.Errorf(xiuhua.EInvalid, "a number that must be sent as a string (such as seed) was sent unquoted: quote it, e.g. \"seed\": \"42\"",
			"须以字符串提交的数字（如 seed）未加引号，请加引号，如 \"seed\": \"42\"")
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		f := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return xiuhua.Errorf(xiuhua.EInvalid, "unknown field %s", "未知字段 %s", f)
	}
	return xiuhua.Errorf(xiuhua.EInvalid, "malformed JSON: %v", "JSON 格式错误：%v", err)
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

//go:embed openapi.json
var openapiJSON []byte
