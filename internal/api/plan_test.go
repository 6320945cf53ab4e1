package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestPlanTargetsOverHTTP computes targets from cases, from the on-time
// handling rate and from reports on a simulated clock, with the forecast,
// the late flags and the scope of each reader.
func TestPlanTargetsOverHTTP(t *testing.T) {
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
		report := func(cat string, pt [2]float64) string {
			cs := c.must(201, "inspector", "POST", "/api/v1/cases", map[string]any{"category": cat, "description": "问题", "lon": pt[0], "lat": pt[1]})
			return fmt.Sprintf("/api/v1/cases/%d", num(cs["id"]))
		}

		// Last year's case does not count for 2026.
		set("2025-12-31 10:00")
		report("E0104", apptest.PointJiale1)
		// Mon 2026-05-25 (day 144): three E0104 cases and one E0102.
		set("2026-05-25 09:00")
		a, b := report("E0104", apptest.PointJiale1), report("E0104", apptest.PointNanyuan)
		report("E0104", apptest.PointJinxing)
		report("E0102", apptest.PointJiale1)
		for _, p := range []string{a, b} {
			v := c.must(200, "dispatcher", "POST", p+"/register", map[string]any{"version": 1})
			c.must(200, "dispatcher", "POST", p+"/dispatch", map[string]any{"version": v["version"], "unit": "320213.sanitation"})
		}
		set("2026-05-25 10:00")
		fixed := c.must(201, "san", "POST", "/api/v1/blobs", append(append([]byte{}, apptest.PNG...), "plan"...))["id"].(string)
		c.must(200, "san", "POST", a+"/handle", map[string]any{"version": 3, "attachments": []string{fixed}})

		// The targets are set on 1 January.
		set("2026-01-01 00:00")
		mk := func(user string, want int, body map[string]any) map[string]any {
			return c.must(want, user, "POST", "/api/v1/plan/targets", body)
		}
		cases := mk("leader", 201, map[string]any{"year": 2026, "unit": "320213.sanitation", "name": "道路不洁问题数下降30%", "measure": "count", "direction": "lower",
			"baseline": 10, "goal": 7, "due": "2026-12-31", "source": "cases", "category": "E0104"})
		onTime := mk("leader", 201, map[string]any{"year": 2026, "unit": "320213.sanitation", "name": "按期处置率≥95%", "measure": "percent",
			"baseline": 90, "goal": 95, "due": "2026-12-31", "source": "on_time"})
		manual := mk("admin", 201, map[string]any{"year": 2026, "unit": "320213022010.community", "name": "主次干道洁净度", "measure": "percent",
			"baseline": 60, "goal": 90, "due": "2026-12-31"})
		mile := mk("leader", 201, map[string]any{"year": 2026, "unit": "320213.sanitation", "name": "撤桶行动完成", "measure": "milestone", "due": "2026-04-30"})
		mk("dispatcher", 403, map[string]any{"year": 2026, "unit": "320213.sanitation", "name": "x", "measure": "milestone", "due": "2026-04-30"})
		mk("leader", 400, map[string]any{"year": 2026, "unit": "320213.sanitation", "name": "x", "measure": "percent", "baseline": 50, "goal": 120, "due": "2026-12-31"})
		mk("leader", 400, map[string]any{"year": 2026, "unit": "320213.sanitation", "name": "x", "measure": "count", "baseline": 5, "goal": 3, "due": "2026-12-31", "source": "cases", "category": "NOPE"})
		mk("leader", 400, map[string]any{"year": 2026, "unit": "320213.sanitation", "name": "x", "measure": "milestone", "due": "31/12/2026"})
		mk("leader", 400, map[string]any{"year": 2026, "unit": "320213022010.community", "territory": "320213022", "name": "x", "measure": "milestone", "due": "2026-12-31"})
		mk("leader", 400, map[string]any{"year": 2026, "unit": "nope", "name": "x", "measure": "milestone", "due": "2026-12-31"})

		// Reports: (day 0, 60) baseline, (day 73, 63), (day 146, 66).
		rep := fmt.Sprintf("/api/v1/plan/targets/%d/reports", num(manual["id"]))
		set("2026-03-15 00:00")
		c.must(201, "jiale", "POST", rep, map[string]any{"value": 63, "note": "3月测评"})
		set("2026-05-27 00:00")
		c.must(201, "jiale", "POST", rep, map[string]any{"value": 66, "note": "5月测评"})
		c.must(400, "jiale", "POST", rep, map[string]any{"value": 101})
		c.must(400, "jiale", "POST", rep, map[string]any{"value": 70, "blobs": []string{"0000"}})
		c.must(404, "nanyuan", "POST", rep, map[string]any{"value": 70})
		c.must(422, "leader", "POST", fmt.Sprintf("/api/v1/plan/targets/%d/reports", num(cases["id"])), map[string]any{"value": 3})

		// Evaluated on Wed 2026-05-27 00:00, day 146 of 365.
		got := map[int]map[string]any{}
		res := c.must(200, "leader", "GET", "/api/v1/plan/targets?year=2026", nil)
		for _, it := range res["items"].([]any) {
			m := it.(map[string]any)
			got[num(m["id"])] = m
		}
		if len(got) != 4 {
			t.Fatalf("leader sees %d targets: %v", len(got), res)
		}
		// 3 E0104 cases in 146 days: 3·365/146 = 7.5 for the year against
		// baseline 10, goal 7: progress 2.5/3 = 83.33%, forecast 7.5 > 7, late.
		g := got[num(cases["id"])]
		if g["count"] != 3.0 || g["value"] != 7.5 || g["progress"] != 83.33 || g["forecast"] != 7.5 || g["late"] != true || g["met"] != false {
			t.Errorf("cases target: %v", g)
		}
		// Sanitation had 2 cases due (one handled on time, one overdue): 50%.
		// Below the baseline of 90: progress 0, late.
		g = got[num(onTime["id"])]
		if g["value"] != 50.0 || g["progress"] != 0.0 || g["late"] != true {
			t.Errorf("on-time target: %v", g)
		}
		// (0,60), (73,63), (146,66): slope 3/73, 75 at day 365 < 90: late; progress 6/30 = 20%.
		g = got[num(manual["id"])]
		if g["value"] != 66.0 || g["progress"] != 20.0 || g["forecast"] != 75.0 || g["late"] != true {
			t.Errorf("manual target: %v", g)
		}
		// Due by the end of 30 April, nothing reported: late.
		g = got[num(mile["id"])]
		if g["value"] != nil || g["late"] != true {
			t.Errorf("milestone target: %v", g)
		}
		if res["late"] != 4.0 {
			t.Errorf("late = %v, want 4", res["late"])
		}
		one := c.must(200, "jiale", "GET", fmt.Sprintf("/api/v1/plan/targets/%d", num(manual["id"])), nil)
		if h := one["history"].([]any); len(h) != 2 || h[0].(map[string]any)["note"] != "3月测评" {
			t.Errorf("history %v", one["history"])
		}

		// Scope: a community sees its own targets, another street nothing.
		if n := len(c.must(200, "jiale", "GET", "/api/v1/plan/targets", nil)["items"].([]any)); n != 1 {
			t.Errorf("jiale sees %d targets, want 1", n)
		}
		if n := len(c.must(200, "dispatcher-jx", "GET", "/api/v1/plan/targets", nil)["items"].([]any)); n != 0 {
			t.Errorf("dispatcher-jx sees %d targets, want 0", n)
		}
		c.must(404, "nanyuan", "GET", fmt.Sprintf("/api/v1/plan/targets/%d", num(manual["id"])), nil)
		c.must(400, "leader", "GET", "/api/v1/plan/targets?year=26", nil)
	})
}

// TestPlanStatementsOverHTTP issues a responsibility statement and checks
// who may sign it, once, with the signature audited.
func TestPlanStatementsOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		tj := c.must(201, "leader", "POST", "/api/v1/plan/targets", map[string]any{"year": 2026, "unit": "320213022010.community", "name": "背街小巷整治完成", "measure": "milestone", "due": "2026-12-31"})
		ts := c.must(201, "leader", "POST", "/api/v1/plan/targets", map[string]any{"year": 2026, "unit": "320213.sanitation", "name": "撤桶", "measure": "milestone", "due": "2026-12-31"})
		issue := map[string]any{"year": 2026, "unit": "320213022010.community", "title": "2026年度城市精细化管理目标责任状", "targets": []int{num(tj["id"])}}
		c.must(403, "jiale", "POST", "/api/v1/plan/statements", issue)
		c.must(400, "leader", "POST", "/api/v1/plan/statements", map[string]any{"year": 2026, "unit": "320213022010.community", "title": "x", "targets": []int{num(ts["id"])}})
		c.must(400, "leader", "POST", "/api/v1/plan/statements", map[string]any{"year": 2025, "unit": "320213022010.community", "title": "x", "targets": []int{num(tj["id"])}})
		st := c.must(201, "leader", "POST", "/api/v1/plan/statements", issue)
		sign := fmt.Sprintf("/api/v1/plan/statements/%d/sign", num(st["id"]))
		c.must(404, "nanyuan", "POST", sign, nil)
		c.must(403, "leader", "POST", sign, nil)
		c.must(403, "dispatcher", "POST", sign, nil)
		signed := c.must(200, "jiale", "POST", sign, nil)
		if signed["signer_name"] != "jiale" || num(signed["signed_by"]) != int(c.f.Actors["jiale"].UserID) || signed["signed_at"] == nil {
			t.Errorf("signed: %v", signed)
		}
		c.must(409, "jiale", "POST", sign, nil)
		var n int
		if _, err := db.SealAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := db.R.QueryRow(db.Q(`SELECT COUNT(*) FROM audit_log WHERE kind = 'plan.statement.sign' AND subject = ? AND actor_id = ?`),
			fmt.Sprint(num(st["id"])), c.f.Actors["jiale"].UserID).Scan(&n); err != nil || n != 1 {
			t.Errorf("audit entries for the signature: %d (%v)", n, err)
		}
		if rep, err := db.VerifyAudit(context.Background()); err != nil || len(rep.Problems) != 0 {
			t.Errorf("audit chain: %v %+v", err, rep.Problems)
		}
		if l := c.must(200, "nanyuan", "GET", "/api/v1/plan/statements", nil)["items"].([]any); len(l) != 0 {
			t.Errorf("nanyuan sees %v", l)
		}
		if l := c.must(200, "jiale", "GET", "/api/v1/plan/statements?year=2026", nil)["items"].([]any); len(l) != 1 {
			t.Errorf("jiale sees %v", l)
		}
	})
}

// TestPlanProjectsOverHTTP holds the seed's four blocks (6,300万 in all,
// 3,098万 of it in the two urban villages) and sums the portfolio.
func TestPlanProjectsOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		now, _ := time.ParseInLocation("2006-01-02 15:04", "2026-05-27 09:00", calendar.Shanghai())
		c.f.App.Cases.Now = func() time.Time { return now }
		cs := c.must(201, "inspector", "POST", "/api/v1/cases", map[string]any{"category": "E0104", "description": "路面破损", "lon": apptest.PointJiale1[0], "lat": apptest.PointJiale1[1]})
		mk := func(name, kind, terr string, budget, spent int, steps []map[string]any, cases []int) map[string]any {
			return c.must(201, "leader", "POST", "/api/v1/plan/projects", map[string]any{"name": name, "kind": kind, "territory": terr, "budget": budget, "spent": spent,
				"milestones": steps, "outputs": []map[string]any{{"name": "新增停车位", "unit": "个", "planned": 30, "achieved": 0}}, "cases": cases})
		}
		xhw := mk("城东社区小花坞区块", "urban_village", "320213022010", 15000000, 12000000, []map[string]any{
			{"name": "设计", "planned": "2026-03-01", "actual": "2026-03-10"}, {"name": "施工", "planned": "2026-05-01"}}, []int{num(cs["id"])})
		mk("城西社区象牙浦区块", "urban_village", "320213023001", 15980000, 9000000, []map[string]any{{"name": "完工", "planned": "2026-06-30"}}, nil)
		mk("春秋社区田园路区块", "back_alley", "320213022003", 16000000, 5500000, []map[string]any{{"name": "完工", "planned": "2026-04-01", "actual": "2026-03-30"}}, nil)
		mk("太平桥社区佳和苑区块", "back_alley", "320213022", 16020000, 0, nil, nil)
		if xhw["late_milestones"] != 2.0 || xhw["district"] != "320213" || xhw["version"] != 1.0 {
			t.Errorf("小花坞: %v", xhw)
		}

		bad := map[string]any{"name": "x", "kind": "back_alley", "territory": "320213022", "budget": 1}
		c.must(403, "dispatcher", "POST", "/api/v1/plan/projects", bad)
		c.must(403, "jiale", "POST", "/api/v1/plan/projects", bad)
		bad["territory"] = "999999"
		c.must(400, "leader", "POST", "/api/v1/plan/projects", bad)
		bad["territory"], bad["kind"] = "320213022", "park"
		c.must(400, "leader", "POST", "/api/v1/plan/projects", bad)
		bad["kind"], bad["cases"] = "back_alley", []int{99999}
		c.must(400, "leader", "POST", "/api/v1/plan/projects", bad)
		bad["cases"], bad["budget"] = nil, -5
		c.must(400, "leader", "POST", "/api/v1/plan/projects", bad)

		// 3,098万 in urban villages, 3,202万 in back alleys, 6,300万 in all.
		pf := c.must(200, "leader", "GET", "/api/v1/plan/portfolio", nil)
		lines := pf["lines"].([]any)
		l0, l1 := lines[0].(map[string]any), lines[1].(map[string]any)
		if len(lines) != 2 || l0["kind"] != "back_alley" || l0["budget"] != 32020000.0 || l0["spent"] != 5500000.0 || l0["late_milestones"] != 0.0 ||
			l1["kind"] != "urban_village" || l1["budget"] != 30980000.0 || l1["spent"] != 21000000.0 || l1["late_milestones"] != 2.0 {
			t.Errorf("lines %v", lines)
		}
		tot := pf["total"].(map[string]any)
		if tot["projects"] != 4.0 || tot["budget"] != 63000000.0 || tot["spent"] != 26500000.0 {
			t.Errorf("total %v", tot)
		}
		// The other street's dispatcher sees 象牙浦 only.
		if tot := c.must(200, "dispatcher-jx", "GET", "/api/v1/plan/portfolio", nil)["total"].(map[string]any); tot["projects"] != 1.0 || tot["budget"] != 15980000.0 {
			t.Errorf("dispatcher-jx total %v", tot)
		}
		if l := c.must(200, "leader", "GET", "/api/v1/plan/projects?kind=back_alley&territory=320213022", nil)["items"].([]any); len(l) != 2 {
			t.Errorf("back alleys in 清名桥: %d", len(l))
		}
		path := fmt.Sprintf("/api/v1/plan/projects/%d", num(xhw["id"]))
		c.must(404, "dispatcher-jx", "GET", path, nil)

		// The works reach their milestone: nothing late any more.
		upd := map[string]any{"name": "城东社区小花坞区块", "kind": "urban_village", "territory": "320213022010", "budget": 15000000, "spent": 14800000, "version": 1,
			"milestones": []map[string]any{{"name": "设计", "planned": "2026-03-01", "actual": "2026-03-01"}, {"name": "施工", "planned": "2026-05-01", "actual": "2026-04-28"}},
			"outputs":    []map[string]any{{"name": "新增停车位", "unit": "个", "planned": 30, "achieved": 30}}, "cases": []int{num(cs["id"])}}
		p := c.must(200, "leader", "PUT", path, upd)
		if p["version"] != 2.0 || p["late_milestones"] != 0.0 || p["spent"] != 14800000.0 {
			t.Errorf("updated %v", p)
		}
		c.must(409, "leader", "PUT", path, upd)
		upd["version"] = 0
		c.must(400, "leader", "PUT", path, upd)
		upd["version"], upd["territory"] = 2, "320213023001"
		c.must(403, "dispatcher-jx", "PUT", path, upd)
		if got := c.must(200, "leader", "GET", path, nil); got["outputs"].([]any)[0].(map[string]any)["achieved"] != 30.0 {
			t.Errorf("outputs %v", got["outputs"])
		}
	})
}
