package api_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestPlanScoreTargetsOverHTTP computes targets from two assessment rounds:
// a community's mean score, the excellence rate and the clean rate of main
// roads, against hand-computed values.
func TestPlanScoreTargetsOverHTTP(t *testing.T) {
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
		set("2026-02-20 09:00")
		// 2.5 off a problem, 100 full marks, excellent from 90.
		c.must(201, "admin", "POST", "/api/v1/assess/schemes", map[string]any{"code": "civic", "name": "考核办法", "level": "community", "min_sample": 1,
			"indicators": []any{map[string]any{"code": "road", "name": "道路", "full_marks": 100, "deductions": []any{map[string]any{"points": 2.5}}}}})
		// 家乐: J1 main road, J2 back street; 南苑: N1, N2 main roads.
		for _, p := range []struct {
			code, typ string
			lon, lat  float64
		}{{"J1", "main_road", 120.22, 31.52}, {"J2", "back_street", 120.23, 31.53}, {"N1", "main_road", 120.27, 31.55}, {"N2", "main_road", 120.28, 31.56}} {
			c.must(201, "admin", "POST", "/api/v1/assess/points", map[string]any{"code": p.code, "name": p.code, "type": p.typ, "lon": p.lon, "lat": p.lat})
		}
		round := func(period, at string, problems map[string]int) {
			set(at)
			rd := c.must(201, "dispatcher", "POST", "/api/v1/assess/rounds", map[string]any{"scheme": "civic", "period": period, "name": period,
				"territory": "320213", "sizes": map[string]int{"main_road": 2, "back_street": 1}, "seed": "7"})
			if n := len(rd["points"].([]any)); n != 4 {
				t.Fatalf("round %s drew %d points", period, n)
			}
			path := fmt.Sprintf("/api/v1/assess/rounds/%d", num(rd["id"]))
			for _, pt := range []string{"J1", "J2", "N1", "N2"} {
				if n := problems[pt]; n > 0 {
					c.must(201, "inspector", "POST", path+"/findings", map[string]any{"point": pt, "indicator": "road", "category": "E0104", "count": n})
				} else {
					c.must(204, "inspector", "POST", path+"/inspected", map[string]any{"point": pt})
				}
			}
		}
		// March: 家乐 2 problems (95), 南苑 6 (85). April: 家乐 1 (97.5), 南苑 2 (95).
		round("2026-03", "2026-03-05 10:00", map[string]int{"J1": 2, "N1": 6})
		round("2026-04", "2026-04-05 10:00", map[string]int{"J2": 1, "N2": 2})

		set("2026-01-02 09:00")
		mk := func(want int, body map[string]any) map[string]any {
			base := map[string]any{"year": 2026, "measure": "percent", "due": "2026-12-31"}
			for k, v := range body {
				base[k] = v
			}
			return c.must(want, "leader", "POST", "/api/v1/plan/targets", base)
		}
		jiale := mk(201, map[string]any{"unit": "320213022010.community", "name": "考核得分≥95", "baseline": 90, "goal": 95, "source": "score", "scheme": "civic"})
		nanyuan := mk(201, map[string]any{"unit": "320213022003.community", "name": "考核得分≥92", "baseline": 88, "goal": 92, "source": "score", "scheme": "civic"})
		excel := mk(201, map[string]any{"unit": "320213.sanitation", "name": "优秀率≥80%", "baseline": 50, "goal": 80, "source": "excellence", "scheme": "civic"})
		roads := mk(201, map[string]any{"unit": "320213.sanitation", "name": "主次干道洁净率100%", "baseline": 40, "goal": 100, "source": "clean", "scheme": "civic", "point_type": "main_road"})
		jclean := mk(201, map[string]any{"unit": "320213022010.community", "name": "点位洁净率", "baseline": 0, "goal": 60, "source": "clean", "scheme": "civic"})
		mk(400, map[string]any{"unit": "320213.sanitation", "name": "x", "baseline": 50, "goal": 80, "source": "score", "scheme": "nope"})
		mk(400, map[string]any{"unit": "320213.sanitation", "name": "x", "baseline": 50, "goal": 80, "source": "score"})
		mk(400, map[string]any{"unit": "320213.sanitation", "name": "x", "measure": "count", "baseline": 50, "goal": 80, "source": "excellence", "scheme": "civic"})
		mk(400, map[string]any{"unit": "320213.sanitation", "name": "x", "baseline": 50, "goal": 80, "source": "clean", "scheme": "civic", "point_type": "moon"})

		set("2026-05-10 09:00")
		got := map[int]map[string]any{}
		for _, it := range c.must(200, "leader", "GET", "/api/v1/plan/targets?year=2026", nil)["items"].([]any) {
			m := it.(map[string]any)
			got[num(m["id"])] = m
		}
		// 家乐 (95 + 97.5)/2 = 96.25 ≥ 95: met, progress 100, not late.
		if g := got[num(jiale["id"])]; g["value"] != 96.25 || g["progress"] != 100.0 || g["met"] != true || g["late"] != false || g["rounds"] != 2.0 || g["sample"] != 2.0 {
			t.Errorf("家乐 score: %v", g)
		}
		// 南苑 (85 + 95)/2 = 90: (90−88)/(92−88) = 50%, forecast 90 < 92: late.
		if g := got[num(nanyuan["id"])]; g["value"] != 90.0 || g["progress"] != 50.0 || g["late"] != true {
			t.Errorf("南苑 score: %v", g)
		}
		// 3 excellent of 4 results (南苑 85 in March is not): 75%; (75−50)/30 = 83.33%.
		if g := got[num(excel["id"])]; g["value"] != 75.0 || g["progress"] != 83.33 || g["late"] != true || g["sample"] != 4.0 {
			t.Errorf("excellence: %v", g)
		}
		// Main roads: March J1 ✗ N1 ✗ N2 ✓, April J1 ✓ N1 ✓ N2 ✗: 3 of 6 = 50%; (50−40)/60 = 16.67%.
		if g := got[num(roads["id"])]; g["value"] != 50.0 || g["progress"] != 16.67 || g["sample"] != 6.0 {
			t.Errorf("main roads: %v", g)
		}
		// 家乐 all points: March J1 ✗ J2 ✓, April J1 ✓ J2 ✗: 2 of 4 = 50%.
		if g := got[num(jclean["id"])]; g["value"] != 50.0 || g["sample"] != 4.0 {
			t.Errorf("家乐 clean: %v", g)
		}
		// The community sees its own, computed the same.
		one := c.must(200, "jiale", "GET", fmt.Sprintf("/api/v1/plan/targets/%d", num(jiale["id"])), nil)
		if one["value"] != 96.25 {
			t.Errorf("jiale reads %v", one)
		}
		// Before any round the value is empty and, before the due date, not late.
		set("2026-02-21 09:00")
		for _, it := range c.must(200, "leader", "GET", "/api/v1/plan/targets?year=2026", nil)["items"].([]any) {
			if m := it.(map[string]any); m["value"] != nil || m["late"] != false {
				t.Errorf("before the rounds: %v", m)
			}
		}
	})
}
