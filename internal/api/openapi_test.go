package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// registeredRoutes are the patterns New registers besides the "/api/"
// catch-all. Keep it in step with New and openapi.json: the tests below fail
// when the three disagree. An exact-match pattern ending in "/{$}" is
// documented as the path without "{$}" (OpenAPI has no such syntax).
var registeredRoutes = []string{
	"GET /healthz",
	"GET /metrics",
	"GET /api/v1/openapi.json",
	"GET /api/v1/me",
	"GET /api/v1/categories",
	"POST /api/v1/categories",
	"DELETE /api/v1/categories/{code}",
	"GET /api/v1/territory/locate",
	"GET /api/v1/territory/{code}",
	"POST /api/v1/cases",
	"GET /api/v1/cases",
	"GET /api/v1/cases/{id}",
	"POST /api/v1/cases/{id}/{action}",
	"POST /api/v1/blobs",
	"GET /api/v1/blobs/{id}",
	"POST /api/v1/units",
	"GET /api/v1/units",
	"GET /api/v1/calendar/add",
	"GET /api/v1/jobs",
	"POST /api/v1/hotline/import",
	"GET /api/v1/hotline/mappings",
	"PUT /api/v1/hotline/mappings",
	"GET /api/v1/cases/{id}/duplicates",
	"POST /api/v1/cases/{id}/merge",
	"POST /api/v1/cases/{id}/unmerge",
	"POST /api/v1/cases/{id}/duplicates/dismiss",
	"GET /api/v1/assess/metrics",
	"GET /api/v1/assess/schemes",
	"POST /api/v1/assess/schemes",
	"GET /api/v1/assess/points",
	"POST /api/v1/assess/points",
	"GET /api/v1/assess/rounds",
	"POST /api/v1/assess/rounds",
	"GET /api/v1/assess/rounds/{id}",
	"GET /api/v1/assess/rounds/{id}/sample",
	"POST /api/v1/assess/rounds/{id}/visits",
	"POST /api/v1/assess/rounds/{id}/inspected",
	"POST /api/v1/assess/rounds/{id}/findings",
	"GET /api/v1/assess/scores",
	"POST /api/v1/assess/publish",
	"GET /api/v1/assess/publications",
	"GET /api/v1/assess/publications/{id}/notice.html",
	"GET /api/v1/assess/publications/{id}/notice.xlsx",
	"POST /api/v1/assess/points/import",
	"GET /api/v1/assess/management-units",
	"POST /api/v1/assess/management-units",
	"POST /api/v1/assess/management-units/import",
	"GET /api/v1/plan/targets",
	"POST /api/v1/plan/targets",
	"GET /api/v1/plan/targets/{id}",
	"POST /api/v1/plan/targets/{id}/reports",
	"GET /api/v1/plan/statements",
	"POST /api/v1/plan/statements",
	"POST /api/v1/plan/statements/{id}/sign",
	"GET /api/v1/plan/projects",
	"POST /api/v1/plan/projects",
	"GET /api/v1/plan/projects/{id}",
	"PUT /api/v1/plan/projects/{id}",
	"GET /api/v1/plan/portfolio",
	"GET /api/v1/plan/projects/{id}/photos", "POST /api/v1/plan/projects/{id}/photos", "GET /api/v1/plan/projects/{id}/photos/{blob}",
	"PUT /api/v1/plan/projects/{id}/consultation", "GET /api/v1/plan/projects/{id}/suggestions", "GET /api/v1/plan/suggestions", "POST /api/v1/plan/suggestions/{id}/moderate",
	"GET /api/v1/plan/projects/{id}/poll", "GET /api/v1/plan/report.xlsx", "GET /api/v1/plan/report.html",
}

// publicRoutes answer without a token and must say so with `security: []`.
var publicRoutes = map[string]bool{
	"GET /healthz":             true,
	"GET /metrics":             true,
	"GET /api/v1/openapi.json": true,
}

const catchAll = "/api/"

var httpMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true,
	"head": true, "patch": true, "trace": true}

// openapiOp is one documented operation.
type openapiOp struct {
	method, path string // "GET", "/api/v1/cases/{id}"
	op           map[string]any
	item         map[string]any // the path item, for path-level parameters
}

// pattern is the ServeMux pattern that serves the operation.
func (o openapiOp) pattern() string {
	p := o.method + " " + o.path
	if strings.HasSuffix(p, "/") {
		p += "{$}" // "/" in the document is "/{$}" on the mux: exactly "/", not a prefix
	}
	return p
}

// notEnvelope lists the documented error statuses that are deliberately not
// the error envelope.
var notEnvelope = map[string]bool{
	"GET /healthz 503": true, // {"status": "unavailable"}
}

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(openapiJSON))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if dec.More() {
		t.Fatal("openapi.json has data after the document")
	}
	return doc
}

func openapiOps(t *testing.T, doc map[string]any) []openapiOp {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("openapi.json has no paths object")
	}
	var ops []openapiOp
	for p, v := range paths {
		item, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("path %s is not an object", p)
		}
		for k, o := range item {
			if !httpMethods[k] {
				continue
			}
			op, ok := o.(map[string]any)
			if !ok {
				t.Fatalf("%s %s is not an object", k, p)
			}
			ops = append(ops, openapiOp{method: strings.ToUpper(k), path: p, op: op, item: item})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].pattern() < ops[j].pattern() })
	return ops
}

// resolvePointer follows a local JSON pointer ("#/components/schemas/Case").
func resolvePointer(doc map[string]any, ref string) (any, bool) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, false
	}
	var cur any = doc
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func TestOpenAPIDocument(t *testing.T) {
	doc := loadOpenAPI(t)
	if doc["openapi"] != "3.0.3" {
		t.Errorf("openapi = %v, want 3.0.3", doc["openapi"])
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] != "xiuhua 绣花 API" || info["version"] != "1" {
		t.Errorf("info = %v %v", info["title"], info["version"])
	}
	if d, _ := info["description"].(string); !strings.Contains(d, "Authorization: Bearer") || !strings.Contains(d, "xiuhua token issue") {
		t.Error("info.description does not explain the bearer token")
	}
	if s, _ := json.Marshal(doc["servers"]); string(s) != `[{"url":"/"}]` {
		t.Errorf("servers = %s", s)
	}
	if s, _ := json.Marshal(doc["security"]); string(s) != `[{"bearer":[]}]` {
		t.Errorf("global security = %s", s)
	}
	if bearer, ok := resolvePointer(doc, "#/components/securitySchemes/bearer"); !ok {
		t.Error("no components.securitySchemes.bearer")
	} else if m := bearer.(map[string]any); m["type"] != "http" || m["scheme"] != "bearer" {
		t.Errorf("securitySchemes.bearer = %v", m)
	}

	// Every $ref resolves.
	refs := 0
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"]; ok {
				refs++
				s, _ := r.(string)
				if !strings.HasPrefix(s, "#/components/") {
					t.Errorf("%s: $ref %v is not a local components reference", at, r)
				} else if _, ok := resolvePointer(doc, s); !ok {
					t.Errorf("%s: $ref %s points to nothing", at, s)
				}
			}
			for k, x := range v {
				walk(at+"/"+k, x)
			}
		case []any:
			for i, x := range v {
				walk(at+"/"+strconv.Itoa(i), x)
			}
		}
	}
	walk("#", doc)
	if refs < 50 {
		t.Errorf("only %d $refs: the components are not used", refs)
	}

	// Every error response is the error envelope.
	for _, o := range openapiOps(t, doc) {
		responses, _ := o.op["responses"].(map[string]any)
		if len(responses) == 0 {
			t.Errorf("%s: no responses", o.pattern())
		}
		for code, r := range responses {
			if code < "400" || notEnvelope[o.pattern()+" "+code] {
				continue
			}
			rm, _ := r.(map[string]any)
			if ref, ok := rm["$ref"].(string); ok {
				res, _ := resolvePointer(doc, ref)
				rm, _ = res.(map[string]any)
			}
			schema, _ := resolvePointer(map[string]any{"r": rm}, "#/r/content/application~1json/schema/$ref")
			if schema != "#/components/schemas/Error" {
				t.Errorf("%s: response %s is not the Error schema", o.pattern(), code)
			}
		}
		if !publicRoutes[o.pattern()] && responses["401"] == nil {
			t.Errorf("%s: authenticated route without a 401 response", o.pattern())
		}
		if id, _ := o.op["operationId"].(string); id == "" {
			t.Errorf("%s: no operationId", o.pattern())
		}
	}

	// 2-space indentation, as json.Indent writes it.
	var compact, indented bytes.Buffer
	if err := json.Compact(&compact, openapiJSON); err != nil {
		t.Fatal(err)
	}
	if err := json.Indent(&indented, compact.Bytes(), "", "  "); err != nil {
		t.Fatal(err)
	}
	indented.WriteByte('\n')
	if !bytes.Equal(indented.Bytes(), openapiJSON) {
		t.Error("openapi.json is not indented with 2 spaces (json.Indent style, trailing newline)")
	}
}

var pathParamRE = regexp.MustCompile(`\{([^}/]+)\}`)

// declaredPathParams lists the names of the path parameters an operation
// declares, following $refs to components.parameters.
func declaredPathParams(doc map[string]any, o openapiOp) []string {
	var names []string
	for _, list := range []any{o.item["parameters"], o.op["parameters"]} {
		ps, _ := list.([]any)
		for _, p := range ps {
			pm, _ := p.(map[string]any)
			if ref, ok := pm["$ref"].(string); ok {
				x, _ := resolvePointer(doc, ref)
				pm, _ = x.(map[string]any)
			}
			if pm["in"] == "path" {
				names = append(names, pm["name"].(string))
			}
		}
	}
	sort.Strings(names)
	return names
}

func TestOpenAPIRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	ops := openapiOps(t, doc)
	if len(ops) < 18 {
		t.Errorf("%d documented operations, want at least 18", len(ops))
	}
	// New only stores the app: route registration needs none.
	s := New(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))

	documented := map[string]bool{}
	resolved := map[string]bool{}
	for _, o := range ops {
		pat := o.pattern()
		if documented[pat] {
			t.Errorf("%s documented twice", pat)
		}
		documented[pat] = true

		var want []string
		for _, m := range pathParamRE.FindAllStringSubmatch(o.path, -1) {
			want = append(want, m[1])
		}
		sort.Strings(want)
		if got := declaredPathParams(doc, o); !slices.Equal(got, want) {
			t.Errorf("%s declares path parameters %v, want %v", pat, got, want)
		}

		// Does the server route a request for this operation to this very pattern?
		path := pathParamRE.ReplaceAllString(o.path, "sample")
		req := httptest.NewRequest(o.method, path, nil)
		_, got := s.mux.Handler(req)
		switch {
		case got == "":
			t.Errorf("%s is documented but not registered (no pattern matches %s %s)", pat, o.method, path)
		case got == catchAll:
			t.Errorf("%s is documented but only the catch-all %q answers %s %s", pat, catchAll, o.method, path)
		case got != pat:
			t.Errorf("%s %s is routed to %q, not to the documented %q", o.method, path, got, pat)
		default:
			resolved[got] = true
		}

		sec, hasSec := o.op["security"]
		if publicRoutes[pat] {
			if l, ok := sec.([]any); !hasSec || !ok || len(l) != 0 {
				t.Errorf("%s is public but does not declare security: []", pat)
			}
		} else if hasSec {
			t.Errorf("%s needs a token but overrides the global security with %v", pat, sec)
		}
	}
	if len(resolved) != len(ops) {
		t.Errorf("%d documented operations resolve to %d distinct patterns", len(ops), len(resolved))
	}

	// The catch-all is what answers what is not registered.
	if _, got := s.mux.Handler(httptest.NewRequest("GET", "/api/v1/no-such-thing", nil)); got != catchAll {
		t.Errorf("an unknown path is routed to %q, want the catch-all %q", got, catchAll)
	}

	// Conversely, every registered route is documented.
	registered := map[string]bool{}
	for _, p := range registeredRoutes {
		registered[p] = true
	}
	for p := range registered {
		if !documented[p] {
			t.Errorf("%s is registered but not documented", p)
		}
	}
	for p := range documented {
		if !registered[p] {
			t.Errorf("%s is documented but missing from registeredRoutes", p)
		}
	}
	// registeredRoutes is checked against the mux itself where its internals
	// can be read, so that a route added to New without a document fails.
	if found := muxPatterns(s.mux); len(found) == 0 {
		t.Log("could not read the ServeMux's patterns (internals changed?): relying on registeredRoutes")
	} else {
		want := append(slices.Clone(registeredRoutes), catchAll)
		sort.Strings(want)
		if !slices.Equal(found, want) {
			t.Errorf("New registers\n\t%v\nbut registeredRoutes (and the catch-all) are\n\t%v", found, want)
		}
	}
}

// muxPatterns reads the patterns registered on a ServeMux from its unexported
// routing tree (net/http's pattern.str). It returns nil when the layout is
// not what it expects.
func muxPatterns(mux *http.ServeMux) []string {
	seen := map[uintptr]bool{}
	found := map[string]bool{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() || seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
			walk(v.Elem())
		case reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			typ := v.Type()
			if typ.PkgPath() != "net/http" {
				return // handlers, mutexes
			}
			if typ.Name() == "pattern" {
				if f := v.FieldByName("str"); f.IsValid() && f.Kind() == reflect.String {
					found[f.String()] = true
				}
				return
			}
			for i := 0; i < v.NumField(); i++ {
				walk(v.Field(i))
			}
		case reflect.Slice, reflect.Array:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				walk(it.Key())
				walk(it.Value())
			}
		}
	}
	walk(reflect.ValueOf(mux))
	var out []string
	for p := range found {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func TestOpenAPIServed(t *testing.T) {
	s := New(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /api/v1/openapi.json: status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	if !bytes.Equal(rec.Body.Bytes(), openapiJSON) {
		t.Error("the served document is not the embedded one")
	}
}
