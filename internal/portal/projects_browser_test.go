package portal

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/plan"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestBrowserProject: on a phone a citizen finds a finished project from
// the menu, sees its area drawn on the map (no script error, no CSP
// violation), sends a suggestion and votes in its poll.
func TestBrowserProject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		ctx := context.Background()
		leader := e.f.Actors["leader"]
		svc := &plan.Service{Store: db, Now: e.clock, Ancestors: func(code string) []string { return e.f.App.Territory().Ancestors(code) }}
		p, err := svc.SaveProject(ctx, leader, plan.Project{Name: "春秋社区田园路区块", Kind: plan.BackAlley, Territory: "320213022010", Budget: 16000000, Spent: 15820000,
			Milestones: []plan.Step{{Name: "完工验收", Planned: "2026-11-06", Actual: "2026-11-03"}},
			Outputs:    []plan.Output{{Name: "新增停车位", Unit: "个", Planned: 25, Achieved: 25}},
			Area:       json.RawMessage(`{"type":"Polygon","coordinates":[[[120.21,31.51],[120.24,31.51],[120.24,31.54],[120.21,31.54],[120.21,31.51]]]}`)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetConsultation(ctx, leader, p.ID, plan.ConsultInput{Public: true, Consult: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddPhoto(ctx, leader, p.ID, plan.PhotoInput{Blob: e.f.Photo(t, "after"), Kind: plan.After, Caption: "整治后"}); err != nil {
			t.Fatal(err)
		}
		ph := newPhone(t, e.srv.URL)
		prefix := string(db.Dialect)
		ph.Do(chromedp.Navigate(ph.base + "/public/"))
		ph.WaitFor("the menu", `document.getElementById('nav-projects')`)
		ph.Do(chromedp.Click(chromedp.ID("nav-projects")))
		ph.WaitFor("the list", `document.querySelector('#projects .project-card a')`)
		ph.Do(chromedp.Click(chromedp.CSS(`#projects .project-card a`)))
		ph.WaitFor("the area on the map", `document.querySelector('#project-map[data-ready="1"] path.leaflet-interactive')`)
		if w := ph.Eval(`String(document.documentElement.scrollWidth)`); w != "390" {
			t.Errorf("the page is %s px wide on a 390 px phone", w)
		}
		ph.WaitFor("the photo", `document.querySelector('.photos-after img') && document.querySelector('.photos-after img').naturalWidth > 0`)
		ph.Shot(prefix + "-project")
		ph.Do(
			chromedp.Click(chromedp.ID("kind-suggestion")),
			chromedp.SendKeys(chromedp.ID("body"), "建议在巷口增设非机动车停放架"),
			chromedp.SendKeys(chromedp.ID("contact"), "13812345678"),
			chromedp.Click(chromedp.ID("suggest-submit")),
		)
		ph.WaitFor("the thanks", `document.getElementById('suggested-notice')`)
		if text := ph.Eval(`document.body.innerText`); strings.Contains(text, "13812345678") || strings.Contains(text, "非机动车停放架") {
			t.Errorf("a pending suggestion or its contact is shown: %s", text)
		}
		ph.Do(chromedp.Click(chromedp.ID("vote-basic")), chromedp.Click(chromedp.ID("vote-submit")))
		ph.WaitFor("the vote", `document.getElementById('voted-notice') && document.getElementById('poll-basic').textContent.indexOf('1（100.0%）') === 0`)
		ph.Shot(prefix + "-voted")
		sgs, err := svc.Suggestions(ctx, leader, p.ID, plan.Pending)
		if err != nil || len(sgs) != 1 || sgs[0].Contact != "13812345678" {
			t.Errorf("stored suggestion %+v %v", sgs, err)
		}
		ph.Clean()
	})
}
