package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestBrowserAssessConsole drives the assessment console in headless
// Chromium on both stores: an admin builds a scheme with the structured
// editor (a parent with two sub-indicators added by the buttons, a rule
// added, a blank row removed, the total kept at 100), plans a September
// round from its preview and creates it, publishes its scores, reads a
// unit's trend chart and adds a point tapped on the map. Every page is
// screenshotted and checked for a real rendering, and no page may throw
// or break its CSP.
func TestBrowserAssessConsole(t *testing.T) {
	h := newHeadless(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		oct := assessRound(t, e)
		ctx := context.Background()
		svc := e.web.assessService()
		base, prefix := e.srv.URL, string(db.Dialect)+"-assess-console"
		adm := h.open(t, base, prefix, "admin", false)
		adm.signIn("admin", "zh")

		// The scheme editor.
		adm.goTo("/assess/schemes")
		adm.Do(chromedp.Click(chromedp.ID("new-scheme")))
		adm.WaitFor("the editor", `document.getElementById('ind-rows') && document.getElementById('ind-rows').dataset.ready === '1'`)
		if adm.Eval(`String(document.getElementById('add-ind').hidden)`) != "false" || adm.Eval(`String(document.getElementById('more-rows').hidden)`) != "true" {
			t.Error("the editor's script did not take over the buttons")
		}
		adm.Do(
			chromedp.SendKeys(chromedp.ID("code"), "city"),
			chromedp.SendKeys(chromedp.ID("name"), "城市管理考核"),
			chromedp.SetValue(chromedp.ID("excellent"), "92"),
			chromedp.SendKeys(chromedp.ID("i_code-b1"), "env"),
			chromedp.SendKeys(chromedp.ID("i_name-b1"), "环境卫生"),
			// Typed as a leaf first: marks, a point type, a rule.
			chromedp.SendKeys(chromedp.ID("i_marks-b1"), "60"),
			chromedp.Click(chromedp.ID("i_types-b1-main_road")),
			chromedp.SendKeys(chromedp.ID("d_cat-b1-1"), "E0102"),
			chromedp.SendKeys(chromedp.ID("d_points-b1-1"), "2"),
			// The second blank row is not needed.
			chromedp.Click(chromedp.CSS(`.ind[data-key="b2"] button[data-act="remove"]`)),
			// A first child: what the row had as a leaf moves to it.
			chromedp.Click(chromedp.CSS(`.ind[data-key="b1"] button[data-act="child"]`)),
		)
		adm.WaitFor("the first sub-indicator", `document.getElementById('i_code-n1')`)
		if got := adm.Eval(`(function(){const n=document.querySelector('.ind[data-key="n1"]');return [n.querySelector('input.marks').value, document.getElementById('i_types-n1-main_road').checked,
			document.getElementById('i_types-b1-main_road').checked, n.querySelectorAll('tr.rule').length, n.querySelector('tr.rule input[name=d_key]').value,
			n.querySelector('tr.rule input[name=d_cat]').value, document.querySelectorAll('.ind[data-key="b1"] tr.rule').length].join('|')})()`); got != "60|true|false|1|n1|E0102|0" {
			t.Errorf("the leaf's data after its first child: %s", got)
		}
		adm.Do(
			chromedp.SendKeys(chromedp.ID("i_code-n1"), "road"),
			chromedp.SendKeys(chromedp.ID("i_name-n1"), "道路"),
			chromedp.Click(chromedp.CSS(`.ind[data-key="n1"] button[data-act="rule"]`)),
		)
		adm.WaitFor("the second rule", `document.getElementById('d_points-n1-n2')`)
		adm.Do(
			chromedp.SendKeys(chromedp.ID("d_points-n1-n2"), "1"),
			chromedp.Click(chromedp.CSS(`.ind[data-key="b1"] button[data-act="child"]`)),
		)
		adm.WaitFor("the second sub-indicator", `document.getElementById('i_code-n3')`)
		adm.Do(
			chromedp.SendKeys(chromedp.ID("i_code-n3"), "market"),
			chromedp.SendKeys(chromedp.ID("i_name-n3"), "农贸市场"),
			chromedp.SendKeys(chromedp.ID("i_marks-n3"), "40"),
			chromedp.Click(chromedp.ID("i_types-n3-market")),
			chromedp.SendKeys(chromedp.ID("d_points-n3-0"), "5"),
		)
		adm.WaitFor("the total of 100", `document.getElementById('marks-total').value === '100.00'`)
		// Market before road, and back: a sibling moves with nothing else.
		adm.Do(chromedp.Click(chromedp.CSS(`.ind[data-key="n3"] button[data-act="up"]`)))
		order := `Array.from(document.querySelectorAll('#ind-rows > .ind')).map(e => e.dataset.key).join(',')`
		if got := adm.Eval(order); got != "b1,n3,n1" {
			t.Errorf("after moving market up: %s", got)
		}
		adm.Do(chromedp.Click(chromedp.CSS(`.ind[data-key="n3"] button[data-act="down"]`)))
		if got := adm.Eval(order); got != "b1,n1,n3" {
			t.Errorf("after moving market down: %s", got)
		}
		// The parent adds up its children and carries no rules of its own.
		if got := adm.Eval(`(function(){const m=document.getElementById('i_marks-b1');return m.value+'|'+m.readOnly+'|'+document.querySelectorAll('.ind[data-key="b1"] > .leaf-only tr.rule').length})()`); got != "100.00|true|0" {
			t.Errorf("the parent row: %s", got)
		}
		if got := adm.Eval(`Array.from(document.querySelectorAll('#ind-rows > .ind')).map(e => e.dataset.key + ':' + e.querySelector('select.depth').value).join(',')`); got != "b1:1,n1:2,n3:2" {
			t.Errorf("the rows: %s", got)
		}
		adm.Shot("01-scheme-editor")
		adm.Do(chromedp.Click(chromedp.ID("save-scheme")))
		adm.flash("考核办法已保存")
		adm.WaitFor("the saved tree", `document.querySelectorAll('#indicators tbody tr').length === 3`)
		adm.Shot("02-scheme")
		sc, ok := schemeByCode(t, e, "city", 1)
		if !ok || len(sc.Indicators) != 1 || len(sc.Indicators[0].Children) != 2 || sc.Excellent != assess.FixedOf(92) {
			t.Fatalf("the scheme saved: %+v", sc)
		}
		road := sc.Indicators[0].Children[0]
		if road.Code != "road" || len(road.Deductions) != 2 || road.Deductions[0] != (assess.Deduction{Category: "E0102", Points: assess.FixedOf(2)}) ||
			road.Deductions[1] != (assess.Deduction{Points: assess.FixedOf(1)}) || strings.Join(road.PointTypes, ",") != "main_road" {
			t.Errorf("road: %+v", road)
		}
		// A frozen version is read-only: no edit button, a copy button.
		civic, _ := schemeByCode(t, e, "civic-web", 1)
		adm.goTo("/assess/schemes/" + itoa(civic.ID))
		if adm.Eval(`String(!!document.getElementById('frozen-note') && !document.getElementById('edit-scheme') && !!document.getElementById('copy-scheme'))`) != "true" {
			t.Error("the frozen scheme's page")
		}

		// Plan September's round on the new scheme: preview, then create.
		adm.goTo("/assess/rounds/new")
		adm.Do(
			chromedp.SetValue(chromedp.ID("scheme"), "city@1"),
			chromedp.SetValue(chromedp.ID("period"), "2026-09"),
			chromedp.SendKeys(chromedp.ID("name"), "9月城市管理考核"),
			chromedp.SetValue(chromedp.ID("territory"), "320213"),
			chromedp.SendKeys(chromedp.ID("seed"), "11"),
			chromedp.SendKeys(chromedp.ID("size-main_road"), "2"),
			chromedp.SendKeys(chromedp.ID("size-market"), "1"),
			chromedp.Click(chromedp.ID("do-preview")),
		)
		adm.WaitFor("the preview", `document.getElementById('preview-strata')`)
		if got := adm.Eval(`document.getElementById('preview-summary').innerText`); !strings.Contains(got, "共抽取 7 个点位，涉及 3 个考核对象、5 个分层") {
			t.Errorf("preview summary %q", got)
		}
		adm.Shot("03-plan-preview")
		adm.Do(chromedp.Click(chromedp.ID("do-create")))
		adm.flash("已创建考核轮次")
		rs, err := svc.Rounds(ctx, e.f.Actors["admin"], "2026-09")
		if err != nil || len(rs) != 1 || rs[0].Seed != 11 || rs[0].SchemeCode != "city" {
			t.Fatalf("the round planned: %+v %v", rs, err)
		}
		if got := adm.Eval(`document.getElementById('seed').textContent`); got != "11" {
			t.Errorf("the round page's seed %q", got)
		}
		adm.Shot("04-round")

		// September is over (it is 21 October): publish its scores.
		adm.goTo("/assess/scores?round=" + itoa(rs[0].ID))
		adm.WaitFor("the publish button", `document.getElementById('do-publish')`)
		adm.Do(chromedp.Click(chromedp.ID("do-publish")))
		adm.flash("成绩已发布")
		adm.WaitFor("the notice links", `document.querySelector('#publications a[href$="/notice.xlsx"]') && document.querySelector('#publications a[href$="/notice.html"]')`)
		if adm.Eval(`String(!!document.getElementById('reason'))`) != "true" {
			t.Error("no correction form after publishing")
		}
		adm.Shot("05-published")
		if pubs, err := svc.Publications(ctx, e.f.Actors["admin"], "scores", "2026-09", "round:"+itoa(rs[0].ID)); err != nil || len(pubs) != 1 {
			t.Errorf("publications: %+v %v", pubs, err)
		}

		// A unit's trend.
		if _, _, err := svc.RecordFinding(ctx, e.f.Actors["inspector"], oct, assess.FindingInput{Point: "J-R1", Indicator: "road", Category: "E0102", Count: 3}); err != nil {
			t.Fatal(err)
		}
		e.advance(time.Minute) // the cutoff is now, exclusive
		adm.goTo("/assess/trend?scheme=civic-web&unit=" + jialeUnit)
		adm.WaitFor("the trend chart", `document.getElementById('trend-chart').dataset.ready === '1' && document.querySelector('#trend-chart canvas')`)
		if got := adm.Eval(`document.querySelector('#trend tr[data-period="2026-10"] td.total').textContent`); got != "94.00" {
			t.Errorf("October's total %q", got)
		}
		adm.Shot("06-trend")

		// A point tapped on the map; its place named by the grid lookup.
		adm.goTo("/assess/points")
		adm.WaitFor("the map and its points", `document.getElementById('pick-map').dataset.ready === '1' && document.getElementById('pick-map').dataset.points === '7'`)
		// A tap at 家乐花园 (120.235, 31.515), away from the points' markers (a marker opens its point).
		adm.Do(chromedp.ScrollIntoView(chromedp.ID("pick-map")))
		var x, y float64
		if _, err := fmt.Sscan(adm.Eval(`(function(){const el=document.getElementById('pick-map'),r=el.getBoundingClientRect(),p=el.xhMap.latLngToContainerPoint([31.515,120.235]);return (r.left+p.x)+' '+(r.top+p.y)})()`), &x, &y); err != nil {
			t.Fatal(err)
		}
		adm.Do(chromedp.MouseClickXY(x, y))
		adm.WaitFor("the tapped location", `document.getElementById('lat').value !== '' && document.getElementById('lon').value !== ''`)
		var lat, lon float64
		fmt.Sscan(adm.Eval(`document.getElementById('lat').value + ' ' + document.getElementById('lon').value`), &lat, &lon)
		if lat < 31.513 || lat > 31.517 || lon < 120.233 || lon > 120.237 {
			t.Errorf("tapped at %f, %f", lat, lon)
		}
		adm.Do(
			chromedp.SendKeys(chromedp.ID("p-code"), "J-T9"),
			chromedp.SendKeys(chromedp.ID("p-name"), "清扬路公厕"),
			chromedp.SetValue(chromedp.ID("p-type"), "toilet"),
		)
		adm.WaitFor("the grid named", `document.getElementById('located').textContent.indexOf('家乐花园') >= 0`)
		adm.Shot("07-point-map")
		adm.Do(chromedp.Click(chromedp.ID("save-point")))
		adm.flash("点位 J-T9 已保存")
		if p, err := db.Point(ctx, "J-T9"); err != nil || p.Community != jialeUnit {
			t.Errorf("the point: %+v %v", p, err)
		}
		// In English, through the language switch: the copy of a frozen version.
		adm.goTo("/assess/schemes/new?from=" + itoa(civic.ID))
		adm.Do(chromedp.Click(chromedp.CSS(`form[action="/lang"] button`)))
		adm.WaitFor("English", `document.documentElement.lang === 'en' && document.getElementById('ind-rows')`)
		if got := adm.Eval(`document.querySelector('h1').textContent`); got != "New version from civic-web version 1" {
			t.Errorf("English heading %q", got)
		}
		adm.WaitFor("the total", `document.getElementById('marks-total').value === '100.00'`)
		adm.Shot("08-copy-en")
		adm.Clean()
	})
}
