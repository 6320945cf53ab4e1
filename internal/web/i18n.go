package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Langs are the console's languages; the first is the default.
var Langs = []string{"zh", "en"}

//go:embed locales/*.json
var localeFS embed.FS

// locales maps language → key → message (a fmt format when it takes arguments).
var locales = mustLoadLocales()

func mustLoadLocales() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, l := range Langs {
		raw, err := localeFS.ReadFile("locales/" + l + ".json")
		if err != nil {
			panic("web: missing locale " + l)
		}
		m := map[string]string{}
		if err := json.Unmarshal(raw, &m); err != nil {
			panic("web: locale " + l + ": " + err.Error()) // caught by the tests
		}
		out[l] = m
	}
	return out
}

func validLang(l string) bool {
	for _, x := range Langs {
		if l == x {
			return true
		}
	}
	return false
}

// translate returns the message for key in lang, formatted with args. A
// missing key (which the tests forbid) shows as the key itself.
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

// chooseLang picks the language of a request: the signed-in user's saved
// choice, else the browser's cookie, else Accept-Language, else Chinese.
func (s *Server) chooseLang(r *http.Request, q *request) string {
	if q.sess != nil && validLang(q.sess.Lang) {
		return q.sess.Lang
	}
	if c, err := r.Cookie(langCookie); err == nil && validLang(c.Value) {
		return c.Value
	}
	return acceptLang(r.Header.Get("Accept-Language"))
}

// acceptLang picks zh or en from an Accept-Language header by quality, the
// earlier entry winning ties; any other language counts for nothing, and
// with neither the answer is zh.
func acceptLang(h string) string {
	type choice struct {
		lang string
		q    float64
		pos  int
	}
	var cs []choice
	for i, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		base, _, _ := strings.Cut(tag, "-")
		if base != "zh" && base != "en" {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
					q = f
				}
			}
		}
		if q > 0 {
			cs = append(cs, choice{base, q, i})
		}
	}
	if len(cs) == 0 {
		return Langs[0]
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].q > cs[j].q })
	return cs[0].lang
}
