package portal

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/browsertest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// phone is a citizen's phone: a page with a 390×844 mobile viewport in
// a headless Chromium of its own, watching for script errors and CSP
// violations.
type phone struct {
	*browsertest.Page
	base string
}

func newPhone(t *testing.T, base string) *phone {
	t.Helper()
	b := browsertest.Start(t, browsertest.Options{Window: browsertest.Phone})
	return &phone{Page: b.Open(t, "", "portal", browsertest.Phone), base: base}
}

// TestBrowserCitizen: on a phone-sized screen a citizen pins the place by
// tapping the map, then takes the phone's location instead, chooses a
// category, describes the problem, adds a photo carrying GPS EXIF and a
// name and phone, and sends it; the tracking page shows the code and the
// cleaned photo and no contact. The staff close the case through
// casework.Service; the citizen finds the case by its code and rates it
// unsatisfied, which shows the follow-up case.
func TestBrowserCitizen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		photo := filepath.Join(t.TempDir(), "IMG_0001.jpg")
		if err := os.WriteFile(photo, gpsJPEG(t), 0o644); err != nil {
			t.Fatal(err)
		}
		p := newPhone(t, e.srv.URL)
		prefix := string(db.Dialect)
		p.Do(chromedp.Navigate(p.base + "/public/"))
		p.WaitFor("the map", `document.querySelector('#map.leaflet-container')`)
		if got := p.Eval(`document.documentElement.lang + '|' + document.querySelector('h1').textContent`); got != "zh-CN|反映城市管理问题" {
			t.Errorf("first page: %q", got)
		}
		if w := p.Eval(`String(document.documentElement.scrollWidth)`); w != "390" {
			t.Errorf("the page is %s px wide on a 390 px phone", w)
		}
		// A tap on the middle of the map pins the map's centre (家乐花园 01).
		p.Do(chromedp.Click(chromedp.ID("map")))
		p.WaitFor("the tapped point", `Math.abs(+document.getElementById('lat').value - 31.52) < 0.002 && Math.abs(+document.getElementById('lon').value - 120.22) < 0.002`)
		p.WaitFor("the pin", `document.querySelector('#map .leaflet-marker-icon')`)
		// "Use my location": the phone says 南苑 (120.27, 31.55).
		p.SetLocation(p.base, apptest.PointNanyuan[1], apptest.PointNanyuan[0], 10)
		p.Do(chromedp.Click(chromedp.ID("locate")))
		p.WaitFor("the phone's location", `document.getElementById('lat').value === '31.550000' && document.getElementById('lon').value === '120.270000'`)
		p.Do(
			chromedp.SetValue(chromedp.ID("category"), "E0102"),
			chromedp.SendKeys(chromedp.ID("description"), "南苑新村门口暴露垃圾"),
			chromedp.SendKeys(chromedp.ID("name"), "王秀英"),
			chromedp.SendKeys(chromedp.ID("phone"), "13912345678"),
			chromedp.SetUploadFiles(chromedp.ID("photos"), []string{photo}),
		)
		p.WaitFor("the photo preview", `document.querySelector('#previews img')`)
		p.Shot(prefix + "-1-report")
		p.Do(chromedp.Click(chromedp.ID("report-submit")))
		p.WaitFor("the tracking code", `document.getElementById('tracking-code')`)
		code := strings.TrimSpace(p.Eval(`document.getElementById('tracking-code').textContent`))
		if !validCode(code) {
			t.Fatalf("tracking code %q", code)
		}
		p.WaitFor("the cleaned photo", `document.querySelector('.photos img') && document.querySelector('.photos img').naturalWidth === 16`)
		text := p.Eval(`document.body.innerText`)
		if strings.Contains(text, "王秀英") || strings.Contains(text, "13912345678") || !strings.Contains(text, "已受理") {
			t.Errorf("tracking page text: %s", text)
		}
		p.Shot(prefix + "-2-tracking")
		c := e.caseOf(code)
		if c.Grid != "32021302200301" || c.Description != "南苑新村门口暴露垃圾" {
			t.Errorf("reported case: %s %q", c.Grid, c.Description)
		}

		e.close(c, "")
		// Back later: the code on the tracking form.
		p.Do(chromedp.Navigate(p.base + "/public/"))
		p.WaitFor("the report page", `document.getElementById('nav-track')`)
		p.Do(chromedp.Click(chromedp.ID("nav-track")))
		p.WaitFor("the tracking form", `document.getElementById('code')`)
		p.Do(chromedp.SendKeys(chromedp.ID("code"), strings.ToLower(code)), chromedp.Click(chromedp.ID("track-submit")))
		p.WaitFor("the rating form", `document.getElementById('rate')`)
		if got := p.Eval(`document.getElementById('state').textContent`); !strings.Contains(got, "已结案") {
			t.Errorf("state %q", got)
		}
		p.Do(
			chromedp.Click(chromedp.ID("rating-unsatisfied")),
			chromedp.SendKeys(chromedp.ID("comment"), "第二天又有垃圾"),
			chromedp.Click(chromedp.ID("rate-submit")),
		)
		p.WaitFor("the rating", `document.getElementById('rated-notice') && document.getElementById('followup')`)
		rep, _ := reportByCode(context.Background(), db, code)
		f := e.caseOf(code)
		if rep.Rating != "unsatisfied" || rep.Followup == 0 || f.State != casework.Closed {
			t.Errorf("after rating: %+v, case %s", rep, f.State)
		}
		if got := p.Eval(`document.getElementById('followup').textContent`); !strings.Contains(got, "复核案件") {
			t.Errorf("follow-up: %q", got)
		}
		p.Shot(prefix + "-3-rated")
		// The English switch keeps the page.
		p.Do(chromedp.Click(chromedp.ID("lang-switch")))
		p.WaitFor("English", `document.documentElement.lang === 'en' && document.getElementById('rating')`)
		if got := p.Eval(`document.getElementById('rating').textContent`); !strings.Contains(got, "Unsatisfied") {
			t.Errorf("English rating: %q", got)
		}
		p.Clean()
	})
}
