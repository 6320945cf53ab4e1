package api_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestPlanScoreTargetOnManagementUnits: a score target over a scheme that
// scores management units counts the units lying in the target's
// territory (by their parent), not none because a unit's code is no
// territory code.
func TestPlanScoreTargetOnManagementUnits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		now := time.Date(2026, 2, 20, 9, 0, 0, 0, calendar.Shanghai())
		c.f.App.Cases.Now = func() time.Time { return now }
		// 家乐北: both 家乐 grids, under the community.
		c.must(201, "admin", "POST", "/api/v1/assess/management-units", map[string]any{"code": "JL-N", "name": "家乐单元", "parent": "320213022010",
			"grids": []string{"32021302201001", "32021302201002"}})
		c.must(201, "admin", "POST", "/api/v1/assess/schemes", map[string]any{"code": "mu", "name": "管理单元考核", "level": "management_unit", "min_sample": 1,
			"indicators": []any{map[string]any{"code": "road", "name": "道路", "full_marks": 100, "deductions": []any{map[string]any{"points": 2.5}}}}})
		c.must(201, "admin", "POST", "/api/v1/assess/points", map[string]any{"code": "J1", "name": "J1", "type": "main_road", "lon": 120.22, "lat": 31.52})
		now = time.Date(2026, 3, 5, 10, 0, 0, 0, calendar.Shanghai())
		rd := c.must(201, "dispatcher", "POST", "/api/v1/assess/rounds", map[string]any{"scheme": "mu", "period": "2026-03", "name": "三月",
			"territory": "320213", "sizes": map[string]int{"main_road": 1}, "seed": "7"})
		if n := len(rd["points"].([]any)); n != 1 {
			t.Fatalf("round drew %d points: %v", n, rd["points"])
		}
		// Two problems: 100 − 2 × 2.5 = 95.
		c.must(201, "inspector", "POST", fmt.Sprintf("/api/v1/assess/rounds/%d/findings", num(rd["id"])),
			map[string]any{"point": "J1", "indicator": "road", "category": "E0104", "count": 2})
		now = time.Date(2026, 1, 2, 9, 0, 0, 0, calendar.Shanghai())
		tg := c.must(201, "leader", "POST", "/api/v1/plan/targets", map[string]any{"year": 2026, "measure": "percent", "due": "2026-12-31",
			"unit": "320213022010.community", "name": "考核得分≥90", "baseline": 80, "goal": 90, "source": "score", "scheme": "mu"})
		now = time.Date(2026, 4, 10, 9, 0, 0, 0, calendar.Shanghai())
		got := c.must(200, "leader", "GET", fmt.Sprintf("/api/v1/plan/targets/%d", num(tg["id"])), nil)
		if got["value"] != 95.0 || got["sample"] != 1.0 || got["met"] != true {
			t.Errorf("management unit score target: %v", got)
		}
	})
}
