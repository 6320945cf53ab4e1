package browsertest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	goruntime "runtime"
	"strings"
	"testing"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
)

// recorder stands for the test a Page or checkRendered reports to.
type recorder struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
	goruntime.Goexit()
}

// run calls f as a test body would be called, so that Fatalf ends it.
func (r *recorder) run(f func()) {
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	<-done
}

func encode(t *testing.T, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCheckRendered(t *testing.T) {
	blank := image.NewRGBA(image.Rect(0, 0, 400, 400))
	for i := range blank.Pix {
		blank.Pix[i] = 255
	}
	drawn := image.NewRGBA(image.Rect(0, 0, 400, 400))
	for y := range 400 {
		for x := range 400 {
			drawn.Set(x, y, color.RGBA{uint8(x / 2), uint8(y / 2), uint8((x + y) / 4), 255})
		}
	}
	for _, c := range []struct {
		name  string
		png   []byte
		fatal bool
		want  string // in the one error; "" for none
	}{
		{"drawn", encode(t, drawn), false, ""},
		{"blank", encode(t, blank), false, "screenshot blank looks empty: 1 colours"},
		{"small", encode(t, image.NewRGBA(image.Rect(0, 0, 200, 400))), true, "screenshot small is (0,0)-(200,400)"},
		{"garbage", []byte("not a png"), true, "screenshot garbage is not a PNG"},
	} {
		r := &recorder{}
		r.run(func() { checkRendered(r, c.name, c.png) })
		switch {
		case c.want == "" && len(r.errors) > 0:
			t.Errorf("%s: %q", c.name, r.errors)
		case c.want != "" && (len(r.errors) != 1 || !strings.HasPrefix(r.errors[0], c.want) || r.fatal != c.fatal):
			t.Errorf("%s: %q (fatal %v), want %q (fatal %v)", c.name, r.errors, r.fatal, c.want, c.fatal)
		}
	}
}

// TestWatch: script exceptions and error-level log entries are problems,
// except those the browser was told to ignore; Clean reports each once.
func TestWatch(t *testing.T) {
	for _, c := range []struct {
		name, ignore string
		want         []string
	}{
		{"inspector", "favicon", []string{
			"inspector's browser: exception: Uncaught Error: boom",
			"inspector's browser: log: Refused to apply inline style https://x.test/a",
		}},
		{"", "", []string{
			"browser: exception: Uncaught Error: boom",
			"browser: log: Refused to apply inline style https://x.test/a",
			"browser: log: Failed to load favicon",
		}},
	} {
		r := &recorder{}
		p := &Page{T: r, Name: c.name, ignore: c.ignore}
		p.watch(&runtime.EventExceptionThrown{ExceptionDetails: &runtime.ExceptionDetails{Text: "Uncaught", Exception: &runtime.RemoteObject{Description: "Error: boom"}}})
		p.watch(&cdplog.EventEntryAdded{Entry: &cdplog.Entry{Level: cdplog.EntryLevelError, Text: "Refused to apply inline style", URL: "https://x.test/a"}})
		p.watch(&cdplog.EventEntryAdded{Entry: &cdplog.Entry{Level: cdplog.EntryLevelWarning, Text: "a warning"}})
		p.watch(&cdplog.EventEntryAdded{Entry: &cdplog.Entry{Level: cdplog.EntryLevelError, Text: "Failed to load favicon"}})
		p.Clean()
		if strings.Join(r.errors, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("name %q, ignoring %q:\n%s\nwant\n%s", c.name, c.ignore, strings.Join(r.errors, "\n"), strings.Join(c.want, "\n"))
		}
		r.errors = nil
		p.Clean()
		if len(r.errors) != 0 {
			t.Errorf("a second Clean reports again: %q", r.errors)
		}
	}
}

func TestJS(t *testing.T) {
	if got := JSString(`他说 "好" \ 走`); got != `"他说 \"好\" \\ 走"` {
		t.Errorf("JSString: %s", got)
	}
	if got := ReadyAnd(`document.getElementById('x')`); got != `document.readyState === 'complete' && !!(document.getElementById('x'))` {
		t.Errorf("ReadyAnd: %s", got)
	}
}
