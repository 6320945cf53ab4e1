package web

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
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
	"github.com/chromedp/chromedp/kb"

	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// chromiumPath is the browser the tests drive: Debian's chromium (.ci/run
// installs it), or XIUHUA_CHROMIUM.
func chromiumPath() string {
	if p := os.Getenv("XIUHUA_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// headless is one Chromium for a whole test; each user gets a browser
// context of their own in it (separate cookies), as separate people would.
type headless struct {
	root context.Context
	dir  string // screenshots
}

func newHeadless(t *testing.T) *headless {
	t.Helper()
	path := chromiumPath()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no Chromium at %s (set XIUHUA_CHROMIUM, or run .ci/run which installs it): browser test skipped", path)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// Chinese first, as a browser in Wuxi would ask; the English run uses the switch.
		chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelRoot(); cancelAlloc() })
	if err := chromedp.Do(root, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	dir := os.Getenv("XIUHUA_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return &headless{root: root, dir: dir}
}

// person is one signed-in user in a browser context of their own.
type person struct {
	t      *testing.T
	ctx    context.Context
	base   string
	name   string
	prefix string
	h      *headless

	mu       sync.Mutex
	problems []string // script errors and CSP violations seen on the pages
}

// open starts a browser context for a user; phone gives a phone-sized screen.
func (h *headless) open(t *testing.T, base, prefix, name string, phone bool) *person {
	t.Helper()
	ctx, cancel := chromedp.NewContext(h.root, chromedp.WithNewBrowserContext())
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancel() })
	p := &person{t: t, ctx: ctx, base: base, name: name, prefix: prefix, h: h}
	vp := chromedp.EmulateViewport(1440, 900)
	if phone {
		vp = chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)
	}
	p.do(vp)
	if err := chromedp.Listen(ctx, p.watch); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *person) watch(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = "exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			msg += " " + ev.ExceptionDetails.Exception.Description
		}
	case *cdplog.EventEntryAdded:
		// CSP violations and failed loads land here as errors.
		if ev.Entry.Level == cdplog.EntryLevelError && !strings.Contains(ev.Entry.Text, "favicon") {
			msg = "log: " + ev.Entry.Text
		}
	}
	if msg != "" {
		p.mu.Lock()
		p.problems = append(p.problems, msg)
		p.mu.Unlock()
	}
}

// clean fails the test when a page threw or broke its CSP.
func (p *person) clean() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.problems {
		p.t.Errorf("%s's browser: %s", p.name, m)
	}
	p.problems = nil
}

func (p *person) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
}

func (p *person) eval(js string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, js, err)
	}
	return v
}

// waitFor polls a JavaScript condition (chromedp's Poll builds a Function,
// which the console's CSP forbids, as it should).
func (p *person) waitFor(what, js string) {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](readyAnd(js), chromedp.EvalIgnoreExceptions))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: waiting for %s: %v\n%s", p.name, what, err, p.eval(`document.querySelector('main') ? document.querySelector('main').innerText.slice(0, 600) : document.title`))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// flash waits for the notice of a finished action.
func (p *person) flash(text string) {
	p.t.Helper()
	p.waitFor("the notice "+text, `document.querySelector('p.flash') && document.querySelector('p.flash').textContent === `+jsString(text))
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }

// shot saves a full-page screenshot and checks that something was drawn.
func (p *person) shot(name string) {
	p.t.Helper()
	b, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	checkRendered(p.t, name, b)
	file := filepath.Join(p.h.dir, p.prefix+"-"+name+".png")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// checkRendered decodes a PNG and fails when it is one colour (a blank or
// failed render) or shows almost nothing but the background.
func checkRendered(t *testing.T, name string, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	r := img.Bounds()
	if r.Dx() < 300 || r.Dy() < 300 {
		t.Fatalf("screenshot %s is %v", name, r)
	}
	counts := map[color.RGBA]int{}
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y += 3 {
		for x := r.Min.X; x < r.Max.X; x += 3 {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			counts[c]++
			n++
		}
	}
	most := 0
	for _, k := range counts {
		most = max(most, k)
	}
	if len(counts) < 16 || most > n*97/100 {
		t.Errorf("screenshot %s looks empty: %d colours, the commonest on %d of %d samples", name, len(counts), most, n)
	}
}

// signIn opens the sign-in page, switches language if asked, and signs in.
func (p *person) signIn(username, lang string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.base + "/login"))
	p.waitFor("the sign-in form", `document.getElementById('username')`)
	if lang == "en" {
		p.do(chromedp.Click(chromedp.CSS(`form[action="/lang"] button`)))
		p.waitFor("English", `document.documentElement.lang === 'en' && document.getElementById('username')`)
	}
	p.do(
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login-submit")),
	)
	p.waitFor("signed in", `document.getElementById('logout')`)
}

// signInByKeyboard signs in with the keyboard only: the username field has
// the focus on arrival, Tab moves to the password, Enter submits.
func (p *person) signInByKeyboard(username, lang string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.base + "/login"))
	p.waitFor("the sign-in form", `document.activeElement && document.activeElement.id === 'username'`)
	if lang == "en" {
		p.do(chromedp.Click(chromedp.CSS(`form[action="/lang"] button`)))
		p.waitFor("English", `document.documentElement.lang === 'en' && document.activeElement && document.activeElement.id === 'username'`)
	}
	p.do(chromedp.KeyEvent(username), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(testPassword), chromedp.KeyEvent(kb.Enter))
	p.waitFor("signed in by keyboard", `document.getElementById('logout')`)
}

func (p *person) goTo(path string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.base + path))
	p.waitFor(path, `document.readyState === 'complete' && document.getElementById('main')`)
}

// words are what the flow checks on the pages, per language.
var words = map[string]map[string]string{
	"zh": {"report": "已上报", "register": "已立案", "dispatch": "已派遣", "handle": "已反馈处置结果", "verify": "已提交核查结果",
		"close": "已结案", "closed": "已结案", "heading": "登录绣花", "dispatched": "处置中"},
	"en": {"report": "Reported", "register": "Registered", "dispatch": "Dispatched", "handle": "Reported as handled", "verify": "Verification recorded",
		"close": "Closed", "closed": "Closed", "heading": "Sign in to Xiuhua", "dispatched": "Dispatched"},
}

// TestBrowserLoop drives the console in headless Chromium on both stores
// and in both languages: an inspector reports a case with a photo from the
// phone screen (device location, category search by pinyin initials), the
// dispatcher registers and dispatches it, the handler handles it with a
// photo, another inspector verifies it on site, the dispatcher closes it.
// Every page is screenshotted and checked for a real rendering.
func TestBrowserLoop(t *testing.T) {
	h := newHeadless(t)
	photoFile := filepath.Join(t.TempDir(), "site.png")
	if err := os.WriteFile(photoFile, sitePhoto(), 0o644); err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		for _, lang := range []string{"zh", "en"} {
			t.Run(lang, func(t *testing.T) {
				browserLoop(t, h, e, db, lang, photoFile)
			})
		}
	})
}

func browserLoop(t *testing.T, h *headless, e *env, db *store.DB, lang, photoFile string) {
	w := words[lang]
	prefix := string(db.Dialect) + "-" + lang
	base := e.srv.URL

	// The inspector, on a phone.
	ins := h.open(t, base, prefix, "inspector", true)
	ins.do(chromedp.Navigate(base + "/login"))
	ins.waitFor("the sign-in page", `document.getElementById('username')`)
	if lang == "zh" && ins.eval(`document.querySelector('h1').textContent`) != w["heading"] {
		t.Fatalf("a Chinese browser gets %q", ins.eval(`document.querySelector('h1').textContent`))
	}
	ins.shot("01-login")
	ins.signIn("inspector", lang)
	ins.waitFor("the report form", `document.getElementById('report-form')`)
	if got := ins.eval(`document.querySelector('h1').textContent`); got != map[string]string{"zh": "上报问题", "en": "Report a problem"}[lang] {
		t.Errorf("report heading %q", got)
	}
	// "Use my location": the device says 家乐花园 01 (120.22, 31.52).
	lat, lon, acc := 31.52, 120.22, 8.0
	if _, err := chromedp.CallBrowser(ins.ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "geolocation"}, Setting: browser.PermissionSettingGranted, Origin: base,
		BrowserContextID: chromedp.FromContext(ins.ctx).BrowserContextID}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ins.ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lon, Accuracy: &acc}); err != nil {
		t.Fatal(err)
	}
	ins.do(chromedp.Click(chromedp.ID("use-location")))
	ins.waitFor("the located grid", `document.getElementById('located').textContent.indexOf('家乐花园01网格') >= 0`)
	if got := ins.eval(`document.getElementById('lat').value + ',' + document.getElementById('lon').value`); got != "31.520000,120.220000" {
		t.Errorf("location fields %q", got)
	}
	// The map follows the fields; a tap on it moves the point (here: the
	// middle of the view, which the pin centred, so the same grid).
	ins.waitFor("the pin on the map", `document.getElementById('pick-map').dataset.ready && document.querySelector('#pick-map path.leaflet-interactive')`)
	ins.do(chromedp.Evaluate[chromedp.Void](`document.getElementById('lat').value = ''`), chromedp.Click(chromedp.ID("pick-map")))
	ins.waitFor("a tapped point", `Math.abs(+document.getElementById('lat').value - 31.52) < 0.001 && Math.abs(+document.getElementById('lon').value - 120.22) < 0.001`)
	ins.waitFor("the tapped grid", `document.getElementById('located').textContent.indexOf('家乐花园01网格') >= 0`)
	// The category by its pinyin initials.
	ins.do(chromedp.SendKeys(chromedp.ID("cat-search"), "bllj"))
	ins.waitFor("E0102 chosen", `document.getElementById('category').value === 'E0102'`)
	if n := ins.eval(`String(Array.from(document.getElementById('category').options).filter(o => !o.hidden).length)`); n != "1" {
		t.Errorf("bllj leaves %s categories", n)
	}
	desc := "清扬路口暴露垃圾（" + lang + "）"
	ins.do(
		chromedp.SendKeys(chromedp.ID("description"), desc),
		chromedp.SendKeys(chromedp.ID("address"), "清扬路 128 号"),
		chromedp.SetUploadFiles(chromedp.ID("photos"), []string{photoFile}),
	)
	ins.waitFor("the photo preview", `document.querySelector('#photo-preview img')`)
	ins.shot("02-report")
	ins.do(chromedp.Click(chromedp.ID("report-submit")))
	ins.flash(w["report"])
	path := ins.eval(`location.pathname`)
	if !regexp.MustCompile(`^/cases/\d+$`).MatchString(path) {
		t.Fatalf("after the report: %s", path)
	}
	ins.waitFor("the photo", `document.querySelector('.photos img') && document.querySelector('.photos img').naturalWidth === 320`)
	ins.shot("03-reported")
	ins.goTo("/mine")
	if !strings.Contains(ins.eval(`document.querySelector('.cards').innerText`), desc[:len("清扬路口暴露垃圾")]) {
		t.Error("the new case is not in my reports")
	}
	ins.shot("04-mine")
	ins.clean()

	// The dispatcher at the command centre.
	disp := h.open(t, base, prefix, "dispatcher", false)
	disp.signIn("dispatcher", lang)
	disp.goTo("/cases")
	disp.waitFor("the case in the desk", `document.querySelector('#cases a[href="`+path+`"]')`)
	disp.shot("05-desk")
	disp.do(chromedp.Click(chromedp.CSS(`#cases a[href="` + path + `"]`)))
	disp.waitFor("the case page", `document.getElementById('do-register')`)
	disp.do(chromedp.Click(chromedp.ID("do-register")))
	disp.flash(w["register"])
	disp.do(chromedp.SetValue(chromedp.ID("dispatch-unit"), "320213.sanitation"), chromedp.Click(chromedp.ID("do-dispatch")))
	disp.flash(w["dispatch"])
	if got := disp.eval(`document.querySelector('.case-head .state').textContent`); got != w["dispatched"] {
		t.Errorf("state after dispatch %q", got)
	}
	disp.shot("06-dispatched")
	// The map shows the territory and the case, a dot in its state's colour.
	disp.goTo("/map")
	disp.waitFor("the map's data", `document.getElementById('map').dataset.cases === '1' && +document.getElementById('map').dataset.areas >= 1`)
	disp.waitFor("the map drawn", `document.querySelector('#map canvas') && document.querySelector('#map .leaflet-control-zoom-in')`)
	disp.shot("06b-map")
	disp.clean()

	// The sanitation department's handler, on a phone.
	san := h.open(t, base, prefix, "san", true)
	san.signIn("san", lang)
	san.goTo("/cases")
	san.waitFor("the case on the unit's desk", `document.querySelector('#cases a[href="`+path+`"]')`)
	san.shot("07-unit-desk")
	san.goTo(path)
	san.do(
		chromedp.SetUploadFiles(chromedp.ID("handle-photos"), []string{photoFile}),
		chromedp.SendKeys(chromedp.ID("handle-note"), "已清运完毕"),
		chromedp.Click(chromedp.ID("do-handle")),
	)
	san.flash(w["handle"])
	san.shot("08-handled")
	san.clean()

	// Another inspector verifies on site.
	ins2 := h.open(t, base, prefix, "inspector2", true)
	ins2.signInByKeyboard("inspector2", lang)
	ins2.goTo("/nearby?lat=31.52&lon=120.22")
	ins2.waitFor("the case nearby", `document.querySelector('.cards a[href="`+path+`"]')`)
	ins2.shot("09-nearby")
	ins2.do(chromedp.Click(chromedp.CSS(`.cards a[href="` + path + `"]`)))
	ins2.waitFor("the verify form", `document.getElementById('do-verify')`)
	ins2.do(
		chromedp.Click(chromedp.ID("verify-passed-yes")),
		chromedp.SetUploadFiles(chromedp.ID("verify-photos"), []string{photoFile}),
		chromedp.Click(chromedp.ID("do-verify")),
	)
	ins2.flash(w["verify"])
	ins2.shot("10-verified")
	ins2.clean()

	// The dispatcher closes it.
	disp.goTo(path)
	disp.waitFor("the close button", `document.getElementById('do-close')`)
	disp.do(chromedp.Click(chromedp.ID("do-close")))
	disp.flash(w["close"])
	if got := disp.eval(`document.querySelector('.case-head .state').textContent`); got != w["closed"] {
		t.Errorf("state after close %q", got)
	}
	if n := disp.eval(`String(document.querySelectorAll('.events .event').length)`); n != "6" {
		t.Errorf("%s events in the timeline, want 6", n)
	}
	disp.shot("11-closed")
	// The dashboard draws its five charts over the ledger, the community
	// map among them (ECharts on canvas).
	disp.goTo("/dashboard")
	disp.waitFor("the charts", `document.getElementById('dashboard').dataset.ready === '5' && document.querySelector('#chart-communities canvas') && document.querySelector('#chart-daily canvas')`)
	if got := disp.eval(`document.querySelector('#table-daily tbody tr:last-child td:nth-child(3)').textContent`); got == "0" {
		t.Error("the dashboard shows no case closed today")
	}
	disp.shot("12-dashboard")
	disp.clean()
}

// sitePhoto is a 320×240 PNG with some structure, standing for a site photo.
func sitePhoto() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			c := color.RGBA{uint8(120 + x/4), uint8(90 + y/3), uint8(60 + (x+y)/8), 255}
			if (x/40+y/40)%2 == 0 {
				c.R /= 2
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

// TestBrowserAssess drives the assessment pages in headless Chromium on
// both stores: an inspector on a phone works the round's checklist (a
// finding with a photo, a point with no problem), then the district
// leader reads the scores with the red and black lists. The numbers are
// TestAssessPages' hand-checked ones.
func TestBrowserAssess(t *testing.T) {
	h := newHeadless(t)
	photoFile := filepath.Join(t.TempDir(), "site.png")
	if err := os.WriteFile(photoFile, sitePhoto(), 0o644); err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		id := assessRound(t, e)
		base, prefix := e.srv.URL, string(db.Dialect)+"-assess"
		round := "/assess/rounds/" + itoa(id)

		ins := h.open(t, base, prefix, "inspector", true)
		ins.signIn("inspector", "zh")
		ins.goTo("/assess")
		ins.waitFor("the round in the list", `document.querySelector('#rounds a[href="`+round+`"]')`)
		ins.do(chromedp.Click(chromedp.CSS(`#rounds a[href="` + round + `"]`)))
		ins.waitFor("the checklist", `document.getElementById('checklist') && document.querySelectorAll('#checklist li.check').length === 7`)
		if w := ins.eval(`String(document.documentElement.scrollWidth <= window.innerWidth + 1)`); w != "true" {
			t.Errorf("the checklist is wider than the phone (%s px)", ins.eval(`String(document.documentElement.scrollWidth)`))
		}
		ins.shot("01-checklist")
		ins.do(chromedp.Click(chromedp.ID("open-J-R1")))
		ins.waitFor("the finding form", `document.getElementById('save-J-R1').offsetParent !== null`)
		ins.do(
			chromedp.SetValue(chromedp.ID("ind-J-R1"), "road"),
			chromedp.SetValue(chromedp.ID("cat-J-R1"), "E0102"),
			chromedp.SetValue(chromedp.ID("count-J-R1"), "3"),
			chromedp.SendKeys(chromedp.ID("note-J-R1"), "路面暴露垃圾"),
			chromedp.SetUploadFiles(chromedp.ID("photos-J-R1"), []string{photoFile}),
		)
		ins.waitFor("the photo preview", `document.querySelector('#preview-J-R1 img')`)
		ins.shot("02-finding")
		ins.do(chromedp.Click(chromedp.ID("save-J-R1")))
		ins.flash("已记录问题并立案")
		ins.waitFor("the finding listed", `document.querySelector('#pt-J-R1 .found a[href^="/cases/"]')`)
		ins.do(chromedp.Click(chromedp.ID("ok-J-M1")))
		ins.flash("已标记为无问题")
		if got := ins.eval(`document.querySelector('#pt-J-M1').className`); !strings.Contains(got, "done") {
			t.Errorf("J-M1 after 'no problem': %q", got)
		}
		ins.shot("03-recorded")
		ins.clean()

		// The rest of the round, then the leader reads the lists.
		ctx := context.Background()
		svc := e.web.assessService()
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
		e.advance(time.Minute)
		lead := h.open(t, base, prefix, "leader", false)
		lead.signIn("leader", "zh")
		lead.goTo("/assess")
		lead.do(chromedp.Click(chromedp.CSS(`#rounds a[href="/assess/scores?round=` + itoa(id) + `"]`)))
		lead.waitFor("the lists", `document.getElementById('red-320213')`)
		for sel, want := range map[string]string{"#red-320213": "家乐花园社区 94.00", "#black-320213": "南苑社区 86.00", "#excellence-rate": "50.00%"} {
			if got := lead.eval(`document.querySelector('` + sel + `').innerText.trim()`); got != want {
				t.Errorf("%s: %q, want %q", sel, got, want)
			}
		}
		if got := lead.eval(`document.getElementById('tie-rule').innerText`); !strings.Contains(got, "问题数少者在前") {
			t.Errorf("tie rule %q", got)
		}
		lead.shot("04-scores")
		lead.goTo("/assess/metrics?period=2026-10")
		lead.shot("05-metrics")
		lead.clean()
	})
}

// readyAnd is a condition that also waits for the document to finish
// loading: a node found while a page after a form post is still loading can
// be replaced before the next click reaches it ("Could not find node").
func readyAnd(js string) string {
	return "document.readyState === 'complete' && !!(" + js + ")"
}
