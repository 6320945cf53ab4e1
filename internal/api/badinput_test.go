package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/blob"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// rawBodyRoutes take a file as the body, not a JSON object.
var rawBodyRoutes = map[string]bool{
	"POST /api/v1/blobs":                          true,
	"POST /api/v1/hotline/import":                 true,
	"POST /api/v1/assess/points/import":           true,
	"POST /api/v1/assess/management-units/import": true,
	"POST /api/v1/cases/{id}/unmerge":             true, // no body, or an empty object
}

// brokenMultipart is a multipart body cut off in its first part.
const brokenMultipart = "--XB\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\nE0102\r\n--XB\r\nContent-Disposition: form-da"

// TestBadBodiesEveryRoute sends what is wrong with a body to every POST and
// PUT route of the API (from registeredRoutes, so a new route is covered
// without being named here), as the administrator (who passes every role
// check, so the body is what is judged) and as a dispatcher: each answer is
// a 4xx with the error envelope in English and Chinese, never a 5xx.
func TestBadBodiesEveryRoute(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		huge := append(append([]byte(`{"description":"`), bytes.Repeat([]byte("垃"), maxJSON/3+1)...), `"}`...)
		bodies := []struct {
			name, ct string
			body     []byte
			// raw: also a 4xx on the routes that take a file.
			raw bool
		}{
			{"empty", "application/json", nil, true},
			{"null", "application/json", []byte("null"), false},
			{"array", "application/json", []byte(`[{"version":1}]`), false},
			{"string", "application/json", []byte(`"E0102"`), false},
			{"number", "application/json", []byte(`42`), false},
			{"truncated", "application/json", []byte(`{"version":`), true},
			{"unknown field", "application/json", []byte(`{"no_such_field":1}`), false},
			{"two objects", "application/json", []byte(`{} {}`), false},
			{"wrong types", "application/json", []byte(`{"version":"1","lat":"north","code":7,"year":"2026","unit":[],"territory":{},"point":false,"name":1,"into":{"a":1},"candidate":[1]}`), false},
			{"overflow", "application/json", []byte(`{"version":1e400}`), false},
			{"invalid UTF-8", "application/json", []byte("{\"description\":\"\xff\xfe\"}"), false},
			{"huge", "application/json", huge, false},
			{"XML", "application/xml", []byte(`<case><category>E0102</category></case>`), false},
			{"broken multipart", "multipart/form-data; boundary=XB", []byte(brokenMultipart), true},
		}
		for _, route := range routes("POST", "PUT") {
			for _, user := range []string{"admin", "dispatcher"} {
				method, path := h.path(route, 0)
				for _, b := range bodies {
					if rawBodyRoutes[route] && !b.raw {
						continue
					}
					rec := h.serve(user, method, path, b.ct, b.body)
					if err := checkAnswer(rec); err != nil {
						t.Errorf("%s as %s, %s body: %v", route, user, b.name, err)
					} else if rec.Code < 400 {
						t.Errorf("%s as %s, %s body: status %d, want a 4xx: %.200s", route, user, b.name, rec.Code, rec.Body)
					}
				}
			}
		}
	})
}

// badIDs are what is put where a record's id goes.
var badIDs = []string{"0", "-1", "abc", "99999999999999999999", "1e3", "%00", "%E4%B8%AD", "1%20OR%201=1", strings.Repeat("9", 300)}

// TestBadIDsEveryRoute puts impossible ids in every route with an {id} or
// {code} and sends a plausible body: each answer is a 4xx (no such record,
// or the body refused) with the envelope, never a 5xx.
func TestBadIDsEveryRoute(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		for _, route := range registeredRoutes {
			if !strings.Contains(route, "{id}") && !strings.Contains(route, "{code}") {
				continue
			}
			method, pattern, _ := strings.Cut(route, " ")
			for _, id := range badIDs {
				path := strings.NewReplacer("{id}", id, "{code}", id, "{action}", "register").Replace(pattern)
				body := []byte(`{"version":1}`)
				if method == "GET" || method == "DELETE" {
					body = nil
				}
				rec := h.serve("admin", method, path, "application/json", body)
				if err := checkAnswer(rec); err != nil {
					t.Errorf("%s with id %q: %v", route, id, err)
				} else if rec.Code < 400 {
					t.Errorf("%s with id %q: status %d, want a 4xx", route, id, rec.Code)
				}
			}
		}
	})
}

// TestBadQueryEveryGET sends a query of wrong types, invalid UTF-8 and a
// huge value to every GET route: nothing is a 5xx, refusals are the
// envelope. (Unknown parameters are ignored, so a 200 is allowed here; the
// table below checks each parameter's refusal.)
func TestBadQueryEveryGET(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		names := []string{"lat", "lon", "limit", "cursor", "state", "source", "overdue", "all", "start", "hours", "clock", "period", "weights",
			"round", "kind", "scope", "verify", "year", "territory", "unit", "category", "scheme", "by"}
		queries := []string{"", "x=%ff%fe", strings.Repeat("a=1&", 2000)}
		for _, bad := range []string{"abc", "-1", "NaN", "1e400", "%ff", "%00", strings.Repeat("9", 5000), "2026-13-45", ",,,", "true,false"} {
			var q []string
			for _, n := range names {
				q = append(q, n+"="+bad)
			}
			queries = append(queries, strings.Join(q, "&"))
		}
		for _, route := range routes("GET") {
			_, path := h.path(route, 0)
			for _, q := range queries {
				for _, user := range []string{"admin", "leader"} {
					rec := h.serve(user, "GET", path+"?"+q, "", nil)
					if err := checkAnswer(rec); err != nil {
						t.Errorf("%s?%.80s as %s: %v", route, q, user, err)
					}
				}
			}
		}
	})
}

// TestBadInputTable: each parameter and field the API reads, given what
// clients get wrong: the named 4xx, with a message that names the problem,
// in English and Chinese. (One row is a 201: an escaped backslash before
// "u0000" is text, not a NUL, and is stored.)
func TestBadInputTable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		cs := "/api/v1/cases/" + strconv.FormatInt(h.kase, 10)
		report := func(fields string) string {
			return `{"category":"E0102","description":"垃圾","source":"inspector","urgency":"normal"` + fields + `}`
		}
		type tc struct {
			user, method, path, body string
			status                   int
			// want is in the English message.
			want string
		}
		table := []tc{
			// Reports: wrong types, missing fields, bad coordinates, unknown codes.
			{"inspector", "POST", "/api/v1/cases", report(`,"lat":"31.52","lon":120.22`), 400, `"lat"`},
			{"inspector", "POST", "/api/v1/cases", report(`,"lat":31.52,"lon":120.22,"attachments":"x"`), 400, `"attachments"`},
			{"inspector", "POST", "/api/v1/cases", report(`,"lat":31.52`), 400, "lon"},
			{"inspector", "POST", "/api/v1/cases", report(``), 400, "lat"},
			{"inspector", "POST", "/api/v1/cases", report(`,"lat":91,"lon":120.22`), 400, "lat"},
			{"inspector", "POST", "/api/v1/cases", report(`,"lat":31.52,"lon":-181`), 400, "lon"},
			{"inspector", "POST", "/api/v1/cases", report(`,"lat":31.0,"lon":121.0`), 422, "outside"},
			{"inspector", "POST", "/api/v1/cases", report(`,"lat":0,"lon":0`), 422, "outside"},
			{"inspector", "POST", "/api/v1/cases", `{"category":"Z9999","description":"x","lat":31.52,"lon":120.22,"source":"inspector"}`, 422, "Z9999"},
			{"inspector", "POST", "/api/v1/cases", `{"description":"x","lat":31.52,"lon":120.22,"source":"inspector"}`, 400, "category"},
			{"inspector", "POST", "/api/v1/cases", report(`,"lat":31.52,"lon":120.22,"source":"pigeon"`), 400, "source must be one of"},
			{"inspector", "POST", "/api/v1/cases", report(`,"lat":31.52,"lon":120.22,"attachments":["` + strings.Repeat("a", 64) + `"]`), 422, "unknown attachments"},
			{"inspector", "POST", "/api/v1/cases", report(`,"lat":31.52,"lon":120.22,"attachments":["../../etc/passwd"]`), 422, "unknown attachments"},
			// Actions.
			{"dispatcher", "POST", cs + "/fly", `{"version":1}`, 404, "unknown action"},
			{"dispatcher", "POST", cs + "/register", `{}`, 400, "version"},
			{"dispatcher", "POST", cs + "/register", `{"version":"1"}`, 400, `"version"`},
			{"dispatcher", "POST", cs + "/register", `{"version":1.5}`, 400, `"version"`},
			{"dispatcher", "POST", cs + "/register", `{"version":7}`, 409, "version"},
			{"dispatcher", "POST", cs + "/dispatch", `{"version":1,"unit":"320213.nobody"}`, 409, ""},
			{"dispatcher", "POST", cs + "/register", `{"version":1,"passed":"yes"}`, 400, `"passed"`},
			{"dispatcher", "POST", "/api/v1/cases/QX-1/register", `{"version":1}`, 404, "no case"},
			// Duplicates.
			{"dispatcher", "POST", cs + "/merge", `{"into":{"a":1},"version":1}`, 400, "case"},
			{"dispatcher", "POST", cs + "/merge", `{"into":"` + strconv.FormatInt(h.kase+1, 10) + `"}`, 400, "version"},
			{"dispatcher", "POST", cs + "/duplicates/dismiss", `{"candidate":` + strconv.FormatInt(h.kase, 10) + `}`, 422, "itself"},
			{"dispatcher", "POST", cs + "/duplicates/dismiss", `{"candidate":"not a case"}`, 400, "candidate"},
			// Catalogue, units, hotline mappings.
			{"admin", "POST", "/api/v1/categories", `{"code":"E0199","urgent_hours":"2"}`, 400, `"urgent_hours"`},
			{"admin", "POST", "/api/v1/units", `{"code":"x.y","name":"单位","kind":"department","duty":"sanitation","scope":"999999"}`, 0, ""},
			{"admin", "POST", "/api/v1/units", `{"code":"x.y","name":"单位","kind":"department","duty":"sanitation","scope":"320213","enabled":"yes"}`, 400, `"enabled"`},
			{"admin", "PUT", "/api/v1/hotline/mappings", `{"text":"占道经营","category":"Z9999"}`, 0, ""},
			{"admin", "PUT", "/api/v1/hotline/mappings", `{"text":["占道经营"],"category":"E0102"}`, 400, `"text"`},
			// Query parameters.
			{"inspector", "GET", "/api/v1/territory/locate?lat=abc&lon=120.22", "", 400, "lat"},
			{"inspector", "GET", "/api/v1/territory/locate?lat=NaN&lon=120.22", "", 400, "lat"},
			{"inspector", "GET", "/api/v1/territory/locate?lat=31.52&lon=Inf", "", 400, "lon"},
			{"inspector", "GET", "/api/v1/territory/locate?lat=31.52", "", 400, "lon"},
			{"inspector", "GET", "/api/v1/territory/locate?lat=95&lon=120.22", "", 400, "lat"},
			{"inspector", "GET", "/api/v1/territory/locate?lat=31&lon=121", "", 422, "outside"},
			{"inspector", "GET", "/api/v1/territory/999999", "", 404, "999999"},
			{"inspector", "GET", "/api/v1/categories?all=maybe", "", 400, "all"},
			{"dispatcher", "GET", "/api/v1/cases?state=lost", "", 400, "lost"},
			{"dispatcher", "GET", "/api/v1/cases?state=reported,,closed", "", 400, "state"},
			{"dispatcher", "GET", "/api/v1/cases?source=pigeon", "", 400, "pigeon"},
			{"dispatcher", "GET", "/api/v1/cases?overdue=maybe", "", 400, "overdue"},
			{"dispatcher", "GET", "/api/v1/cases?limit=0", "", 400, "limit"},
			{"dispatcher", "GET", "/api/v1/cases?limit=501", "", 400, "limit"},
			{"dispatcher", "GET", "/api/v1/cases?limit=ten", "", 400, "limit"},
			{"dispatcher", "GET", "/api/v1/cases?cursor=!!!", "", 400, "cursor"},
			{"dispatcher", "GET", "/api/v1/cases?cursor=LTE", "", 400, "cursor"}, // "-1"
			{"dispatcher", "GET", "/api/v1/calendar/add?start=tomorrow&hours=2", "", 400, "start"},
			{"dispatcher", "GET", "/api/v1/calendar/add?start=2026-11-25T09:00:00%2B08:00&hours=-1", "", 400, "hours"},
			{"dispatcher", "GET", "/api/v1/calendar/add?start=2026-11-25T09:00:00%2B08:00&hours=NaN", "", 400, "hours"},
			{"dispatcher", "GET", "/api/v1/calendar/add?start=2026-11-25T09:00:00%2B08:00&hours=1e9", "", 400, "hours"},
			{"dispatcher", "GET", "/api/v1/calendar/add?start=2026-11-25T09:00:00%2B08:00&hours=2&clock=maybe", "", 400, "clock"},
			{"leader", "GET", "/api/v1/assess/metrics?period=someday", "", 400, ""},
			{"leader", "GET", "/api/v1/assess/metrics?period=2026-11&weights=1,2,3", "", 400, "weights"},
			{"leader", "GET", "/api/v1/assess/metrics?period=2026-11&weights=4000,3000,2000,999", "", 400, ""},
			{"leader", "GET", "/api/v1/assess/metrics?period=2026-11&weights=a,b,c,d", "", 400, "weights"},
			{"leader", "GET", "/api/v1/assess/scores?round=abc", "", 400, "round"},
			{"leader", "GET", "/api/v1/assess/publications", "", 400, "kind"},
			{"leader", "GET", "/api/v1/assess/rounds/abc", "", 404, "round"},
			{"leader", "GET", "/api/v1/plan/targets?year=abc", "", 400, "year"},
			{"leader", "GET", "/api/v1/plan/targets?year=1999", "", 400, "year"},
			// Assessment and plan writes.
			{"admin", "POST", "/api/v1/assess/points", `{"code":"P1","name":"点位","type":"road","lon":120.22,"lat":91}`, 0, ""},
			{"admin", "POST", "/api/v1/assess/points", `{"code":"P1","name":"点位","type":"road","lon":121,"lat":31}`, 0, ""},
			{"admin", "POST", "/api/v1/assess/points", `{"code":"P1","name":"点位","type":"road","lon":"120.22","lat":31.52}`, 400, `"lon"`},
			{"admin", "POST", "/api/v1/assess/rounds", `{"scheme":"NOPE","kind":"monthly","period":"2026-11","territory":"320213"}`, 0, ""},
			{"admin", "POST", "/api/v1/assess/rounds", `{"scheme":"NOPE","seed":42}`, 400, "seed"},
			{"admin", "POST", "/api/v1/assess/rounds/1/findings", `{"point":"P1","indicator":"I1","count":"three"}`, 400, `"count"`},
			{"admin", "POST", "/api/v1/assess/publish", `{"kind":"horoscope","period":"2026-11"}`, 0, ""},
			{"admin", "POST", "/api/v1/assess/points/import", "name,lon,lat\n点,abc,31\n", 0, ""},
			{"admin", "POST", "/api/v1/assess/points/import", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[999,999]},"properties":{}}]}`, 0, ""},
			{"admin", "POST", "/api/v1/plan/targets", `{"year":2026,"unit":"320213.sanitation","name":"目标","due":"31/12/2026"}`, 400, "due"},
			{"admin", "POST", "/api/v1/plan/targets", `{"year":"2026","unit":"320213.sanitation","name":"目标","due":"2026-12-31"}`, 400, `"year"`},
			{"admin", "POST", "/api/v1/plan/targets", `{"year":2026,"unit":"nobody","name":"目标","measure":"closure_rate","direction":"up","goal":95,"due":"2026-12-31"}`, 0, ""},
			{"admin", "POST", "/api/v1/plan/statements", `{"year":2026,"unit":"nobody","title":"责任书","targets":[]}`, 0, ""},
			{"admin", "POST", "/api/v1/plan/statements", `{"year":2026,"unit":"320213.sanitation","title":"责任书","targets":["1"]}`, 400, `"targets`},
			{"admin", "POST", "/api/v1/plan/projects", `{"name":"改造","kind":"road","territory":"320213","area":"here"}`, 0, ""},
			{"admin", "POST", "/api/v1/plan/projects", `{"name":"改造","kind":"road","territory":"999999"}`, 0, ""},
			{"admin", "POST", "/api/v1/plan/projects", `{"name":"改造","kind":"road","territory":"320213","budget":"lots"}`, 400, `"budget"`},
			{"admin", "PUT", "/api/v1/plan/projects/1", `{"name":"改造"}`, 0, ""},
			// Text PostgreSQL cannot hold: NUL, invalid UTF-8; in the address and the body.
			{"inspector", "POST", "/api/v1/cases", report(`,"lat":31.52,"lon":120.22,"address":"a\u0000b"`), 400, "NUL"},
			{"inspector", "POST", "/api/v1/cases", report(`,"lat":31.52,"lon":120.22,"address":"a\\u0000b"`), 201, ""},
			{"dispatcher", "GET", "/api/v1/cases?territory=%00", "", 400, "territory"},
			{"dispatcher", "GET", "/api/v1/cases?category=%ff", "", 400, "category"},
			{"admin", "GET", "/api/v1/assess/points?territory=%C3%28", "", 400, "territory"},
			{"admin", "DELETE", "/api/v1/categories/%00", "", 400, "address"},
			{"admin", "GET", "/api/v1/territory/%ff", "", 400, "address"},
			{"admin", "PUT", "/api/v1/hotline/mappings", `{"text":"\u0000","category":"E0102"}`, 400, "NUL"},
			// Files.
			{"inspector", "POST", "/api/v1/blobs", "", 0, ""},
			{"inspector", "POST", "/api/v1/blobs", "just text, not a photo", 415, ""},
			{"inspector", "POST", "/api/v1/blobs", "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>", 415, ""},
			{"inspector", "POST", "/api/v1/blobs", brokenMultipart, 415, ""},
			{"admin", "POST", "/api/v1/hotline/import?dry_run=maybe", "工单号\n", 400, "dry_run"},
			{"admin", "POST", "/api/v1/hotline/import", "\x00\x01\x02binary", 0, ""},
			{"admin", "POST", "/api/v1/hotline/import", brokenMultipart, 0, ""},
		}
		for _, c := range table {
			ct := "application/json"
			if strings.Contains(c.path, "/blobs") || strings.Contains(c.path, "/import") {
				ct = "application/octet-stream"
			}
			var body []byte
			if c.body != "" || c.method != "GET" {
				body = []byte(c.body)
			}
			rec := h.serve(c.user, c.method, c.path, ct, body)
			name := fmt.Sprintf("%s %s as %s %.80q", c.method, c.path, c.user, c.body)
			if err := checkAnswer(rec); err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			// A status of 0 in the table: any 4xx (the domain decides which).
			if (c.status != 0 && rec.Code != c.status) || (c.status == 0 && rec.Code < 400) {
				t.Errorf("%s: status %d, want %d: %s", name, rec.Code, c.status, rec.Body)
				continue
			}
			var e envelope
			json.Unmarshal(rec.Body.Bytes(), &e)
			if c.want != "" && !strings.Contains(strings.ToLower(e.Error.Message), strings.ToLower(c.want)) {
				t.Errorf("%s: message does not name %q: %s", name, c.want, rec.Body)
			}
		}
	})
}

// TestHugeUploadsRefusedBeforeReading: a body announced larger than a
// route's limit is refused with 413 from its Content-Length, before it is
// read; a JSON body over 1 MB is refused after reading 1 MB.
func TestHugeUploadsRefusedBeforeReading(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		for _, c := range []struct {
			user, path string
			announced  int64
		}{
			{"inspector", "/api/v1/blobs", blob.MaxSize + 1},
			{"admin", "/api/v1/hotline/import", maxHotlineFile + 1},
			{"admin", "/api/v1/assess/points/import", maxPointsFile + 1},
		} {
			req := httptest.NewRequest("POST", c.path, strings.NewReader("tiny"))
			req.ContentLength = c.announced
			req.Header.Set("Authorization", "Bearer "+h.f.Tokens[c.user])
			rec := httptest.NewRecorder()
			h.srv.ServeHTTP(rec, req)
			if err := checkAnswer(rec); err != nil || rec.Code != 413 {
				t.Errorf("%s announcing %d bytes: status %d (%v): %s", c.path, c.announced, rec.Code, err, rec.Body)
			}
		}
		big := bytes.Repeat([]byte(" "), maxJSON+1)
		for _, route := range routes("POST", "PUT") {
			if rawBodyRoutes[route] {
				continue
			}
			method, path := h.path(route, 0)
			rec := h.serve("admin", method, path, "application/json", big)
			// A route that reads no body answers for its record first.
			if err := checkAnswer(rec); err != nil || rec.Code != 413 && !(rec.Code == 404 && strings.Contains(route, "{id}")) {
				t.Errorf("%s with %d bytes of JSON: status %d (%v)", route, len(big), rec.Code, err)
			}
		}
	})
}
