package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// dupServer is the API with the duplicate routes, whether or not New
// registers them yet.
func dupServer(t *testing.T, db *store.DB) (*httptest.Server, *apptest.Fixture) {
	f := apptest.New(t, db)
	s := New(f.App, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, pat := s.mux.Handler(httptest.NewRequest("GET", "/api/v1/cases/1/duplicates", nil)); pat != "GET /api/v1/cases/{id}/duplicates" {
		s.duplicateRoutes()
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, f
}

func dupDo(t *testing.T, srv *httptest.Server, f *apptest.Fixture, user, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, srv.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+f.Tokens[user])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(res.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %q", method, path, raw)
		}
	}
	return res.StatusCode, out
}

// TestDuplicateRoutes drives likely duplicates, merge, dismiss and unmerge
// over HTTP, with their refusals.
func TestDuplicateRoutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, f := dupServer(t, db)
		report := func(lon, lat float64) map[string]any {
			code, out := dupDo(t, srv, f, "inspector", "POST", "/api/v1/cases", map[string]any{"category": "E0102", "description": "垃圾", "lat": lat, "lon": lon})
			if code != 201 {
				t.Fatalf("report: %d %v", code, out)
			}
			return out
		}
		m := report(120.22, 31.52)
		d := report(120.22, 31.52027)
		mid, did := strconv.Itoa(int(m["id"].(float64))), strconv.Itoa(int(d["id"].(float64)))

		code, out := dupDo(t, srv, f, "dispatcher", "GET", "/api/v1/cases/"+did+"/duplicates", nil)
		cands, _ := out["candidates"].([]any)
		if code != 200 || len(cands) != 1 || cands[0].(map[string]any)["code"] != m["code"] || cands[0].(map[string]any)["distance_m"] != 30.0 ||
			out["radius_m"] != 50.0 || out["window_hours"] != 72.0 {
			t.Fatalf("duplicates: %d %v", code, out)
		}
		for _, x := range []struct {
			name string
			user string
			path string
			body any
			want int
		}{
			{"no version", "dispatcher", "/merge", map[string]any{"into": m["code"]}, 400},
			{"bad into", "dispatcher", "/merge", map[string]any{"into": "../1", "version": 1}, 400},
			{"into as an object", "dispatcher", "/merge", map[string]any{"into": map[string]any{}, "version": 1}, 400},
			{"unknown field", "dispatcher", "/merge", map[string]any{"into": m["code"], "version": 1, "force": true}, 400},
			{"by a handler", "san", "/merge", map[string]any{"into": m["code"], "version": 1}, 403},
			{"stale", "dispatcher", "/merge", map[string]any{"into": m["code"], "version": 5}, 409},
			{"into an unknown case", "dispatcher", "/merge", map[string]any{"into": 99999, "version": 1}, 404},
			{"unmerge what is not merged", "dispatcher", "/unmerge", nil, 409},
			{"dismiss itself", "dispatcher", "/duplicates/dismiss", map[string]any{"candidate": did}, 422},
		} {
			if code, out := dupDo(t, srv, f, x.user, "POST", "/api/v1/cases/"+did+x.path, x.body); code != x.want {
				t.Errorf("%s: %d, want %d: %v", x.name, code, x.want, out)
			}
		}
		code, out = dupDo(t, srv, f, "dispatcher", "POST", "/api/v1/cases/"+did+"/merge", map[string]any{"into": m["id"], "version": 1})
		if code != 200 || out["state"] != "rejected" {
			t.Fatalf("merge: %d %v", code, out)
		}
		_, out = dupDo(t, srv, f, "dispatcher", "GET", "/api/v1/cases/"+mid+"/duplicates", nil)
		if merged, _ := out["merged"].([]any); len(merged) != 1 || merged[0].(map[string]any)["code"] != d["code"] {
			t.Errorf("master's duplicates: %v", out)
		}
		code, out = dupDo(t, srv, f, "dispatcher", "POST", "/api/v1/cases/"+did+"/unmerge", nil)
		if code != 201 || out["state"] != "reported" || out["lat"] != 31.52027 {
			t.Fatalf("unmerge: %d %v", code, out)
		}
		rid := strconv.Itoa(int(out["id"].(float64)))
		if code, _ := dupDo(t, srv, f, "dispatcher", "POST", "/api/v1/cases/"+rid+"/duplicates/dismiss", map[string]any{"candidate": m["code"]}); code != 204 {
			t.Errorf("dismiss: %d", code)
		}
		_, out = dupDo(t, srv, f, "dispatcher", "GET", "/api/v1/cases/"+rid+"/duplicates", nil)
		if cands, _ := out["candidates"].([]any); len(cands) != 0 {
			t.Errorf("a dismissed pair is offered again: %v", out)
		}
		if code, _ := dupDo(t, srv, f, "dispatcher-jx", "GET", "/api/v1/cases/"+mid+"/duplicates", nil); code != 404 {
			t.Errorf("out of territory: %d", code)
		}
	})
}
