package main

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// doors are one path of each door: the API (an authenticated route, a public
// one and an unknown one), Open311, the citizen portal and the console.
var doors = []struct{ name, path string }{
	{"api", "/api/v1/me"},
	{"api-public", "/healthz"},
	{"api-404", "/api/v1/nothing"},
	{"open311", "/open311/v2/discovery.json"},
	{"open311-services", "/open311/v2/services.xml"},
	{"portal", "/public/"},
	{"console", "/login"},
	{"console-static", "/static/app.css"},
}

// TestHSTSOnEveryDoor: every door answers with Strict-Transport-Security over
// TLS, behind a trusted proxy that says https, or when the site is declared
// secure; and without it over plain HTTP or when an untrusted client claims
// https.
func TestHSTSOnEveryDoor(t *testing.T) {
	f := apptest.New(t, storetest.SQLite(t))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	// Real TLS: the header is there on every door, whatever the status.
	tlsSrv := httptest.NewTLSServer(handlerWith(f.App, log, transport{}))
	defer tlsSrv.Close()
	for _, d := range doors {
		resp, err := tlsSrv.Client().Get(tlsSrv.URL + d.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Errorf("%s %s: status %d", d.name, d.path, resp.StatusCode)
		}
		if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("%s over TLS (status %d): HSTS %q, want max-age=31536000", d.name, resp.StatusCode, got)
		}
	}

	cases := []struct {
		name  string
		tr    transport
		proto string
		want  bool
	}{
		{"plain HTTP", transport{}, "", false},
		{"untrusted client claims https", transport{}, "https", false},
		{"trusted proxy says https", transport{TrustProxy: true}, "https", true},
		{"trusted proxy says HTTPS after a client's http", transport{TrustProxy: true}, "http, HTTPS", true},
		{"trusted proxy says http", transport{TrustProxy: true}, "http", false},
		{"trusted proxy, client's https then proxy's http", transport{TrustProxy: true}, "https,http", false},
		{"declared secure", transport{Secure: true}, "", true},
	}
	for _, c := range cases {
		h := handlerWith(f.App, log, c.tr)
		for _, d := range doors {
			req := httptest.NewRequest("GET", d.path, nil)
			if c.proto != "" {
				req.Header.Set("X-Forwarded-Proto", c.proto)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if got := rec.Header().Get("Strict-Transport-Security") != ""; got != c.want {
				t.Errorf("%s, %s (status %d): HSTS %v, want %v", c.name, d.name, rec.Code, got, c.want)
			}
		}
	}
}

func TestTransportFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		env  map[string]string
		want transport
	}{
		{nil, transport{}},
		{map[string]string{"XIUHUA_SECURE_COOKIES": "true"}, transport{Secure: true}},
		{map[string]string{"XIUHUA_TRUST_PROXY": "1"}, transport{TrustProxy: true}},
		{map[string]string{"XIUHUA_OPEN311_TRUST_PROXY": "true"}, transport{TrustProxy: true}},
		{map[string]string{"XIUHUA_PORTAL_TRUST_PROXY": "true"}, transport{TrustProxy: true}},
		{map[string]string{"XIUHUA_TRUST_PROXY": "yes please", "XIUHUA_SECURE_COOKIES": "false"}, transport{}},
	} {
		if got := transportFromEnv(env(c.env)); got != c.want {
			t.Errorf("%v: %+v, want %+v", c.env, got, c.want)
		}
	}
}
