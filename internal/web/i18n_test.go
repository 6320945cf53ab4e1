package web

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"text/template/parse"

	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestLocalesMatch fails when a key is in one locale and not the other, or
// when the two translations of a key take different arguments.
func TestLocalesMatch(t *testing.T) {
	zh, en := locales["zh"], locales["en"]
	if len(zh) < 100 {
		t.Fatalf("only %d keys in zh.json", len(zh))
	}
	for _, pair := range [][2]string{{"zh", "en"}, {"en", "zh"}} {
		for k := range locales[pair[0]] {
			if _, ok := locales[pair[1]][k]; !ok {
				t.Errorf("%q is in %s.json but not in %s.json", k, pair[0], pair[1])
			}
		}
	}
	verbs := regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?[a-zA-Z%]`)
	for k, z := range zh {
		if e, ok := en[k]; ok && !slices.Equal(verbs.FindAllString(z, -1), verbs.FindAllString(e, -1)) {
			t.Errorf("%q: zh %q and en %q take different arguments", k, z, e)
		}
		if strings.TrimSpace(z) == "" || strings.TrimSpace(en[k]) == "" {
			t.Errorf("%q is empty", k)
		}
	}
}

// templateKeys collects the keys of every t call in the parsed templates,
// and fails on a t call whose key is not a string literal (which this test
// could not check).
func templateKeys(t *testing.T) map[string]bool {
	keys := map[string]bool{}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			if id, ok := n.Args[0].(*parse.IdentifierNode); ok && id.Ident == "t" {
				s, ok := n.Args[1].(*parse.StringNode)
				if !ok {
					t.Errorf("t called with a computed key: %s", n)
				} else {
					keys[s.Text] = true
				}
			}
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
		}
	}
	s := &Server{}
	for _, pt := range mustParseTemplates(s)["zh"] {
		for _, tt := range pt.t.Templates() {
			if tt.Tree != nil { // the set's own empty root has none
				walk(tt.Tree.Root)
			}
		}
	}
	return keys
}

// TestTemplateKeys fails when a template uses a key missing from the locales.
func TestTemplateKeys(t *testing.T) {
	keys := templateKeys(t)
	if len(keys) < 100 || !keys["login.submit"] || !keys["case.timeline"] {
		t.Fatalf("the template walk found only %d keys", len(keys))
	}
	for k := range keys {
		for _, l := range Langs {
			if _, ok := locales[l][k]; !ok {
				t.Errorf("templates use %q, missing from %s.json", k, l)
			}
		}
	}
}

// TestGoKeys checks the keys the Go code builds: one per state, action,
// source, role and urgency, the notices after each action, and every
// literal key passed to translate in the package's source.
func TestGoKeys(t *testing.T) {
	need := []string{"time.working_hours", "time.clock_hours"}
	for _, s := range casework.States {
		need = append(need, "state."+string(s))
	}
	for _, a := range append([]casework.Action{casework.Report}, casework.Actions...) {
		need = append(need, "action."+string(a))
	}
	for _, k := range doneKeys {
		need = append(need, k)
	}
	for _, s := range casework.Sources {
		need = append(need, "source."+string(s))
	}
	for _, r := range auth.Roles {
		need = append(need, "role."+string(r))
	}
	need = append(need, "urgency."+string(catalog.Normal), "urgency."+string(catalog.Urgent))
	files, _ := filepath.Glob("*.go")
	lit := regexp.MustCompile(`translate\([\w.]+, "([a-z0-9_.-]+)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(src), -1) {
			if !strings.HasSuffix(m[1], ".") {
				need = append(need, m[1])
			}
		}
	}
	for _, k := range need {
		for _, l := range Langs {
			if _, ok := locales[l][k]; !ok {
				t.Errorf("the code uses %q, missing from %s.json", k, l)
			}
		}
	}
	// The Chinese state names are the ledger's own (casework.State.NameZh).
	for _, s := range casework.States {
		if got := translate("zh", "state."+string(s)); got != s.NameZh() {
			t.Errorf("state %s: locale %q, casework %q", s, got, s.NameZh())
		}
	}
}

func TestAcceptLang(t *testing.T) {
	for h, want := range map[string]string{
		"":                               "zh",
		"en-US,en;q=0.9":                 "en",
		"zh-CN,zh;q=0.9,en;q=0.8":        "zh",
		"en;q=0.5, zh-TW;q=0.8":          "zh",
		"fr-FR, de;q=0.9":                "zh",
		"fr-FR, en;q=0.2":                "en",
		"EN-gb":                          "en",
		"zh;q=0, en;q=0.1":               "en",
		"en;q=0.8, zh;q=0.8":             "en", // a tie goes to the earlier
		"ja, en-US;q=0.7, zh-Hans;q=0.9": "zh",
		"en;q=garbage":                   "en",
	} {
		if got := acceptLang(h); got != want {
			t.Errorf("Accept-Language %q: %s, want %s", h, got, want)
		}
	}
}

func TestLanguageSwitch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		// The browser's language decides before anything is chosen.
		c := e.client()
		c.lang = "en-GB,en;q=0.9"
		p := c.get("/login")
		if !strings.Contains(p.body, `<html lang="en">`) || !strings.Contains(p.body, ">Sign in to Xiuhua<") {
			t.Fatalf("English browser: %.300s", p.body)
		}
		zh := e.client()
		if p := zh.get("/login"); !strings.Contains(p.body, `<html lang="zh-CN">`) || !strings.Contains(p.body, "登录绣花") {
			t.Fatalf("default language: %.300s", p.body)
		}
		// The switch before sign-in: a cookie.
		p = zh.post("/lang", url.Values{"_csrf": {csrf(t, zh.get("/login"))}, "lang": {"en"}, "next": {"/login"}})
		if p.status != http.StatusSeeOther || p.location() != "/login" {
			t.Fatalf("switch: %d %q", p.status, p.location())
		}
		if p := zh.get("/login"); !strings.Contains(p.body, "Sign in to Xiuhua") {
			t.Fatal("the cookie did not switch to English")
		}
		if p := zh.post("/lang", url.Values{"_csrf": {csrf(t, zh.get("/login"))}, "lang": {"fr"}}); p.status != http.StatusBadRequest {
			t.Errorf("unknown language: %d", p.status)
		}
		// Signed in, the switch is the user's: another browser follows it.
		zh.login("inspector")
		p = zh.post("/lang", url.Values{"_csrf": {zh.token()}, "lang": {"en"}, "next": {"/report"}})
		if p.status != http.StatusSeeOther || p.location() != "/report" {
			t.Fatalf("signed-in switch: %d %q", p.status, p.location())
		}
		other := e.client()
		other.lang = "zh-CN"
		other.login("inspector")
		if p := other.get("/report"); !strings.Contains(p.body, "Report a problem") || !strings.Contains(p.body, `<option value="E0102" data-search="e0102 暴露垃圾 exposed garbage bllj">E0102 exposed garbage</option>`) {
			t.Errorf("the user's language was not followed: %.500s", alert(p.body))
		}
		// And back to Chinese.
		other.post("/lang", url.Values{"_csrf": {other.token()}, "lang": {"zh"}, "next": {"/"}})
		if p := zh.get("/report"); !strings.Contains(p.body, "上报问题") {
			t.Error("switching back to Chinese did not stick")
		}
	})
}

// TestInitials checks the pinyin table: one lower-case letter per Chinese
// character of each shipped category's name.
func TestInitials(t *testing.T) {
	var missing []string
	for _, c := range catalog.Defaults() {
		in := Initials(c.Code)
		if in == "" {
			missing = append(missing, c.Code)
			continue
		}
		if n := len([]rune(c.NameZh)); len(in) != n || strings.ToLower(in) != in || strings.Trim(in, "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Errorf("%s %s: initials %q", c.Code, c.NameZh, in)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no initials for %v", missing)
	}
	if len(initials) != len(catalog.Defaults()) {
		t.Errorf("%d initials for %d categories", len(initials), len(catalog.Defaults()))
	}
	for code, want := range map[string]string{"E0102": "bllj", "C0402": "xds", "E0404": "xsdds", "E0203": "jtsfgg", "C0405": "ld"} {
		if Initials(code) != want {
			t.Errorf("%s: %q, want %q", code, Initials(code), want)
		}
	}
}
