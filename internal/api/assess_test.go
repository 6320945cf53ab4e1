package api_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestAssessOverHTTP runs assessment through the API on a simulated clock:
// roles, bad input, metrics with custom weights, a scheme, points, a round
// and its redraw, a finding opening a case, scores and a verified publication.
func TestAssessOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		var now time.Time
		set := func(s string) {
			var err error
			if now, err = time.ParseInLocation("2006-01-02 15:04", s, calendar.Shanghai()); err != nil {
				t.Fatal(err)
			}
		}
		c.f.App.Cases.Now = func() time.Time { return now }

		// A case dispatched to 环卫处 Mon 2026-10-12 09:00 (E0104: due 18:00), handled 10:00.
		set("2026-10-12 09:00")
		photo := c.must(201, "inspector", "POST", "/api/v1/blobs", append(append([]byte{}, apptest.PNG...), "assess"...))["id"].(string)
		cs := c.must(201, "inspector", "POST", "/api/v1/cases", map[string]any{"category": "E0104", "description": "道路不洁", "lat": 31.52, "lon": 120.22})
		path := fmt.Sprintf("/api/v1/cases/%d", num(cs["id"]))
		v := c.must(200, "dispatcher", "POST", path+"/register", map[string]any{"version": 1})
		v = c.must(200, "dispatcher", "POST", path+"/dispatch", map[string]any{"version": v["version"], "unit": "320213.sanitation"})
		set("2026-10-12 10:00")
		fixed := c.must(201, "san", "POST", "/api/v1/blobs", append(append([]byte{}, apptest.PNG...), "fixed"...))["id"].(string)
		c.must(200, "san", "POST", path+"/handle", map[string]any{"version": v["version"], "attachments": []string{fixed}})

		set("2026-11-02 09:00")
		c.must(403, "inspector", "GET", "/api/v1/assess/metrics?period=2026-10", nil)
		c.must(400, "leader", "GET", "/api/v1/assess/metrics?period=2026-13", nil)
		c.must(400, "leader", "GET", "/api/v1/assess/metrics?period=2026-10&weights=1,2,3", nil)
		c.must(400, "leader", "GET", "/api/v1/assess/metrics?period=2026-10&by=planet", nil)
		c.must(403, "dispatcher-jx", "GET", "/api/v1/assess/metrics?period=2026-10&territory=320213022", nil)
		// due 1, on time 1, to close 1, closed 0, handled 1, no rework, nothing overdue:
		// composite = 0.4·1 + 0.3·0 + 0.2·1 + 0.1·1 = 70.00; with weights 1000,6000,2000,1000: 10 + 0 + 20 + 10 = 40.00.
		m := c.must(200, "leader", "GET", "/api/v1/assess/metrics?period=2026-10", nil)
		items := m["items"].([]any)
		it := items[0].(map[string]any)
		if len(items) != 1 || it["key"] != "320213.sanitation" || it["due"] != 1.0 || it["composite"] != 70.0 || it["closure_rate"] != 0.0 || it["on_time_handling_rate"] != 100.0 {
			t.Fatalf("metrics: %v", m)
		}
		m = c.must(200, "leader", "GET", "/api/v1/assess/metrics?period=2026-10&weights=1000,6000,2000,1000", nil)
		if got := m["items"].([]any)[0].(map[string]any)["composite"]; got != 40.0 {
			t.Fatalf("weighted composite %v", got)
		}
		// The case's street seen by a street dispatcher: nothing of the other street.
		if m := c.must(200, "leader", "GET", "/api/v1/assess/metrics?period=2026-10&by=street&territory=320213023", nil); len(m["items"].([]any)) != 0 {
			t.Fatalf("金星 street: %v", m)
		}

		scheme := map[string]any{"code": "civic", "name": "考核办法", "level": "community", "min_sample": 1, "indicators": []any{
			map[string]any{"code": "road", "name": "道路", "full_marks": 100, "deductions": []any{map[string]any{"points": 2.5}}}}}
		c.must(403, "leader", "POST", "/api/v1/assess/schemes", scheme)
		c.must(400, "admin", "POST", "/api/v1/assess/schemes", map[string]any{"code": "civic", "nme": "typo"})
		sc := c.must(201, "admin", "POST", "/api/v1/assess/schemes", scheme)
		if sc["version"] != 1.0 || sc["excellent"] != 90.0 {
			t.Fatalf("scheme: %v", sc)
		}
		for i, pt := range [][2]float64{{120.22, 31.52}, {120.23, 31.53}} {
			c.must(201, "admin", "POST", "/api/v1/assess/points", map[string]any{"code": fmt.Sprint("P", i), "name": "清扬路", "type": "main_road", "lon": pt[0], "lat": pt[1]})
		}
		c.must(422, "admin", "POST", "/api/v1/assess/points", map[string]any{"code": "OUT", "name": "外", "type": "main_road", "lon": 121.0, "lat": 31.0})
		c.must(400, "admin", "POST", "/api/v1/assess/points", map[string]any{"code": "BAD", "name": "x", "type": "moon", "lon": 120.22, "lat": 31.52})

		set("2026-11-03 09:00")
		c.must(403, "inspector", "POST", "/api/v1/assess/rounds", map[string]any{"scheme": "civic", "period": "2026-11", "name": "11月", "sizes": map[string]int{"main_road": 1}})
		rd := c.must(201, "dispatcher", "POST", "/api/v1/assess/rounds", map[string]any{"scheme": "civic", "period": "2026-11", "name": "11月",
			"territory": "320213", "sizes": map[string]int{"main_road": 1}, "seed": "12345"})
		rpath := fmt.Sprintf("/api/v1/assess/rounds/%d", num(rd["id"]))
		drawn := rd["points"].([]any)[0].(map[string]any)["point"].(string)
		if rd["seed"] != "12345" || len(rd["points"].([]any)) != 1 {
			t.Fatalf("round: %v", rd)
		}
		if smp := c.must(200, "inspector", "GET", rpath+"/sample", nil); smp["redraw_matches"] != true || smp["algorithm"] != "pcg64dxsm-fisher-yates-v1" {
			t.Fatalf("sample: %v", smp)
		}
		c.must(404, "leader", "GET", "/api/v1/assess/rounds/999", nil)
		c.must(404, "leader", "GET", "/api/v1/assess/rounds/abc", nil)
		c.must(403, "san", "POST", rpath+"/findings", map[string]any{"point": drawn, "indicator": "road", "category": "E0104"})
		c.must(422, "inspector", "POST", rpath+"/findings", map[string]any{"point": drawn, "indicator": "nope", "category": "E0104"})
		fd := c.must(201, "inspector", "POST", rpath+"/findings", map[string]any{"point": drawn, "indicator": "road", "category": "E0104", "count": 2, "photos": []string{photo}})
		if fd["case"].(map[string]any)["source"] != "assessment" || fd["finding"].(map[string]any)["case_id"] != fd["case"].(map[string]any)["id"] {
			t.Fatalf("finding: %v", fd)
		}
		// The point not drawn is visited unannounced (四不两直) and found clean.
		other := map[string]string{"P0": "P1", "P1": "P0"}[drawn]
		c.must(403, "inspector", "POST", rpath+"/visits", map[string]any{"point": other})
		c.must(201, "leader", "POST", rpath+"/visits", map[string]any{"point": other})
		c.must(409, "leader", "POST", rpath+"/visits", map[string]any{"point": other})
		c.must(422, "leader", "POST", rpath+"/visits", map[string]any{"point": "NOPE"})
		c.must(204, "inspector", "POST", rpath+"/inspected", map[string]any{"point": other})
		c.must(422, "inspector", "POST", rpath+"/inspected", map[string]any{"point": "NOPE"})
		if d := c.must(200, "leader", "GET", rpath, nil); len(d["points"].([]any)) != 2 || len(d["findings"].([]any)) != 1 {
			t.Fatalf("round detail: %v", d)
		}
		// Two points inspected, 2 problems × 2.5 = 5 off: 95.00, excellent, alone on the red list.
		set("2026-11-03 10:00")
		scores := c.must(200, "leader", "GET", "/api/v1/assess/scores?period=2026-11", nil)
		u := scores["units"].([]any)[0].(map[string]any)
		if u["total"] != 95.0 || u["excellent"] != true || u["problems"] != 2.0 || u["inspected"] != 2.0 || scores["excellence_rate"] != 100.0 {
			t.Fatalf("scores: %v", scores)
		}
		c.must(403, "san", "GET", "/api/v1/assess/scores?period=2026-11", nil)
		c.must(400, "leader", "GET", "/api/v1/assess/scores", nil)

		c.must(403, "leader", "POST", "/api/v1/assess/publish", map[string]any{"kind": "scores", "period": "2026-11"})
		c.must(409, "admin", "POST", "/api/v1/assess/publish", map[string]any{"kind": "scores", "period": "2026-11"})
		set("2026-12-01 09:00")
		pub := c.must(201, "admin", "POST", "/api/v1/assess/publish", map[string]any{"kind": "scores", "period": "2026-11"})
		ps := c.must(200, "leader", "GET", fmt.Sprintf("/api/v1/assess/publications?kind=scores&period=2026-11&scope=%s&verify=true", pub["scope"]), nil)
		if items := ps["items"].([]any); len(items) != 1 || items[0].(map[string]any)["recomputes"] != true || items[0].(map[string]any)["version"] != 1.0 {
			t.Fatalf("publications: %v", ps)
		}
		c.must(400, "admin", "POST", "/api/v1/assess/publish", map[string]any{"kind": "scores", "period": "2026-11"})
	})
}
