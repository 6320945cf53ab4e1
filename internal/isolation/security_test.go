package isolation_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// directive returns a CSP directive's sources ("" and false when absent).
func directive(csp, name string) (string, bool) {
	for _, d := range strings.Split(csp, ";") {
		d = strings.TrimSpace(d)
		if d == name || strings.HasPrefix(d, name+" ") {
			return strings.TrimSpace(strings.TrimPrefix(d, name)), true
		}
	}
	return "", false
}

// checkPage asserts the headers of an HTML page of the console or portal.
func checkPage(t *testing.T, name string, r resp) {
	t.Helper()
	csp := r.header.Get("Content-Security-Policy")
	script, ok := directive(csp, "script-src")
	if !ok {
		script, ok = directive(csp, "default-src")
	}
	if !ok || strings.Contains(script, "'unsafe-inline'") || strings.Contains(script, "'unsafe-eval'") {
		t.Errorf("%s: script sources %q (CSP %q): want a policy without inline script", name, script, csp)
	}
	fa, _ := directive(csp, "frame-ancestors")
	if fa != "'none'" && r.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("%s: may be framed: frame-ancestors %q, X-Frame-Options %q", name, fa, r.header.Get("X-Frame-Options"))
	}
}

// TestSecurityBasics checks headers, CSRF, the session cookie, upload
// limits on every door, and that no secret reaches the log.
func TestSecurityBasics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		c, _ := w.report("inspector", apptest.PointJiale1, "ISO-SEC 垃圾", "sec")

		// Sign in by hand, to see the cookie as it is set.
		browser := w.client("")
		tok := match(t, consoleCSRF, browser.get("/login"))
		r := browser.postForm("/login", url.Values{"_csrf": {tok}, "username": {"dispatcher"}, "password": {password}, "next": {"/cases"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("sign-in: %d", r.status)
		}
		cookies := (&http.Response{Header: r.header}).Cookies()
		if len(cookies) == 0 {
			t.Fatal("sign-in set no cookie")
		}
		for _, ck := range cookies {
			w.secrets = append(w.secrets, ck.Value)
			if ck.MaxAge < 0 || ck.Value == "" {
				continue // a pre-session cookie being cleared
			}
			if !ck.HttpOnly || (ck.SameSite != http.SameSiteLaxMode && ck.SameSite != http.SameSiteStrictMode) {
				t.Errorf("cookie %s: HttpOnly=%v SameSite=%v, want HttpOnly and Lax or Strict", ck.Name, ck.HttpOnly, ck.SameSite)
			}
		}
		browser.csrf = match(t, consoleCSRF, browser.get("/cases"))
		w.secrets = append(w.secrets, tok, browser.csrf)

		// Headers on every door.
		citizen := w.client("")
		form := citizen.get("/public/")
		ptok := match(t, portalCSRF, form)
		w.secrets = append(w.secrets, ptok)
		pages := map[string]resp{
			"console /login":     w.client("").get("/login"),
			"console /cases":     browser.get("/cases"),
			"console case page":  browser.get("/cases/" + c.Code()),
			"console /dashboard": browser.get("/dashboard"),
			"console 404":        browser.get("/no-such-page"),
			"portal /public/":    form,
			"portal 404":         citizen.get("/public/no-such-page"),
		}
		for name, p := range pages {
			checkPage(t, name, p)
		}
		pages["api /api/v1/me"] = w.client(w.f.Tokens["admin"]).get("/api/v1/me")
		pages["api 401"] = w.client("").get("/api/v1/cases")
		pages["healthz"] = w.client("").get("/healthz")
		pages["open311 services"] = w.client("").get("/open311/v2/services.json")
		pages["open311 404"] = w.client("").get("/open311/v2/nothing.json")
		pages["console static"] = w.client("").get("/favicon.ico")
		for name, p := range pages {
			if p.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s (%d): X-Content-Type-Options %q", name, p.status, p.header.Get("X-Content-Type-Options"))
			}
		}

		// CSRF: console and portal POSTs without a token are refused and change nothing.
		refused := func(name string, r resp) {
			t.Helper()
			if r.status != http.StatusForbidden {
				t.Errorf("%s without CSRF token: %d, want 403", name, r.status)
			}
		}
		v := strconv.Itoa(c.Version)
		refused("console act", browser.postForm("/cases/"+c.Code()+"/register", url.Values{"version": {v}}))
		refused("console act, wrong token", browser.postForm("/cases/"+c.Code()+"/register", url.Values{"version": {v}, "_csrf": {strings.Repeat("0", len(browser.csrf))}}))
		refused("console report", browser.postForm("/report", url.Values{"category": {"E0102"}, "description": {"x"}}))
		refused("console logout", browser.postForm("/logout", nil))
		refused("console login", w.client("").postForm("/login", url.Values{"username": {"admin"}, "password": {password}}))
		if got := w.version(c.ID); got != c.Version {
			t.Errorf("a refused console POST changed the case: version %d → %d", c.Version, got)
		}
		if browser.get("/cases").status != http.StatusOK {
			t.Error("the refused logout signed the browser out")
		}
		ft := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
		pform := url.Values{"category": {"E0102"}, "description": {"ISO-CSRF"}, "lat": {ft(apptest.PointJiale1[1])}, "lon": {ft(apptest.PointJiale1[0])}}
		refused("portal report", citizen.postForm("/public/report", pform))
		pform.Set("csrf", ptok)
		r = citizen.postForm("/public/report", pform)
		if r.status != http.StatusSeeOther {
			t.Fatalf("portal report with its token: %d %.300s", r.status, r.body)
		}
		track := strings.TrimPrefix(strings.SplitN(r.header.Get("Location"), "?", 2)[0], "/public/t/")
		checkPage(t, "portal tracking page", citizen.get("/public/t/"+track))
		refused("portal rate", citizen.postForm("/public/t/"+track+"/rate", url.Values{"rating": {"5"}}))
		list := w.client(w.f.Tokens["admin"]).get("/api/v1/cases").body
		if n := strings.Count(list, "ISO-CSRF"); n != 1 {
			t.Errorf("portal reports in the ledger: %d, want 1 (the one with its token)", n)
		}

		// Uploads over the limit: 413 on every door.
		tooLarge := func(name string, r resp) {
			t.Helper()
			if r.status != http.StatusRequestEntityTooLarge {
				t.Errorf("%s: %d, want 413: %.300s", name, r.status, r.body)
			}
		}
		api := w.client(w.f.Tokens["inspector"])
		big := append(append([]byte{}, apptest.PNG...), make([]byte, 10<<20)...)
		tooLarge("api blob", api.do("POST", "/api/v1/blobs", "image/png", bytes.NewReader(big)))
		ct, body := multipartBody(url.Values{"_csrf": {browser.csrf}, "category": {"E0102"}, "description": {"big"},
			"lon": {ft(apptest.PointJiale1[0])}, "lat": {ft(apptest.PointJiale1[1])}}, "photos", 61<<20+1<<20)
		r = browser.do("POST", "/report", ct, body)
		tooLarge("console report", r)
		// The console's one form limit serves photos and file imports alike, and says so.
		if !strings.Contains(r.body, "一次最多 61 MB") || !strings.Contains(r.body, "更大的导入文件请拆分") {
			t.Errorf("console 413 page does not state the limit: %.600s", r.body)
		}
		ct, body = multipartBody(url.Values{"csrf": {ptok}, "category": {"E0102"}, "description": {"big"},
			"lon": {ft(apptest.PointJiale1[0])}, "lat": {ft(apptest.PointJiale1[1])}}, "photos", 16<<20)
		tooLarge("portal report", citizen.do("POST", "/public/report", ct, body))
		tooLarge("open311 form", w.client("").postForm("/open311/v2/requests.json", url.Values{"api_key": {w.keys["city"]},
			"service_code": {"E0102"}, "description": {strings.Repeat("x", 300<<10)}}))
		ct, body = multipartBody(url.Values{"api_key": {w.keys["city"]}, "service_code": {"E0102"}, "description": {"big"},
			"long": {ft(apptest.PointJiale1[0])}, "lat": {ft(apptest.PointJiale1[1])}}, "media", 6<<20)
		tooLarge("open311 media", w.client("").do("POST", "/open311/v2/requests.json", ct, body))

		// A wrong password and a wrong token, which a careless log would echo.
		for i := 0; i < 6; i++ { // past the lockout threshold, which logs
			bad := w.client("")
			btok := match(t, consoleCSRF, bad.get("/login"))
			if r := bad.postForm("/login", url.Values{"_csrf": {btok}, "username": {"admin"}, "password": {"wrong-" + password}}); r.status == http.StatusSeeOther {
				t.Fatal("a wrong password signed in")
			}
		}
		w.client("not-a-token-" + w.f.Tokens["admin"]).get("/api/v1/cases")
		w.client("").get("/open311/v2/requests.json?api_key=" + url.QueryEscape("bad-"+w.keys["qmq"]))
		w.checkLog(t, true)
	})
}
