package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

const (
	jialeUnit   = "320213022010"
	nanyuanUnit = "320213022003"
	jinxingUnit = "320213023001"
)

// assessStart is the assessment tests' "now": Wednesday 2026-10-21 10:00,
// inside the period 2026-10 the fixture round is of.
var assessStart = time.Date(2026, 10, 21, 10, 0, 0, 0, shanghai)

// setNow puts the console's (and the case loop's) clock at t.
func (e *env) setNow(t time.Time) {
	e.mu.Lock()
	e.now = t
	e.mu.Unlock()
}

// assessRound sets up a small hand-checkable round of October 2026 on the
// apptest territory: a scheme scoring communities on 道路 (60, main roads:
// E0102 −2 a problem, anything else −1) and 农贸市场 (40, markets: −5 a
// problem), minimum sample 2, lists of one; seven points, all drawn (no
// stratum is larger than its size): 家乐花园 J-R1 J-R2 (roads) J-M1
// (market); 南苑 N-R1 N-R2 N-M1; 金星 X-R1.
func assessRound(t *testing.T, e *env) int64 {
	t.Helper()
	ctx := context.Background()
	e.setNow(assessStart)
	svc := e.web.assessService()
	admin := e.f.Actors["admin"]
	sc := assess.Scheme{Code: "civic-web", Name: "精细化管理考核办法（测试）", Level: "community", MinSample: 2, ListSize: 1,
		Indicators: []assess.Indicator{
			{Code: "road", Name: "道路", FullMarks: assess.FixedOf(60), PointTypes: []string{"main_road"},
				Deductions: []assess.Deduction{{Category: "E0102", Points: assess.FixedOf(2)}, {Points: assess.FixedOf(1)}}},
			{Code: "market", Name: "农贸市场", FullMarks: assess.FixedOf(40), PointTypes: []string{"market"},
				Deductions: []assess.Deduction{{Points: assess.FixedOf(5)}}},
		}}
	if _, err := svc.PutScheme(ctx, admin, sc); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		code, typ string
		lon, lat  float64
	}{
		{"J-R1", "main_road", 120.21, 31.51}, {"J-R2", "main_road", 120.22, 31.52}, {"J-M1", "market", 120.22, 31.56},
		{"N-R1", "main_road", 120.26, 31.51}, {"N-R2", "main_road", 120.27, 31.53}, {"N-M1", "market", 120.26, 31.57},
		{"X-R1", "main_road", 120.32, 31.52},
	} {
		lon, lat := p.lon, p.lat
		if _, err := svc.PutPoint(ctx, admin, assess.PointInput{Code: p.code, Name: "点位" + p.code, Type: p.typ, Lon: &lon, Lat: &lat}); err != nil {
			t.Fatal(err)
		}
	}
	seed := uint64(42)
	r, _, err := svc.CreateRound(ctx, admin, assess.RoundInput{Scheme: "civic-web", Period: "2026-10", Name: "10月考核", Territory: "320213",
		Sizes: map[string]int{"main_road": 2, "market": 1}, Seed: &seed})
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// rowCells returns the text of the cells of the table row marked attr="key".
func rowCells(t *testing.T, body, attr, key string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<tr ` + attr + `="` + regexp.QuoteMeta(key) + `">(.*?)</tr>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no row %s=%q", attr, key)
	}
	var out []string
	for _, c := range regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(m[1], -1) {
		out = append(out, strings.TrimSpace(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(c[1], "")))
	}
	return out
}

func wantCells(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// TestAssessPages records a round through the checklist, then reads the
// scores, the lists, the metrics and the notice, checked by hand:
//
//	家乐花园: J-R1 3×E0102 → 道路 60−6 = 54, 市场 40, total 94 ≥ 90: excellent, rank 1 (3 inspected)
//	南苑:     N-R1 2×E0102 → 道路 56; N-M1 2 problems → 市场 40−10 = 30; total 86, rank 2 (2 inspected)
//	金星:     X-R1 inspected only: 1 < 2 points, insufficient sample, total 100, not ranked
//
// Excellence rate 1 of 2 ranked = 50.00 %; red list 家乐花园, black 南苑.
func TestAssessPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		id := assessRound(t, e)
		rid := itoa(id)
		svc := e.web.assessService()

		ins := e.client()
		ins.login("inspector")
		p := ins.get("/assess")
		if p.status != 200 || !strings.Contains(p.body, `href="/assess/rounds/`+rid+`"`) {
			t.Fatalf("rounds list: %d %s", p.status, alert(p.body))
		}
		p = ins.get("/assess/rounds/" + rid)
		if p.status != 200 {
			t.Fatalf("round page: %d %s", p.status, alert(p.body))
		}
		if n := strings.Count(p.body, `id="finding-`); n != 7 {
			t.Errorf("%d checklist forms, want 7", n)
		}
		for _, s := range []string{`<code id="seed">42</code>`, assess.SampleAlgorithm, "与记录的样本一致"} {
			if !strings.Contains(p.body, s) {
				t.Errorf("round page lacks %q", s)
			}
		}
		// Strata by unit code: 南苑.s roads first, 2 points, both drawn; the market indicator is not offered at a road.
		wantCells(t, "南苑 roads stratum", rowCellsN(t, p.body, "strata", 0), "南苑社区", "主次干道", "2", "N-R1, N-R2")
		if f := formOf(t, p.body, "finding-J-R1"); strings.Contains(f, `value="market"`) || !strings.Contains(f, `value="road"`) {
			t.Errorf("indicators offered at a road: %s", f)
		}
		checkLabels(t, "checklist", p.body, true)
		tok := csrf(t, p)

		// A finding without the form's token is refused and nothing is recorded.
		bad := ins.postFiles("/assess/rounds/"+rid+"/findings", url.Values{"_csrf": {"0123abcd"}, "point": {"J-R1"}, "indicator": {"road"},
			"category": {"E0102"}, "count": {"3"}}, photo("x"))
		if bad.status != http.StatusForbidden {
			t.Fatalf("finding without the token: %d", bad.status)
		}
		bad = ins.post("/assess/rounds/"+rid+"/inspected", url.Values{"point": {"J-M1"}})
		if bad.status != http.StatusForbidden {
			t.Fatalf("inspected without the token: %d", bad.status)
		}
		if d, _ := svc.Round(ctx, e.f.Actors["admin"], id); len(d.Findings) != 0 || d.Points[0].InspectedAt != nil {
			t.Fatalf("a refused form left something: %+v", d)
		}

		// The checklist: a finding with a photo, a point with no problem.
		ok := ins.postFiles("/assess/rounds/"+rid+"/findings", url.Values{"_csrf": {tok}, "point": {"J-R1"}, "indicator": {"road"},
			"category": {"E0102"}, "count": {"3"}, "note": {"路面暴露垃圾"}}, photo("j-r1"))
		if ok.status != http.StatusSeeOther || ok.location() != "/assess/rounds/"+rid+"?done=finding#pt-J-R1" {
			t.Fatalf("finding: %d %s %s", ok.status, ok.location(), alert(ok.body))
		}
		ok = ins.post("/assess/rounds/"+rid+"/inspected", url.Values{"_csrf": {tok}, "point": {"J-M1"}})
		if ok.status != http.StatusSeeOther {
			t.Fatalf("inspected: %d %s", ok.status, alert(ok.body))
		}
		// An indicator that does not apply to the point: refused with the reason, the form kept.
		no := ins.postFiles("/assess/rounds/"+rid+"/findings", url.Values{"_csrf": {tok}, "point": {"J-R2"}, "indicator": {"market"},
			"category": {"E0102"}, "count": {"2"}, "note": {"保留的说明"}})
		if no.status != http.StatusUnprocessableEntity || !strings.Contains(alert(no.body), "不适用") || !strings.Contains(no.body, "保留的说明") {
			t.Fatalf("inapplicable indicator: %d %q", no.status, alert(no.body))
		}
		no = ins.postFiles("/assess/rounds/"+rid+"/findings", url.Values{"_csrf": {tok}, "point": {"J-R2"}, "indicator": {"road"},
			"category": {"E0102"}, "count": {"lots"}})
		if no.status != http.StatusBadRequest {
			t.Fatalf("a count that is no number: %d", no.status)
		}
		p = ins.get("/assess/rounds/" + rid + "?done=finding")
		if !strings.Contains(p.body, `<p class="flash" role="status">已记录问题并立案</p>`) {
			t.Error("no notice after the finding")
		}
		d, err := svc.Round(ctx, e.f.Actors["admin"], id)
		if err != nil || len(d.Findings) != 1 || d.Findings[0].Count != 3 || len(d.Findings[0].Photos) != 1 || d.Findings[0].CaseID == 0 {
			t.Fatalf("findings after the form: %+v %v", d.Findings, err)
		}
		c, _, err := e.f.App.Cases.Get(ctx, e.f.Actors["admin"], d.Findings[0].CaseID)
		if err != nil || c.Source != casework.SourceAssessment || c.Category != "E0102" {
			t.Fatalf("the finding's case: %+v %v", c, err)
		}

		// The rest of the round through the service.
		insA := e.f.Actors["inspector"]
		for _, f := range []assess.FindingInput{{Point: "N-R1", Indicator: "road", Category: "E0102", Count: 2},
			{Point: "N-M1", Indicator: "market", Category: "E0104", Count: 2}} {
			if _, _, err := svc.RecordFinding(ctx, insA, id, f); err != nil {
				t.Fatal(err)
			}
		}
		for _, pt := range []string{"J-R2", "X-R1"} {
			if err := svc.Inspected(ctx, insA, id, pt); err != nil {
				t.Fatal(err)
			}
		}
		// A case through the whole loop for the sanitation department: dispatched and closed now.
		mc := e.report("inspector", apptest.PointJiale1, "E0102", "暴露垃圾")
		mc = e.act("dispatcher", mc, casework.Register, casework.Input{})
		mc = e.act("dispatcher", mc, casework.Dispatch, casework.Input{Unit: "320213.sanitation"})
		mc = e.act("san", mc, casework.Handle, casework.Input{Attachments: []string{e.f.Photo(t, "h")}})
		yes := true
		mc = e.act("inspector2", mc, casework.Verify, casework.Input{Passed: &yes, Attachments: []string{e.f.Photo(t, "v")}})
		e.act("dispatcher", mc, casework.Close, casework.Input{})
		e.advance(time.Minute) // the cutoff is now, exclusive

		// Inspectors do not read scores; handlers see no rounds.
		if p := ins.get("/assess/scores?round=" + rid); p.status != http.StatusForbidden {
			t.Errorf("an inspector read the scores: %d", p.status)
		}
		san := e.client()
		san.login("san")
		if p := san.get("/assess"); p.status != http.StatusForbidden {
			t.Errorf("a handler saw the rounds: %d", p.status)
		}

		lead := e.client()
		lead.login("leader")
		p = lead.get("/assess/scores?round=" + rid)
		if p.status != 200 {
			t.Fatalf("scores: %d %s", p.status, alert(p.body))
		}
		// rank, unit, inspected, problems, change, 道路, 市场, bonus, total, excellent
		wantCells(t, "家乐花园", rowCells(t, p.body, "data-unit", jialeUnit), "1", "家乐花园社区", "3", "3", "—", "54.00", "40.00", "0.00", "94.00", "★ 优秀")
		wantCells(t, "南苑", rowCells(t, p.body, "data-unit", nanyuanUnit), "2", "南苑社区", "2", "4", "—", "56.00", "30.00", "0.00", "86.00", "")
		wantCells(t, "金星 (insufficient)", rowCells(t, p.body, "data-unit", jinxingUnit), "金星社区", "1", "0", "100.00")
		if !strings.Contains(p.body, `<table class="assess-table" id="insufficient">`) || strings.Index(p.body, `data-unit="`+jinxingUnit+`"`) < strings.Index(p.body, `id="insufficient"`) {
			t.Error("金星 is not set apart as an insufficient sample")
		}
		for _, s := range []string{`<dd id="excellence-rate">50.00%</dd>`, `<dd id="excellent-units">1 / 2</dd>`,
			`<ol id="red-320213"><li>家乐花园社区 <span class="num">94.00</span></li></ol>`,
			`<ol id="black-320213"><li>南苑社区 <span class="num">86.00</span></li></ol>`, assess.TieRuleZh, "本轮尚未发布"} {
			if !strings.Contains(p.body, s) {
				t.Errorf("scores page lacks %q", s)
			}
		}
		checkLabels(t, "scores", p.body, true)
		checkLabels(t, "rounds", lead.get("/assess").body, true)
		checkLabels(t, "round (leader)", lead.get("/assess/rounds/"+rid).body, true)
		// In English: the same numbers, the tie rule in English.
		en := e.client()
		en.lang = "en"
		en.login("leader")
		if p := en.get("/assess/scores?round=" + rid); !strings.Contains(p.body, `<dt>Excellence rate</dt><dd id="excellence-rate">50.00%</dd>`) ||
			!strings.Contains(p.body, assess.TieRule) || !strings.Contains(p.body, "★ Excellent") {
			t.Errorf("English scores page: %d %s", p.status, alert(p.body))
		}
		// A period with one round picks it.
		if p2 := lead.get("/assess/scores?period=2026-10"); !strings.Contains(p2.body, `<dd id="excellence-rate">50.00%</dd>`) ||
			!strings.Contains(p2.body, `<option value="`+rid+`" selected>`) {
			t.Errorf("scores by period: %d %s", p2.status, alert(p2.body))
		}

		// Metrics: the sanitation case was dispatched and closed in the
		// period, its deadline not yet come: 0 due (rates over due cases
		// are no data), 1 to close, 1 closed on time; the composite is the
		// closure term alone scaled to 100 %.
		p = lead.get("/assess/metrics?period=2026-10")
		if p.status != 200 {
			t.Fatalf("metrics: %d %s", p.status, alert(p.body))
		}
		checkLabels(t, "metrics", p.body, true)
		wantCells(t, "sanitation metrics", rowCells(t, p.body, "data-key", "320213.sanitation"),
			"梁溪区环卫处", "0", "0", "0", "0", "0", "1", "1", "1", "—", "—", "100.00%", "100.00%", "100.00")
		if p := lead.get("/assess/metrics?period=2026-13"); p.status != http.StatusBadRequest {
			t.Errorf("a bad period: %d", p.status)
		}

		// The leader adds an unannounced visit to a point outside the sample.
		lon, lat := 120.23, 31.53
		if _, err := svc.PutPoint(ctx, e.f.Actors["admin"], assess.PointInput{Code: "J-R3", Name: "清扬路暗访点", Type: "main_road", Lon: &lon, Lat: &lat}); err != nil {
			t.Fatal(err)
		}
		p = lead.post("/assess/rounds/"+rid+"/visits", url.Values{"_csrf": {lead.token()}, "point": {"J-R3"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("visit: %d %s", p.status, alert(p.body))
		}
		p = lead.get(p.location())
		wantCells(t, "the visit", rowCellsN(t, p.body, "visits", 0), "J-R3 清扬路暗访点", "家乐花园社区", "主次干道", "—", "0")
		if !strings.Contains(p.body, "已加入暗访点位") {
			t.Error("no notice after the visit")
		}

		// Scope: 金星's street sees its own point and unit, nothing of 南苑 or 家乐花园.
		jx := e.client()
		jx.login("dispatcher-jx")
		p = jx.get("/assess/rounds/" + rid)
		if p.status != 200 || !strings.Contains(p.body, "X-R1") {
			t.Fatalf("street round page: %d %s", p.status, alert(p.body))
		}
		for _, s := range []string{"J-R1", "N-M1", "家乐花园", "南苑"} {
			if strings.Contains(p.body, s) {
				t.Errorf("the 金星 dispatcher's round page shows %q", s)
			}
		}
		p = jx.get("/assess/scores?round=" + rid)
		if p.status != 200 {
			t.Fatalf("street scores: %d %s", p.status, alert(p.body))
		}
		for _, s := range []string{jialeUnit, nanyuanUnit, "家乐花园", "南苑", "94.00", "86.00"} {
			if strings.Contains(p.body, s) {
				t.Errorf("the 金星 dispatcher's scores show %q", s)
			}
		}
		if !strings.Contains(p.body, `<dd id="excellence-rate">—</dd>`) || !strings.Contains(p.body, `data-unit="`+jinxingUnit+`"`) {
			t.Error("the 金星 dispatcher's scores: no own unit, or a rate over others")
		}
		if p := jx.get("/assess/metrics?period=2026-10"); p.status != 200 || strings.Contains(p.body, "320213.sanitation") {
			t.Errorf("the 金星 dispatcher's metrics show the sanitation case at 家乐花园 (%d)", p.status)
		}
		if p := jx.post("/assess/rounds/"+rid+"/visits", url.Values{"_csrf": {jx.token()}, "point": {"J-R2"}}); p.status != http.StatusForbidden {
			t.Errorf("a street dispatcher added another street's point: %d %s", p.status, alert(p.body))
		}
		// A leader of another street, same.
		if _, err := e.f.App.AddUser(ctx, auth.User{Username: "leader-jx", DisplayName: "金星领导", Role: auth.Leader, Scope: "320213023"}, cheapHash()); err != nil {
			t.Fatal(err)
		}
		lj := e.client()
		lj.login("leader-jx")
		for _, path := range []string{"/assess/rounds/" + rid, "/assess/scores?round=" + rid} {
			if p := lj.get(path); p.status != 200 || strings.Contains(p.body, "家乐花园") || strings.Contains(p.body, "南苑") {
				t.Errorf("the 金星 leader's %s: %d, shows another street", path, p.status)
			}
		}

		// Published after the period: the console serves the notice to a signed-in reader.
		e.setNow(time.Date(2026, 11, 2, 10, 0, 0, 0, shanghai))
		pub, err := svc.Publish(ctx, e.f.Actors["admin"], assess.PublishInput{Kind: "scores", Period: "2026-10", Round: id})
		if err != nil {
			t.Fatal(err)
		}
		lead = e.client()
		lead.login("leader")
		p = lead.get("/assess/scores?round=" + rid)
		link := `/assess/publications/` + itoa(pub.ID) + `/notice.html`
		if !strings.Contains(p.body, `href="`+link+`"`) || !strings.Contains(p.body, `<dd id="excellence-rate">50.00%</dd>`) {
			t.Fatalf("published scores page: %d %s", p.status, alert(p.body))
		}
		n := lead.get(link)
		if n.status != 200 || !strings.HasPrefix(n.header.Get("Content-Type"), "text/html") || !strings.Contains(n.body, "家乐花园") ||
			!strings.Contains(n.body, "94.00") || n.header.Get("Content-Security-Policy") != "default-src 'none'; style-src 'unsafe-inline'" {
			t.Fatalf("notice: %d %s %.300s", n.status, n.header.Get("Content-Type"), n.body)
		}
		if n := lead.get("/assess/publications/999/notice.html"); n.status != http.StatusNotFound {
			t.Errorf("no such notice: %d", n.status)
		}
		if n := e.client().get(link); n.status != http.StatusSeeOther || !strings.HasPrefix(n.location(), "/login") {
			t.Errorf("the notice signed out: %d %s", n.status, n.location())
		}
	})
}

// rowCellsN returns the cells of the nth body row of the table with id.
func rowCellsN(t *testing.T, body, id string, n int) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<table[^>]*id="` + id + `">.*?<tbody>(.*?)</tbody>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no table %s", id)
	}
	rows := regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(m[1], -1)
	if n >= len(rows) {
		t.Fatalf("table %s has %d rows", id, len(rows))
	}
	var out []string
	for _, c := range regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(rows[n][1], -1) {
		out = append(out, strings.TrimSpace(c[1]))
	}
	return out
}

// formOf returns the HTML of the form with id.
func formOf(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<form[^>]*id="` + id + `">(.*?)</form>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no form %s", id)
	}
	return m[1]
}

// TestAssessPointTypeNames: every point type, and every notice after an
// assessment form, has its words in both languages.
func TestAssessPointTypeNames(t *testing.T) {
	for _, k := range assessDone {
		for _, l := range Langs {
			if _, ok := locales[l][k]; !ok {
				t.Errorf("%s missing from %s.json", k, l)
			}
		}
	}
	for typ := range assess.PointTypes {
		for _, l := range Langs {
			if _, ok := locales[l]["ptype."+typ]; !ok {
				t.Errorf("ptype.%s missing from %s.json", typ, l)
			}
		}
		if got := ptypeName("zh", typ); got != assess.PointTypes[typ] {
			t.Errorf("%s: zh %q, assess %q", typ, got, assess.PointTypes[typ])
		}
	}
}
