package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// schemeFormValues is the editor's fields for a scheme "city": a branch
// 环境 (level 1) over 道路 (60, main roads: E0102 −2, anything −1) and 市场
// (40, markets: −5), plus a blank row and blank rules as the server pads
// the form with; a bonus of +2 within 50 %, at most 5.
func schemeFormValues(tok string) url.Values {
	return url.Values{"_csrf": {tok}, "base": {"0"}, "code": {"city"}, "name": {"城市管理考核"}, "level": {"community"},
		"tier_level": {"district"}, "excellent": {"92.5"}, "min_sample": {"2"}, "list_size": {"1"},
		"bonus_points": {"2"}, "bonus_cap": {"5"}, "bonus_within": {"50"},
		"i_key": {"k1", "k2", "k3", "b4"}, "i_depth": {"1", "2", "2", "1"}, "i_code": {"env", "road", "market", ""},
		"i_name": {"环境", "道路", "市场", ""}, "i_marks": {"", "60", "40", ""},
		"i_types.k2": {"main_road"}, "i_types.k3": {"market"},
		"d_key": {"k2", "k2", "k2", "k3", "k3", "b4"}, "d_cat": {"E0102", "", "", "", "", ""}, "d_ptype": {"", "", "", "", "", ""},
		"d_points": {"2", "1", "", "5", "", ""}}
}

// schemeByCode finds a scheme version through the service.
func schemeByCode(t *testing.T, e *env, code string, version int) (assess.Scheme, bool) {
	t.Helper()
	all, err := e.web.assessService().Schemes(context.Background(), e.f.Actors["admin"])
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range all {
		if sc.Code == code && sc.Version == version {
			return sc, true
		}
	}
	return assess.Scheme{}, false
}

// TestAssessSchemeEditor: an admin makes a scheme with the structured
// form (a two-level tree, rules, a bonus), bad input is refused with
// every problem named and the form kept, a frozen version is read-only
// and only copied into a new version, and only assessors edit.
func TestAssessSchemeEditor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.client()
		admin.login("admin")
		p := admin.get("/assess/schemes/new")
		if p.status != 200 || !strings.Contains(p.body, `id="scheme-form"`) {
			t.Fatalf("new scheme form: %d %s", p.status, alert(p.body))
		}
		checkLabels(t, "scheme editor", p.body, true)
		tok := csrf(t, p)

		// Full marks that do not add up to 100, and one that is no number: all named, the form kept.
		bad := schemeFormValues(tok)
		bad.Set("i_marks", "")
		bad["i_marks"] = []string{"", "60", "30", ""}
		p = admin.post("/assess/schemes", bad)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "add up to 90.00, not 100") || !strings.Contains(p.body, "末级指标满分合计为") ||
			!strings.Contains(p.body, `value="城市管理考核"`) || !strings.Contains(p.body, `value="market"`) {
			t.Fatalf("marks adding to 90: %d %q", p.status, alert(p.body))
		}
		bad["i_marks"] = []string{"", "sixty", "40", ""}
		p = admin.post("/assess/schemes", bad)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, `指标 &#34;road&#34;：满分须为最多两位小数的数字`) {
			t.Fatalf("marks that are no number: %d %q", p.status, p.body[strings.Index(p.body, "role=\"alert\""):][:400])
		}
		// A leaf without rules (Check's words); a child with no parent (the form's).
		bad = schemeFormValues(tok)
		bad["d_points"] = []string{"2", "1", "", "", "", ""}
		p = admin.post("/assess/schemes", bad)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, `indicator &#34;env/market&#34;: a leaf needs at least one deduction rule`) {
			t.Fatalf("rule-less leaf: %d %q", p.status, alert(p.body))
		}
		bad = schemeFormValues(tok)
		bad["i_depth"] = []string{"2", "2", "2", "1"}
		if p := admin.post("/assess/schemes", bad); p.status != http.StatusBadRequest || !strings.Contains(p.body, "指标 &#34;env&#34; 缩进后没有上级指标") {
			t.Fatalf("orphan child: %d %q", p.status, alert(p.body))
		}
		// A parent with a point type: refused, and the parent keeps its types in view.
		bad = schemeFormValues(tok)
		bad["i_types.k1"] = []string{"market"}
		p = admin.post("/assess/schemes", bad)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "only leaves carry point types and deductions") ||
			!strings.Contains(p.body, `<div class="ind depth-1 branch has-leaf-data" data-key="k1">`) || !strings.Contains(p.body, `<div class="ind depth-2" data-key="k2">`) {
			t.Fatalf("a parent with a point type: %d %q", p.status, alert(p.body))
		}
		// Parallel fields that do not line up: the form is damaged.
		bad = schemeFormValues(tok)
		bad["i_name"] = []string{"环境"}
		if p := admin.post("/assess/schemes", bad); p.status != http.StatusBadRequest || !strings.Contains(alert(p.body), "表单数据不完整") {
			t.Fatalf("damaged form: %d %q", p.status, alert(p.body))
		}
		if _, ok := schemeByCode(t, e, "city", 1); ok {
			t.Fatal("a refused form saved a scheme")
		}
		// "More rows" shows the form again, nothing saved, with two more blank indicators.
		more := schemeFormValues(tok)
		more.Set("more", "1")
		if p := admin.post("/assess/schemes", more); p.status != 200 || strings.Count(p.body, `name="i_key"`) != 3+2+1 {
			t.Fatalf("more rows: %d, %d indicator rows", p.status, strings.Count(p.body, `name="i_key"`))
		}

		// Saved: the tree, the rules, the bonus as typed.
		p = admin.post("/assess/schemes", schemeFormValues(tok))
		if p.status != http.StatusSeeOther || !regexp.MustCompile(`^/assess/schemes/\d+\?done=saved$`).MatchString(p.location()) {
			t.Fatalf("save: %d %s %q", p.status, p.location(), alert(p.body))
		}
		sc, ok := schemeByCode(t, e, "city", 1)
		if !ok {
			t.Fatal("no scheme city v1")
		}
		if len(sc.Indicators) != 1 || sc.Indicators[0].Code != "env" || sc.Indicators[0].FullMarks != assess.FixedOf(100) || len(sc.Indicators[0].Children) != 2 {
			t.Fatalf("tree: %+v", sc.Indicators)
		}
		road, market := sc.Indicators[0].Children[0], sc.Indicators[0].Children[1]
		if road.Code != "road" || road.FullMarks != assess.FixedOf(60) || strings.Join(road.PointTypes, ",") != "main_road" || len(road.Deductions) != 2 ||
			road.Deductions[0] != (assess.Deduction{Category: "E0102", Points: assess.FixedOf(2)}) || road.Deductions[1] != (assess.Deduction{Points: assess.FixedOf(1)}) {
			t.Errorf("road: %+v", road)
		}
		if market.Code != "market" || market.FullMarks != assess.FixedOf(40) || len(market.Deductions) != 1 || market.Deductions[0].Points != assess.FixedOf(5) {
			t.Errorf("market: %+v", market)
		}
		if sc.Excellent != 9250 || sc.MinSample != 2 || sc.ListSize != 1 || sc.Bonus == nil || *sc.Bonus != (assess.Bonus{Points: 200, Cap: 500, WithinPercent: 50}) {
			t.Errorf("parameters: %+v %+v", sc, sc.Bonus)
		}
		view := "/assess/schemes/" + itoa(sc.ID)
		p = admin.get(p.location())
		if p.status != 200 || !strings.Contains(p.body, "考核办法已保存") || !strings.Contains(p.body, `id="draft-note"`) || !strings.Contains(p.body, `href="`+view+`/edit"`) {
			t.Fatalf("saved scheme page: %d %s", p.status, alert(p.body))
		}
		if !strings.Contains(p.body, "在时限的 50% 内整改每个加 2.00 分，最多 5.00 分") || !strings.Contains(p.body, "暴露垃圾 × 任意类型 → −2.00") {
			t.Errorf("scheme page lacks the bonus or the rule")
		}
		// Edited in place while unused: the same version changes.
		p = admin.get(view + "/edit")
		if p.status != 200 || !regexp.MustCompile(`<input id="code" name="code" value="city"[^>]* readonly>`).MatchString(p.body) {
			t.Fatalf("edit form: %d %s", p.status, alert(p.body))
		}
		checkLabels(t, "scheme edit", p.body, true)
		ed := schemeFormValues(tok)
		ed.Set("base", "1")
		ed.Set("name", "城市管理考核（修订）")
		if p := admin.post(view, ed); p.status != http.StatusSeeOther || p.location() != view+"?done=saved" {
			t.Fatalf("edit in place: %d %s %q", p.status, p.location(), alert(p.body))
		}
		if sc2, _ := schemeByCode(t, e, "city", 1); sc2.Name != "城市管理考核（修订）" || sc2.ID != sc.ID {
			t.Errorf("after editing in place: %+v", sc2)
		}
		if _, ok := schemeByCode(t, e, "city", 2); ok {
			t.Error("editing an unused version made a new one")
		}
		// A new scheme with a code that exists: refused, nothing replaced.
		if p := admin.post("/assess/schemes", schemeFormValues(tok)); p.status != http.StatusConflict || !strings.Contains(alert(p.body), "编码为 city 的考核办法已存在") {
			t.Errorf("a second city: %d %q", p.status, alert(p.body))
		}

		// Frozen by a round: read-only, no editing, copied into version 2.
		id := assessRound(t, e)
		civic, _ := schemeByCode(t, e, "civic-web", 1)
		cv := "/assess/schemes/" + itoa(civic.ID)
		p = admin.get(cv)
		if p.status != 200 || !strings.Contains(p.body, `id="frozen-note"`) || strings.Contains(p.body, cv+"/edit") || !strings.Contains(p.body, `href="/assess/schemes/new?from=`+itoa(civic.ID)+`"`) {
			t.Fatalf("frozen scheme page: %d", p.status)
		}
		if !strings.Contains(p.body, `<dd id="used-by"><a href="/assess/rounds/`+itoa(id)+`">10月考核</a> (2026-10)</dd>`) {
			t.Errorf("the frozen scheme's rounds: %s", p.body[strings.Index(p.body, `id="used-by"`):][:200])
		}
		if p := admin.get(cv + "/edit"); p.status != http.StatusConflict || !strings.Contains(alert(p.body), "已被考核轮次使用，不能修改") {
			t.Errorf("editing a frozen version: %d %q", p.status, alert(p.body))
		}
		frozenEdit := schemeFormValues(tok)
		frozenEdit.Set("code", "civic-web")
		frozenEdit.Set("base", "1")
		if p := admin.post(cv, frozenEdit); p.status != http.StatusConflict {
			t.Errorf("saving over a frozen version: %d %q", p.status, alert(p.body))
		}
		p = admin.get("/assess/schemes/new?from=" + itoa(civic.ID))
		if p.status != 200 || !strings.Contains(p.body, "保存后成为 civic-web 第2版") || !strings.Contains(p.body, `name="i_code" value="road"`) ||
			!strings.Contains(p.body, `name="d_cat" value="E0102"`) || !strings.Contains(p.body, `name="base" value="1"`) {
			t.Fatalf("copy form: %d %s", p.status, alert(p.body))
		}
		cp := frozenEdit
		cp.Set("name", "精细化管理考核办法（第二版）")
		p = admin.post("/assess/schemes", cp)
		if p.status != http.StatusSeeOther {
			t.Fatalf("copy saved: %d %q", p.status, alert(p.body))
		}
		if v2, ok := schemeByCode(t, e, "civic-web", 2); !ok || v2.Name != "精细化管理考核办法（第二版）" || v2.Frozen {
			t.Errorf("civic-web v2: %+v", v2)
		}
		if v1, _ := schemeByCode(t, e, "civic-web", 1); v1.Name != "精细化管理考核办法（测试）" || !v1.Frozen {
			t.Errorf("civic-web v1 changed: %+v", v1)
		}
		// A stale copy (v2 exists now; the form was opened at v1): refused.
		if p := admin.post("/assess/schemes", cp); p.status != http.StatusConflict || !strings.Contains(alert(p.body), "现为第2版") {
			t.Errorf("stale copy: %d %q", p.status, alert(p.body))
		}
		p = admin.get("/assess/schemes")
		if p.status != 200 || !strings.Contains(p.body, `data-scheme="civic-web-v2"`) || !strings.Contains(p.body, `data-scheme="city-v1"`) {
			t.Fatalf("schemes list: %d", p.status)
		}
		checkLabels(t, "schemes", p.body, false)

		// Who: leaders read; inspectors read; street dispatchers and leaders do not edit.
		lead := e.client()
		lead.login("leader")
		if p := lead.get("/assess/schemes"); p.status != 200 || strings.Contains(p.body, `id="new-scheme"`) {
			t.Errorf("leader's scheme list: %d", p.status)
		}
		if p := lead.get(view); p.status != 200 || strings.Contains(p.body, "/edit") {
			t.Errorf("leader's scheme page: %d", p.status)
		}
		for _, who := range []string{"leader", "dispatcher-jx", "inspector"} {
			c := e.client()
			c.login(who)
			if p := c.get("/assess/schemes/new"); p.status != http.StatusForbidden {
				t.Errorf("%s opened the editor: %d", who, p.status)
			}
			f := schemeFormValues(c.token())
			f.Set("code", "by-"+who)
			if p := c.post("/assess/schemes", f); p.status != http.StatusForbidden {
				t.Errorf("%s saved a scheme: %d", who, p.status)
			}
		}
		if _, ok := schemeByCode(t, e, "by-leader", 1); ok {
			t.Error("a leader's scheme was saved")
		}
		san := e.client()
		san.login("san")
		if p := san.get("/assess/schemes"); p.status != http.StatusForbidden {
			t.Errorf("a handler read the schemes: %d", p.status)
		}
		if p := admin.get("/assess/schemes/99999"); p.status != http.StatusNotFound {
			t.Errorf("no such scheme: %d", p.status)
		}
		// English: the same page in English words.
		en := e.client()
		en.lang = "en"
		en.login("admin")
		if p := en.get(cv); !strings.Contains(p.body, "A round uses this version: it is frozen and read-only.") {
			t.Errorf("English frozen note missing: %d", p.status)
		}
		for path, words := range map[string][]string{
			"/assess/schemes/new?from=" + itoa(civic.ID): {"New version from civic-web version 1", "Deduction rules", "full marks total", "Saving replaces the unused civic-web version 2"},
			"/assess/rounds/new":                         {"Plan a round", "Preview the draw", "Sample size (per unit and point type)"},
			"/assess/points":                             {"Inspection points", "Add or change a point", "Import a file"},
		} {
			p := en.get(path)
			for _, w := range words {
				if !strings.Contains(p.body, w) {
					t.Errorf("English %s lacks %q (%d)", path, w, p.status)
				}
			}
		}
	})
}

// TestAssessPlanner: the preview of a round's draw, then the round created
// with exactly that draw and seed; refusals for bad input, a changed
// preview, the wrong role and a territory outside the actor's.
func TestAssessPlanner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		assessRound(t, e)
		ctx := context.Background()
		svc := e.web.assessService()
		admin := e.client()
		admin.login("admin")
		p := admin.get("/assess/rounds/new")
		if p.status != 200 || !strings.Contains(p.body, `<option value="civic-web@1" selected>`) {
			t.Fatalf("planner: %d %s", p.status, alert(p.body))
		}
		checkLabels(t, "planner", p.body, true)
		form := url.Values{"_csrf": {csrf(t, p)}, "scheme": {"civic-web@1"}, "kind": {"monthly"}, "period": {"2026-11"}, "name": {"11月考核"},
			"territory": {"320213"}, "seed": {"7"}, "size.main_road": {"1"}, "size.market": {"1"}, "do": {"preview"}}
		p = admin.post("/assess/rounds", form)
		if p.status != 200 || !strings.Contains(p.body, `id="preview-strata"`) {
			t.Fatalf("preview: %d %q", p.status, alert(p.body))
		}
		// Five strata: 家乐 roads (2 points) and market, 南苑 roads (2) and market, 金星 roads (1); one drawn from each.
		if !strings.Contains(p.body, "共抽取 5 个点位，涉及 3 个考核对象、5 个分层") || !strings.Contains(p.body, `<code id="preview-seed">7</code>`) {
			t.Errorf("preview summary: %s", p.body[strings.Index(p.body, `id="preview-summary"`):][:200])
		}
		// By unit code: 南苑 (…003) before 家乐 (…010), roads before markets.
		wantCells(t, "南苑 market stratum", rowCellsN(t, p.body, "preview-strata", 1), "南苑社区", "农贸市场", "1", "N-M1")
		row := rowCellsN(t, p.body, "preview-strata", 2)
		if row[0] != "家乐花园社区" || row[1] != "主次干道" || row[2] != "2" || (row[3] != "J-R1" && row[3] != "J-R2") {
			t.Errorf("家乐 roads stratum: %q", row)
		}
		wantCells(t, "家乐 market stratum", rowCellsN(t, p.body, "preview-strata", 3), "家乐花园社区", "农贸市场", "1", "J-M1")
		wantCells(t, "金星 stratum", rowCellsN(t, p.body, "preview-strata", 4), "金星社区", "主次干道", "1", "X-R1")
		fp := regexp.MustCompile(`name="fp" value="([0-9a-f]+)"`).FindStringSubmatch(p.body)
		if fp == nil {
			t.Fatal("no fingerprint on the preview")
		}
		jialeRoad := row[3]

		// Changed after the preview: refused, the new preview shown, nothing created.
		changed := url.Values{}
		for k, v := range form {
			changed[k] = v
		}
		changed.Set("do", "create")
		changed.Set("fp", fp[1])
		changed.Set("size.market", "")
		if p := admin.post("/assess/rounds", changed); p.status != http.StatusConflict || !strings.Contains(alert(p.body), "预览后参数有改动") ||
			!strings.Contains(p.body, "共抽取 3 个点位") {
			t.Errorf("changed parameters: %d %q", p.status, alert(p.body))
		}
		if rs, _ := svc.Rounds(ctx, e.f.Actors["admin"], "2026-11"); len(rs) != 0 {
			t.Fatalf("a refused create made a round: %+v", rs)
		}

		create := url.Values{}
		for k, v := range form {
			create[k] = v
		}
		create.Set("do", "create")
		create.Set("fp", fp[1])
		p = admin.post("/assess/rounds", create)
		if p.status != http.StatusSeeOther || !regexp.MustCompile(`^/assess/rounds/\d+\?done=created$`).MatchString(p.location()) {
			t.Fatalf("create: %d %s %q", p.status, p.location(), alert(p.body))
		}
		rs, err := svc.Rounds(ctx, e.f.Actors["admin"], "2026-11")
		if err != nil || len(rs) != 1 || rs[0].Seed != 7 || rs[0].Name != "11月考核" || rs[0].Kind != "monthly" || len(rs[0].Strata) != 5 {
			t.Fatalf("the round created: %+v %v", rs, err)
		}
		if got := rs[0].Strata[2].Drawn; len(got) != 1 || got[0] != jialeRoad {
			t.Errorf("the round drew %v at 家乐 roads, the preview %s", got, jialeRoad)
		}
		p = admin.get(p.location())
		if p.status != 200 || !strings.Contains(p.body, "已创建考核轮次") || !strings.Contains(p.body, `<code id="seed">7</code>`) {
			t.Errorf("the new round's page: %d %s", p.status, alert(p.body))
		}

		// Without a seed: one is drawn for the preview and shown in the field, so the round is that draw.
		noSeed := url.Values{}
		for k, v := range form {
			noSeed[k] = v
		}
		noSeed.Set("seed", "")
		p = admin.post("/assess/rounds", noSeed)
		seed := regexp.MustCompile(`<code id="preview-seed">(\d+)</code>`).FindStringSubmatch(p.body)
		if p.status != 200 || seed == nil || !strings.Contains(p.body, `name="seed" value="`+seed[1]+`"`) {
			t.Fatalf("preview without a seed: %d", p.status)
		}

		// Bad input.
		for name, c := range map[string]struct {
			key, value string
			status     int
			words      string
		}{
			"size no number": {"size.market", "x", 400, "抽样数须为整数"},
			"bad period":     {"period", "2026-13", 400, "考核周期"},
			"no scheme":      {"scheme", "nope@1", 422, "考核办法 nope 第1版不存在"},
			"seed no number": {"seed", "-1", 400, "随机种子须为"},
			"size too large": {"size.market", "101", 400, "抽样数须为1至100个"},
		} {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			f.Set(c.key, c.value)
			p := admin.post("/assess/rounds", f)
			if p.status != c.status || !strings.Contains(alert(p.body), c.words) {
				t.Errorf("%s: %d %q", name, p.status, alert(p.body))
			}
		}
		none := url.Values{}
		for k, v := range form {
			none[k] = v
		}
		none.Del("size.main_road")
		none.Del("size.market")
		if p := admin.post("/assess/rounds", none); p.status != http.StatusBadRequest || !strings.Contains(alert(p.body), "请至少为一种点位类型填写抽样数") {
			t.Errorf("no sizes: %d %q", p.status, alert(p.body))
		}

		// A district dispatcher plans in the district; a territory outside it is refused.
		if _, err := e.f.App.AddUser(ctx, auth.User{Username: "admin-jx", DisplayName: "金星管理员", Role: auth.Admin, Scope: "320213023"}, cheapHash()); err != nil {
			t.Fatal(err)
		}
		ajx := e.client()
		ajx.login("admin-jx")
		p = ajx.get("/assess/rounds/new")
		if p.status != 200 || strings.Contains(p.body, `<option value="320213022"`) || !strings.Contains(p.body, `<option value="320213023" selected>`) {
			t.Fatalf("street admin's planner: %d", p.status)
		}
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set("_csrf", csrf(t, p))
		f.Set("territory", "320213022")
		if p := ajx.post("/assess/rounds", f); p.status != http.StatusForbidden {
			t.Errorf("a street admin previewed another street: %d %q", p.status, alert(p.body))
		}
		f.Set("territory", "320213023")
		p = ajx.post("/assess/rounds", f)
		if p.status != 200 || !strings.Contains(p.body, "共抽取 1 个点位，涉及 1 个考核对象") || strings.Contains(p.body, "J-R1") {
			t.Errorf("street admin's preview: %d %q", p.status, alert(p.body))
		}
		// Not assessors: refused.
		for _, who := range []string{"leader", "dispatcher-jx", "inspector"} {
			c := e.client()
			c.login(who)
			if p := c.get("/assess/rounds/new"); p.status != http.StatusForbidden {
				t.Errorf("%s opened the planner: %d", who, p.status)
			}
			g := url.Values{}
			for k, v := range create {
				g[k] = v
			}
			g.Set("_csrf", c.token())
			if p := c.post("/assess/rounds", g); p.status != http.StatusForbidden {
				t.Errorf("%s created a round: %d", who, p.status)
			}
		}
		if rs, _ := svc.Rounds(ctx, e.f.Actors["admin"], "2026-11"); len(rs) != 1 {
			t.Errorf("%d rounds in 2026-11, want 1", len(rs))
		}

		// A scheme scoring management units: the preview's strata are the
		// units' (by code: JX, QMQ-A, QMQ-B), named by their names. QMQ-A is
		// 家乐01 + 南苑01 (J-R1 J-R2 N-R1 N-R2 roads, N-M1), QMQ-B 家乐02 (J-M1), JX 金星01 (X-R1).
		if _, err := svc.PutMgmtUnits(ctx, e.f.Actors["admin"], []assess.MgmtUnit{
			{Code: "QMQ-A", Name: "清名桥A单元", Parent: "320213022", Grids: []string{"32021302200301", "32021302201001"}},
			{Code: "QMQ-B", Name: "家乐北单元", Parent: "320213022010", Grids: []string{"32021302201002"}},
			{Code: "JX", Name: "金星单元", Parent: "320213023", Grids: []string{"32021302300101"}}}); err != nil {
			t.Fatal(err)
		}
		civic, _ := schemeByCode(t, e, "civic-web", 1)
		mu := civic
		mu.Code, mu.Level = "civic-mu", assess.MgmtLevel
		if _, err := svc.PutScheme(ctx, e.f.Actors["admin"], mu); err != nil {
			t.Fatal(err)
		}
		f = url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set("scheme", "civic-mu@1")
		p = admin.post("/assess/rounds", f)
		if p.status != 200 || !strings.Contains(p.body, "共抽取 4 个点位，涉及 3 个考核对象、4 个分层") {
			t.Fatalf("management unit preview: %d %q", p.status, alert(p.body))
		}
		wantCells(t, "JX", rowCellsN(t, p.body, "preview-strata", 0), "金星单元", "主次干道", "1", "X-R1")
		if row := rowCellsN(t, p.body, "preview-strata", 1); row[0] != "清名桥A单元" || row[1] != "主次干道" || row[2] != "4" {
			t.Errorf("QMQ-A roads: %q", row)
		}
		wantCells(t, "QMQ-A market", rowCellsN(t, p.body, "preview-strata", 2), "清名桥A单元", "农贸市场", "1", "N-M1")
		wantCells(t, "QMQ-B market", rowCellsN(t, p.body, "preview-strata", 3), "家乐北单元", "农贸市场", "1", "J-M1")
	})
}

// postFile posts a multipart form with one file under "file".
func (c *client) postFile(path string, form url.Values, name string, data []byte) page {
	c.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", c.e.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// TestAssessPointsPage: the list and its filters, a point added with its
// unit found from its location, an import, and the refusals.
func TestAssessPointsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		assessRound(t, e)
		ctx := context.Background()
		admin := e.client()
		admin.login("admin")
		p := admin.get("/assess/points")
		if p.status != 200 || !strings.Contains(p.body, "共 7 个点位") {
			t.Fatalf("points: %d %s", p.status, alert(p.body))
		}
		checkLabels(t, "points", p.body, true)
		wantCells(t, "J-M1", pointRow(t, p.body, "J-M1"), "J-M1", "点位J-M1", "农贸市场", "家乐花园社区", "清名桥街道", "", "✓", "修改")
		if p := admin.get("/assess/points?type=market"); !strings.Contains(p.body, "共 2 个点位") || !strings.Contains(p.body, `data-point="N-M1"`) || strings.Contains(p.body, `data-point="J-R1"`) {
			t.Errorf("by type: %s", p.body[strings.Index(p.body, `id="points-count"`):][:80])
		}
		if p := admin.get("/assess/points?territory=" + nanyuanUnit); !strings.Contains(p.body, "共 3 个点位") || strings.Contains(p.body, `data-point="J-R1"`) {
			t.Errorf("by community: %d", p.status)
		}
		if p := admin.get("/assess/points?q=x-r"); !strings.Contains(p.body, "共 1 个点位") {
			t.Errorf("by text: %d", p.status)
		}
		tok := csrf(t, p)
		// "Change" on a row fills the form with the point.
		if f := regexp.MustCompile(`(?s)id="point-form".*?</form>`).FindString(admin.get("/assess/points?edit=J-M1").body); !strings.Contains(f, `name="code" value="J-M1"`) ||
			!strings.Contains(f, `name="lat" value="31.56"`) || !strings.Contains(f, `<option value="market" selected>`) {
			t.Errorf("edit form: %s", f)
		}

		// A point at 家乐花园: its community is found from where it is.
		pt := url.Values{"_csrf": {tok}, "code": {"J-T1"}, "name": {"清扬路公厕"}, "type": {"toilet"}, "address": {"清扬路1号"},
			"lat": {"31.53"}, "lon": {"120.23"}}
		p = admin.post("/assess/points", pt)
		if p.status != http.StatusSeeOther {
			t.Fatalf("new point: %d %q", p.status, alert(p.body))
		}
		p = admin.get(p.location())
		if !strings.Contains(p.body, "点位 J-T1 已保存") {
			t.Error("no notice after the point")
		}
		wantCells(t, "J-T1", pointRow(t, p.body, "J-T1"), "J-T1", "清扬路公厕", "公厕", "家乐花园社区", "清名桥街道", "清扬路1号", "✓", "修改")
		got, err := db.Point(ctx, "J-T1")
		if err != nil || got.Community != jialeUnit || got.Type != "toilet" || !got.Enabled {
			t.Fatalf("J-T1 stored: %+v %v", got, err)
		}
		// Bad input, the form kept.
		for name, c := range map[string]struct {
			key, value string
			status     int
			words      string
		}{
			"lat no number": {"lat", "north", 400, "经纬度须为以度为单位的数字"},
			"outside grids": {"lon", "100.0", 422, "不在任何单元网格内"},
			"no name":       {"name", "", 400, "名称必填"},
			"bad type":      {"type", "castle", 400, "未知点位类型"},
		} {
			f := url.Values{}
			for k, v := range pt {
				f[k] = v
			}
			f.Set("code", "J-T2")
			f.Set(c.key, c.value)
			p := admin.post("/assess/points", f)
			if p.status != c.status || !strings.Contains(alert(p.body)+strings.Join(regexp.MustCompile(`<li>([^<]*)</li>`).FindAllString(p.body, -1), ""), c.words) ||
				!strings.Contains(p.body, `value="J-T2"`) {
				t.Errorf("%s: %d %q", name, p.status, alert(p.body))
			}
		}
		// A street admin may not put a point in another street.
		if _, err := e.f.App.AddUser(ctx, auth.User{Username: "admin-jx", DisplayName: "金星管理员", Role: auth.Admin, Scope: "320213023"}, cheapHash()); err != nil {
			t.Fatal(err)
		}
		ajx := e.client()
		ajx.login("admin-jx")
		f := url.Values{}
		for k, v := range pt {
			f[k] = v
		}
		f.Set("_csrf", ajx.token())
		f.Set("code", "J-T3")
		if p := ajx.post("/assess/points", f); p.status != http.StatusForbidden || !strings.Contains(alert(p.body), "不在您的管辖范围内") {
			t.Errorf("outside the street admin's jurisdiction: %d %q", p.status, alert(p.body))
		}
		if p := ajx.get("/assess/points"); !strings.Contains(p.body, "共 1 个点位") || strings.Contains(p.body, "J-R1") {
			t.Errorf("the street admin's list shows other streets")
		}
		for _, who := range []string{"leader", "inspector", "dispatcher-jx"} {
			c := e.client()
			c.login(who)
			f.Set("_csrf", c.token())
			if p := c.post("/assess/points", f); p.status != http.StatusForbidden {
				t.Errorf("%s put a point: %d", who, p.status)
			}
			if p := c.get("/assess/points"); p.status != 200 || strings.Contains(p.body, `id="point-form"`) {
				t.Errorf("%s's points page: %d", who, p.status)
			}
		}
		if _, err := db.Point(ctx, "J-T3"); err == nil {
			t.Error("a refused point was stored")
		}

		// Import: two new points, then the same file again changes nothing; a bad line names itself.
		csv := "code,name,type,lon,lat,address\nI-1,导入一,主次干道,120.21,31.515,\nI-2,导入二,market,120.265,31.515,南苑路\n"
		p = admin.postFile("/assess/points/import", url.Values{"_csrf": {tok}}, "points.csv", []byte(csv))
		if p.status != http.StatusSeeOther {
			t.Fatalf("import: %d %q", p.status, alert(p.body))
		}
		if p := admin.get(p.location()); !strings.Contains(p.body, "导入完成：新增 2 个，更新 0 个，未变 0 个") || !strings.Contains(p.body, "共 10 个点位") {
			t.Errorf("after the import: %s", p.body[strings.Index(p.body, `<main`):][:300])
		}
		p = admin.postFile("/assess/points/import", url.Values{"_csrf": {tok}}, "points.csv", []byte(csv))
		if p := admin.get(p.location()); !strings.Contains(p.body, "新增 0 个，更新 0 个，未变 2 个") {
			t.Error("a second import changed something")
		}
		badCSV := "code,name,type,lon,lat\nI-3,导入三,main_road,120.21,31.515\nI-4,导入四,castle,120.21,31.515\n"
		p = admin.postFile("/assess/points/import", url.Values{"_csrf": {tok}}, "bad.csv", []byte(badCSV))
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "第3行") {
			t.Errorf("bad file: %d %q", p.status, alert(p.body))
		}
		if _, err := db.Point(ctx, "I-3"); err == nil {
			t.Error("a file with a bad line imported its good one")
		}
		if p := admin.postFile("/assess/points/import", url.Values{"_csrf": {tok}}, "", nil); p.status != http.StatusBadRequest {
			t.Errorf("no file: %d", p.status)
		}
		lead := e.client()
		lead.login("leader")
		if p := lead.postFile("/assess/points/import", url.Values{"_csrf": {lead.token()}}, "points.csv", []byte(csv)); p.status != http.StatusForbidden {
			t.Errorf("a leader imported: %d", p.status)
		}
	})
}

// TestAssessPublishPage: publishing from the scores page once the period
// is over, a correction with its reason, the notice as HTML and XLSX, and
// who may not.
func TestAssessPublishPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		id := assessRound(t, e)
		rid := itoa(id)
		ctx := context.Background()
		svc := e.web.assessService()
		if _, _, err := svc.RecordFinding(ctx, e.f.Actors["inspector"], id, assess.FindingInput{Point: "J-R1", Indicator: "road", Category: "E0102", Count: 3}); err != nil {
			t.Fatal(err)
		}
		admin := e.client()
		admin.login("admin")
		// During the period: no form, and a forced POST is refused.
		p := admin.get("/assess/scores?round=" + rid)
		if p.status != 200 || !strings.Contains(p.body, `id="publish-later"`) || strings.Contains(p.body, `id="publish-form"`) {
			t.Fatalf("scores during the period: %d", p.status)
		}
		p = admin.post("/assess/publish", url.Values{"_csrf": {csrf(t, p)}, "round": {rid}})
		if p.status != http.StatusConflict || !strings.Contains(alert(p.body), "尚未结束") || !strings.Contains(p.body, `id="excellence-rate"`) {
			t.Fatalf("publishing early: %d %q", p.status, alert(p.body))
		}

		e.setNow(time.Date(2026, 11, 2, 10, 0, 0, 0, shanghai))
		admin = e.client() // the session of October has ended
		admin.login("admin")
		p = admin.get("/assess/scores?round=" + rid)
		if !strings.Contains(p.body, `id="do-publish"`) || strings.Contains(p.body, `id="reason"`) {
			t.Fatalf("no publish button after the period")
		}
		checkLabels(t, "scores with publish", p.body, true)
		tok := csrf(t, p)
		p = admin.post("/assess/publish", url.Values{"_csrf": {tok}, "round": {rid}})
		if p.status != http.StatusSeeOther || p.location() != "/assess/scores?round="+rid+"&done=published" {
			t.Fatalf("publish: %d %s %q", p.status, p.location(), alert(p.body))
		}
		pubs, err := svc.Publications(ctx, e.f.Actors["admin"], "scores", "2026-10", "round:"+rid)
		if err != nil || len(pubs) != 1 || pubs[0].Version != 1 {
			t.Fatalf("publications: %+v %v", pubs, err)
		}
		p = admin.get(p.location())
		if !strings.Contains(p.body, "成绩已发布") || !strings.Contains(p.body, `href="/assess/publications/`+itoa(pubs[0].ID)+`/notice.xlsx"`) ||
			!strings.Contains(p.body, `id="reason"`) {
			t.Fatalf("after publishing: %s", alert(p.body))
		}
		// A correction without a reason: refused, the page kept; with one: version 2.
		p = admin.post("/assess/publish", url.Values{"_csrf": {tok}, "round": {rid}, "reason": {"  "}})
		if p.status != http.StatusBadRequest || !strings.Contains(alert(p.body), "更正须说明理由") {
			t.Errorf("correction without a reason: %d %q", p.status, alert(p.body))
		}
		p = admin.post("/assess/publish", url.Values{"_csrf": {tok}, "round": {rid}, "reason": {"补录南苑检查结果"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("correction: %d %q", p.status, alert(p.body))
		}
		p = admin.get(p.location())
		if !strings.Contains(p.body, `<li data-version="2">`) || !strings.Contains(p.body, "更正理由：补录南苑检查结果") {
			t.Errorf("the correction is not listed")
		}
		// The notice as a spreadsheet.
		x := admin.get("/assess/publications/" + itoa(pubs[0].ID) + "/notice.xlsx")
		if x.status != 200 || !strings.HasPrefix(x.body, "PK") || !strings.Contains(x.header.Get("Content-Type"), "spreadsheetml") ||
			x.header.Get("Content-Disposition") != `attachment; filename="notice-2026-10-v1.xlsx"` {
			t.Errorf("notice.xlsx: %d %s %s", x.status, x.header.Get("Content-Type"), x.header.Get("Content-Disposition"))
		}
		if x := admin.get("/assess/publications/0/notice.xlsx"); x.status != http.StatusNotFound {
			t.Errorf("no such notice: %d", x.status)
		}
		// Leaders read the versions but do not publish; nor do street dispatchers.
		lead := e.client()
		lead.login("leader")
		p = lead.get("/assess/scores?round=" + rid)
		if !strings.Contains(p.body, `<li data-version="1">`) || strings.Contains(p.body, `id="publish-form"`) {
			t.Errorf("leader's scores page")
		}
		if p := lead.post("/assess/publish", url.Values{"_csrf": {lead.token()}, "round": {rid}, "reason": {"x"}}); p.status != http.StatusForbidden {
			t.Errorf("a leader published: %d", p.status)
		}
		jx := e.client()
		jx.login("dispatcher-jx")
		if p := jx.post("/assess/publish", url.Values{"_csrf": {jx.token()}, "round": {rid}, "reason": {"x"}}); p.status != http.StatusForbidden {
			t.Errorf("a street dispatcher published: %d", p.status)
		}
		if p := admin.post("/assess/publish", url.Values{"_csrf": {tok}, "round": {"x"}}); p.status != http.StatusBadRequest {
			t.Errorf("a round that is no number: %d", p.status)
		}
		// A round of 清名桥 street is none of a 金星 admin's: not found, nothing published.
		seed := uint64(3)
		qmq, _, err := svc.CreateRound(ctx, e.f.Actors["admin"], assess.RoundInput{Scheme: "civic-web", Period: "2026-10", Name: "清名桥10月",
			Territory: "320213022", Sizes: map[string]int{"main_road": 1}, Seed: &seed})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.f.App.AddUser(ctx, auth.User{Username: "admin-jx", DisplayName: "金星管理员", Role: auth.Admin, Scope: "320213023"}, cheapHash()); err != nil {
			t.Fatal(err)
		}
		ajx := e.client()
		ajx.login("admin-jx")
		if p := ajx.post("/assess/publish", url.Values{"_csrf": {ajx.token()}, "round": {itoa(qmq.ID)}}); p.status != http.StatusNotFound {
			t.Errorf("publishing another street's round: %d %q", p.status, alert(p.body))
		}
		if pubs, _ := svc.Publications(ctx, e.f.Actors["admin"], "scores", "2026-10", "round:"+itoa(qmq.ID)); len(pubs) != 0 {
			t.Errorf("another street's round was published: %+v", pubs)
		}
		if pubs, _ := svc.Publications(ctx, e.f.Actors["admin"], "scores", "2026-10", "round:"+rid); len(pubs) != 2 {
			t.Errorf("%d publications, want 2", len(pubs))
		}
	})
}

// TestAssessTrendPage: a unit's totals and problems month by month, hand-checked:
//
//	2026-09: J-M1 1 problem at the market (−5): 60 + 35 = 95, 1 problem
//	2026-10: J-R1 3×E0102 on the road (−6): 54 + 40 = 94, 3 problems
//
// and nothing in the ten other months.
func TestAssessTrendPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		id := assessRound(t, e)
		ctx := context.Background()
		svc := e.web.assessService()
		admin, ins := e.f.Actors["admin"], e.f.Actors["inspector"]
		if _, _, err := svc.RecordFinding(ctx, ins, id, assess.FindingInput{Point: "J-R1", Indicator: "road", Category: "E0102", Count: 3}); err != nil {
			t.Fatal(err)
		}
		e.setNow(time.Date(2026, 9, 15, 10, 0, 0, 0, shanghai))
		seed := uint64(9)
		sep, _, err := svc.CreateRound(ctx, admin, assess.RoundInput{Scheme: "civic-web", Period: "2026-09", Name: "9月考核", Territory: "320213",
			Sizes: map[string]int{"main_road": 2, "market": 1}, Seed: &seed})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.RecordFinding(ctx, ins, sep.ID, assess.FindingInput{Point: "J-M1", Indicator: "market", Category: "E0104", Count: 1}); err != nil {
			t.Fatal(err)
		}
		// A scheme run quarterly: its trend is by quarter. 2026-Q3: J-R1 2×E0102 (−4): 56 + 40 = 96.
		civic, _ := schemeByCode(t, e, "civic-web", 1)
		civic.Code = "civic-q"
		if _, err := svc.PutScheme(ctx, admin, civic); err != nil {
			t.Fatal(err)
		}
		q3, _, err := svc.CreateRound(ctx, admin, assess.RoundInput{Scheme: "civic-q", Kind: assess.Quarterly, Period: "2026-Q3", Name: "三季度考核",
			Territory: "320213", Sizes: map[string]int{"main_road": 2, "market": 1}, Seed: &seed})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.RecordFinding(ctx, ins, q3.ID, assess.FindingInput{Point: "J-R1", Indicator: "road", Category: "E0102", Count: 2}); err != nil {
			t.Fatal(err)
		}
		e.setNow(testStart)
		lead := e.client()
		lead.login("leader")
		p := lead.get("/assess/trend?scheme=civic-web&unit=" + jialeUnit)
		if p.status != 200 || !strings.Contains(p.body, `id="trend-chart"`) {
			t.Fatalf("trend: %d %s", p.status, alert(p.body))
		}
		checkLabels(t, "trend", p.body, true)
		if n := strings.Count(p.body, `<tr data-period="`); n != 12 {
			t.Errorf("%d months, want 12", n)
		}
		if !strings.Contains(p.body, `<tr data-period="2025-12" data-total="" data-problems="">`) ||
			!strings.Contains(p.body, `<tr data-period="2026-09" data-total="95.00" data-problems="1">`) ||
			!strings.Contains(p.body, `<tr data-period="2026-10" data-total="94.00" data-problems="3">`) ||
			!strings.Contains(p.body, `<tr data-period="2026-11" data-total="" data-problems="">`) {
			t.Errorf("trend rows: %s", p.body[strings.Index(p.body, `<tbody>`):][:600])
		}
		p = lead.get("/assess/trend?scheme=civic-q&unit=" + jialeUnit)
		if n := strings.Count(p.body, `<tr data-period="`); n != 12 || !strings.Contains(p.body, `<tr data-period="2024-Q1" data-total="" data-problems="">`) ||
			!strings.Contains(p.body, `<tr data-period="2026-Q3" data-total="96.00" data-problems="2">`) ||
			!strings.Contains(p.body, `<tr data-period="2026-Q4" data-total="" data-problems="">`) {
			t.Errorf("quarterly trend: %d rows: %s", n, p.body[strings.Index(p.body, `<tbody>`):][:300])
		}
		// With no unit asked for, the first by code (南苑 320213022003).
		if p := lead.get("/assess/trend"); p.status != 200 || !strings.Contains(p.body, `<option value="`+nanyuanUnit+`" selected>`) {
			t.Errorf("default unit: %d", p.status)
		}
		// The 金星 dispatcher sees 金星 only.
		jx := e.client()
		jx.login("dispatcher-jx")
		if p := jx.get("/assess/trend?unit=" + jialeUnit); p.status != http.StatusNotFound {
			t.Errorf("another street's unit: %d", p.status)
		}
		p = jx.get("/assess/trend")
		if p.status != 200 || strings.Contains(p.body, "家乐花园") || !strings.Contains(p.body, `<option value="`+jinxingUnit+`" selected>`) {
			t.Errorf("the 金星 dispatcher's trend: %d", p.status)
		}
		if p := lead.get("/assess/trend?unit=XYZ"); p.status != http.StatusNotFound {
			t.Errorf("no such unit: %d", p.status)
		}
		for _, who := range []string{"inspector", "san"} {
			c := e.client()
			c.login(who)
			if p := c.get("/assess/trend"); p.status != http.StatusForbidden {
				t.Errorf("%s read the trend: %d", who, p.status)
			}
		}
	})
}

// pointRow returns the text of the cells of a point's row in the points list.
func pointRow(t *testing.T, body, code string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr data-point="` + regexp.QuoteMeta(code) + `"[^>]*>(.*?)</tr>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no row for point %s", code)
	}
	var out []string
	for _, c := range regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(m[1], -1) {
		out = append(out, strings.TrimSpace(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(c[1], "")))
	}
	return out
}
