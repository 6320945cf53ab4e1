package portal

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// phone is a citizen's phone: one headless Chromium with a 390×844 mobile
// viewport, watching for script errors and CSP violations.
type phone struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string

	mu       sync.Mutex
	problems []string
}

func newPhone(t *testing.T, base string) *phone {
	t.Helper()
	path := os.Getenv("XIUHUA_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no Chromium at %s (set XIUHUA_CHROMIUM): browser test skipped", path)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(390, 844),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(root, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelRoot(); cancelAlloc() })
	dir := os.Getenv("XIUHUA_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &phone{t: t, ctx: ctx, base: base, dir: dir}
	p.do(chromedp.Navigate("about:blank"), chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	if err := chromedp.Listen(ctx, p.watch); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *phone) watch(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = "exception: " + ev.ExceptionDetails.Text
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError {
			msg = "log: " + ev.Entry.Text + " " + ev.Entry.URL
		}
	}
	if msg != "" {
		p.mu.Lock()
		p.problems = append(p.problems, msg)
		p.mu.Unlock()
	}
}

func (p *phone) clean() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.problems {
		p.t.Errorf("browser: %s", m)
	}
	p.problems = nil
}

func (p *phone) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatal(err)
	}
}

func (p *phone) eval(js string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		p.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// waitFor polls a condition (the CSP forbids chromedp's Poll, which builds a Function).
func (p *phone) waitFor(what, js string) {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](readyAnd(js), chromedp.EvalIgnoreExceptions))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("waiting for %s: %v\n%s", what, err, p.eval(`document.querySelector('main') ? document.querySelector('main').innerText.slice(0, 600) : document.title`))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *phone) shot(name string) {
	p.t.Helper()
	b, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(p.dir, "portal-"+name+".png"), b, 0o644); err != nil {
		p.t.Fatal(err)
	}
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
		p.do(chromedp.Navigate(p.base + "/public/"))
		p.waitFor("the map", `document.querySelector('#map.leaflet-container')`)
		if got := p.eval(`document.documentElement.lang + '|' + document.querySelector('h1').textContent`); got != "zh-CN|反映城市管理问题" {
			t.Errorf("first page: %q", got)
		}
		if w := p.eval(`String(document.documentElement.scrollWidth)`); w != "390" {
			t.Errorf("the page is %s px wide on a 390 px phone", w)
		}
		// A tap on the middle of the map pins the map's centre (家乐花园 01).
		p.do(chromedp.Click(chromedp.ID("map")))
		p.waitFor("the tapped point", `Math.abs(+document.getElementById('lat').value - 31.52) < 0.002 && Math.abs(+document.getElementById('lon').value - 120.22) < 0.002`)
		p.waitFor("the pin", `document.querySelector('#map .leaflet-marker-icon')`)
		// "Use my location": the phone says 南苑 (120.27, 31.55).
		lat, lon, acc := apptest.PointNanyuan[1], apptest.PointNanyuan[0], 10.0
		if _, err := chromedp.CallBrowser(p.ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: "geolocation"}, Setting: browser.PermissionSettingGranted, Origin: p.base}); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Call(p.ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lon, Accuracy: &acc}); err != nil {
			t.Fatal(err)
		}
		p.do(chromedp.Click(chromedp.ID("locate")))
		p.waitFor("the phone's location", `document.getElementById('lat').value === '31.550000' && document.getElementById('lon').value === '120.270000'`)
		p.do(
			chromedp.SetValue(chromedp.ID("category"), "E0102"),
			chromedp.SendKeys(chromedp.ID("description"), "南苑新村门口暴露垃圾"),
			chromedp.SendKeys(chromedp.ID("name"), "王秀英"),
			chromedp.SendKeys(chromedp.ID("phone"), "13912345678"),
			chromedp.SetUploadFiles(chromedp.ID("photos"), []string{photo}),
		)
		p.waitFor("the photo preview", `document.querySelector('#previews img')`)
		p.shot(prefix + "-1-report")
		p.do(chromedp.Click(chromedp.ID("report-submit")))
		p.waitFor("the tracking code", `document.getElementById('tracking-code')`)
		code := strings.TrimSpace(p.eval(`document.getElementById('tracking-code').textContent`))
		if !validCode(code) {
			t.Fatalf("tracking code %q", code)
		}
		p.waitFor("the cleaned photo", `document.querySelector('.photos img') && document.querySelector('.photos img').naturalWidth === 16`)
		text := p.eval(`document.body.innerText`)
		if strings.Contains(text, "王秀英") || strings.Contains(text, "13912345678") || !strings.Contains(text, "已受理") {
			t.Errorf("tracking page text: %s", text)
		}
		p.shot(prefix + "-2-tracking")
		c := e.caseOf(code)
		if c.Grid != "32021302200301" || c.Description != "南苑新村门口暴露垃圾" {
			t.Errorf("reported case: %s %q", c.Grid, c.Description)
		}

		e.close(c, "")
		// Back later: the code on the tracking form.
		p.do(chromedp.Navigate(p.base + "/public/"))
		p.waitFor("the report page", `document.getElementById('nav-track')`)
		p.do(chromedp.Click(chromedp.ID("nav-track")))
		p.waitFor("the tracking form", `document.getElementById('code')`)
		p.do(chromedp.SendKeys(chromedp.ID("code"), strings.ToLower(code)), chromedp.Click(chromedp.ID("track-submit")))
		p.waitFor("the rating form", `document.getElementById('rate')`)
		if got := p.eval(`document.getElementById('state').textContent`); !strings.Contains(got, "已结案") {
			t.Errorf("state %q", got)
		}
		p.do(
			chromedp.Click(chromedp.ID("rating-unsatisfied")),
			chromedp.SendKeys(chromedp.ID("comment"), "第二天又有垃圾"),
			chromedp.Click(chromedp.ID("rate-submit")),
		)
		p.waitFor("the rating", `document.getElementById('rated-notice') && document.getElementById('followup')`)
		rep, _ := reportByCode(context.Background(), db, code)
		f := e.caseOf(code)
		if rep.Rating != "unsatisfied" || rep.Followup == 0 || f.State != casework.Closed {
			t.Errorf("after rating: %+v, case %s", rep, f.State)
		}
		if got := p.eval(`document.getElementById('followup').textContent`); !strings.Contains(got, "复核案件") {
			t.Errorf("follow-up: %q", got)
		}
		p.shot(prefix + "-3-rated")
		// The English switch keeps the page.
		p.do(chromedp.Click(chromedp.ID("lang-switch")))
		p.waitFor("English", `document.documentElement.lang === 'en' && document.getElementById('rating')`)
		if got := p.eval(`document.getElementById('rating').textContent`); !strings.Contains(got, "Unsatisfied") {
			t.Errorf("English rating: %q", got)
		}
		p.clean()
		t.Logf("screenshots in %s", p.dir)
	})
}

// readyAnd is a condition that also waits for the document to finish
// loading: a node found while a page after a form post is still loading can
// be replaced before the next click reaches it ("Could not find node").
func readyAnd(js string) string {
	return "document.readyState === 'complete' && !!(" + js + ")"
}
