package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Cookie names. The session cookie is HttpOnly and SameSite=Lax: Lax still
// sends it when someone follows a link to a case from a chat message or a
// mail (Strict would show them the sign-in page), and never on a POST from
// another site; every POST also carries the CSRF token, so Strict would add
// nothing but that annoyance.
const (
	sessionCookie = "xiuhua_session"
	// preCookie holds the CSRF token of the sign-in and language forms before
	// there is a session (double-submit), so nobody can sign a browser into
	// their own account from another site.
	preCookie  = "xiuhua_pre"
	langCookie = "xiuhua_lang"
)

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
}

// loadSession resolves the session cookie. An unknown, idle or expired
// session is dropped and the request goes on signed out. Before sign-in the
// request gets the pre-session CSRF token (a cookie is set when missing).
func (s *Server) loadSession(w http.ResponseWriter, r *http.Request, q *request) error {
	now := s.Now()
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" && len(c.Value) <= 128 {
		hash := auth.HashToken(c.Value)
		sess, err := s.App.DB.WebSession(r.Context(), hash)
		switch {
		case xiuhua.ErrorCode(err) == xiuhua.EUnauthorized:
			s.setCookie(w, r, sessionCookie, "", -1)
		case err != nil:
			return err
		case !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeen) >= s.IdleTimeout:
			if err := s.App.DB.DeleteWebSession(r.Context(), hash); err != nil {
				return err
			}
			s.setCookie(w, r, sessionCookie, "", -1)
		default:
			if now.Sub(sess.LastSeen) >= touchEvery {
				if err := s.App.DB.TouchWebSession(r.Context(), hash, now); err != nil {
					return err
				}
			}
			q.sess, q.actor, q.csrf = &sess, sess.User.Actor(), sess.CSRF
			return nil
		}
	}
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) == 64 {
		q.csrf = c.Value
		return nil
	}
	if r.Method == http.MethodGet {
		q.csrf = newID(32)
		s.setCookie(w, r, preCookie, q.csrf, 0)
	}
	return nil
}

func constantEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

type loginView struct {
	Username string
	Next     string
	Locked   bool
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, q *request) error {
	next := localPath(r.URL.Query().Get("next"))
	if q.sess != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	s.render(w, r, q, http.StatusOK, "login", "", loginView{Next: next})
	return nil
}

// dummyHash is checked against when the username is unknown, so that an
// unknown user takes as long to refuse as a wrong password.
var dummyHash = sync.OnceValue(func() string { return auth.HashPassword(newID(16)) })

// checkPassword runs one password check, at most len(s.hashing) at a time.
func (s *Server) checkPassword(ctx context.Context, encoded, password string) (bool, error) {
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-s.hashing }()
	return auth.CheckPassword(encoded, password), nil
}

// lockKey is the username as counted for lockout: trimmed, lower-cased and
// bounded, whether or not such a user exists.
func lockKey(username string) string {
	k := strings.ToLower(strings.TrimSpace(username))
	for len(k) > 64 {
		_, n := utf8.DecodeLastRuneInString(k)
		k = k[:len(k)-n]
	}
	return k
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	username := strings.TrimSpace(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	next := localPath(r.PostFormValue("next"))
	view := loginView{Username: username, Next: next}
	refuse := func(st int, err error) error {
		view.Locked = st == http.StatusTooManyRequests
		q.flashErr = xiuhua.AsError(err)
		s.render(w, r, q, st, "login", "", view)
		return nil
	}
	badLogin := xiuhua.Errorf(xiuhua.EUnauthorized, "wrong username or password", "用户名或密码错误")
	locked := xiuhua.Errorf(xiuhua.ETooMany, "too many failed sign-ins for this username: try again in 15 minutes",
		"该用户名登录失败次数过多，请 15 分钟后再试")
	if username == "" || password == "" {
		return refuse(http.StatusBadRequest, xiuhua.Errorf(xiuhua.EInvalid, "enter your username and password", "请输入用户名和密码"))
	}
	now := s.Now()
	key := lockKey(username)
	f, err := s.App.DB.LoginFailures(ctx, key)
	if err != nil {
		return err
	}
	if f.Locked(now) {
		return refuse(http.StatusTooManyRequests, locked)
	}
	u, hash, err := s.App.DB.UserPassword(ctx, username)
	if err != nil && xiuhua.ErrorCode(err) != xiuhua.ENotFound {
		return err
	}
	ok := false
	if err == nil && hash != "" && !u.Disabled {
		ok, err = s.checkPassword(ctx, hash, password)
	} else {
		_, err = s.checkPassword(ctx, dummyHash(), password)
	}
	if err != nil {
		return err
	}
	if !ok {
		f, err := s.App.DB.RecordLoginFailure(ctx, key, now, LockWindow, MaxFailures, LockFor)
		if err != nil {
			return err
		}
		s.Log.Info("sign-in failed", "username", key, "failures", f.Failures, "locked", f.Locked(now), "request_id", q.rid)
		if f.Locked(now) {
			return refuse(http.StatusTooManyRequests, locked)
		}
		return refuse(http.StatusUnauthorized, badLogin)
	}
	if err := s.App.DB.ClearLoginFailures(ctx, key); err != nil {
		return err
	}
	if auth.NeedsRehash(hash) {
		if err := s.App.DB.SetPassword(ctx, u.Username, auth.HashPassword(password)); err != nil {
			return err
		}
	}
	// Housekeeping rides on sign-ins: they are rare and already slow.
	if _, err := s.App.DB.PurgeWebSessions(ctx, now, now.Add(-s.IdleTimeout)); err != nil {
		return err
	}
	if err := s.App.DB.PurgeLoginFailures(ctx, now.Add(-LockWindow), now); err != nil {
		return err
	}
	// A fresh id at every sign-in: an id planted before sign-in is worthless.
	if q.sess != nil {
		if err := s.App.DB.DeleteWebSession(ctx, q.sess.IDHash); err != nil {
			return err
		}
	}
	id := newID(32)
	sess := store.WebSession{IDHash: auth.HashToken(id), UserID: u.ID, CSRF: newID(32), CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(s.MaxAge)}
	if err := s.App.DB.CreateWebSession(ctx, sess); err != nil {
		return err
	}
	s.setCookie(w, r, sessionCookie, id, 0)
	s.Log.Info("signed in", "username", u.Username, "request_id", q.rid)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.App.DB.DeleteWebSession(r.Context(), q.sess.IDHash); err != nil {
		return err
	}
	s.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// setLang switches the language: a cookie for the browser, and the user's
// preference when signed in.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request, q *request) error {
	lang := r.PostFormValue("lang")
	if !validLang(lang) {
		return xiuhua.Errorf(xiuhua.EInvalid, "unknown language %q", "未知语言 %q", lang)
	}
	if q.sess != nil {
		if err := s.App.DB.SetUserLang(r.Context(), q.sess.UserID, lang); err != nil {
			return err
		}
	}
	s.setCookie(w, r, langCookie, lang, int((365 * 24 * time.Hour).Seconds()))
	http.Redirect(w, r, localPath(r.PostFormValue("next")), http.StatusSeeOther)
	return nil
}
