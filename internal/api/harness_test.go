package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
)

// harness is the API in process on the fixture installation, with one case
// to act on, for the bad-input table and the fuzz target. Requests go
// straight to the handler (no network), so a fuzz run makes many.
type harness struct {
	srv  *Server
	f    *apptest.Fixture
	kase int64
}

func newHarness(tb testing.TB, db *store.DB) *harness {
	tb.Helper()
	f := apptest.New(tb, db)
	lat, lon := apptest.PointJiale1[1], apptest.PointJiale1[0]
	c, err := f.App.Cases.Report(context.Background(), f.Actors["inspector"], casework.ReportInput{
		Category: "E0102", Description: "清扬路暴露垃圾", Lat: &lat, Lon: &lon, Source: casework.SourceInspector, Urgency: "normal",
		Attachments: []string{f.Photo(tb, "harness")}})
	if err != nil {
		tb.Fatal(err)
	}
	return &harness{srv: New(f.App, slog.New(slog.NewTextHandler(io.Discard, nil))), f: f, kase: c.ID}
}

// routes are the registered patterns whose method is one of methods.
func routes(methods ...string) []string {
	var out []string
	for _, p := range registeredRoutes {
		m, _, _ := strings.Cut(p, " ")
		for _, x := range methods {
			if m == x {
				out = append(out, p)
			}
		}
	}
	return out
}

// actions are the case actions, for the {action} wildcard.
var actions = []string{"register", "reject", "dispatch", "return", "handle", "verify", "close", "extend", "approve-extension", "suspend", "resume"}

// path fills a pattern's wildcards: the harness's case for a case id, id 1
// for other records (absent or not, the body is read first or the answer is
// a 404), pick choosing the action.
func (h *harness) path(pattern string, pick int) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	if strings.HasPrefix(path, "/api/v1/cases/{id}") {
		path = strings.Replace(path, "{id}", strconv.FormatInt(h.kase, 10), 1)
	}
	path = strings.Replace(path, "{id}", "1", 1)
	path = strings.Replace(path, "{action}", actions[pick%len(actions)], 1)
	path = strings.Replace(path, "{code}", "E0102", 1)
	return method, path
}

// serve sends one request as user ("" for none).
func (h *harness) serve(user, method, path, ct string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+h.f.Tokens[user])
	}
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	return rec
}

// envelope is the error envelope as a client reads it.
type envelope struct {
	Error *struct {
		Code      xiuhua.Code `json:"code"`
		Message   string      `json:"message"`
		MessageZh string      `json:"message_zh"`
		Details   []string    `json:"details"`
		RequestID string      `json:"request_id"`
	} `json:"error"`
}

// checkAnswer says what is wrong with an answer: a 5xx, or a 4xx without a
// well-formed envelope whose code gives its status and whose message is in
// English and Chinese.
func checkAnswer(rec *httptest.ResponseRecorder) error {
	if rec.Code >= 500 {
		return fmt.Errorf("status %d: %s", rec.Code, rec.Body.Bytes())
	}
	if rec.Code < 400 {
		return nil
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("status %d with Content-Type %q: %q", rec.Code, ct, rec.Body.Bytes())
	}
	var e envelope
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Error == nil {
		return fmt.Errorf("status %d: not an error envelope (%v): %q", rec.Code, err, rec.Body.Bytes())
	}
	if statusOf[e.Error.Code] != rec.Code {
		return fmt.Errorf("status %d with code %q", rec.Code, e.Error.Code)
	}
	if strings.TrimSpace(e.Error.Message) == "" || !hasHan(e.Error.MessageZh) || e.Error.RequestID == "" {
		return fmt.Errorf("status %d: message %q / %q, request id %q", rec.Code, e.Error.Message, e.Error.MessageZh, e.Error.RequestID)
	}
	return nil
}

// hasHan says whether s has a Chinese character: a Chinese message, not an
// English one copied over.
func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
