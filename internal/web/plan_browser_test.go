package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/plan"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestBrowserPlan drives the plan pages in headless Chromium on both
// stores: a leader issues a responsibility statement to 家乐花园 with two
// targets and its account signs it (the box must be ticked first); the
// community reports a target with a photo and reads its history chart; the
// leader follows a project through its milestones and sees the portfolio
// change. Every page is screenshotted and checked for a real rendering, and
// no page may throw or break its CSP.
func TestBrowserPlan(t *testing.T) {
	h := newHeadless(t)
	photoFile := sitePhotoFile(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.web.IdleTimeout, e.web.MaxAge = 365*24*time.Hour, 365*24*time.Hour
		base, prefix := e.srv.URL, string(db.Dialect)+"-plan"
		a := newTarget(t, e, plan.Target{Year: 2026, Unit: jialeCommunity, Name: "道路洁净率", Measure: plan.Percent, Baseline: 85, Goal: 98}, "2026-12-31")
		b := newTarget(t, e, plan.Target{Year: 2026, Unit: jialeCommunity, Name: "新增停车位", Measure: plan.Count, Baseline: 0, Goal: 120}, "2026-12-31")
		other := newTarget(t, e, plan.Target{Year: 2026, Unit: nanyuanCommunity, Name: "南苑目标", Measure: plan.Count, Goal: 3}, "2026-12-31")
		p1, p2 := planProjects(t, e)

		// The leader issues the statement.
		lead := h.open(t, base, prefix, "leader", false)
		lead.signIn("leader", "zh")
		lead.goTo("/plan/statements")
		lead.Do(chromedp.Click(chromedp.ID("open-issue")))
		lead.WaitFor("the issue form", `document.getElementById('do-issue').offsetParent !== null`)
		lead.Do(chromedp.SetValue(chromedp.ID("s-unit"), jialeCommunity))
		lead.Eval(`document.getElementById('s-unit').dispatchEvent(new Event('change')), ''`)
		// Only the chosen unit's targets are offered.
		if got := lead.Eval(`String(document.getElementById('st-` + itoa(other.ID) + `').offsetParent === null) + ' ' + String(document.getElementById('st-` + itoa(a.ID) + `').offsetParent !== null)`); got != "true true" {
			t.Errorf("the issue form offers another unit's target (hidden, shown: %s)", got)
		}
		lead.Do(
			chromedp.SendKeys(chromedp.ID("s-title"), "2026 年度精细化管理目标责任状"),
			chromedp.Click(chromedp.ID("st-"+itoa(a.ID))),
			chromedp.Click(chromedp.ID("st-"+itoa(b.ID))),
		)
		lead.Shot("01-issue")
		lead.Do(chromedp.Click(chromedp.ID("do-issue")))
		lead.flash("已下达责任状")
		if got := lead.Eval(`document.getElementById('signature').innerText.trim()`); got != "待签署" {
			t.Errorf("signature before signing: %q", got)
		}
		if got := lead.Eval(`String(document.querySelectorAll('#statement-targets tbody tr').length)`); got != "2" {
			t.Errorf("%s targets in the statement, want 2", got)
		}
		stURL := lead.Eval(`location.pathname`)
		lead.Shot("02-issued")
		lead.Clean()

		// 家乐花园 signs it: not without ticking the confirmation.
		jl := h.open(t, base, prefix, "jiale", false)
		jl.signIn("jiale", "zh")
		jl.goTo("/plan/statements")
		jl.Do(chromedp.Click(chromedp.CSS(`#statements a[href="` + stURL + `"]`)))
		jl.WaitFor("the sign form", `document.getElementById('sign-form')`)
		jl.Do(chromedp.Click(chromedp.ID("do-sign")))
		time.Sleep(300 * time.Millisecond)
		if got := jl.Eval(`String(!!document.getElementById('sign-form') && !document.getElementById('sign-confirm').checkValidity())`); got != "true" {
			t.Errorf("the statement was signed without the confirmation (%s)", got)
		}
		jl.Shot("03-sign")
		jl.Do(chromedp.Click(chromedp.ID("sign-confirm")), chromedp.Click(chromedp.ID("do-sign")))
		jl.flash("已签署责任状")
		if got := jl.Eval(`document.getElementById('signature').innerText.trim()`); !strings.HasSuffix(got, "于 2026-11-25 10:00 签署") {
			t.Errorf("signature after signing: %q", got)
		}
		if jl.Eval(`String(!!document.getElementById('sign-form'))`) != "false" {
			t.Error("the sign form is still offered after signing")
		}
		jl.Shot("04-signed")
		jl.goTo(stURL + "/print")
		jl.WaitFor("the printable statement", `document.getElementById('print-statement') && document.getElementById('do-print').offsetParent !== null`)
		if got := jl.Eval(`document.getElementById('print-signer').innerText.trim()`); got == "" || got == "（待签署）" {
			t.Errorf("print page signer %q", got)
		}
		jl.Shot("05-print")

		// 家乐花园 reports progress with a photo and reads the history chart.
		e.advance(10 * 24 * time.Hour)
		jl.goTo("/plan/targets/" + itoa(a.ID))
		jl.Do(
			chromedp.SendKeys(chromedp.ID("r-value"), "91.5"),
			chromedp.SendKeys(chromedp.ID("r-note"), "主次干道保洁提升"),
			chromedp.SetUploadFiles(chromedp.ID("r-photos"), []string{photoFile}),
		)
		jl.WaitFor("the photo preview", `document.querySelector('#r-preview img')`)
		jl.Do(chromedp.Click(chromedp.ID("save-report")))
		jl.flash("已填报进展")
		jl.WaitFor("the chart", `document.querySelector('#target-chart canvas')`)
		if got := jl.Eval(`document.getElementById('t-value').innerText.trim()`); got != "91.5%" {
			t.Errorf("value after the report: %q", got)
		}
		// (91.5 − 85)/(98 − 85) = 50 %.
		if got := jl.Eval(`document.getElementById('t-progress').innerText.trim()`); got != "50%" {
			t.Errorf("progress after the report: %q", got)
		}
		jl.WaitFor("the evidence photo", `document.querySelector('#reports img') && document.querySelector('#reports img').naturalWidth > 0`)
		time.Sleep(500 * time.Millisecond) // the chart's animation
		jl.Shot("06-target")
		jl.Clean()

		// The leader follows the project: 施工 reached, money spent.
		lead.goTo("/plan/projects")
		if got := lead.Eval(`document.getElementById('kpi-late').innerText + ' ' + document.getElementById('kpi-spent').innerText`); got != "2 200,000" {
			t.Errorf("portfolio before: %q", got)
		}
		lead.Shot("07-portfolio")
		lead.Do(chromedp.Click(chromedp.CSS(`#projects a[href="/plan/projects/` + itoa(p1.ID) + `"]`)))
		lead.WaitFor("the project form", `document.getElementById('project-form')`)
		if got := lead.Eval(`document.getElementById('step-1').dataset.state`); got != "late" {
			t.Errorf("施工 before: %q", got)
		}
		lead.Do(
			chromedp.SetValue(chromedp.ID("actual-1"), "2026-10-31"),
			chromedp.SetValue(chromedp.ID("u-spent"), "550000"),
			chromedp.SetValue(chromedp.ID("achieved-0"), "90"),
		)
		lead.Shot("08-project-form")
		lead.Do(chromedp.Click(chromedp.ID("save-project")))
		lead.flash("已更新项目进展")
		if got := lead.Eval(`document.getElementById('step-1').dataset.state + ' ' + document.getElementById('p-spent').innerText`); got != "done 550,000" {
			t.Errorf("施工 after: %q", got)
		}
		lead.Shot("09-project")
		// A citizen's suggestion on the published project, approved by the leader.
		ctx := context.Background()
		if _, err := e.web.planService().SetConsultation(ctx, e.f.Actors["leader"], p1.ID, plan.ConsultInput{Public: true, Consult: true}); err != nil {
			t.Fatal(err)
		}
		sg, err := e.web.planService().Suggest(ctx, p1.ID, plan.SuggestInput{Kind: plan.KindSuggestion, Body: "建议在小区北门增设电动车充电桩"})
		if err != nil {
			t.Fatal(err)
		}
		lead.goTo("/plan/projects/" + itoa(p1.ID) + "#consult")
		lead.Do(chromedp.Click(chromedp.ID("approve-" + itoa(sg.ID))))
		lead.flash("已审核意见")
		if got := lead.Eval(`document.querySelector('#sg-` + itoa(sg.ID) + ` .sg-state').innerText + ' ' + document.getElementById('pending-count').innerText`); got != "已采纳公开 0 条待审核" {
			t.Errorf("after approving: %q", got)
		}
		lead.Shot("09b-consult")
		lead.Do(chromedp.Click(chromedp.CSS(`nav.tabs a[href="/plan/projects"]`)))
		lead.WaitFor("the portfolio", `document.getElementById('kpi-late')`)
		if got := lead.Eval(`document.getElementById('kpi-late').innerText + ' ' + document.getElementById('kpi-spent').innerText + ' ' + document.getElementById('kpi-share').innerText`); got != "1 550,000 36.67%" {
			t.Errorf("portfolio after: %q", got)
		}
		lead.Shot("10-portfolio")
		// A new project with its area drawn by three clicks on the map.
		lead.goTo("/plan/projects")
		lead.Do(chromedp.Click(chromedp.ID("open-create-project")))
		lead.WaitFor("the drawing map", `document.querySelector('#n-area-map.leaflet-container') && document.getElementById('n-area-map').offsetHeight > 100`)
		lead.Do(
			chromedp.SendKeys(chromedp.ID("n-name"), "南苑新村城中村整治"),
			chromedp.SetValue(chromedp.ID("n-kind"), "urban_village"),
			chromedp.SetValue(chromedp.ID("n-territory"), "320213022003"),
			chromedp.SendKeys(chromedp.ID("n-budget"), "3000000"),
			chromedp.SendKeys(chromedp.ID("n-milestones"), "拆违 2027-02-28\n"),
			chromedp.ScrollIntoView(chromedp.ID("n-area-map")),
		)
		rect, err := chromedp.Run(lead.Ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.getElementById('n-area-map').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range [][2]float64{{0.3, 0.3}, {0.7, 0.3}, {0.5, 0.7}} {
			lead.Do(chromedp.MouseClickXY(rect[0]+rect[2]*f[0], rect[1]+rect[3]*f[1]))
		}
		lead.WaitFor("the drawn polygon", `document.getElementById('n-area').value.indexOf('"Polygon"') > 0 && document.querySelector('#n-area-map path.leaflet-interactive')`)
		if got := lead.Eval(`String(JSON.parse(document.getElementById('n-area').value).coordinates[0].length)`); got != "4" {
			t.Errorf("the drawn ring has %s positions, want 4 (3 corners, closed)", got)
		}
		lead.Shot("10b-draw")
		lead.Do(chromedp.Click(chromedp.ID("save-new-project")))
		lead.flash("已创建项目")
		lead.WaitFor("the new project's area", `document.querySelector('#project-map path.leaflet-interactive')`)
		if got := lead.Eval(`document.querySelector('main h1').innerText`); !strings.Contains(got, "南苑新村城中村整治") {
			t.Errorf("new project heading %q", got)
		}
		lead.Shot("10c-new-project")

		// 金星路's area on the map.
		lead.goTo("/plan/projects/" + itoa(p2.ID))
		lead.WaitFor("the area drawn", `document.querySelector('#project-map path.leaflet-interactive')`)
		lead.Shot("11-project-map")
		lead.goTo("/plan/targets")
		lead.Shot("12-targets")
		lead.Clean()

		// The same pages in English.
		en := h.open(t, base, prefix, "leader-en", false)
		en.signIn("leader", "en")
		en.goTo("/plan/targets")
		if got := en.Eval(`document.querySelector('main h1').innerText`); got != "Target task books 2026" {
			t.Errorf("English heading %q", got)
		}
		en.Shot("13-targets-en")
		en.goTo(stURL)
		if got := en.Eval(`document.getElementById('signature').innerText.trim()`); !strings.HasPrefix(got, "signed by ") || !strings.HasSuffix(got, "at 2026-11-25 10:00") {
			t.Errorf("English signature %q", got)
		}
		en.goTo("/plan/projects/" + itoa(p1.ID))
		if got := en.Eval(`document.getElementById('p-stage').innerText + ' / ' + document.getElementById('step-1').querySelector('.step-tag').innerText`); got != "In progress / done" {
			t.Errorf("English project: %q", got)
		}
		en.Shot("14-project-en")
		en.Clean()
	})
}
