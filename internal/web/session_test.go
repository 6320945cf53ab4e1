package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

func TestSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.client()

		// Signed out: pages send to the sign-in page and back.
		p := c.get("/cases?state=open")
		if p.status != http.StatusSeeOther || p.location() != "/login?next=%2Fcases%3Fstate%3Dopen" {
			t.Fatalf("signed-out desk: %d %q", p.status, p.location())
		}
		lp := c.get("/login")
		if lp.status != 200 || !strings.Contains(lp.body, `<label for="username">用户名</label>`) {
			t.Fatalf("sign-in page: %d %.300s", lp.status, lp.body)
		}
		tok := csrf(t, lp)

		// No token, a wrong token: refused before the password is looked at.
		for _, bad := range []string{"", strings.Repeat("0", 64)} {
			p = c.post("/login", url.Values{"_csrf": {bad}, "username": {"dispatcher"}, "password": {testPassword}})
			if p.status != http.StatusForbidden || c.cookie(sessionCookie) != nil {
				t.Errorf("token %q: %d", bad, p.status)
			}
		}
		p = c.post("/login", url.Values{"_csrf": {tok}, "username": {"dispatcher"}, "password": {"wrong-password-1"}})
		if p.status != http.StatusUnauthorized || alert(p.body) != "用户名或密码错误" {
			t.Errorf("wrong password: %d %q", p.status, alert(p.body))
		}
		p = c.post("/login", url.Values{"_csrf": {tok}, "username": {"dispatcher"}, "password": {testPassword}, "next": {"//evil.example/x"}})
		if p.status != http.StatusSeeOther || p.location() != "/" {
			t.Fatalf("sign-in: %d %q (an off-site next must become /)", p.status, p.location())
		}
		first := c.cookie(sessionCookie)
		if first == nil || len(first.Value) != 64 {
			t.Fatalf("session cookie %+v", first)
		}
		p = c.get("/cases")
		if p.status != 200 || !strings.Contains(p.body, "梁溪区指挥中心") && !strings.Contains(p.body, "dispatcher · 派遣员") {
			t.Fatalf("desk after sign-in: %d %s", p.status, alert(p.body))
		}
		// The stored hash was upgraded from the cheap test parameters.
		if _, h, _ := db.UserPassword(t.Context(), "dispatcher"); auth.NeedsRehash(h) || !auth.CheckPassword(h, testPassword) {
			t.Errorf("hash not upgraded at sign-in: %q", h)
		}

		// Signing in again rotates the id: the old one is dead.
		c.login("dispatcher")
		second := c.cookie(sessionCookie)
		if second.Value == first.Value {
			t.Fatal("the session id did not change at sign-in")
		}
		stale := e.client()
		stale.hc.Jar.SetCookies(mustURL(e.srv.URL), []*http.Cookie{{Name: sessionCookie, Value: first.Value}})
		if p := stale.get("/cases"); p.status != http.StatusSeeOther {
			t.Errorf("the old session id still works: %d", p.status)
		}
		// A planted id the server never issued is ignored, not adopted.
		planted := e.client()
		planted.hc.Jar.SetCookies(mustURL(e.srv.URL), []*http.Cookie{{Name: sessionCookie, Value: strings.Repeat("a", 64)}})
		planted.login("inspector")
		if planted.cookie(sessionCookie).Value == strings.Repeat("a", 64) {
			t.Error("a planted session id was kept")
		}

		// Sign out ends the session on the server, not just in the browser.
		id := c.cookie(sessionCookie).Value
		p = c.post("/logout", url.Values{"_csrf": {c.token()}})
		if p.status != http.StatusSeeOther || p.location() != "/login" {
			t.Fatalf("sign out: %d %q", p.status, p.location())
		}
		stale.hc.Jar.SetCookies(mustURL(e.srv.URL), []*http.Cookie{{Name: sessionCookie, Value: id}})
		if p := stale.get("/cases"); p.status != http.StatusSeeOther {
			t.Errorf("the signed-out session still works: %d", p.status)
		}
		// A user without a password (API only) cannot sign in.
		if err := db.SetPassword(t.Context(), "leader", ""); err != nil {
			t.Fatal(err)
		}
		if p := e.client().tryLogin("leader", ""); p.status != http.StatusBadRequest {
			t.Errorf("empty password: %d", p.status)
		}
		if p := e.client().tryLogin("leader", testPassword); p.status != http.StatusUnauthorized {
			t.Errorf("passwordless user: %d", p.status)
		}
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestCookieAndHeaders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.client()
		lp := c.get("/login")
		p := c.post("/login", url.Values{"_csrf": {csrf(t, lp)}, "username": {"inspector"}, "password": {testPassword}})
		var sc string
		for _, v := range p.header.Values("Set-Cookie") {
			if strings.HasPrefix(v, sessionCookie+"=") {
				sc = v
			}
		}
		if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") || strings.Contains(sc, "Secure") || !strings.Contains(sc, "Path=/") {
			t.Errorf("session cookie on plain HTTP: %q", sc)
		}
		for _, path := range []string{"/login", "/cases", "/nope"} {
			h := c.get(path).header
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("%s: CSP %q", path, csp)
			}
			if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: headers %v", path, h)
			}
		}
		// Pages carry no inline script or style: all of it is in /static.
		for _, path := range []string{"/login", "/cases", "/report"} {
			body := c.get(path).body
			if strings.Contains(body, "<script>") || strings.Contains(body, "style=") || strings.Contains(body, "<style") || strings.Contains(body, "onclick") {
				t.Errorf("%s has inline script or style", path)
			}
		}
		// Secure when configured (behind a TLS proxy).
		e.web.SecureCookies = true
		c2 := e.client()
		lp = c2.get("/login")
		p = c2.post("/login", url.Values{"_csrf": {csrf(t, lp)}, "username": {"inspector"}, "password": {testPassword}})
		if v := strings.Join(p.header.Values("Set-Cookie"), "\n"); !strings.Contains(v, "Secure") {
			t.Errorf("no Secure flag with SecureCookies: %q", v)
		}
		if p.header.Get("Strict-Transport-Security") == "" {
			t.Error("no HSTS with SecureCookies")
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.client()
		c.login("dispatcher")
		// Idle: used within the idle timeout it lives; past it, it is gone.
		e.advance(DefaultIdleTimeout - time.Minute)
		if p := c.get("/cases"); p.status != 200 {
			t.Fatalf("active session refused: %d", p.status)
		}
		e.advance(DefaultIdleTimeout + time.Second)
		if p := c.get("/cases"); p.status != http.StatusSeeOther {
			t.Fatalf("idle session accepted: %d", p.status)
		}
		// Absolute: used every hour, it still ends 12 hours after sign-in.
		c.login("dispatcher")
		for h := 1; h < 12; h++ {
			e.advance(time.Hour)
			if p := c.get("/cases"); p.status != 200 {
				t.Fatalf("hour %d: %d", h, p.status)
			}
		}
		e.advance(time.Hour)
		if p := c.get("/cases"); p.status != http.StatusSeeOther {
			t.Fatalf("session past its absolute expiry accepted: %d", p.status)
		}
		// A POST with an ended session is refused (and says so).
		if p := c.post("/logout", url.Values{"_csrf": {"x"}}); p.status != http.StatusForbidden && p.status != http.StatusUnauthorized {
			t.Errorf("POST after expiry: %d", p.status)
		}
	})
}

func TestLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		for _, user := range []string{"inspector", "no-such-user"} {
			c := e.client()
			var bodies []string
			for i := 1; i <= MaxFailures; i++ {
				p := c.tryLogin(user, "wrong-password-1")
				want := http.StatusUnauthorized
				if i == MaxFailures {
					want = http.StatusTooManyRequests
				}
				if p.status != want {
					t.Fatalf("%s attempt %d: %d, want %d", user, i, p.status, want)
				}
				bodies = append(bodies, alert(p.body))
			}
			if bodies[0] != "用户名或密码错误" || !strings.Contains(bodies[MaxFailures-1], "15 分钟") {
				t.Errorf("%s messages: %q", user, bodies)
			}
			// Locked: even the right password is refused, without being checked.
			if p := c.tryLogin(user, testPassword); p.status != http.StatusTooManyRequests || alert(p.body) != bodies[MaxFailures-1] {
				t.Errorf("%s while locked: %d %q", user, p.status, alert(p.body))
			}
			// Case and spaces do not make another username.
			if p := c.tryLogin(" "+strings.ToUpper(user)+" ", testPassword); p.status != http.StatusTooManyRequests {
				t.Errorf("%s in capitals while locked: %d", user, p.status)
			}
		}
		// The same words for a user who exists and one who does not.
		a, b := e.client().tryLogin("inspector", "x-wrong-pass"), e.client().tryLogin("no-such-user", "x-wrong-pass")
		if alert(a.body) != alert(b.body) || a.status != b.status {
			t.Errorf("lockout reveals who exists: %q vs %q", alert(a.body), alert(b.body))
		}
		// Other users are unaffected; after 15 minutes the lock is gone.
		e.client().login("inspector2")
		e.advance(LockFor)
		e.client().login("inspector")
		// Failures spread over more than the window never lock.
		c := e.client()
		for i := 0; i < MaxFailures+2; i++ {
			if p := c.tryLogin("dispatcher", "wrong-password-1"); p.status != http.StatusUnauthorized {
				t.Fatalf("spread failure %d: %d", i, p.status)
			}
			e.advance(LockWindow/4 + time.Minute)
		}
		c.login("dispatcher")
		// A success clears the count.
		f, err := db.LoginFailures(t.Context(), "dispatcher")
		if err != nil || f.Failures != 0 {
			t.Errorf("after success: %+v %v", f, err)
		}
	})
}

func TestCSRF(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.e2(t)
		cs := e.report("inspector", [2]float64{120.22, 31.52}, "E0102", "暴露垃圾")
		form := url.Values{"version": {"1"}}
		if p := c.post("/cases/"+itoa(cs.ID)+"/register", form); p.status != http.StatusForbidden {
			t.Fatalf("no token: %d", p.status)
		}
		// Another session's token, and the pre-session token, are not this session's.
		other := e.client()
		other.login("dispatcher")
		form.Set("_csrf", other.token())
		if p := c.post("/cases/"+itoa(cs.ID)+"/register", form); p.status != http.StatusForbidden {
			t.Fatalf("another session's token: %d", p.status)
		}
		form.Set("_csrf", c.token())
		if p := c.post("/cases/"+itoa(cs.ID)+"/register", form); p.status != http.StatusSeeOther {
			t.Fatalf("own token: %d %s", p.status, alert(p.body))
		}
		// Multipart forms are checked the same way.
		if p := c.postFiles("/cases/"+itoa(cs.ID)+"/register", url.Values{"version": {"2"}}); p.status != http.StatusForbidden {
			t.Fatalf("multipart without token: %d", p.status)
		}
	})
}

// e2 is a client signed in as the dispatcher.
func (e *env) e2(t *testing.T) *client {
	c := e.client()
	c.login("dispatcher")
	return c
}
