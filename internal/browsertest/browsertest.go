// Package browsertest drives headless Chromium (through chromedp) for the
// browser tests of the web console and the citizen portal. It is for tests
// only: no product code imports it.
//
// A test starts one Browser and opens a Page per person in it, each in a
// browser context of its own (separate cookies). A Page collects the
// script exceptions and the browser log's errors (CSP violations, failed
// loads) its pages cause; Clean fails the test on them. Conditions are
// polled with plain evaluation (chromedp's Poll builds a Function, which
// the pages' CSP forbids, as it should) and always wait for the document
// to have finished loading too.
package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"image/png"
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
)

// ChromiumPath is the browser the tests drive: Debian's chromium (.ci/run
// installs it), or XIUHUA_CHROMIUM.
func ChromiumPath() string {
	if p := os.Getenv("XIUHUA_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// Screen is the size of a window or viewport, in CSS pixels.
type Screen struct {
	Width, Height int64
	Mobile        bool // a phone: mobile emulation (touch, device scale)
}

// The two screens the tests use.
var (
	Desktop = Screen{Width: 1440, Height: 900}
	Phone   = Screen{Width: 390, Height: 844, Mobile: true}
)

// Options set up a Browser.
type Options struct {
	Window Screen // the browser window; each Page sets its own viewport
	// IgnoreLog, when not empty, passes over the browser log's errors
	// whose text contains it.
	IgnoreLog string
}

// Browser is one headless Chromium for a whole test.
type Browser struct {
	root   context.Context
	ignore string
	Dir    string // where screenshots go: XIUHUA_SCREENSHOTS, or a temporary folder
}

// Start starts Chromium, or skips the test when there is none at
// ChromiumPath (on a developer's machine; under CI, where .ci/run installs
// it, a missing browser fails the test rather than pass it unseen). Pages
// ask for Chinese first, as a browser in Wuxi would. The browser ends with
// the test.
func Start(t testing.TB, o Options) *Browser {
	t.Helper()
	path := ChromiumPath()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no Chromium at %s under CI: .ci/run should have installed it", path)
		}
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
		chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(o.Window.Width), int(o.Window.Height)),
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
	return &Browser{root: root, ignore: o.IgnoreLog, Dir: dir}
}

// Page is one person's tab, in a browser context of its own, with 90 s for
// all it does.
type Page struct {
	T      testing.TB
	Ctx    context.Context
	Name   string // whose page, at the start of failure messages; may be empty
	Prefix string // the start of its screenshots' file names
	dir    string
	ignore string

	mu       sync.Mutex
	problems []string // script errors and CSP violations seen on the pages
}

// Open opens a page with the viewport of screen s.
func (b *Browser) Open(t testing.TB, name, prefix string, s Screen) *Page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancel() })
	p := &Page{T: t, Ctx: ctx, Name: name, Prefix: prefix, dir: b.Dir, ignore: b.ignore}
	var vp []chromedp.EmulateViewportOption
	if s.Mobile {
		vp = append(vp, chromedp.EmulateMobile)
	}
	p.Do(chromedp.EmulateViewport(s.Width, s.Height, vp...))
	if err := chromedp.Listen(ctx, p.watch); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *Page) watch(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = "exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			msg += " " + ev.ExceptionDetails.Exception.Description
		}
	case *cdplog.EventEntryAdded:
		// CSP violations and failed loads land here as errors.
		if ev.Entry.Level == cdplog.EntryLevelError && (p.ignore == "" || !strings.Contains(ev.Entry.Text, p.ignore)) {
			msg = "log: " + ev.Entry.Text
			if ev.Entry.URL != "" {
				msg += " " + ev.Entry.URL
			}
		}
	}
	if msg != "" {
		p.mu.Lock()
		p.problems = append(p.problems, msg)
		p.mu.Unlock()
	}
}

// who starts a failure message.
func (p *Page) who() string {
	if p.Name == "" {
		return ""
	}
	return p.Name + ": "
}

// Clean fails the test when a page threw or broke its CSP since the last Clean.
func (p *Page) Clean() {
	p.T.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	whose := ""
	if p.Name != "" {
		whose = p.Name + "'s "
	}
	for _, m := range p.problems {
		p.T.Errorf("%sbrowser: %s", whose, m)
	}
	p.problems = nil
}

// Do runs actions, failing the test on an error.
func (p *Page) Do(actions ...chromedp.Action[chromedp.Void]) {
	p.T.Helper()
	if err := chromedp.Do(p.Ctx, actions...); err != nil {
		p.T.Fatalf("%s%v", p.who(), err)
	}
}

// Eval is the string a JavaScript expression gives.
func (p *Page) Eval(js string) string {
	p.T.Helper()
	v, err := chromedp.Run(p.Ctx, chromedp.Evaluate[string](js))
	if err != nil {
		p.T.Fatalf("%s%s: %v", p.who(), js, err)
	}
	return v
}

// WaitFor polls a JavaScript condition, with ReadyAnd, for up to 20 s, and
// fails the test with the start of the page's text when it stays false.
func (p *Page) WaitFor(what, js string) {
	p.T.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(p.Ctx, chromedp.Evaluate[bool](ReadyAnd(js), chromedp.EvalIgnoreExceptions))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.T.Fatalf("%swaiting for %s: %v\n%s", p.who(), what, err, p.Eval(`document.querySelector('main') ? document.querySelector('main').innerText.slice(0, 600) : document.title`))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ReadyAnd is a condition that also waits for the document to finish
// loading: a node found while a page after a form post is still loading can
// be replaced before the next click reaches it ("Could not find node").
func ReadyAnd(js string) string {
	return "document.readyState === 'complete' && !!(" + js + ")"
}

// JSString is s as a JavaScript string literal.
func JSString(s string) string { return fmt.Sprintf("%q", s) }

// SetLocation lets origin use the device's location and makes the device
// report lat, lon with accuracy acc (in metres).
func (p *Page) SetLocation(origin string, lat, lon, acc float64) {
	p.T.Helper()
	if _, err := chromedp.CallBrowser(p.Ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "geolocation"}, Setting: browser.PermissionSettingGranted, Origin: origin,
		BrowserContextID: chromedp.FromContext(p.Ctx).BrowserContextID}); err != nil {
		p.T.Fatal(err)
	}
	if _, err := chromedp.Call(p.Ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lon, Accuracy: &acc}); err != nil {
		p.T.Fatal(err)
	}
}

// Shot saves a full-page screenshot as Prefix-name.png and checks that
// something was drawn.
func (p *Page) Shot(name string) {
	p.T.Helper()
	b, err := chromedp.Run(p.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.T.Fatalf("screenshot %s: %v", name, err)
	}
	checkRendered(p.T, name, b)
	if err := os.WriteFile(filepath.Join(p.dir, p.Prefix+"-"+name+".png"), b, 0o644); err != nil {
		p.T.Fatal(err)
	}
}

// checkRendered decodes a PNG and fails when it is one colour (a blank or
// failed render) or shows almost nothing but the background.
func checkRendered(t testing.TB, name string, b []byte) {
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
