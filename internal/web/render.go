package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/catalog"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageTemplate is one page parsed with the layout and the shared partials.
type pageTemplate struct{ t *template.Template }

// pageNames lists the pages; each is templates/NAME.html defining "title" and "content".
var pageNames = []string{"login", "error", "desk", "case", "report", "mine", "nearby", "map", "dashboard"}

// shanghai is where people read times: the calendar's zone.
var shanghai = calendar.Shanghai()

// funcs are the template functions of one language. Keys given to t are
// checked against the locales by the tests (they read every t call).
func (s *Server) funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":           func(key string, args ...any) string { return translate(lang, key, args...) },
		"stateName":   func(st casework.State) string { return translate(lang, "state."+string(st)) },
		"actionName":  func(a casework.Action) string { return translate(lang, "action."+string(a)) },
		"sourceName":  func(src casework.Source) string { return translate(lang, "source."+string(src)) },
		"roleName":    func(r auth.Role) string { return translate(lang, "role."+string(r)) },
		"urgencyName": func(u catalog.Urgency) string { return translate(lang, "urgency."+string(u)) },
		"catName": func(code string) string {
			if c, ok := s.App.Category(code); ok {
				if lang == "en" {
					return c.NameEn
				}
				return c.NameZh
			}
			return code
		},
		"areaName": func(code string) string {
			if a, ok := s.App.Territory().Area(code); ok {
				return a.Name
			}
			return code
		},
		"errText": func(e *xiuhua.Error) string {
			if lang == "en" || e.MessageZh == "" {
				return e.Message
			}
			return e.MessageZh
		},
		"fmtTime": fmtTime,
		"fmtDate": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(shanghai).Format("2006-01-02")
		},
		"asset": assetURL,
		"short": func(s string, n int) string {
			if utf8.RuneCountInString(s) <= n {
				return s
			}
			r := []rune(s)
			return string(r[:n]) + "…"
		},
		"photoURL":   func(id string) string { return "/photos/" + id },
		"stateClass": func(st casework.State) string { return "st-" + string(st) },
		"deref":      func(b *bool) bool { return b != nil && *b },
		"cell":       cellText,
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(shanghai).Format("2006-01-02 15:04")
}

func mustParseTemplates(s *Server) map[string]map[string]*pageTemplate {
	out := map[string]map[string]*pageTemplate{}
	for _, lang := range Langs {
		out[lang] = map[string]*pageTemplate{}
		for _, name := range pageNames {
			t, err := template.New(name).Funcs(s.funcs(lang)).ParseFS(templateFS,
				"templates/layout.html", "templates/partials.html", "templates/"+name+".html")
			if err != nil {
				panic("web: template " + name + ": " + err.Error()) // caught by the tests
			}
			out[lang][name] = &pageTemplate{t}
		}
	}
	return out
}

// view is what the layout needs besides the page's own data (D).
type view struct {
	Page  string
	Lang  string
	Other string // the language the switch goes to
	User  *auth.User
	CSRF  string
	Here  string // this page, for the language switch to come back to
	Flash string // a notice, already translated
	Err   *xiuhua.Error
	Can   can
	// Styles and Scripts are the page's own static files, after the layout's.
	Styles, Scripts []string
	D               any
}

// can says which parts of the navigation a user gets.
type can struct {
	Report, Mine, Nearby bool
}

func canFor(a auth.Actor) can {
	return can{
		Report: a.Role != auth.Handler,
		Mine:   a.Role != auth.Handler,
		Nearby: a.Is(auth.Inspector, auth.Admin),
	}
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, q *request, st int, page, flash string, data any) {
	v := view{Page: page, Lang: q.lang, Other: "en", CSRF: q.csrf, Here: localPath(r.URL.RequestURI()), Flash: flash, Err: q.flashErr,
		Styles: q.styles, Scripts: q.scripts, D: data}
	if r.Method != http.MethodGet {
		v.Here = localPath(q.here)
	}
	if q.lang == "en" {
		v.Other = "zh"
	}
	if q.sess != nil {
		u := q.sess.User
		v.User = &u
		v.Can = canFor(q.actor)
	}
	if page == "error" {
		v.Err = nil // the error page shows it itself
	}
	pt := s.pages[q.lang][page]
	var buf bytes.Buffer
	if err := pt.t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.Log.Error("render", "page", page, "request_id", q.rid, "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "internal error / 内部错误 (%s)\n", q.rid)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", map[string]string{"zh": "zh-CN", "en": "en"}[q.lang])
	w.WriteHeader(st)
	w.Write(buf.Bytes())
}

// assetHashes are short content hashes of the static files: URLs carry them
// so browsers may cache an asset for a year and still see a new release.
var assetHashes = func() map[string]string {
	m := map[string]string{}
	fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := staticFS.ReadFile(p)
		sum := sha256.Sum256(b)
		m[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:6])
		return nil
	})
	return m
}()

func assetURL(name string) string {
	return "/static/" + name + "?v=" + assetHashes[name]
}

func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("path")
	h, ok := assetHashes[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, _ := staticFS.ReadFile("static/" + name)
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	if r.URL.Query().Get("v") == h {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("ETag", `"`+h+`"`)
	if r.Header.Get("If-None-Match") == `"`+h+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(b)
}
