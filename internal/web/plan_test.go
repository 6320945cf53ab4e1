package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/plan"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// The fixture units plans are issued to.
const (
	jialeCommunity   = "320213022010.community"
	nanyuanCommunity = "320213022003.community"
)

// addLeaderJX adds a leader of 金星街道 (320213023) alone: outside the
// communities of 320213022 the tests issue plans to.
func addLeaderJX(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.f.App.AddUser(ctx, auth.User{Username: "leader-jx", Role: auth.Leader, Scope: "320213023"}, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.f.App.DB.SetPassword(ctx, "leader-jx", cheapHash()); err != nil {
		t.Fatal(err)
	}
}

// newTarget creates a target through the service as admin, due at the end
// of the day given.
func newTarget(t *testing.T, e *env, tg plan.Target, due string) plan.Target {
	t.Helper()
	d, err := time.ParseInLocation(time.DateOnly, due, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	tg.Due = d.AddDate(0, 0, 1)
	out, err := e.web.planService().CreateTarget(context.Background(), e.f.Actors["admin"], tg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantStatus fails unless a page has the status and (when given) its error
// box contains text.
func wantStatus(t *testing.T, what string, p page, st int, text string) {
	t.Helper()
	if p.status != st {
		t.Errorf("%s: status %d, want %d (%s)", what, p.status, st, alert(p.body))
		return
	}
	if text != "" && !strings.Contains(p.body, text) {
		t.Errorf("%s: the page lacks %q (alert %q)", what, text, alert(p.body))
	}
}

// TestPlanTargetPages follows two manual targets of 家乐花园 through the
// console, created at 2026-11-25 10:00, due by the end of 2026-12-31
// (2027-01-01 00:00, 36 days 14 hours later = 36.5833 days):
//
//	绿化覆盖率 percent 60 → 90: reports 70 (day 10) and 80 (day 20) lie on
//	value = 60 + 1·day, so the forecast is 60 + 36.5833 = 96.58 ≥ 90: on
//	track; progress (80 − 60)/(90 − 60) = 66.67 %.
//	新增停车位 count 0 → 100: one report of 10 on day 10: the line through
//	(0, 0) and (10, 10) forecasts 36.58 < 100: late.
func TestPlanTargetPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		// Reports come days apart: sessions outlive them here.
		e.web.IdleTimeout, e.web.MaxAge = 365*24*time.Hour, 365*24*time.Hour
		addLeaderJX(t, e)
		green := newTarget(t, e, plan.Target{Year: 2026, Unit: jialeCommunity, Name: "绿化覆盖率", Measure: plan.Percent, Baseline: 60, Goal: 90}, "2026-12-31")
		park := newTarget(t, e, plan.Target{Year: 2026, Unit: jialeCommunity, Name: "新增停车位", Measure: plan.Count, Baseline: 0, Goal: 100}, "2026-12-31")
		cases := newTarget(t, e, plan.Target{Year: 2026, Unit: nanyuanCommunity, Name: "暴露垃圾问题数", Measure: plan.Count, Direction: plan.Lower,
			Baseline: 100, Goal: 70, Source: plan.Cases, Category: "E0102"}, "2026-12-31")
		gid, pid := itoa(green.ID), itoa(park.ID)

		jiale := e.client()
		jiale.login("jiale")
		// Reports with evidence, ten and twenty days on.
		e.advance(10 * 24 * time.Hour)
		p := jiale.postFiles("/plan/targets/"+gid+"/reports", url.Values{"_csrf": {jiale.token()}, "value": {"70"}, "note": {"补植 3 处"}}, photo("g1"))
		if p.status != http.StatusSeeOther || p.location() != "/plan/targets/"+gid+"?done=report" {
			t.Fatalf("report 70: %d %q %s", p.status, p.location(), alert(p.body))
		}
		p = jiale.postFiles("/plan/targets/"+pid+"/reports", url.Values{"_csrf": {jiale.token()}, "value": {"10"}})
		wantStatus(t, "report 10 parking spaces", p, http.StatusSeeOther, "")
		e.advance(10 * 24 * time.Hour)
		p = jiale.postFiles("/plan/targets/"+gid+"/reports", url.Values{"_csrf": {jiale.token()}, "value": {"80"}}, photo("g2"), photo("g3"))
		wantStatus(t, "report 80", p, http.StatusSeeOther, "")

		// Refusals: bad values, another unit, a computed target, wrong roles.
		for _, c := range []struct {
			who, id, value string
			st             int
			text           string
		}{
			{"jiale", gid, "abc", 400, "不是数字"},
			{"jiale", gid, "150", 400, "不符合计量方式"},
			{"jiale", pid, "2.5", 400, "不符合计量方式"},
			{"jiale", itoa(cases.ID), "5", 404, "不存在"}, // 南苑's target: not jiale's to see
			{"nanyuan", gid, "75", 404, "不存在"},
			{"dispatcher", gid, "75", 403, "只有责任单位、领导或管理员可以填报此目标"},
			{"inspector", gid, "75", 403, "只有责任单位"},
			{"leader-jx", gid, "75", 404, "不存在"},
			{"leader", itoa(cases.ID), "5", 422, "由台账自动计算"},
			{"jiale", "999999", "5", 404, "不存在"},
		} {
			cl := e.client()
			cl.login(c.who)
			p := cl.postFiles("/plan/targets/"+c.id+"/reports", url.Values{"_csrf": {cl.token()}, "value": {c.value}})
			wantStatus(t, c.who+" reports "+c.value+" on "+c.id, p, c.st, c.text)
		}

		// The leader's task book: progress, forecast, late flag.
		lead := e.client()
		lead.login("leader")
		p = lead.get("/plan/targets?year=2026")
		if p.status != 200 {
			t.Fatalf("targets: %d %s", p.status, alert(p.body))
		}
		wantCells(t, "绿化覆盖率", planRow(t, p.body, "data-target", gid),
			"家乐花园社区居委会", "绿化覆盖率", "百分比 · 手工填报", "60%", "90%", "80%", "66.67%", "96.58%", "2026-12-31", "正常推进")
		wantCells(t, "新增停车位", planRow(t, p.body, "data-target", pid),
			"家乐花园社区居委会", "新增停车位", "数量 · 手工填报", "0", "100", "10", "10%", "36.58", "2026-12-31", "滞后")
		if !strings.Contains(p.body, `<tr data-target="`+pid+`" class="late-row">`) {
			t.Error("the late target's row is not highlighted")
		}
		if !strings.Contains(p.body, `id="late-summary"`) || !strings.Contains(p.body, "有 1 项目标滞后") {
			t.Error("no late summary for the leader")
		}
		if !strings.Contains(p.body, `<progress max="100" value="66.67"`) {
			t.Error("no progress bar at 66.67")
		}
		// The unit filter, and the other unit's targets are not jiale's.
		if p := lead.get("/plan/targets?year=2026&unit=" + nanyuanCommunity); strings.Contains(p.body, "绿化覆盖率") || !strings.Contains(p.body, "暴露垃圾问题数") {
			t.Error("unit filter")
		}
		// The cases target: no E0102 case reported yet in 南苑, a count of 0
		// run on to the due date is 0 ≤ 70: met already.
		wantCells(t, "暴露垃圾问题数", planRow(t, lead.get("/plan/targets?year=2026").body, "data-target", itoa(cases.ID)),
			"南苑社区居委会", "暴露垃圾问题数", "数量 · 按案件计算", "100", "70", "0", "100%", "0", "2026-12-31", "已达标")
		if p := lead.get("/plan/targets?year=2025"); !strings.Contains(p.body, "没有符合条件的目标") {
			t.Error("2025 should have no targets")
		}
		wantStatus(t, "bad year", lead.get("/plan/targets?year=20x6"), 400, "年度")
		if p := jiale.get("/plan/targets?year=2026"); strings.Contains(p.body, "暴露垃圾问题数") || !strings.Contains(p.body, "绿化覆盖率") || strings.Contains(p.body, `id="target-form"`) {
			t.Error("jiale's task book: own targets only, no create form")
		}
		if p := e.client(); true {
			p.login("leader-jx")
			if pg := p.get("/plan/targets?year=2026"); strings.Contains(pg.body, "绿化覆盖率") {
				t.Error("leader-jx sees 家乐花园's target")
			}
		}

		// The target page: history with its photos, the chart's data, the form.
		p = jiale.get("/plan/targets/" + gid)
		if p.status != 200 {
			t.Fatalf("target page: %d %s", p.status, alert(p.body))
		}
		for _, s := range []string{`id="report-form"`, "补植 3 处", `<dd id="t-forecast">96.58%`, `<span id="t-progress">66.67%</span>`,
			"2026-12-05", "2026-12-15", "&#34;forecast&#34;:[[&#34;2026-12-15&#34;,80],[&#34;2026-12-31&#34;,96.58]]"} {
			if !strings.Contains(p.body, s) {
				t.Errorf("target page lacks %q", s)
			}
		}
		imgs := regexp.MustCompile(`<img src="(/plan/targets/`+gid+`/photos/[0-9a-f]+)"`).FindAllStringSubmatch(p.body, -1)
		if len(imgs) != 3 {
			t.Fatalf("%d evidence photos shown, want 3", len(imgs))
		}
		// The evidence is shown to whoever sees the target (the leader did
		// not upload it), to nobody else, and only as the target's.
		if ph := lead.get(imgs[0][1]); ph.status != 200 || ph.header.Get("Content-Type") != "image/png" || !strings.HasSuffix(ph.body, "g2") && !strings.HasSuffix(ph.body, "g3") {
			t.Errorf("leader reads the evidence: %d %q", ph.status, ph.header.Get("Content-Type"))
		}
		nanC := e.client()
		nanC.login("nanyuan")
		wantStatus(t, "nanyuan reads the evidence", nanC.get(imgs[0][1]), 404, "")
		wantStatus(t, "the evidence through another target", lead.get(strings.Replace(imgs[0][1], "/targets/"+gid+"/", "/targets/"+pid+"/", 1)), 404, "照片")
		if p := lead.get("/plan/targets/" + itoa(cases.ID)); strings.Contains(p.body, `id="report-form"`) || !strings.Contains(p.body, "由台账自动计算") {
			t.Error("a computed target offers a report form")
		}
		wantStatus(t, "nanyuan reads jiale's target", func() page { c := e.client(); c.login("nanyuan"); return c.get("/plan/targets/" + gid) }(), 404, "")
		wantStatus(t, "no such target", lead.get("/plan/targets/abc"), 404, "")

		// Creating targets: the leader through the form, refusals.
		form := func(c *client, mod map[string]string) url.Values {
			v := url.Values{"_csrf": {c.token()}, "year": {"2026"}, "unit": {nanyuanCommunity}, "name": {"垃圾分类知晓率"}, "measure": {"percent"},
				"direction": {"higher"}, "baseline": {"70"}, "goal": {"95"}, "due": {"2026-12-31"}, "source": {"manual"}}
			for k, x := range mod {
				v.Set(k, x)
			}
			return v
		}
		p = lead.post("/plan/targets", form(lead, nil))
		if p.status != http.StatusSeeOther || !regexp.MustCompile(`^/plan/targets/\d+\?done=created$`).MatchString(p.location()) {
			t.Fatalf("create: %d %q %s", p.status, p.location(), alert(p.body))
		}
		p = lead.get(p.location())
		if !strings.Contains(p.body, "已下达目标") || !strings.Contains(p.body, "南苑社区居委会") {
			t.Errorf("created target page: %s", alert(p.body))
		}
		for _, c := range []struct {
			who  string
			mod  map[string]string
			st   int
			text string
		}{
			{"dispatcher", nil, 403, "只有管理员或领导可以下达目标和项目"},
			{"jiale", nil, 403, "只有管理员或领导"},
			{"leader-jx", nil, 403, "不在您的管辖范围内"},
			{"leader", map[string]string{"due": "年底"}, 400, "须为日期"},
			{"leader", map[string]string{"goal": "很多"}, 400, "不是数字"},
			{"leader", map[string]string{"goal": "50"}, 400, "目标值不得劣于基准值"},
			{"leader", map[string]string{"name": " "}, 400, "名称须为 1–200 个字符"},
			{"leader", map[string]string{"unit": "nobody"}, 400, "单位 nobody 不存在"},
			{"leader", map[string]string{"source": "cases", "measure": "count", "baseline": "10", "goal": "5", "direction": "lower", "category": "X9999"}, 400, "类别 X9999 不存在"},
		} {
			cl := e.client()
			cl.login(c.who)
			p := cl.post("/plan/targets", form(cl, c.mod))
			wantStatus(t, c.who+" creates "+strings.Join(func() []string {
				var s []string
				for k, v := range c.mod {
					s = append(s, k+"="+v)
				}
				return s
			}(), ","), p, c.st, c.text)
			if c.st == 400 && !strings.Contains(p.body, `id="create-target" open`) {
				t.Errorf("%v: the refused form is not shown open again", c.mod)
			}
		}
		ts, _ := e.web.planService().Targets(context.Background(), e.f.Actors["admin"], 2026, "")
		if len(ts) != 4 {
			t.Errorf("%d targets after the refusals, want 4", len(ts))
		}
		// English.
		en := e.client()
		en.lang = "en"
		en.login("leader")
		if p := en.get("/plan/targets"); !strings.Contains(p.body, "Target task books 2026") || !strings.Contains(p.body, "1 targets are late") {
			t.Errorf("English task book: %s", alert(p.body))
		}
		if p := en.get("/plan/targets/" + gid); !strings.Contains(p.body, "percent · higher is better") || !strings.Contains(p.body, "Report progress") {
			t.Errorf("English target page: %s", alert(p.body))
		}
		// A percent's forecast stays within 0–100 however steep the line
		// through the reports; a count's is left as it is.
		for _, c := range []struct {
			measure string
			f, want float64
		}{{plan.Percent, 108.78, 100}, {plan.Percent, -3, 0}, {plan.Percent, 96.58, 96.58}, {plan.Count, 108.78, 108.78}} {
			f := c.f
			if got := bounded(plan.Status{Target: plan.Target{Measure: c.measure}, Forecast: &f}); *got.Forecast != c.want {
				t.Errorf("bounded %s %v: %v, want %v", c.measure, c.f, *got.Forecast, c.want)
			}
		}
	})
}

// TestPlanStatementPages issues a statement to 家乐花园 with its two
// targets, which the community's account signs once.
func TestPlanStatementPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		// Reports come days apart: sessions outlive them here.
		e.web.IdleTimeout, e.web.MaxAge = 365*24*time.Hour, 365*24*time.Hour
		addLeaderJX(t, e)
		a := newTarget(t, e, plan.Target{Year: 2026, Unit: jialeCommunity, Name: "道路洁净率", Measure: plan.Percent, Baseline: 85, Goal: 98}, "2026-12-31")
		b := newTarget(t, e, plan.Target{Year: 2026, Unit: jialeCommunity, Name: "完成背街小巷整治", Measure: plan.Milestone}, "2026-12-20")
		other := newTarget(t, e, plan.Target{Year: 2026, Unit: nanyuanCommunity, Name: "南苑目标", Measure: plan.Count, Goal: 3}, "2026-12-31")

		lead := e.client()
		lead.login("leader")
		p := lead.get("/plan/statements")
		for _, s := range []string{`id="issue-form"`, `id="st-` + itoa(a.ID) + `"`, `id="st-` + itoa(other.ID) + `"`, "本年度尚无责任状"} {
			if !strings.Contains(p.body, s) {
				t.Errorf("statements page lacks %q", s)
			}
		}
		issue := func(c *client, unit string, ids ...int64) page {
			v := url.Values{"_csrf": {c.token()}, "year": {"2026"}, "unit": {unit}, "title": {"2026 年度精细化管理目标责任状"}}
			for _, id := range ids {
				v.Add("target", itoa(id))
			}
			return c.post("/plan/statements", v)
		}
		if c := planRow(t, lead.get("/plan/targets").body, "data-target", itoa(a.ID)); c[len(c)-1] != "暂无数据" {
			t.Errorf("an unreported target's state: %q", c[len(c)-1])
		}
		// Refusals first.
		wantStatus(t, "a target of another unit", issue(lead, jialeCommunity, a.ID, other.ID), 400, "不是 2026 年度单位 "+jialeCommunity+" 的目标")
		wantStatus(t, "no targets", issue(lead, jialeCommunity), 400, "责任状须有标题")
		wantStatus(t, "bad target id", issue(lead, jialeCommunity, -1), 400, "不是目标编号")
		for who, text := range map[string]string{"dispatcher": "只有管理员或领导", "jiale": "只有管理员或领导", "leader-jx": "不在您的管辖范围内"} {
			c := e.client()
			c.login(who)
			wantStatus(t, who+" issues", issue(c, jialeCommunity, a.ID, b.ID), 403, text)
		}
		p = issue(lead, jialeCommunity, a.ID, b.ID)
		if p.status != http.StatusSeeOther || !regexp.MustCompile(`^/plan/statements/\d+\?done=issued$`).MatchString(p.location()) {
			t.Fatalf("issue: %d %q %s", p.status, p.location(), alert(p.body))
		}
		sid := strings.TrimSuffix(strings.TrimPrefix(p.location(), "/plan/statements/"), "?done=issued")
		p = lead.get(p.location())
		if !strings.Contains(p.body, "已下达责任状") || !strings.Contains(p.body, `<dd id="signature">待签署</dd>`) || strings.Contains(p.body, `id="sign-form"`) {
			t.Errorf("the issuer's view: %s", alert(p.body))
		}
		if n := strings.Count(p.body, `<tr data-target="`); n != 2 {
			t.Errorf("%d targets in the statement, want 2", n)
		}

		// Other people: not the unit's.
		nan := e.client()
		nan.login("nanyuan")
		wantStatus(t, "nanyuan reads", nan.get("/plan/statements/"+sid), 404, "")
		wantStatus(t, "nanyuan signs", nan.post("/plan/statements/"+sid+"/sign", url.Values{"_csrf": {nan.token()}, "confirm": {"yes"}}), 404, "")
		wantStatus(t, "the leader signs", lead.post("/plan/statements/"+sid+"/sign", url.Values{"_csrf": {lead.token()}, "confirm": {"yes"}}), 403, "只有 "+jialeCommunity+" 的人员可以签署其责任状")
		wantStatus(t, "no such statement", lead.get("/plan/statements/99999"), 404, "责任状 99999 不存在")

		// The unit signs: the confirmation is required, then once only.
		jiale := e.client()
		jiale.login("jiale")
		p = jiale.get("/plan/statements/" + sid)
		if !strings.Contains(p.body, `id="sign-form"`) || !strings.Contains(p.body, `id="sign-confirm" required`) {
			t.Fatalf("jiale has no sign form: %s", alert(p.body))
		}
		wantStatus(t, "sign unconfirmed", jiale.post("/plan/statements/"+sid+"/sign", url.Values{"_csrf": {jiale.token()}}), 400, "请勾选确认框")
		e.advance(90 * time.Minute)
		p = jiale.post("/plan/statements/"+sid+"/sign", url.Values{"_csrf": {jiale.token()}, "confirm": {"yes"}})
		if p.status != http.StatusSeeOther || p.location() != "/plan/statements/"+sid+"?done=signed" {
			t.Fatalf("sign: %d %q %s", p.status, p.location(), alert(p.body))
		}
		p = jiale.get(p.location())
		if !strings.Contains(p.body, "已签署责任状") || !strings.Contains(p.body, "于 2026-11-25 11:30 签署") || strings.Contains(p.body, `id="sign-form"`) {
			t.Errorf("signed statement: %s", p.body[strings.Index(p.body, "<main"):min(len(p.body), strings.Index(p.body, "<main")+1500)])
		}
		wantStatus(t, "sign twice", jiale.post("/plan/statements/"+sid+"/sign", url.Values{"_csrf": {jiale.token()}, "confirm": {"yes"}}), 409, "责任状 "+sid+" 已签署")
		wantStatus(t, "sign twice, unconfirmed", jiale.post("/plan/statements/"+sid+"/sign", url.Values{"_csrf": {jiale.token()}}), 409, "已签署")
		st, err := db.Statement(context.Background(), mustID(t, sid))
		if err != nil || st.SignedBy != e.f.Actors["jiale"].UserID || !st.SignedAt.Equal(testStart.Add(90*time.Minute)) {
			t.Errorf("stored signature: %+v %v", st, err)
		}

		// The list and the printable page show the signature.
		p = lead.get("/plan/statements?year=2026")
		if c := planRow(t, p.body, "data-statement", sid); len(c) != 5 || c[2] != "2" || !strings.Contains(c[4], "已签署") || !strings.Contains(c[4], "2026-11-25 11:30") {
			t.Errorf("statement row %q", c)
		}
		p = lead.get("/plan/statements/" + sid + "/print")
		for _, s := range []string{`class="a4"`, "2026 年度精细化管理目标责任状", "责任单位：家乐花园社区居委会", "道路洁净率", "完成背街小巷整治", "2026-12-20", "2026-11-25 11:30"} {
			if !strings.Contains(p.body, s) {
				t.Errorf("print page lacks %q", s)
			}
		}
		wantStatus(t, "nanyuan prints", nan.get("/plan/statements/"+sid+"/print"), 404, "")
	})
}

// planRow returns the text of the cells of the table row marked
// attr="key", whatever other attributes the row has.
func planRow(t *testing.T, body, attr, key string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr ` + attr + `="` + regexp.QuoteMeta(key) + `"[^>]*>(.*?)</tr>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no row %s=%q", attr, key)
	}
	var out []string
	for _, c := range regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(m[1], -1) {
		out = append(out, strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(c[1], "")), " "))
	}
	return out
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// planProjects saves two projects as admin on 2026-11-25:
//
//	家乐花园老旧小区改造 (old_estate, 320213022010): budget 1,000,000, spent
//	200,000; 设计 planned 09-01 reached 08-30 (done), 施工 planned 11-01
//	not reached (late), 验收 planned 12-20 (due); 停车位 40 of 180; one case.
//	金星路背街小巷整治 (back_alley, 320213023): budget 500,000, spent 0;
//	开工 planned 10-01 not reached (late); its area a small square.
func planProjects(t *testing.T, e *env) (plan.Project, plan.Project) {
	t.Helper()
	ctx := context.Background()
	svc := e.web.planService()
	admin := e.f.Actors["admin"]
	c := e.report("inspector", apptest.PointJiale1, "E0102", "小区内暴露垃圾")
	p1, err := svc.SaveProject(ctx, admin, plan.Project{Name: "家乐花园老旧小区改造", Kind: plan.OldEstate, Territory: "320213022010", Budget: 1000000, Spent: 200000,
		Milestones: []plan.Step{{Name: "设计", Planned: "2026-09-01", Actual: "2026-08-30"}, {Name: "施工", Planned: "2026-11-01"}, {Name: "验收", Planned: "2026-12-20"}},
		Outputs:    []plan.Output{{Name: "新增停车位", Unit: "个", Planned: 180, Achieved: 40}}, Cases: []int64{c.ID}})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := svc.SaveProject(ctx, admin, plan.Project{Name: "金星路背街小巷整治", Kind: plan.BackAlley, Territory: "320213023", Budget: 500000,
		Milestones: []plan.Step{{Name: "开工", Planned: "2026-10-01"}},
		Area:       json.RawMessage(`{"type":"Polygon","coordinates":[[[120.31,31.51],[120.33,31.51],[120.33,31.53],[120.31,31.53],[120.31,31.51]]]}`)})
	if err != nil {
		t.Fatal(err)
	}
	return p1, p2
}

// TestPlanProjectPages reads the portfolio and follows a project's
// milestone to done:
//
//	before: 2 projects, budget 1,500,000, spent 200,000 (13.33%), late 2
//	after 施工 reached 2026-10-31 (before its date) and 350,000 spent:
//	spent 550,000 (36.67%), late 1 (金星路's 开工).
func TestPlanProjectPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		// Reports come days apart: sessions outlive them here.
		e.web.IdleTimeout, e.web.MaxAge = 365*24*time.Hour, 365*24*time.Hour
		addLeaderJX(t, e)
		p1, p2 := planProjects(t, e)
		id1 := itoa(p1.ID)

		lead := e.client()
		lead.login("leader")
		p := lead.get("/plan/projects")
		if p.status != 200 {
			t.Fatalf("projects: %d %s", p.status, alert(p.body))
		}
		kpis := func(body string) string {
			var out []string
			for _, k := range []string{"projects", "budget", "spent", "share", "late"} {
				m := regexp.MustCompile(`<dd id="kpi-` + k + `">([^<]*)</dd>`).FindStringSubmatch(body)
				if m == nil {
					return "no kpi " + k
				}
				out = append(out, m[1])
			}
			return strings.Join(out, " ")
		}
		if got := kpis(p.body); got != "2 1,500,000 200,000 13.33% 2" {
			t.Errorf("portfolio before: %s", got)
		}
		wantCells(t, "back alleys of 320213", planRow(t, p.body, "data-line", "320213/back_alley"), "梁溪区", "背街小巷整治", "1", "500,000", "0", "0%", "1")
		wantCells(t, "old estates of 320213", planRow(t, p.body, "data-line", "320213/old_estate"), "梁溪区", "老旧小区改造", "1", "1,000,000", "200,000", "20%", "1")
		wantCells(t, "project 1 row", planRow(t, p.body, "data-project", id1), "家乐花园老旧小区改造", "老旧小区改造", "家乐花园社区", "1,000,000", "200,000", "1/3", "1")
		// Filters.
		if p := lead.get("/plan/projects?kind=back_alley"); strings.Contains(p.body, `data-project="`+id1+`"`) || kpis(p.body) != "1 500,000 0 0% 1" {
			t.Errorf("kind filter: %s", kpis(p.body))
		}
		if p := lead.get("/plan/projects?territory=320213022"); !strings.Contains(p.body, `data-project="`+id1+`"`) || strings.Contains(p.body, `data-project="`+itoa(p2.ID)+`"`) {
			t.Error("territory filter")
		}
		wantStatus(t, "bad kind", lead.get("/plan/projects?kind=park"), 400, "类型")
		// Territory: 金星's leader sees only its project.
		jx := e.client()
		jx.login("leader-jx")
		if p := jx.get("/plan/projects"); kpis(p.body) != "1 500,000 0 0% 1" {
			t.Errorf("leader-jx's portfolio: %s", kpis(p.body))
		}
		wantStatus(t, "leader-jx reads project 1", jx.get("/plan/projects/"+id1), 404, "项目 "+id1+" 不存在")

		// The project page.
		p = lead.get("/plan/projects/" + id1)
		for _, s := range []string{`id="step-0" data-state="done"`, `id="step-1" data-state="late"`, `id="step-2" data-state="due"`,
			`href="/cases/` + itoa(p1.Cases[0]) + `"`, `<meter id="p-meter" min="0" max="1000000" value="200000"`, `id="project-form"`,
			`<progress max="180" value="40"`, "1 个节点滞后"} {
			if !strings.Contains(p.body, s) {
				t.Errorf("project page lacks %q", s)
			}
		}
		jiale := e.client()
		jiale.login("jiale")
		if p := jiale.get("/plan/projects/" + id1); p.status != 200 || strings.Contains(p.body, `id="project-form"`) {
			t.Errorf("jiale reads its community's project: %d, form shown %v", p.status, strings.Contains(p.body, `id="project-form"`))
		}

		upd := func(c *client, mod map[string]string) page {
			v := url.Values{"_csrf": {c.token()}, "version": {"1"}, "spent": {"550000"}, "actual-0": {"2026-08-30"}, "actual-1": {"2026-10-31"}, "actual-2": {""}, "achieved-0": {"90"}}
			for k, x := range mod {
				v.Set(k, x)
			}
			return c.post("/plan/projects/"+id1, v)
		}
		for _, c := range []struct {
			who  string
			mod  map[string]string
			st   int
			text string
		}{
			{"dispatcher", nil, 403, "只有管理员或领导可以更新项目"},
			{"jiale", nil, 403, "只有管理员或领导"},
			{"nanyuan", nil, 404, "不存在"},
			{"leader-jx", nil, 404, "不存在"},
			{"leader", map[string]string{"spent": "很多"}, 400, "已支出金额须为整数"},
			{"leader", map[string]string{"spent": "-5"}, 400, "预算和已支出须为非负整数"},
			{"leader", map[string]string{"actual-1": "2026-13-01"}, 400, "第 2 个节点"},
			{"leader", map[string]string{"actual-2": "2026-12-20"}, 400, "晚于今天"},
			{"leader", map[string]string{"achieved-0": "-1"}, 400, "第 1 项产出"},
			{"leader", map[string]string{"version": "0"}, 400, "version"},
		} {
			cl := e.client()
			cl.login(c.who)
			wantStatus(t, c.who+" updates", upd(cl, c.mod), c.st, c.text)
		}
		// A refused form keeps what was typed.
		if p := upd(lead, map[string]string{"spent": "很多"}); !strings.Contains(p.body, `id="u-spent" name="spent" inputmode="numeric" required value="很多"`) {
			t.Error("the refused form lost the typed spent")
		}
		p = upd(lead, nil)
		if p.status != http.StatusSeeOther || p.location() != "/plan/projects/"+id1+"?done=project" {
			t.Fatalf("update: %d %q %s", p.status, p.location(), alert(p.body))
		}
		p = lead.get(p.location())
		for _, s := range []string{"已更新项目进展", `id="step-1" data-state="done"`, `id="p-stage">实施中</span>`, `<span id="p-spent" class="num">550,000</span>`, `<progress max="180" value="90"`, "v2"} {
			if !strings.Contains(p.body, s) {
				t.Errorf("after the update the page lacks %q", s)
			}
		}
		// The form read at version 1 is now stale.
		wantStatus(t, "stale version", upd(lead, nil), 409, "已被修改")
		if got := kpis(lead.get("/plan/projects").body); got != "2 1,500,000 550,000 36.67% 1" {
			t.Errorf("portfolio after: %s", got)
		}
		// Photos before and after: the leader uploads, jiale (who did not)
		// sees them through the project, nanyuan does not.
		p = lead.postFiles("/plan/projects/"+id1+"/photos", url.Values{"_csrf": {lead.token()}, "kind": {"before"}, "taken": {"2026-08-01"}, "caption": {"改造前的停车难"}}, photo("before1"))
		if p.status != http.StatusSeeOther || p.location() != "/plan/projects/"+id1+"?done=photos#photos" {
			t.Fatalf("add photos: %d %q %s", p.status, p.location(), alert(p.body))
		}
		wantStatus(t, "after photos", lead.postFiles("/plan/projects/"+id1+"/photos", url.Values{"_csrf": {lead.token()}, "kind": {"after"}}, photo("after1"), photo("after2")), http.StatusSeeOther, "")
		wantStatus(t, "no photo", lead.postFiles("/plan/projects/"+id1+"/photos", url.Values{"_csrf": {lead.token()}, "kind": {"after"}}), 400, "请至少选择一张照片")
		wantStatus(t, "bad kind", lead.postFiles("/plan/projects/"+id1+"/photos", url.Values{"_csrf": {lead.token()}, "kind": {"aerial"}}, photo("x")), 400, "类型须为 before、progress 或 after")
		wantStatus(t, "bad date", lead.postFiles("/plan/projects/"+id1+"/photos", url.Values{"_csrf": {lead.token()}, "kind": {"after"}, "taken": {"昨天"}}, photo("x")), 400, "拍摄日期")
		wantStatus(t, "jiale adds photos", jiale.postFiles("/plan/projects/"+id1+"/photos", url.Values{"_csrf": {jiale.token()}, "kind": {"after"}}, photo("x")), 403, "只有管理员或领导可以上传项目照片")
		wantStatus(t, "leader-jx adds photos", jx.postFiles("/plan/projects/"+id1+"/photos", url.Values{"_csrf": {jx.token()}, "kind": {"after"}}, photo("x")), 404, "不存在")
		p = jiale.get("/plan/projects/" + id1)
		before := regexp.MustCompile(`(?s)<section class="photo-group" id="photos-before">.*?</section>`).FindString(p.body)
		after := regexp.MustCompile(`(?s)<section class="photo-group" id="photos-after">.*?</section>`).FindString(p.body)
		if !strings.Contains(before, "2026-08-01 · 改造前的停车难") || strings.Count(before, "<img ") != 1 || strings.Count(after, "<img ") != 2 {
			t.Errorf("photo groups:\n%s\n%s", before, after)
		}
		src := regexp.MustCompile(`<img src="(/plan/projects/` + id1 + `/photos/[0-9a-f]+)"`).FindStringSubmatch(before)
		if src == nil {
			t.Fatal("no before photo link")
		}
		if ph := jiale.get(src[1]); ph.status != 200 || !strings.HasSuffix(ph.body, "before1") {
			t.Errorf("jiale reads the before photo: %d", ph.status)
		}
		nanC := e.client()
		nanC.login("nanyuan")
		wantStatus(t, "nanyuan reads the photo", nanC.get(src[1]), 404, "")
		wantStatus(t, "the photo through another project", lead.get(strings.Replace(src[1], "/projects/"+id1+"/", "/projects/"+itoa(p2.ID)+"/", 1)), 404, "照片")
		// The area: project 2 has one, drawn with Leaflet; project 1 none.
		if p := lead.get("/plan/projects/" + itoa(p2.ID)); !strings.Contains(p.body, `id="project-map"`) || !strings.Contains(p.body, "120.31") || !strings.Contains(p.body, "leaflet.js") {
			t.Error("project 2's map")
		}
		if p := lead.get("/plan/projects/" + id1); strings.Contains(p.body, `id="project-map"`) || !strings.Contains(p.body, `id="u-area-map"`) {
			t.Error("project 1 has no area but a map, or the leader no map to draw one")
		}
		if p := jiale.get("/plan/projects/" + id1); strings.Contains(p.body, "leaflet.js") || strings.Contains(p.body, `id="u-area-map"`) {
			t.Error("jiale gets a map of project 1, which has no area")
		}

		// Updating without an area field keeps the area; with one, replaces
		// or removes it.
		wantStatus(t, "update project 2", lead.post("/plan/projects/"+itoa(p2.ID), url.Values{"_csrf": {lead.token()}, "version": {"1"}, "spent": {"100"}, "actual-0": {""}}), http.StatusSeeOther, "")
		if saved2, err := e.web.planService().Project(context.Background(), e.f.Actors["admin"], p2.ID); err != nil || saved2.Spent != 100 || !strings.Contains(string(saved2.Area), "120.33") {
			t.Errorf("project 2 after its update: %+v %v", saved2, err)
		}

		sq := `{"type":"Polygon","coordinates":[[[120.3,31.5],[120.4,31.5],[120.4,31.6],[120.3,31.5]]]}`
		wantStatus(t, "a bad area", lead.post("/plan/projects/"+itoa(p2.ID), url.Values{"_csrf": {lead.token()}, "version": {"2"}, "spent": {"100"}, "area": {`{"type":"Point","coordinates":[120.3,31.5]}`}}), 400, "须为 Polygon")
		wantStatus(t, "a new area", lead.post("/plan/projects/"+itoa(p2.ID), url.Values{"_csrf": {lead.token()}, "version": {"2"}, "spent": {"100"}, "area": {sq}}), http.StatusSeeOther, "")
		if s2, _ := e.web.planService().Project(context.Background(), e.f.Actors["admin"], p2.ID); !strings.Contains(string(s2.Area), "120.4") {
			t.Errorf("the new area: %s", s2.Area)
		}
		wantStatus(t, "no area", lead.post("/plan/projects/"+itoa(p2.ID), url.Values{"_csrf": {lead.token()}, "version": {"3"}, "spent": {"100"}, "area": {" "}}), http.StatusSeeOther, "")
		if s2, _ := e.web.planService().Project(context.Background(), e.f.Actors["admin"], p2.ID); len(s2.Area) != 0 {
			t.Errorf("the area was not removed: %s", s2.Area)
		}

		saved, err := e.web.planService().Project(context.Background(), e.f.Actors["admin"], p1.ID)
		if err != nil || saved.Milestones[1].Actual != "2026-10-31" || saved.Spent != 550000 || saved.Outputs[0].Achieved != 90 || saved.Version != 2 {
			t.Errorf("stored project: %+v %v", saved, err)
		}
		// Budget, linked cases, a milestone and an output added (version 2).
		more := func(mod map[string]string) page {
			v := url.Values{"_csrf": {lead.token()}, "version": {"2"}, "spent": {"550000"}, "actual-0": {"2026-08-30"}, "actual-1": {"2026-10-31"},
				"actual-2": {""}, "achieved-0": {"90"}, "budget": {"1200000"}, "cases": {""}, "new-step-name": {"竣工"}, "new-step-planned": {"2027-01-15"},
				"new-output-name": {"新增绿化"}, "new-output-unit": {"平方米"}, "new-output-planned": {"300"}}
			for k, x := range mod {
				v.Set(k, x)
			}
			return lead.post("/plan/projects/"+id1, v)
		}
		wantStatus(t, "a new milestone without a date", more(map[string]string{"new-step-planned": ""}), 400, "第 4 个节点")
		wantStatus(t, "a new output without a number", more(map[string]string{"new-output-planned": "很多"}), 400, "新增产出的计划数")
		wantStatus(t, "a new output without a name", more(map[string]string{"new-output-name": ""}), 400, "第 2 项产出")
		wantStatus(t, "a bad case number", more(map[string]string{"cases": "abc"}), 400, "不是案件编号")
		wantStatus(t, "a bad budget", more(map[string]string{"budget": "1.2e6"}), 400, "预算须为整数")
		if p := more(map[string]string{"budget": "1.2e6"}); !strings.Contains(p.body, `id="new-step-name" name="new-step-name" maxlength="100" value="竣工"`) {
			t.Error("the refused form lost the new milestone")
		}
		wantStatus(t, "add", more(nil), http.StatusSeeOther, "")
		p = lead.get("/plan/projects/" + id1)
		for _, s := range []string{`<dd id="p-steps">2/4</dd>`, `<dd id="p-budget" class="num">1,200,000</dd>`, `id="step-3" data-state="due"`, "新增绿化", `<progress max="300" value="0"`, "暂无关联案件"} {
			if !strings.Contains(p.body, s) {
				t.Errorf("after adding, the page lacks %q", s)
			}
		}
	})
}

// TestPlanNav: the nav link for everyone but inspectors; every plan page
// needs a sign-in.
func TestPlanNav(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		for _, who := range []string{"admin", "leader", "dispatcher", "jiale", "inspector"} {
			c := e.client()
			c.login(who)
			p := c.get("/plan/targets")
			has := strings.Contains(p.body, `<a href="/plan/targets" aria-current="page">目标与项目</a>`)
			if p.status != 200 || has != (who != "inspector") {
				t.Errorf("%s: status %d, nav link %v", who, p.status, has)
			}
		}
		anon := e.client()
		if p := anon.get("/plan/projects"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/login") {
			t.Errorf("signed out: %d %q", p.status, p.location())
		}
		if p := anon.post("/plan/targets", url.Values{}); p.status != http.StatusForbidden && p.status != http.StatusUnauthorized {
			t.Errorf("signed-out POST: %d", p.status)
		}
	})
}

// TestPlanA11y checks the plan pages' forms: every field labelled, no
// duplicate ids, no click handlers.
func TestPlanA11y(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		tg := newTarget(t, e, plan.Target{Year: 2026, Unit: jialeCommunity, Name: "完成整治", Measure: plan.Milestone}, "2026-12-31")
		p1, _ := planProjects(t, e)
		st, err := e.web.planService().Issue(context.Background(), e.f.Actors["leader"], plan.Statement{Year: 2026, Unit: jialeCommunity, Title: "责任状", Targets: []int64{tg.ID}})
		if err != nil {
			t.Fatal(err)
		}
		lead := e.client()
		lead.login("leader")
		jiale := e.client()
		jiale.login("jiale")
		for _, c := range []struct {
			c    *client
			path string
		}{
			{lead, "/plan/targets"}, {lead, "/plan/targets/" + itoa(tg.ID)}, {lead, "/plan/statements"},
			{jiale, "/plan/statements/" + itoa(st.ID)}, {lead, "/plan/projects"}, {lead, "/plan/projects/" + itoa(p1.ID)},
		} {
			p := c.c.get(c.path)
			if p.status != 200 {
				t.Fatalf("%s: %d %s", c.path, p.status, alert(p.body))
			}
			checkLabels(t, c.path, p.body, true)
		}
		if p := lead.get("/plan/statements/" + itoa(st.ID) + "/print"); p.status != 200 {
			t.Errorf("print: %d", p.status)
		}
	})
}

// TestPlanConsultPages publishes a project, moderates two citizens'
// suggestions and reads the satisfaction poll (satisfied, basic,
// unsatisfied: 2 of 3 = 66.67 %), then downloads the year report.
func TestPlanConsultPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		addLeaderJX(t, e)
		ctx := context.Background()
		svc := e.web.planService()
		p1, p2 := planProjects(t, e)
		id1 := itoa(p1.ID)
		lead := e.client()
		lead.login("leader")
		jiale := e.client()
		jiale.login("jiale")
		consult := func(c *client, public, open string) page {
			return c.post("/plan/projects/"+id1+"/consult", url.Values{"_csrf": {c.token()}, "public": {public}, "consult": {open}})
		}
		wantStatus(t, "consult unpublished", consult(lead, "", "yes"), 400, "项目须先公开才能征集意见")
		wantStatus(t, "jiale publishes", consult(jiale, "yes", "yes"), 403, "只有管理员或领导")
		p := consult(lead, "yes", "yes")
		if p.status != http.StatusSeeOther || p.location() != "/plan/projects/"+id1+"?done=consult#consult" {
			t.Fatalf("publish: %d %q %s", p.status, p.location(), alert(p.body))
		}
		a, err := svc.Suggest(ctx, p1.ID, plan.SuggestInput{Kind: plan.KindSuggestion, Body: "建议在小区北门增设电动车充电桩", Contact: "13800000000"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := svc.Suggest(ctx, p1.ID, plan.SuggestInput{Kind: plan.KindComment, Body: "施工噪音太大了，晚上也在干活"})
		if err != nil {
			t.Fatal(err)
		}
		p = lead.get("/plan/projects/" + id1)
		for _, s := range []string{"已在市民门户公开", "正在征集意见", `<small id="pending-count">2 条待审核</small>`, "13800000000", `id="moderate-` + itoa(a.ID) + `"`, `id="moderate-` + itoa(b.ID) + `"`} {
			if !strings.Contains(p.body, s) {
				t.Errorf("leader's project page lacks %q", s)
			}
		}
		p = jiale.get("/plan/projects/" + id1)
		if !strings.Contains(p.body, "建议在小区北门增设电动车充电桩") || strings.Contains(p.body, "13800000000") || strings.Contains(p.body, `id="moderate-`) {
			t.Error("jiale sees the contact or the moderation forms")
		}
		moderate := func(c *client, project, sid string, decision, reason string) page {
			return c.post("/plan/projects/"+project+"/suggestions/"+sid, url.Values{"_csrf": {c.token()}, "decision": {decision}, "reason": {reason}})
		}
		wantStatus(t, "reject without a reason", moderate(lead, id1, itoa(b.ID), "reject", " "), 400, "不予采纳须说明理由")
		wantStatus(t, "no decision", moderate(lead, id1, itoa(b.ID), "", ""), 400, "请选择采纳或不予采纳")
		wantStatus(t, "jiale moderates", moderate(jiale, id1, itoa(a.ID), "approve", ""), 403, "只有管理员或领导")
		wantStatus(t, "through another project", moderate(lead, itoa(p2.ID), itoa(a.ID), "approve", ""), 404, "没有意见")
		jx := e.client()
		jx.login("leader-jx")
		wantStatus(t, "leader-jx moderates", moderate(jx, id1, itoa(a.ID), "approve", ""), 404, "不存在")
		wantStatus(t, "approve", moderate(lead, id1, itoa(a.ID), "approve", ""), http.StatusSeeOther, "")
		wantStatus(t, "reject", moderate(lead, id1, itoa(b.ID), "reject", "夜间施工已按规定报备"), http.StatusSeeOther, "")
		if p := moderate(lead, id1, itoa(a.ID), "reject", "改主意"); p.status < 400 || p.status >= 500 {
			t.Errorf("a second decision: %d", p.status)
		}
		p = lead.get("/plan/projects/" + id1)
		if !strings.Contains(p.body, `<small id="pending-count">0 条待审核</small>`) || !strings.Contains(p.body, "理由： 夜间施工已按规定报备") || strings.Contains(p.body, `id="moderate-`) {
			t.Errorf("after moderation: %s", alert(p.body))
		}
		sgs, _ := svc.Suggestions(ctx, e.f.Actors["admin"], p1.ID, "")
		for _, sg := range sgs {
			if want := map[int64]string{a.ID: plan.Approved, b.ID: plan.Rejected}[sg.ID]; sg.State != want {
				t.Errorf("suggestion %d: %s, want %s", sg.ID, sg.State, want)
			}
		}
		// The works done, citizens vote.
		done := p1
		done.Milestones[1].Actual, done.Milestones[2].Actual = "2026-10-31", "2026-11-20"
		if _, err := svc.SaveProject(ctx, e.f.Actors["admin"], done); err != nil {
			t.Fatal(err)
		}
		for i, ans := range []string{"satisfied", "basic", "unsatisfied"} {
			if err := svc.Vote(ctx, p1.ID, "voter"+itoa(int64(i)), "ip"+itoa(int64(i)), ans); err != nil {
				t.Fatal(err)
			}
		}
		p = lead.get("/plan/projects/" + id1)
		for _, s := range []string{`<dd id="poll-votes">3</dd>`, `<dd id="poll-rate">66.67%</dd>`, `id="p-stage">已完工</span>`} {
			if !strings.Contains(p.body, s) {
				t.Errorf("poll: the page lacks %q", s)
			}
		}

		// The year report.
		p = lead.get("/plan/report.xlsx?year=2026")
		if p.status != 200 || !strings.HasPrefix(p.body, "PK") || !strings.Contains(p.header.Get("Content-Disposition"), "plan-2026.xlsx") {
			t.Errorf("report.xlsx: %d %q", p.status, p.header.Get("Content-Disposition"))
		}
		if p := lead.get("/plan/report.html?year=2026"); p.status != 200 || !strings.Contains(p.body, "家乐花园老旧小区改造") || !strings.Contains(p.body, "金星路背街小巷整治") {
			t.Errorf("report.html: %d", p.status)
		}
		if p := jx.get("/plan/report.html?year=2026"); p.status != 200 || strings.Contains(p.body, "家乐花园老旧小区改造") || !strings.Contains(p.body, "金星路背街小巷整治") {
			t.Errorf("leader-jx's report.html: %d, shows 家乐花园 %v", p.status, strings.Contains(p.body, "家乐花园老旧小区改造"))
		}
		wantStatus(t, "report of a bad year", lead.get("/plan/report.xlsx?year=x"), 400, "年度")
		en := e.client()
		en.lang = "en"
		en.login("leader")
		if p := en.get("/plan/projects/" + id1); !strings.Contains(p.body, "Old estate renovation") || !strings.Contains(p.body, "Satisfaction rate") || !strings.Contains(p.body, "Completed") {
			t.Errorf("English project page: %s", alert(p.body))
		}
		if p := en.get("/plan/projects"); !strings.Contains(p.body, "Renovation projects") || !strings.Contains(p.body, "Late milestones") {
			t.Error("English portfolio")
		}
		if p := lead.get("/plan/targets"); !strings.Contains(p.body, `href="/plan/report.xlsx?year=2026"`) {
			t.Error("no year report link on the task book")
		}
	})
}

// TestPlanCreateProject creates a project through the console's form and
// checks what it refuses.
func TestPlanCreateProject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		addLeaderJX(t, e)
		c := e.report("inspector", apptest.PointJiale1, "E0102", "小区内暴露垃圾")
		lead := e.client()
		lead.login("leader")
		jx := e.client()
		jx.login("leader-jx")
		form := func(cl *client, mod map[string]string) url.Values {
			v := url.Values{"_csrf": {cl.token()}, "name": {"家乐花园二期改造"}, "kind": {"old_estate"}, "territory": {"320213022010"}, "budget": {"2000000"},
				"milestones": {"设计 2027-03-31\r\n\r\n施工 2027-09-30\n"}, "outputs": {"新增停车位 个 60\n雨污 管网 米 1200.5"}, "cases": {c.Code()},
				"area": {`{"type":"Polygon","coordinates":[[[120.21,31.51],[120.22,31.51],[120.22,31.52],[120.21,31.51]]]}`}}
			for k, x := range mod {
				v.Set(k, x)
			}
			return v
		}
		p := lead.get("/plan/projects")
		if !strings.Contains(p.body, `id="project-new-form"`) || !strings.Contains(p.body, `<option value="320213022010">　　家乐花园社区</option>`) {
			t.Errorf("the leader's new-project form: %s", alert(p.body))
		}
		if p := jx.get("/plan/projects"); strings.Contains(p.body, `<option value="320213022010"`) || !strings.Contains(p.body, `<option value="320213023">`) {
			t.Error("leader-jx is offered areas outside 金星街道")
		}
		for _, r := range []struct {
			who  string
			mod  map[string]string
			st   int
			text string
		}{
			{"dispatcher", nil, 403, "只有管理员或领导"},
			{"leader-jx", nil, 403, "不在您的管辖范围内"},
			{"leader-jx", map[string]string{"territory": "320213023"}, 400, "您的辖区内没有案件"},
			{"leader", map[string]string{"budget": "两百万"}, 400, "预算须为整数"},
			{"leader", map[string]string{"milestones": "设计"}, 400, "节点第 1 行"},
			{"leader", map[string]string{"milestones": "设计 明年"}, 400, "第 1 个节点"},
			{"leader", map[string]string{"outputs": "停车位 60"}, 400, "产出第 1 行"},
			{"leader", map[string]string{"outputs": "停车位 个 许多"}, 400, "产出第 1 行"},
			{"leader", map[string]string{"cases": "abc"}, 400, "不是案件编号"},
			{"leader", map[string]string{"area": "{"}, 400, "不是有效的 GeoJSON"},
			{"leader", map[string]string{"area": `{"type":"LineString","coordinates":[[120.21,31.51],[120.22,31.51]]}`}, 400, "须为 Polygon 或 MultiPolygon"},
			{"leader", map[string]string{"territory": "999"}, 400, "区域 999 不存在"},
			{"leader", map[string]string{"kind": "park"}, 400, "类型须为"},
		} {
			cl := map[string]*client{"leader": lead, "leader-jx": jx}[r.who]
			if cl == nil {
				cl = e.client()
				cl.login(r.who)
			}
			p := cl.post("/plan/projects", form(cl, r.mod))
			wantStatus(t, fmt.Sprintf("%s creates %v", r.who, r.mod), p, r.st, r.text)
			if r.st == 400 && (!strings.Contains(p.body, `id="create-project" open`) || !strings.Contains(p.body, `value="家乐花园二期改造"`)) {
				t.Errorf("%v: the refused form is not shown again as typed", r.mod)
			}
		}
		if ps, _ := e.web.planService().Projects(context.Background(), e.f.Actors["admin"], "", ""); len(ps) != 0 {
			t.Fatalf("%d projects after the refusals", len(ps))
		}
		p = lead.post("/plan/projects", form(lead, nil))
		if p.status != http.StatusSeeOther || !regexp.MustCompile(`^/plan/projects/\d+\?done=created_project$`).MatchString(p.location()) {
			t.Fatalf("create: %d %q %s", p.status, p.location(), alert(p.body))
		}
		p = lead.get(p.location())
		for _, s := range []string{"已创建项目", "家乐花园二期改造", `<dd id="p-steps">0/2</dd>`, `id="step-1" data-state="due"`, "施工", "雨污 管网",
			`<progress max="1200.5" value="0"`, `href="/cases/` + itoa(c.ID) + `"`, `id="project-map"`, `<dd id="p-budget" class="num">2,000,000</dd>`, `id="p-stage">计划中</span>`} {
			if !strings.Contains(p.body, s) {
				t.Errorf("the new project's page lacks %q", s)
			}
		}
	})
}

// TestPlanKeys checks the keys the plan pages build from the plan's
// enumerations and the notices after each form.
func TestPlanKeys(t *testing.T) {
	var need []string
	for _, k := range planDone {
		need = append(need, k)
	}
	b := planBase{Lang: "zh"}
	for _, m := range b.Measures() {
		need = append(need, "plan.measure."+m)
	}
	for _, src := range b.Sources() {
		need = append(need, "plan.source."+src)
	}
	for _, k := range projectKinds {
		need = append(need, "plan.kind."+k)
	}
	for _, k := range plan.PhotoKinds {
		need = append(need, "plan.photo."+k)
	}
	for _, k := range []string{plan.Higher, plan.Lower} {
		need = append(need, "plan.direction."+k)
	}
	for _, k := range []string{plan.Planned, plan.InProgress, plan.Done} {
		need = append(need, "plan.stage."+k)
	}
	for _, k := range []string{plan.KindSuggestion, plan.KindComment, plan.Pending, plan.Approved, plan.Rejected} {
		need = append(need, "plan.sg."+k)
	}
	if len(projectKinds) != len(plan.KindZh) {
		t.Errorf("the filters offer %d kinds of %d", len(projectKinds), len(plan.KindZh))
	}
	for _, k := range need {
		for _, l := range Langs {
			if _, ok := locales[l][k]; !ok {
				t.Errorf("%q missing from %s.json", k, l)
			}
		}
	}
	// The Chinese kind and stage names are the plan's own.
	for k, zh := range plan.KindZh {
		if got := translate("zh", "plan.kind."+k); got != zh {
			t.Errorf("kind %s: locale %q, plan %q", k, got, zh)
		}
	}
	for k, zh := range plan.StageZh {
		if got := translate("zh", "plan.stage."+k); got != zh {
			t.Errorf("stage %s: locale %q, plan %q", k, got, zh)
		}
	}
}
