package main

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestUnstorableTextOnEveryDoor sends text PostgreSQL cannot hold (a NUL
// character, bytes that are not UTF-8) in the address, the query and the
// form fields of the pages of the console and the citizen portal, and of
// the API and Open311: each is refused with a 400, never a 500 (before the
// checks, PostgreSQL's refusal surfaced as a 500 on sign-in, the citizen
// report and the desk's filters).
func TestUnstorableTextOnEveryDoor(t *testing.T) {
	// Many posts from one address: the portal's limits would refuse them.
	t.Setenv("XIUHUA_PORTAL_RATE", "0")
	t.Setenv("XIUHUA_PORTAL_PAGE_RATE", "0")
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		h := handlerWith(f.App, slog.New(slog.NewTextHandler(io.Discard, nil)), transport{})
		serve := func(method, path, ct, body string, cookies []string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(method, path, strings.NewReader(body))
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			for _, c := range cookies {
				req.Header.Add("Cookie", c)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		for _, bad := range []string{"a%00b", "%ff", "%C3%28"} {
			for _, p := range []string{"/public/track?code=" + bad, "/public/t/" + bad, "/public/board?page=" + bad, "/public/projects?kind=" + bad,
				"/login?next=" + bad, "/cases?territory=" + bad, "/" + bad, "/api/v1/cases?territory=" + bad, "/api/v1/territory/" + bad,
				"/open311/v2/requests.json?service_code=" + bad} {
				if rec := serve("GET", p, "", "", nil); rec.Code != 400 {
					t.Errorf("GET %s: %d, want 400: %.300s", p, rec.Code, rec.Body)
				}
			}
		}
		// The forms: the token comes with the page, then each field in turn
		// holds bad text, the others what the form expects.
		token := regexp.MustCompile(`name="_?csrf" value="([^"]+)"`)
		for _, form := range []struct {
			page, post string
			fields     []string
		}{
			{"/login", "/login", []string{"username", "password", "next"}},
			{"/public/", "/public/report", []string{"category", "description", "address", "lat", "lon", "name", "phone"}},
		} {
			rec := serve("GET", form.page, "", "", nil)
			m := token.FindStringSubmatch(rec.Body.String())
			if m == nil {
				t.Fatalf("no form token on %s (%d)", form.page, rec.Code)
			}
			var cookies []string
			for _, c := range rec.Result().Cookies() {
				cookies = append(cookies, c.Name+"="+c.Value)
			}
			for _, field := range form.fields {
				for _, bad := range []string{"a\x00b", "\xff\xfe"} {
					v := url.Values{"_csrf": {m[1]}, "csrf": {m[1]}, "username": {"admin"}, "password": {"not-the-password"},
						"category": {"E0102"}, "description": {"垃圾"}, "lat": {"31.52"}, "lon": {"120.22"}}
					v.Set(field, bad)
					rec := serve("POST", form.post, "application/x-www-form-urlencoded", v.Encode(), cookies)
					if rec.Code != 400 || !strings.Contains(rec.Body.String(), "不是有效的文本") {
						t.Errorf("POST %s with %s=%q: %d, want 400 naming the field: %.300s", form.post, field, bad, rec.Code, rec.Body)
					}
				}
			}
		}
	})
}
