package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/api"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

type client struct {
	t   *testing.T
	srv *httptest.Server
	f   *apptest.Fixture
}

func newClient(t *testing.T, db *store.DB) *client {
	f := apptest.New(t, db)
	srv := httptest.NewServer(api.New(f.App, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	return &client{t: t, srv: srv, f: f}
}

// do sends a request as a user ("" for none) and decodes the JSON answer.
func (c *client) do(user, method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(b), "application/octet-stream"
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, c.srv.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", ct)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+c.f.Tokens[user])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s: bad JSON %q", method, path, raw)
		}
	}
	return resp.StatusCode, out
}

func (c *client) must(want int, user, method, path string, body any) map[string]any {
	c.t.Helper()
	got, out := c.do(user, method, path, body)
	if got != want {
		c.t.Fatalf("%s %s as %q: status %d, want %d: %v", method, path, user, got, want, out)
	}
	return out
}

func num(v any) int { f, _ := v.(float64); return int(f) }

func TestLoopOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		loc := c.must(200, "inspector", "GET", "/api/v1/territory/locate?lat=31.52&lon=120.22", nil)
		if loc["grid"].(map[string]any)["code"] != "32021302201001" || loc["street"].(map[string]any)["name"] != "清名桥街道" {
			t.Fatalf("locate: %v", loc)
		}
		photo := c.must(201, "inspector", "POST", "/api/v1/blobs", apptest.PNG)["id"].(string)
		cs := c.must(201, "inspector", "POST", "/api/v1/cases", map[string]any{
			"category": "E0102", "description": "清扬路暴露垃圾", "lat": 31.52, "lon": 120.22, "source": "inspector", "urgency": "urgent",
			"attachments": []string{photo}})
		id := num(cs["id"])
		if cs["state"] != "reported" || num(cs["version"]) != 1 || cs["community"].(map[string]any)["code"] != "320213022010" {
			t.Fatalf("created: %v", cs)
		}
		path := fmt.Sprintf("/api/v1/cases/%d", id)
		step := func(user, action string, body map[string]any) map[string]any {
			t.Helper()
			cur := c.must(200, user, "GET", path, nil)
			body["version"] = cur["version"]
			return c.must(200, user, "POST", path+"/"+action, body)
		}
		step("dispatcher", "register", map[string]any{})
		d := step("dispatcher", "dispatch", map[string]any{"unit": "320213.sanitation"})
		if d["deadline"] == nil || d["unit"] != "320213.sanitation" {
			t.Fatalf("dispatched: %v", d)
		}
		fixed := c.must(201, "san", "POST", "/api/v1/blobs", append(append([]byte{}, apptest.PNG...), "after"...))["id"].(string)
		step("san", "handle", map[string]any{"note": "已清运", "attachments": []string{fixed}})
		step("inspector", "verify", map[string]any{"passed": true, "attachments": []string{fixed}})
		step("dispatcher", "close", map[string]any{"note": "结案"})
		got := c.must(200, "leader", "GET", path, nil)
		evs := got["events"].([]any)
		if got["state"] != "closed" || len(evs) != 6 {
			t.Fatalf("closed case: state %v, %d events", got["state"], len(evs))
		}
		if acts := got["actions"].([]any); len(acts) != 0 {
			t.Errorf("a leader may act on a closed case: %v", acts)
		}
		// The case number works as the id too.
		c.must(200, "leader", "GET", "/api/v1/cases/"+got["code"].(string), nil)
		// The handler's photo is downloadable by someone in the territory, not by someone outside.
		c.must(200, "leader", "GET", "/api/v1/blobs/"+fixed, nil)
		c.must(404, "dispatcher-jx", "GET", "/api/v1/blobs/"+fixed, nil)
		// A photo someone else uploaded cannot be attached by knowing its hash.
		foreign := c.must(201, "dispatcher-jx", "POST", "/api/v1/blobs", append(append([]byte{}, apptest.PNG...), "jx"...))["id"].(string)
		if st, out := c.do("inspector", "POST", "/api/v1/cases", map[string]any{"category": "E0102", "description": "x", "lat": 31.52, "lon": 120.22,
			"attachments": []string{foreign}}); st != 422 {
			t.Errorf("attaching another user's unattached photo: %d %v", st, out)
		}
		// Lists and their filters.
		l := c.must(200, "dispatcher", "GET", "/api/v1/cases?state=closed&category=E0102", nil)
		if items := l["items"].([]any); len(items) != 1 {
			t.Errorf("list closed: %v", l)
		}
		l = c.must(200, "dispatcher-jx", "GET", "/api/v1/cases", nil)
		if items := l["items"].([]any); len(items) != 0 {
			t.Errorf("out-of-scope dispatcher lists %v", items)
		}
	})
}

func TestPaging(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		for i := range 5 {
			c.must(201, "inspector", "POST", "/api/v1/cases", map[string]any{"category": "E0504", "description": fmt.Sprint("乱停车 ", i), "lat": 31.55, "lon": 120.27})
		}
		seen := map[int]bool{}
		next := ""
		for page := 0; ; page++ {
			q := "/api/v1/cases?limit=2"
			if next != "" {
				q += "&cursor=" + next
			}
			out := c.must(200, "dispatcher", "GET", q, nil)
			for _, it := range out["items"].([]any) {
				seen[num(it.(map[string]any)["id"])] = true
			}
			if out["next_cursor"] == nil {
				break
			}
			next = out["next_cursor"].(string)
			if page > 5 {
				t.Fatal("paging does not end")
			}
		}
		if len(seen) != 5 {
			t.Errorf("paged through %d cases, want 5", len(seen))
		}
		// The largest page holds everything (a page size must not be silently cut).
		if n := len(c.must(200, "dispatcher", "GET", "/api/v1/cases?limit=500", nil)["items"].([]any)); n != 5 {
			t.Errorf("limit=500 gave %d cases, want 5", n)
		}
	})
}

// TestErrors: each kind of bad request gets its status and a message in both
// languages, never a 500.
func TestErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		good := map[string]any{"category": "E0102", "description": "x", "lat": 31.52, "lon": 120.22}
		id := num(c.must(201, "inspector", "POST", "/api/v1/cases", good)["id"])
		path := fmt.Sprintf("/api/v1/cases/%d", id)
		for _, tc := range []struct {
			name, user, method, path string
			body                     any
			want                     int
		}{
			{"no token", "", "GET", "/api/v1/cases", nil, 401},
			{"malformed JSON", "inspector", "POST", "/api/v1/cases", `{"category":`, 400},
			{"unknown field", "inspector", "POST", "/api/v1/cases", `{"categry":"E0102"}`, 400},
			{"wrong type", "inspector", "POST", "/api/v1/cases", `{"category":"E0102","lat":"north"}`, 400},
			{"empty body", "inspector", "POST", "/api/v1/cases", "", 400},
			{"missing fields", "inspector", "POST", "/api/v1/cases", `{"category":"E0102"}`, 400},
			{"outside every grid", "inspector", "POST", "/api/v1/cases", map[string]any{"category": "E0102", "description": "x", "lat": 31.0, "lon": 121.0}, 422},
			{"unknown category", "inspector", "POST", "/api/v1/cases", map[string]any{"category": "E0999", "description": "x", "lat": 31.52, "lon": 120.22}, 422},
			{"handler reports", "san", "POST", "/api/v1/cases", good, 403},
			{"illegal action", "dispatcher", "POST", path + "/close", map[string]any{"version": 1}, 409},
			{"stale version", "dispatcher", "POST", path + "/register", map[string]any{"version": 9}, 409},
			{"no version", "dispatcher", "POST", path + "/register", map[string]any{}, 400},
			{"unknown action", "dispatcher", "POST", path + "/explode", map[string]any{"version": 1}, 404},
			{"wrong role", "inspector", "POST", path + "/register", map[string]any{"version": 1}, 403},
			{"no such case", "dispatcher", "GET", "/api/v1/cases/999999", nil, 404},
			{"garbage case id", "dispatcher", "GET", "/api/v1/cases/abc", nil, 404},
			{"out of scope case", "dispatcher-jx", "GET", path, nil, 404},
			{"bad state filter", "dispatcher", "GET", "/api/v1/cases?state=lost", nil, 400},
			{"bad limit", "dispatcher", "GET", "/api/v1/cases?limit=100000", nil, 400},
			{"bad cursor", "dispatcher", "GET", "/api/v1/cases?cursor=!!", nil, 400},
			{"territory out of scope", "dispatcher-jx", "GET", "/api/v1/cases?territory=320213022", nil, 403},
			{"locate without lat", "inspector", "GET", "/api/v1/territory/locate?lon=120.2", nil, 400},
			{"locate outside", "inspector", "GET", "/api/v1/territory/locate?lat=31&lon=121", nil, 422},
			{"locate NaN", "inspector", "GET", "/api/v1/territory/locate?lat=NaN&lon=121", nil, 400},
			{"upload not an image", "inspector", "POST", "/api/v1/blobs", []byte("%PDF-1.4 not a photo"), 415},
			{"upload too large", "inspector", "POST", "/api/v1/blobs", append([]byte{0xFF, 0xD8, 0xFF}, make([]byte, 10<<20)...), 413},
			{"dispatch to unknown unit", "dispatcher", "POST", path + "/register", map[string]any{"version": 1}, 200},
			{"dispatch to unknown unit", "dispatcher", "POST", path + "/dispatch", map[string]any{"version": 2, "unit": "nope"}, 422},
			{"dispatch to disabled unit", "dispatcher", "POST", path + "/dispatch", map[string]any{"version": 2, "unit": "320213022.disabled"}, 422},
			{"dispatch out of unit's area", "dispatcher", "POST", path + "/dispatch", map[string]any{"version": 2, "unit": "320213023.street_office"}, 422},
			{"unit by non-admin", "dispatcher", "POST", "/api/v1/units", map[string]any{"code": "x", "name": "x", "kind": "department", "duty": "sanitation", "scope": "320213"}, 403},
			{"unit with unknown scope", "admin", "POST", "/api/v1/units", map[string]any{"code": "x", "name": "x", "kind": "department", "duty": "sanitation", "scope": "999999"}, 422},
			{"calendar bad start", "dispatcher", "GET", "/api/v1/calendar/add?start=yesterday&hours=8", nil, 400},
			{"no such endpoint", "dispatcher", "GET", "/api/v1/nothing", nil, 404},
			{"wrong content type", "inspector", "POST", "/api/v1/cases", nil, 400},
		} {
			got, out := c.do(tc.user, tc.method, tc.path, tc.body)
			if got != tc.want {
				t.Errorf("%s: status %d, want %d (%v)", tc.name, got, tc.want, out)
				continue
			}
			if got >= 400 {
				e, _ := out["error"].(map[string]any)
				if e == nil || e["message"] == "" || e["message_zh"] == "" || e["code"] == "" {
					t.Errorf("%s: error body %v", tc.name, out)
				}
			}
		}
		// Nothing refused was stored.
		l := c.must(200, "admin", "GET", "/api/v1/cases", nil)
		if n := len(l["items"].([]any)); n != 1 {
			t.Errorf("%d cases after the refusals, want 1", n)
		}
	})
}

func TestCalendarAndCatalogueEndpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		out := c.must(200, "dispatcher", "GET", "/api/v1/calendar/add?start=2026-09-30T16:00:00%2B08:00&hours=8", nil)
		if out["deadline"] != "2026-10-08T16:00:00+08:00" {
			t.Errorf("deadline across National Day: %v", out)
		}
		cats := c.must(200, "inspector", "GET", "/api/v1/categories", nil)["items"].([]any)
		if len(cats) != 57 {
			t.Fatalf("%d categories", len(cats))
		}
		first := cats[0].(map[string]any)
		if first["code"] != "C0101" || first["name_zh"] != "上水井盖" || first["limits"].(map[string]any)["unit"] != "clock_hours" {
			t.Errorf("first category %v", first)
		}
		c.must(200, "admin", "POST", "/api/v1/units", map[string]any{"code": "320213022.property", "name": "某物业公司", "kind": "company", "duty": "property", "scope": "320213022"})
		units := c.must(200, "jiale", "GET", "/api/v1/units", nil)["items"].([]any)
		for _, u := range units {
			if s := u.(map[string]any)["scope"].(string); s == "320213022003" || s == "320213023" {
				t.Errorf("家乐花园 handler sees unit of %s", s)
			}
		}
		// Territory: inside the scope, the branch above it, nothing beside it.
		up := c.must(200, "jiale", "GET", "/api/v1/territory/320213", nil)
		if kids := up["children"].([]any); len(kids) != 1 || kids[0].(map[string]any)["code"] != "320213022" {
			t.Errorf("家乐花园 handler sees under 梁溪区: %v", kids)
		}
		c.must(404, "jiale", "GET", "/api/v1/territory/320213023", nil)
		c.must(404, "jiale", "GET", "/api/v1/territory/320213022003", nil)
		own := c.must(200, "jiale", "GET", "/api/v1/territory/320213022010", nil)
		if kids := own["children"].([]any); len(kids) != 2 {
			t.Errorf("家乐花园 grids: %v", kids)
		}
		h := c.must(200, "", "GET", "/healthz", nil)
		if h["status"] != "ok" {
			t.Errorf("healthz %v", h)
		}
	})
}

func TestHotlineOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		file := []byte("工单编号,诉求类别,问题描述,经度,纬度\nGD1,违章停车,占用消防通道,120.22,31.52\nGD2,外星人,不明飞行物,120.22,31.52\n")
		rep := c.must(200, "dispatcher", "POST", "/api/v1/hotline/import?dry_run=true", file)
		if rep["dry_run"] != true || num(rep["imported"]) != 1 || num(rep["failed"]) != 1 {
			t.Fatalf("dry run %v", rep)
		}
		rep = c.must(200, "dispatcher", "POST", "/api/v1/hotline/import", file)
		if num(rep["imported"]) != 1 || len(rep["errors"].([]any)) != 1 {
			t.Fatalf("import %v", rep)
		}
		rep = c.must(200, "dispatcher", "POST", "/api/v1/hotline/import", file)
		if num(rep["imported"]) != 0 || num(rep["skipped_already_imported"]) != 1 {
			t.Fatalf("re-import %v", rep)
		}
		c.must(400, "dispatcher", "POST", "/api/v1/hotline/import", []byte("just,some,columns\n1,2,3\n"))
		c.must(403, "inspector", "POST", "/api/v1/hotline/import", file)
		c.must(403, "dispatcher", "PUT", "/api/v1/hotline/mappings", map[string]any{"text": "外星人", "category": "E0601"})
		c.must(422, "admin", "PUT", "/api/v1/hotline/mappings", map[string]any{"text": "外星人", "category": "E9999"})
		c.must(200, "admin", "PUT", "/api/v1/hotline/mappings", map[string]any{"text": "外星人", "category": "E0601"})
		rep = c.must(200, "dispatcher", "POST", "/api/v1/hotline/import", file)
		if num(rep["imported"]) != 1 {
			t.Fatalf("after mapping %v", rep)
		}
	})
}
