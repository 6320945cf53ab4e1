package portal

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"time"
)

// Langs are the portal's languages; the first is the default.
var Langs = []string{"zh", "en"}

//go:embed locales/*.json
var localeFS embed.FS

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticRoot embed.FS

// staticFS is the static tree with "static/" kept, so /public/static/x maps to static/x.
var staticFS fs.FS = staticRoot

var locales = func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, l := range Langs {
		raw, err := localeFS.ReadFile("locales/" + l + ".json")
		if err != nil {
			panic("portal: missing locale " + l)
		}
		m := map[string]string{}
		if err := json.Unmarshal(raw, &m); err != nil {
			panic("portal: locale " + l + ": " + err.Error()) // caught by the tests
		}
		out[l] = m
	}
	return out
}()

// translate returns the message for key in lang, formatted with args; a
// missing key (the tests forbid it) shows as the key.
func translate(lang, key string, args ...any) string {
	msg, ok := locales[lang][key]
	if !ok {
		msg, ok = locales[Langs[0]][key]
	}
	if !ok {
		return key
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

const langCookie = "xh_public_lang"

// chooseLang is ?lang= (remembered in a cookie), else the cookie, else
// Chinese: the portal is Chinese first whatever the browser says.
func (s *Server) chooseLang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "zh" || l == "en" {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: Prefix, MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "zh" || c.Value == "en") {
		return c.Value
	}
	return Langs[0]
}

func (s *Server) secure(r *http.Request) bool { return s.Config.SecureCookies || r.TLS != nil }

const csrfCookie = "xh_public_csrf"

// csrfCookie returns the browser's CSRF token, setting a new one when it
// has none. A form posts it back in the field "csrf": a page on another
// site can neither read the cookie nor (SameSite=Strict) send it.
func (s *Server) csrfCookie(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 32 {
		if _, err := hex.DecodeString(c.Value); err == nil {
			return c.Value
		}
	}
	b := make([]byte, 16)
	rand.Read(b)
	v := hex.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: Prefix, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secure(r)})
	// A request that had no cookie cannot have a matching form token.
	if r.Method == http.MethodPost {
		return ""
	}
	return v
}

// checkCSRF compares the form's token with the cookie's.
func checkCSRF(q *request, formToken string) bool {
	return q.csrf != "" && subtle.ConstantTimeCompare([]byte(q.csrf), []byte(formToken)) == 1
}

var pages = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	funcs := template.FuncMap{
		"t": func(string, ...any) string { return "" },
	}
	for _, p := range []string{"report", "track", "trackform", "error"} {
		t := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html"))
		out[p] = t
	}
	return out
}()

// render writes a page in the request's language.
func (s *Server) render(w http.ResponseWriter, q *request, status int, page string, data map[string]any) {
	t, err := pages[page].Clone()
	if err != nil {
		http.Error(w, "template", http.StatusInternalServerError)
		return
	}
	lang := q.lang
	t.Funcs(template.FuncMap{"t": func(key string, args ...any) string { return translate(lang, key, args...) }})
	if data == nil {
		data = map[string]any{}
	}
	data["Lang"], data["CSRF"], data["Page"] = lang, q.csrf, page
	other := "en"
	if lang == "en" {
		other = "zh"
	}
	data["Other"], data["SwitchURL"] = other, q.switchURL
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		s.Log.Error("portal: template", "page", page, "err", err)
		http.Error(w, "template error / 页面错误", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// langURL is the current page in the other language.
func langURL(r *http.Request, lang string) string {
	u := url.URL{Path: r.URL.Path}
	v := url.Values{}
	for k, vs := range r.URL.Query() {
		if k != "lang" {
			v[k] = vs
		}
	}
	v.Set("lang", lang)
	u.RawQuery = v.Encode()
	return u.String()
}

// when formats a time for people in Wuxi.
func (s *Server) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.App.Calendar().Location()).Format("2006-01-02 15:04")
}
