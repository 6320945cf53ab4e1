package api_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestPlanCleanTargetCutoff: a clean-rate target reads a round as its
// scores do: a finding recorded after the round's period has ended is not
// the period's, so the point inspected clean within it stays clean.
func TestPlanCleanTargetCutoff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		now := time.Date(2026, 2, 20, 9, 0, 0, 0, calendar.Shanghai())
		c.f.App.Cases.Now = func() time.Time { return now }
		c.must(201, "admin", "POST", "/api/v1/assess/schemes", map[string]any{"code": "civic", "name": "考核办法", "level": "community", "min_sample": 1,
			"indicators": []any{map[string]any{"code": "road", "name": "道路", "full_marks": 100, "deductions": []any{map[string]any{"points": 2.5}}}}})
		c.must(201, "admin", "POST", "/api/v1/assess/points", map[string]any{"code": "J1", "name": "J1", "type": "main_road", "lon": 120.22, "lat": 31.52})
		now = time.Date(2026, 3, 5, 10, 0, 0, 0, calendar.Shanghai())
		rd := c.must(201, "dispatcher", "POST", "/api/v1/assess/rounds", map[string]any{"scheme": "civic", "period": "2026-03", "name": "三月",
			"territory": "320213", "sizes": map[string]int{"main_road": 1}, "seed": "7"})
		path := fmt.Sprintf("/api/v1/assess/rounds/%d", num(rd["id"]))
		c.must(204, "inspector", "POST", path+"/inspected", map[string]any{"point": "J1"})
		// April 3: a finding on the March round, after March ended.
		now = time.Date(2026, 4, 3, 10, 0, 0, 0, calendar.Shanghai())
		c.must(201, "inspector", "POST", path+"/findings", map[string]any{"point": "J1", "indicator": "road", "category": "E0104", "count": 1})
		sc := c.must(200, "leader", "GET", fmt.Sprintf("/api/v1/assess/scores?round=%d", num(rd["id"])), nil)
		var score float64
		for _, u := range sc["units"].([]any) {
			if m := u.(map[string]any); m["unit"] == "320213022010" {
				score = m["total"].(float64)
			}
		}
		if score != 100 {
			t.Fatalf("家乐's March score %v, want 100 (the April finding is not March's)", score)
		}
		tg := c.must(201, "leader", "POST", "/api/v1/plan/targets", map[string]any{"year": 2026, "measure": "percent", "due": "2026-12-31",
			"unit": "320213022010.community", "name": "点位洁净率", "baseline": 0, "goal": 90, "source": "clean", "scheme": "civic"})
		got := c.must(200, "leader", "GET", fmt.Sprintf("/api/v1/plan/targets/%d", num(tg["id"])), nil)
		if got["value"] != 100.0 || got["sample"] != 1.0 {
			t.Errorf("clean target: %v", got)
		}
	})
}
