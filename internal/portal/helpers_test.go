package portal

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

// testStart is the tests' "now": Wednesday 2026-11-25 10:00 in Wuxi.
var testStart = time.Date(2026, 11, 25, 10, 0, 0, 0, shanghai)

// env is the portal over the apptest fixture on one store.
type env struct {
	t   *testing.T
	f   *apptest.Fixture
	srv *httptest.Server
	p   *Server

	mu  sync.Mutex
	now time.Time
}

func newEnv(t *testing.T, db *store.DB, tune func(*Config)) *env {
	t.Helper()
	f := apptest.New(t, db)
	e := &env{t: t, f: f, now: testStart}
	e.p = &Server{App: f.App, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Config: DefaultConfig(), Now: e.clock}
	e.p.Config.Center = apptest.PointJiale1
	e.p.Config.Zoom = 13
	// Generous limits unless the test is about them.
	e.p.Config.PostLimit.Burst = 1000
	e.p.Config.PageLimit.Burst = 1000
	if tune != nil {
		tune(&e.p.Config)
	}
	f.App.Cases.Now = e.clock
	e.srv = httptest.NewServer(e.p)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// citizen is one browser: its own cookies, no redirects followed.
type citizen struct {
	e    *env
	c    *http.Client
	csrf string
}

func (e *env) citizen(lang string) *citizen {
	jar, _ := cookiejar.New(nil)
	cz := &citizen{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	path := "/public/"
	if lang != "" {
		path += "?lang=" + lang
	}
	p := cz.get(path)
	if p.status != 200 {
		e.t.Fatalf("form: %d", p.status)
	}
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]{32})"`).FindStringSubmatch(p.body)
	if m == nil {
		e.t.Fatalf("no CSRF token in the form")
	}
	cz.csrf = m[1]
	return cz
}

type page struct {
	status int
	header http.Header
	body   string
}

func (cz *citizen) do(req *http.Request) page {
	cz.e.t.Helper()
	resp, err := cz.c.Do(req)
	if err != nil {
		cz.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header, string(b)}
}

func (cz *citizen) get(path string) page {
	cz.e.t.Helper()
	req, _ := http.NewRequest("GET", cz.e.srv.URL+path, nil)
	return cz.do(req)
}

func (cz *citizen) postForm(path string, v url.Values) page {
	cz.e.t.Helper()
	req, _ := http.NewRequest("POST", cz.e.srv.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return cz.do(req)
}

// file is a photo to upload.
type file struct {
	name string
	data []byte
}

// report posts the report form (multipart) with the citizen's CSRF token
// unless v sets its own.
func (cz *citizen) report(v url.Values, files ...file) page {
	cz.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if _, ok := v["csrf"]; !ok {
		mw.WriteField("csrf", cz.csrf)
	}
	for k, vs := range v {
		for _, x := range vs {
			mw.WriteField(k, x)
		}
	}
	for _, f := range files {
		w, _ := mw.CreateFormFile("photos", f.name)
		w.Write(f.data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", cz.e.srv.URL+"/public/report", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return cz.do(req)
}

// goodReport is a valid report at PointJiale1.
func goodReport() url.Values {
	return url.Values{
		"category": {"E0102"}, "description": {"小区门口有暴露垃圾"},
		"lon": {strconv.FormatFloat(apptest.PointJiale1[0], 'f', 6, 64)}, "lat": {strconv.FormatFloat(apptest.PointJiale1[1], 'f', 6, 64)},
		"name": {"王秀英"}, "phone": {"13912345678"}, "address": {"家乐花园东门"},
	}
}

// reported posts a good report and returns its tracking code.
func (cz *citizen) reported(v url.Values, files ...file) string {
	cz.e.t.Helper()
	p := cz.report(v, files...)
	if p.status != http.StatusSeeOther {
		cz.e.t.Fatalf("report: %d\n%s", p.status, p.body)
	}
	m := regexp.MustCompile(`^/public/t/([0-9A-Z]{10})\?new=1$`).FindStringSubmatch(p.header.Get("Location"))
	if m == nil {
		cz.e.t.Fatalf("report redirected to %q", p.header.Get("Location"))
	}
	return m[1]
}

// caseOf returns the case behind a tracking code.
func (e *env) caseOf(code string) casework.Case {
	e.t.Helper()
	r, err := reportByCode(context.Background(), e.f.App.DB, code)
	if err != nil {
		e.t.Fatal(err)
	}
	c, _, err := e.f.App.Cases.Get(context.Background(), e.f.Actors["admin"], r.CaseID)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// close drives a case through the loop to closed, as the staff would.
func (e *env) close(c casework.Case, handledPhoto string) casework.Case {
	e.t.Helper()
	yes := true
	act := func(who string, a casework.Action, in casework.Input) {
		e.t.Helper()
		in.Version = c.Version
		next, err := e.f.App.Cases.Act(context.Background(), e.f.Actors[who], c.ID, a, in)
		if err != nil {
			e.t.Fatalf("%s by %s: %v", a, who, err)
		}
		c = next
	}
	act("dispatcher", casework.Register, casework.Input{Note: "内部备注：调度员张伟已核实"})
	act("dispatcher", casework.Dispatch, casework.Input{Unit: "320213.sanitation"})
	if handledPhoto == "" {
		handledPhoto = e.f.Photo(e.t, "handled "+strconv.FormatInt(c.ID, 10))
	}
	in := casework.Input{Note: "内部备注：环卫班组李强清理", Attachments: []string{handledPhoto}}
	act("san", casework.Handle, in)
	act("inspector", casework.Verify, casework.Input{Passed: &yes, Note: "内部备注：监督员复核",
		Attachments: []string{e.f.Photo(e.t, "verified "+strconv.FormatInt(c.ID, 10))}})
	act("dispatcher", casework.Close, casework.Input{})
	return c
}

// gpsJPEG is a 16×12 JPEG carrying an APP1 Exif block with a camera make
// and model and a GPS position (31°31'N 120°13'E, the fixture's first
// point).
func gpsJPEG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for y := 0; y < 12; y++ {
		for x := 0; x < 16; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 20), 128, 255})
		}
	}
	return exifJPEG(t, img, 0)
}

// exifJPEG encodes img as a JPEG with an Exif block built by hand: an Exif
// header, a little-endian TIFF IFD0 with Make, Model, a GPS IFD pointer
// and (when orient > 0) Orientation, and the GPS IFD with latitude and
// longitude as rationals.
func exifJPEG(t testing.TB, img image.Image, orient uint16) []byte {
	t.Helper()
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	var tiff bytes.Buffer
	w16 := func(v uint16) { binary.Write(&tiff, le, v) }
	w32 := func(v uint32) { binary.Write(&tiff, le, v) }
	make_, model := "XiuhuaCam\x00", "SpyPhone 9\x00"
	n := uint16(3)
	if orient > 0 {
		n = 4
	}
	// Layout: header (8) | IFD0 (2+12n+4) | strings | GPS IFD | rationals.
	makeOff := uint32(8 + 2 + 12*int(n) + 4)
	modelOff := makeOff + uint32(len(make_))
	gpsOff := modelOff + uint32(len(model))
	gpsLen := uint32(2 + 4*12 + 4)
	ratOff := gpsOff + gpsLen
	tiff.WriteString("II")
	w16(42)
	w32(8)
	w16(n)
	entry := func(tag, typ uint16, count, value uint32) { w16(tag); w16(typ); w32(count); w32(value) }
	entry(0x010f, 2, uint32(len(make_)), makeOff)
	entry(0x0110, 2, uint32(len(model)), modelOff)
	if orient > 0 {
		entry(0x0112, 3, 1, uint32(orient))
	}
	entry(0x8825, 4, 1, gpsOff)
	w32(0)
	tiff.WriteString(make_)
	tiff.WriteString(model)
	w16(4)
	entry(0x0001, 2, 2, uint32('N')) // GPSLatitudeRef "N\0" inline
	entry(0x0002, 5, 3, ratOff)      // GPSLatitude
	entry(0x0003, 2, 2, uint32('E')) // GPSLongitudeRef
	entry(0x0004, 5, 3, ratOff+24)   // GPSLongitude
	w32(0)
	for _, r := range [][2]uint32{{31, 1}, {31, 1}, {1200, 100}, {120, 1}, {13, 1}, {1200, 100}} {
		w32(r[0])
		w32(r[1])
	}
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	app1 := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	app1 = append(app1, payload...)
	p := plain.Bytes()
	out := append([]byte{}, p[:2]...) // SOI
	out = append(out, app1...)
	return append(out, p[2:]...)
}
