package web

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/browsertest"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// headless is one Chromium for a whole test; each user gets a browser
// context of their own in it (separate cookies), as separate people would.
type headless struct{ *browsertest.Browser }

func newHeadless(t *testing.T) *headless {
	t.Helper()
	// Browser log errors about the favicon do not count against a page.
	return &headless{browsertest.Start(t, browsertest.Options{Window: browsertest.Desktop, IgnoreLog: "favicon"})}
}

// person is one signed-in user in a browser context of their own.
type person struct {
	*browsertest.Page
	base string
}

// open starts a browser context for a user; phone gives a phone-sized screen.
func (h *headless) open(t *testing.T, base, prefix, name string, phone bool) *person {
	t.Helper()
	s := browsertest.Desktop
	if phone {
		s = browsertest.Phone
	}
	return &person{Page: h.Open(t, name, prefix, s), base: base}
}

// flash waits for the notice of a finished action.
func (p *person) flash(text string) {
	p.T.Helper()
	p.WaitFor("the notice "+text, `document.querySelector('p.flash') && document.querySelector('p.flash').textContent === `+browsertest.JSString(text))
}

// signIn opens the sign-in page, switches language if asked, and signs in.
func (p *person) signIn(username, lang string) {
	p.T.Helper()
	p.Do(chromedp.Navigate(p.base + "/login"))
	p.WaitFor("the sign-in form", `document.getElementById('username')`)
	if lang == "en" {
		p.Do(chromedp.Click(chromedp.CSS(`form[action="/lang"] button`)))
		p.WaitFor("English", `document.documentElement.lang === 'en' && document.getElementById('username')`)
	}
	p.Do(
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login-submit")),
	)
	p.WaitFor("signed in", `document.getElementById('logout')`)
}

// signInByKeyboard signs in with the keyboard only: the username field has
// the focus on arrival, Tab moves to the password, Enter submits.
func (p *person) signInByKeyboard(username, lang string) {
	p.T.Helper()
	p.Do(chromedp.Navigate(p.base + "/login"))
	p.WaitFor("the sign-in form", `document.activeElement && document.activeElement.id === 'username'`)
	if lang == "en" {
		p.Do(chromedp.Click(chromedp.CSS(`form[action="/lang"] button`)))
		p.WaitFor("English", `document.documentElement.lang === 'en' && document.activeElement && document.activeElement.id === 'username'`)
	}
	p.Do(chromedp.KeyEvent(username), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(testPassword), chromedp.KeyEvent(kb.Enter))
	p.WaitFor("signed in by keyboard", `document.getElementById('logout')`)
}

func (p *person) goTo(path string) {
	p.T.Helper()
	p.Do(chromedp.Navigate(p.base + path))
	p.WaitFor(path, `document.readyState === 'complete' && document.getElementById('main')`)
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
	photoFile := sitePhotoFile(t)
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
	ins.Do(chromedp.Navigate(base + "/login"))
	ins.WaitFor("the sign-in page", `document.getElementById('username')`)
	if lang == "zh" && ins.Eval(`document.querySelector('h1').textContent`) != w["heading"] {
		t.Fatalf("a Chinese browser gets %q", ins.Eval(`document.querySelector('h1').textContent`))
	}
	ins.Shot("01-login")
	ins.signIn("inspector", lang)
	ins.WaitFor("the report form", `document.getElementById('report-form')`)
	if got := ins.Eval(`document.querySelector('h1').textContent`); got != map[string]string{"zh": "上报问题", "en": "Report a problem"}[lang] {
		t.Errorf("report heading %q", got)
	}
	// "Use my location": the device says 家乐花园 01 (120.22, 31.52).
	ins.SetLocation(base, 31.52, 120.22, 8)
	ins.Do(chromedp.Click(chromedp.ID("use-location")))
	ins.WaitFor("the located grid", `document.getElementById('located').textContent.indexOf('家乐花园01网格') >= 0`)
	if got := ins.Eval(`document.getElementById('lat').value + ',' + document.getElementById('lon').value`); got != "31.520000,120.220000" {
		t.Errorf("location fields %q", got)
	}
	// The map follows the fields; a tap on it moves the point (here: the
	// middle of the view, which the pin centred, so the same grid).
	ins.WaitFor("the pin on the map", `document.getElementById('pick-map').dataset.ready && document.querySelector('#pick-map path.leaflet-interactive')`)
	ins.Do(chromedp.Evaluate[chromedp.Void](`document.getElementById('lat').value = ''`), chromedp.Click(chromedp.ID("pick-map")))
	ins.WaitFor("a tapped point", `Math.abs(+document.getElementById('lat').value - 31.52) < 0.001 && Math.abs(+document.getElementById('lon').value - 120.22) < 0.001`)
	ins.WaitFor("the tapped grid", `document.getElementById('located').textContent.indexOf('家乐花园01网格') >= 0`)
	// The category by its pinyin initials.
	ins.Do(chromedp.SendKeys(chromedp.ID("cat-search"), "bllj"))
	ins.WaitFor("E0102 chosen", `document.getElementById('category').value === 'E0102'`)
	if n := ins.Eval(`String(Array.from(document.getElementById('category').options).filter(o => !o.hidden).length)`); n != "1" {
		t.Errorf("bllj leaves %s categories", n)
	}
	desc := "清扬路口暴露垃圾（" + lang + "）"
	ins.Do(
		chromedp.SendKeys(chromedp.ID("description"), desc),
		chromedp.SendKeys(chromedp.ID("address"), "清扬路 128 号"),
		chromedp.SetUploadFiles(chromedp.ID("photos"), []string{photoFile}),
	)
	ins.WaitFor("the photo preview", `document.querySelector('#photo-preview img')`)
	ins.Shot("02-report")
	ins.Do(chromedp.Click(chromedp.ID("report-submit")))
	ins.flash(w["report"])
	path := ins.Eval(`location.pathname`)
	if !regexp.MustCompile(`^/cases/\d+$`).MatchString(path) {
		t.Fatalf("after the report: %s", path)
	}
	ins.WaitFor("the photo", `document.querySelector('.photos img') && document.querySelector('.photos img').naturalWidth === 320`)
	ins.Shot("03-reported")
	ins.goTo("/mine")
	if !strings.Contains(ins.Eval(`document.querySelector('.cards').innerText`), desc[:len("清扬路口暴露垃圾")]) {
		t.Error("the new case is not in my reports")
	}
	ins.Shot("04-mine")
	ins.Clean()

	// The dispatcher at the command centre.
	disp := h.open(t, base, prefix, "dispatcher", false)
	disp.signIn("dispatcher", lang)
	disp.goTo("/cases")
	disp.WaitFor("the case in the desk", `document.querySelector('#cases a[href="`+path+`"]')`)
	disp.Shot("05-desk")
	disp.Do(chromedp.Click(chromedp.CSS(`#cases a[href="` + path + `"]`)))
	disp.WaitFor("the case page", `document.getElementById('do-register')`)
	disp.Do(chromedp.Click(chromedp.ID("do-register")))
	disp.flash(w["register"])
	disp.Do(chromedp.SetValue(chromedp.ID("dispatch-unit"), "320213.sanitation"), chromedp.Click(chromedp.ID("do-dispatch")))
	disp.flash(w["dispatch"])
	if got := disp.Eval(`document.querySelector('.case-head .state').textContent`); got != w["dispatched"] {
		t.Errorf("state after dispatch %q", got)
	}
	disp.Shot("06-dispatched")
	// The map shows the territory and the case, a dot in its state's colour.
	disp.goTo("/map")
	disp.WaitFor("the map's data", `document.getElementById('map').dataset.cases === '1' && +document.getElementById('map').dataset.areas >= 1`)
	disp.WaitFor("the map drawn", `document.querySelector('#map canvas') && document.querySelector('#map .leaflet-control-zoom-in')`)
	disp.Shot("06b-map")
	disp.Clean()

	// The sanitation department's handler, on a phone.
	san := h.open(t, base, prefix, "san", true)
	san.signIn("san", lang)
	san.goTo("/cases")
	san.WaitFor("the case on the unit's desk", `document.querySelector('#cases a[href="`+path+`"]')`)
	san.Shot("07-unit-desk")
	san.goTo(path)
	san.Do(
		chromedp.SetUploadFiles(chromedp.ID("handle-photos"), []string{photoFile}),
		chromedp.SendKeys(chromedp.ID("handle-note"), "已清运完毕"),
		chromedp.Click(chromedp.ID("do-handle")),
	)
	san.flash(w["handle"])
	san.Shot("08-handled")
	san.Clean()

	// Another inspector verifies on site.
	ins2 := h.open(t, base, prefix, "inspector2", true)
	ins2.signInByKeyboard("inspector2", lang)
	ins2.goTo("/nearby?lat=31.52&lon=120.22")
	ins2.WaitFor("the case nearby", `document.querySelector('.cards a[href="`+path+`"]')`)
	ins2.Shot("09-nearby")
	ins2.Do(chromedp.Click(chromedp.CSS(`.cards a[href="` + path + `"]`)))
	ins2.WaitFor("the verify form", `document.getElementById('do-verify')`)
	ins2.Do(
		chromedp.Click(chromedp.ID("verify-passed-yes")),
		chromedp.SetUploadFiles(chromedp.ID("verify-photos"), []string{photoFile}),
		chromedp.Click(chromedp.ID("do-verify")),
	)
	ins2.flash(w["verify"])
	ins2.Shot("10-verified")
	ins2.Clean()

	// The dispatcher closes it.
	disp.goTo(path)
	disp.WaitFor("the close button", `document.getElementById('do-close')`)
	disp.Do(chromedp.Click(chromedp.ID("do-close")))
	disp.flash(w["close"])
	if got := disp.Eval(`document.querySelector('.case-head .state').textContent`); got != w["closed"] {
		t.Errorf("state after close %q", got)
	}
	if n := disp.Eval(`String(document.querySelectorAll('.events .event').length)`); n != "6" {
		t.Errorf("%s events in the timeline, want 6", n)
	}
	disp.Shot("11-closed")
	// The dashboard draws its five charts over the ledger, the community
	// map among them (ECharts on canvas).
	disp.goTo("/dashboard")
	disp.WaitFor("the charts", `document.getElementById('dashboard').dataset.ready === '5' && document.querySelector('#chart-communities canvas') && document.querySelector('#chart-daily canvas')`)
	if got := disp.Eval(`document.querySelector('#table-daily tbody tr:last-child td:nth-child(3)').textContent`); got == "0" {
		t.Error("the dashboard shows no case closed today")
	}
	disp.Shot("12-dashboard")
	disp.Clean()
}

// sitePhotoFile writes a 320×240 PNG with some structure, standing for a
// site photo, and returns its path.
func sitePhotoFile(t *testing.T) string {
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
	file := filepath.Join(t.TempDir(), "site.png")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestBrowserAssess drives the assessment pages in headless Chromium on
// both stores: an inspector on a phone works the round's checklist (a
// finding with a photo, a point with no problem), then the district
// leader reads the scores with the red and black lists. The numbers are
// TestAssessPages' hand-checked ones.
func TestBrowserAssess(t *testing.T) {
	h := newHeadless(t)
	photoFile := sitePhotoFile(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		id := assessRound(t, e)
		base, prefix := e.srv.URL, string(db.Dialect)+"-assess"
		round := "/assess/rounds/" + itoa(id)

		ins := h.open(t, base, prefix, "inspector", true)
		ins.signIn("inspector", "zh")
		ins.goTo("/assess")
		ins.WaitFor("the round in the list", `document.querySelector('#rounds a[href="`+round+`"]')`)
		ins.Do(chromedp.Click(chromedp.CSS(`#rounds a[href="` + round + `"]`)))
		ins.WaitFor("the checklist", `document.getElementById('checklist') && document.querySelectorAll('#checklist li.check').length === 7`)
		if w := ins.Eval(`String(document.documentElement.scrollWidth <= window.innerWidth + 1)`); w != "true" {
			t.Errorf("the checklist is wider than the phone (%s px)", ins.Eval(`String(document.documentElement.scrollWidth)`))
		}
		ins.Shot("01-checklist")
		ins.Do(chromedp.Click(chromedp.ID("open-J-R1")))
		ins.WaitFor("the finding form", `document.getElementById('save-J-R1').offsetParent !== null`)
		ins.Do(
			chromedp.SetValue(chromedp.ID("ind-J-R1"), "road"),
			chromedp.SetValue(chromedp.ID("cat-J-R1"), "E0102"),
			chromedp.SetValue(chromedp.ID("count-J-R1"), "3"),
			chromedp.SendKeys(chromedp.ID("note-J-R1"), "路面暴露垃圾"),
			chromedp.SetUploadFiles(chromedp.ID("photos-J-R1"), []string{photoFile}),
		)
		ins.WaitFor("the photo preview", `document.querySelector('#preview-J-R1 img')`)
		ins.Shot("02-finding")
		ins.Do(chromedp.Click(chromedp.ID("save-J-R1")))
		ins.flash("已记录问题并立案")
		ins.WaitFor("the finding listed", `document.querySelector('#pt-J-R1 .found a[href^="/cases/"]')`)
		ins.Do(chromedp.Click(chromedp.ID("ok-J-M1")))
		ins.flash("已标记为无问题")
		if got := ins.Eval(`document.querySelector('#pt-J-M1').className`); !strings.Contains(got, "done") {
			t.Errorf("J-M1 after 'no problem': %q", got)
		}
		ins.Shot("03-recorded")
		ins.Clean()

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
		lead.Do(chromedp.Click(chromedp.CSS(`#rounds a[href="/assess/scores?round=` + itoa(id) + `"]`)))
		lead.WaitFor("the lists", `document.getElementById('red-320213')`)
		for sel, want := range map[string]string{"#red-320213": "家乐花园社区 94.00", "#black-320213": "南苑社区 86.00", "#excellence-rate": "50.00%"} {
			if got := lead.Eval(`document.querySelector('` + sel + `').innerText.trim()`); got != want {
				t.Errorf("%s: %q, want %q", sel, got, want)
			}
		}
		if got := lead.Eval(`document.getElementById('tie-rule').innerText`); !strings.Contains(got, "问题数少者在前") {
			t.Errorf("tie rule %q", got)
		}
		lead.Shot("04-scores")
		lead.goTo("/assess/metrics?period=2026-10")
		lead.Shot("05-metrics")
		lead.Clean()
	})
}
