package isolation_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/casework"
)

// routeMethods are the calls that register a route: the API's s.handle,
// the console's s.page and s.public, and the muxes' own Handle and
// HandleFunc (the portal's, and the doors' unauthenticated routes).
var routeMethods = map[string]bool{"handle": true, "page": true, "public": true, "Handle": true, "HandleFunc": true}

var httpMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}

// registeredRoutes parses the Go files of a package (tests excluded) and
// returns every route pattern registered with a string literal, so that a
// route added anywhere in the package is found without being listed.
func registeredRoutes(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	fset := token.NewFileSet()
	seen := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			p, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			// A pattern is "METHOD /path", whatever registers it (a new
			// helper is found too), or a bare "/path" given to a known one.
			sel, _ := call.Fun.(*ast.SelectorExpr)
			known := sel != nil && routeMethods[sel.Sel.Name]
			if m, path, ok := strings.Cut(p, " "); ok && httpMethods[m] && strings.HasPrefix(path, "/") || known && strings.HasPrefix(p, "/") {
				seen[p] = true
			}
			return true
		})
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// noTerritoryData are routes that carry no data of a territory, so that
// there is nothing to isolate, each with the reason. A route belongs here
// only when that is true; anything else goes in a matrix.
var noTerritoryData = map[string]string{
	// API.
	"api GET /healthz":               "liveness probe",
	"api GET /metrics":               "process counters for Prometheus, no record data",
	"api GET /api/v1/openapi.json":   "the API's description",
	"api /api/":                      "the API's 404 for unknown paths",
	"api GET /api/v1/me":             "the caller's own account",
	"api GET /api/v1/categories":     "the district-wide category catalogue (GB/T 30428)",
	"api GET /api/v1/calendar/add":   "working-day arithmetic",
	"api POST /api/v1/blobs":         "uploads a photo; reading one back is in the case matrix (/api/v1/blobs/{id})",
	"api GET /api/v1/jobs":           "the cluster's scheduled job runs, no record data",
	"api GET /api/v1/assess/schemes": "assessment rulebooks (考核办法) are district-wide, not of a territory",
	// Console.
	"console GET /static/{path...}":         "static assets",
	"console GET /favicon.ico":              "static asset",
	"console /":                             "the console's 404 for unknown paths",
	"console GET /login":                    "the sign-in form",
	"console POST /login":                   "signs in (TestSecurityBasics)",
	"console POST /lang":                    "the caller's language preference",
	"console POST /logout":                  "ends the caller's own session",
	"console GET /report":                   "the empty report form; the report it posts is in the case matrix",
	"console GET /locate":                   "names the area of a point: territory geometry, no records",
	"console GET /map/areas.json":           "area outlines for the map: territory geometry, no records",
	"console GET /assess/schemes":           "assessment rulebooks are district-wide",
	"console GET /assess/schemes/new":       "assessment rulebook editor",
	"console GET /assess/schemes/{id}":      "assessment rulebooks are district-wide",
	"console GET /assess/schemes/{id}/edit": "assessment rulebook editor",
	"console GET /hotline/mappings":         "the district-wide hotline text → category table",
	// Portal: public by design; what it may show is checked by the tests named.
	"portal GET /public/static/":             "static assets",
	"portal /public/":                        "the portal's 404 for unknown paths",
	"portal GET /public/{$}":                 "the report form (TestSecurityBasics)",
	"portal POST /public/report":             "a citizen's report (TestPublicRevealsNoContactOrNotes, TestSecurityBasics)",
	"portal GET /public/track":               "tracking by code (TestPublicRevealsNoContactOrNotes)",
	"portal GET /public/t/{code}":            "tracking page (TestPublicRevealsNoContactOrNotes)",
	"portal POST /public/t/{code}/rate":      "rating one's own case (TestSecurityBasics)",
	"portal GET /public/t/{code}/photo/{id}": "a tracked case's photos (internal/portal tests)",
}

// portalMatrix are the portal routes TestPortalPrivacy reads.
var portalMatrix = []string{"GET /public/board", "GET /public/projects", "GET /public/projects/1", "GET /public/projects/1/photo/b",
	"POST /public/projects/1/suggest", "POST /public/projects/1/vote"}

// TestRouteCoverage fails when a route registered on the API, the console
// or the portal is in no isolation matrix and not classified as carrying
// no territory data: a new route fails here until someone puts it in a
// matrix or, with the reason, in noTerritoryData.
func TestRouteCoverage(t *testing.T) {
	doors := map[string]string{"api": "../api", "console": "../web", "portal": "../portal"}
	muxes := map[string]*http.ServeMux{}
	all := map[string]bool{}
	for door, dir := range doors {
		mux := http.NewServeMux()
		for _, p := range registeredRoutes(t, dir) {
			mux.HandleFunc(p, func(http.ResponseWriter, *http.Request) {})
			all[door+" "+p] = true
		}
		muxes[door] = mux
	}
	if len(all) < 100 {
		t.Fatalf("only %d routes found: the parser misses registrations", len(all))
	}
	// The API's description lists every API route: each must have been
	// found, or the parser misses a way of registering routes.
	spec, err := os.ReadFile("../api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(spec, &doc); err != nil {
		t.Fatal(err)
	}
	for path, ops := range doc.Paths {
		for m := range ops {
			if r := "api " + strings.ToUpper(m) + " " + path; httpMethods[strings.ToUpper(m)] && !all[r] {
				t.Errorf("openapi.json has %s, which the route parser did not find", r)
			}
		}
	}
	// Every request the matrices make, with placeholder ids.
	covered := map[string]bool{}
	hit := func(door, method, path string) {
		t.Helper()
		if door == "open311" {
			return
		}
		req := httptest.NewRequest(method, path, nil)
		_, pattern := muxes[door].Handler(req)
		if pattern == "" {
			t.Errorf("matrix request %s %s %s matches no registered route", door, method, path)
			return
		}
		covered[door+" "+pattern] = true
	}
	q, j := newSides()
	for i, s := range []*side{q, j} {
		n := int64(i + 1)
		s.round, s.pub, s.target, s.statement, s.project, s.suggestion = n, n, n, n, n, n
		s.photo, s.reportPhoto = "p", "r"
	}
	for _, r := range scopeRows(q, j) {
		hit(r.door, r.method, r.path)
	}
	x := &target{c: casework.Case{ID: 1}, photo: "p", street: "320213022", marker: "m"}
	for _, r := range rowsFor("someone", false, x, false) {
		hit(r.door, r.method, r.path)
	}
	for _, p := range []string{"/hotline", "/hotline/jobs/j", "/hotline/jobs/j/status.json", "/hotline/jobs/j/errors.csv"} {
		hit("console", "GET", p) // TestHotlineJobsAreTheirStarters
	}
	hit("console", "POST", "/report")   // TestIsolationMatrix's reports outside scope
	hit("api", "POST", "/api/v1/cases") // likewise
	for _, p := range portalMatrix {
		m, path, _ := strings.Cut(p, " ")
		hit("portal", m, path)
	}
	var missing []string
	for r := range all {
		if !covered[r] && noTerritoryData[r] == "" {
			missing = append(missing, r)
		}
	}
	sort.Strings(missing)
	for _, r := range missing {
		t.Errorf("route %s is in no isolation matrix: add it to one (scope_matrix_test.go, matrix_test.go, portal_privacy_test.go) or, if it carries no territory data, to noTerritoryData with the reason", r)
	}
	// Classified routes that no longer exist are stale.
	for r := range noTerritoryData {
		if !all[r] {
			t.Errorf("noTerritoryData lists %s, which is not registered any more", r)
		}
		if covered[r] {
			t.Errorf("noTerritoryData lists %s, which a matrix covers: take it off", r)
		}
	}
	t.Logf("%d routes: %d in a matrix, %d classified as carrying no territory data", len(all), len(covered), len(noTerritoryData))
}
