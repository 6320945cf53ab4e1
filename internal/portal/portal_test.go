package portal

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/open311"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// exifMarkers are bytes that only an EXIF block carries: its header, the
// camera strings and the GPS IFD tag (0x8825, little endian).
var exifMarkers = [][]byte{[]byte("Exif\x00\x00"), []byte("XiuhuaCam"), []byte("SpyPhone"), {0x25, 0x88, 0x04, 0x00}}

func hasEXIF(b []byte) bool {
	for _, m := range exifMarkers {
		if bytes.Contains(b, m) {
			return true
		}
	}
	return false
}

func TestCleanDropsEXIF(t *testing.T) {
	raw := gpsJPEG(t)
	if !hasEXIF(raw) {
		t.Fatal("the test photo carries no EXIF: the test would prove nothing")
	}
	if cfg, err := jpegConfig(raw); err != nil || cfg.Width != 16 || cfg.Height != 12 {
		t.Fatalf("test photo does not decode: %v %v", cfg, err)
	}
	clean, ct, err := Clean(raw, 1_000_000)
	if err != nil || ct != "image/jpeg" {
		t.Fatalf("Clean: %q %v", ct, err)
	}
	if hasEXIF(clean) || bytes.Contains(clean, []byte{0xFF, 0xE1}) {
		t.Error("the cleaned photo still carries an EXIF/APP1 block")
	}
	if cfg, err := jpegConfig(clean); err != nil || cfg.Width != 16 || cfg.Height != 12 {
		t.Errorf("cleaned photo: %v %v", cfg, err)
	}

	// PNG text chunks (a tEXt with a location) go too.
	var pb bytes.Buffer
	png.Encode(&pb, image.NewRGBA(image.Rect(0, 0, 3, 2)))
	p := pb.Bytes()
	data := []byte("tEXtGPS\x0031.52,120.22")
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)-4))
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(data))
	withText := append(append(append([]byte{}, p[:33]...), chunk...), p[33:]...) // after the signature and IHDR
	if _, err := png.Decode(bytes.NewReader(withText)); err != nil {
		t.Fatalf("the test PNG is broken: %v", err)
	}
	clean, ct, err = Clean(withText, 1_000_000)
	if err != nil || ct != "image/png" || bytes.Contains(clean, []byte("tEXt")) || bytes.Contains(clean, []byte("31.52")) {
		t.Errorf("PNG text chunk: %q %v kept=%v", ct, err, bytes.Contains(clean, []byte("31.52")))
	}

	// Too many pixels, WebP and not-an-image are refused.
	if _, _, err := Clean(raw, 100); err == nil || !strings.Contains(err.Error(), "pixels") {
		t.Errorf("16×12 photo with a 100-pixel limit: %v", err)
	}
	if _, _, err := Clean([]byte("RIFF\x00\x00\x00\x00WEBPVP8 xxxxxxxx"), 1_000_000); err == nil || !strings.Contains(err.Error(), "WebP") {
		t.Errorf("WebP: %v", err)
	}
	if _, _, err := Clean([]byte("%PDF-1.4 hello"), 1_000_000); err == nil {
		t.Error("a PDF was accepted as a photo")
	}
}

func jpegConfig(b []byte) (image.Config, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	return cfg, err
}

// TestReportAndTrack: a citizen reports with a photo carrying GPS EXIF and
// contact details; the tracking page shows the case and its cleaned photo,
// and nothing public shows the contact.
func TestReportAndTrack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		cz := e.citizen("")
		code := cz.reported(goodReport(), file{"IMG_0001.jpg", gpsJPEG(t)})
		c := e.caseOf(code)
		if c.State != casework.Reported || c.Source != casework.SourceCitizen || c.ReporterID != 0 || c.Grid != "32021302201001" ||
			c.Category != "E0102" || c.Description != "小区门口有暴露垃圾" || c.Address != "家乐花园东门" {
			t.Fatalf("case: %+v", c)
		}
		// The contact is kept privately.
		rep, err := reportByCode(context.Background(), db, code)
		if err != nil || rep.Name != "王秀英" || rep.Phone != "13912345678" || rep.CaseID != c.ID {
			t.Fatalf("private record: %+v %v", rep, err)
		}
		_, evs, _ := e.f.App.Cases.Get(context.Background(), e.f.Actors["admin"], c.ID)
		if len(evs) != 1 || len(evs[0].Attachments) != 1 || evs[0].ActorName != "portal" {
			t.Fatalf("report event: %+v", evs)
		}
		stored := readBlob(t, e.f.App, evs[0].Attachments[0])
		if hasEXIF(stored) {
			t.Error("the stored photo keeps its EXIF")
		}

		p := cz.get("/public/t/" + code + "?new=1")
		if p.status != 200 {
			t.Fatalf("tracking page: %d", p.status)
		}
		for _, want := range []string{code, c.Code(), "已受理", "小区门口有暴露垃圾", "暴露垃圾", "反映已提交", "/public/t/" + code + "/photo/" + evs[0].Attachments[0]} {
			if !strings.Contains(p.body, want) {
				t.Errorf("tracking page lacks %q", want)
			}
		}
		photo := cz.get("/public/t/" + code + "/photo/" + evs[0].Attachments[0])
		if photo.status != 200 || photo.header.Get("Content-Type") != "image/jpeg" || hasEXIF([]byte(photo.body)) {
			t.Errorf("public photo: %d %q exif=%v", photo.status, photo.header.Get("Content-Type"), hasEXIF([]byte(photo.body)))
		}
		// A photo of another case is not served under this code.
		other := e.f.Photo(t, "other")
		if p := cz.get("/public/t/" + code + "/photo/" + other); p.status != 404 {
			t.Errorf("foreign photo: %d", p.status)
		}
		// Staff names and internal notes stay out once the case moves on.
		after := e.f.Photo(t, "after")
		e.close(c, after)
		p = cz.get("/public/t/" + code)
		if !strings.Contains(p.body, "/public/t/"+code+"/photo/"+after) {
			t.Error("the handled photo is not on the tracking page")
		}
		if ph := cz.get("/public/t/" + code + "/photo/" + after); ph.status != 200 || ph.header.Get("Content-Type") != "image/png" {
			t.Errorf("handled photo: %d %q", ph.status, ph.header.Get("Content-Type"))
		}
		en := cz.get("/public/t/" + code + "?lang=en")
		if !strings.Contains(en.body, "Closed") || !strings.Contains(en.body, "Fixed, verified and closed.") || !strings.Contains(p.body, "已结案") {
			t.Errorf("closed case pages lack the state")
		}
		o := httptest.NewServer(open311.New(e.f.App, slog.New(slog.NewTextHandler(io.Discard, nil))))
		defer o.Close()
		o311 := cz.getAbs(o.URL + "/open311/v2/requests.json?extensions=true&start_date=2026-11-01T00:00:00Z")
		if o311.status != 200 || !strings.Contains(o311.body, c.Code()) {
			t.Fatalf("open311 read: %d %s", o311.status, o311.body)
		}
		for name, body := range map[string]string{"zh": p.body, "en": en.body, "open311": o311.body} {
			for _, secret := range []string{"王秀英", "13912345678", "内部备注", "dispatcher", "inspector", "张伟", "李强", "环卫班组"} {
				if strings.Contains(body, secret) {
					t.Errorf("%s page shows %q", name, secret)
				}
			}
		}
	})
}

func (cz *citizen) getAbs(u string) page {
	cz.e.t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	return cz.do(req)
}

func readBlob(t *testing.T, a *app.App, id string) []byte {
	t.Helper()
	f, err := a.Blobs.Open(id)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return b
}

// TestBadInput: every refusal is a 4xx page with a clear message in the
// page's language, never a 500.
func TestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, func(c *Config) { c.MaxPhotoBytes = 64 << 10 })
		with := func(k, v string) url.Values {
			r := goodReport()
			if v == "" {
				r.Del(k)
			} else {
				r.Set(k, v)
			}
			return r
		}
		huge := bytes.Repeat([]byte("x"), 300<<10)
		cases := []struct {
			name   string
			v      url.Values
			files  []file
			status int
			zh, en string
		}{
			{"no location", with("lat", ""), nil, 400, "请在地图上标出位置", "Please pin the place"},
			{"bad location", with("lat", "north"), nil, 400, "位置坐标无效", "not a valid position"},
			{"outside every grid", with("lon", "121.0"), nil, 422, "不在本平台的服务范围内", "outside the area this service covers"},
			{"unknown category", with("category", "Z9999"), nil, 400, "问题类别不存在", "Unknown category"},
			{"no category", with("category", ""), nil, 400, "请选择问题类别", "Please choose a category"},
			{"no description", with("description", ""), nil, 400, "请填写问题描述", "Please describe the problem"},
			{"long description", with("description", strings.Repeat("脏", 1001)), nil, 400, "问题描述超过 1000 字", "description is longer than 1000"},
			{"bad phone", with("phone", "call me<script>"), nil, 400, "电话号码只能包含", "phone number may hold"},
			{"non-image photo", goodReport(), []file{{"notes.txt", []byte("just some text, not a picture at all")}}, 415, "该文件不是照片", "not a photo"},
			{"too big photo", goodReport(), []file{{"big.jpg", append(gpsJPEG(t), bytes.Repeat([]byte{0}, 70<<10)...)}}, 413, "超过 0.0625 MB", "larger than 0.0625 MB"},
			{"too many photos", goodReport(), []file{{"a.jpg", gpsJPEG(t)}, {"b.jpg", gpsJPEG(t)}, {"c.jpg", gpsJPEG(t)}, {"d.jpg", gpsJPEG(t)}}, 400, "最多 3 张照片", "At most 3 photos"},
			{"huge body", goodReport(), []file{{"a.jpg", huge}, {"b.jpg", huge}, {"c.jpg", huge}}, 413, "提交内容过大", "too large"},
			{"honeypot", with("website", "http://spam.example"), nil, 400, "自动程序", "automated"},
			{"no CSRF token", with("csrf", "0123456789abcdef0123456789abcdef"), nil, 403, "表单已失效", "form has expired"},
		}
		for _, lang := range []string{"zh", "en"} {
			cz := e.citizen(lang)
			for _, tc := range cases {
				p := cz.report(tc.v, tc.files...)
				want := tc.zh
				if lang == "en" {
					want = tc.en
				}
				if p.status != tc.status || !strings.Contains(p.body, want) {
					t.Errorf("%s (%s): %d, want %d with %q\n%s", tc.name, lang, p.status, tc.status, want, excerpt(p.body))
				}
			}
		}
		// A refused form keeps what was typed.
		cz := e.citizen("")
		p := cz.report(with("category", ""))
		if !strings.Contains(p.body, "小区门口有暴露垃圾") || !strings.Contains(p.body, `value="13912345678"`) {
			t.Error("the refused form lost what was typed")
		}
		// Unknown tracking codes, bad codes, methods.
		for path, status := range map[string]int{"/public/t/ABCDEFGHJK": 404, "/public/t/short": 404, "/public/t/0000000000": 404,
			"/public/track?code=nope": 404, "/public/nowhere": 404} {
			if p := cz.get(path); p.status != status || !strings.Contains(p.body, "id=\"error\"") {
				t.Errorf("GET %s: %d, want %d", path, p.status, status)
			}
		}
		var n int
		db.R.QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&n)
		if n != 0 {
			t.Errorf("%d cases stored from refused reports", n)
		}
	})
}

func excerpt(s string) string {
	if i := strings.Index(s, "<main>"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 600 {
		s = s[:600]
	}
	return s
}

// TestRateLimit: the third post within the burst of 2 gets 429 with a
// Retry-After that the token bucket implies: 1 token at 2 per hour is 1800 s.
func TestRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, func(c *Config) { c.PostLimit = open311.Limit{Rate: 2.0 / 3600, Burst: 2} })
		cz := e.citizen("")
		cz.reported(goodReport())
		cz.reported(goodReport())
		p := cz.report(goodReport())
		if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") != "1800" || !strings.Contains(p.body, "1800 秒后重试") {
			t.Fatalf("third report: %d Retry-After %q\n%s", p.status, p.header.Get("Retry-After"), excerpt(p.body))
		}
		// Pages are not posts: the tracking form still answers.
		if p := cz.get("/public/track"); p.status != 200 {
			t.Errorf("track form while limited: %d", p.status)
		}
		e.advance(30 * time.Minute)
		cz.reported(goodReport())
		var n int
		db.R.QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&n)
		if n != 3 {
			t.Errorf("%d cases, want 3", n)
		}
	})
}

// TestRating: rating waits for closing, is taken once, and an unsatisfied
// rating reports a follow-up case linked to the closed one.
func TestRating(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		cz := e.citizen("")
		ctx := context.Background()
		code := cz.reported(goodReport())
		rate := func(code, rating, comment string) page {
			return cz.postForm("/public/t/"+code+"/rate", url.Values{"csrf": {cz.csrf}, "rating": {rating}, "comment": {comment}})
		}
		if p := rate(code, "satisfied", ""); p.status != 409 || !strings.Contains(p.body, "结案后才能评价") {
			t.Errorf("rating an open case: %d", p.status)
		}
		if p := cz.get("/public/t/" + code); strings.Contains(p.body, `id="rate"`) {
			t.Error("rating form on an open case")
		}
		c := e.close(e.caseOf(code), "")
		if p := cz.get("/public/t/" + code); !strings.Contains(p.body, `id="rate"`) || !strings.Contains(p.body, "基本满意") {
			t.Error("no rating form on the closed case")
		}
		if p := rate(code, "great", ""); p.status != 400 {
			t.Errorf("unknown rating: %d", p.status)
		}
		if p := cz.postForm("/public/t/"+code+"/rate", url.Values{"rating": {"satisfied"}}); p.status != 403 {
			t.Errorf("rating without CSRF: %d", p.status)
		}
		e.advance(time.Hour)
		p := rate(code, "unsatisfied", "垃圾又堆起来了")
		if p.status != 303 || p.header.Get("Location") != "/public/t/"+code+"?rated=1" {
			t.Fatalf("unsatisfied: %d %q %s", p.status, p.header.Get("Location"), excerpt(p.body))
		}
		rep, _ := reportByCode(ctx, db, code)
		if rep.Rating != "unsatisfied" || rep.Comment != "垃圾又堆起来了" || rep.Followup == 0 || !rep.RatedAt.Equal(testStart.Add(time.Hour).UTC()) {
			t.Fatalf("rating record: %+v", rep)
		}
		f, _, err := e.f.App.Cases.Get(ctx, e.f.Actors["admin"], rep.Followup)
		if err != nil || f.State != casework.Reported || f.Grid != c.Grid || f.Category != c.Category || f.Source != casework.SourceCitizen ||
			f.Description != "市民对案件 "+c.Code()+" 的处理结果不满意，申请复核：垃圾又堆起来了" {
			t.Fatalf("follow-up case: %+v %v", f, err)
		}
		var kind string
		if err := db.R.QueryRow(db.Q(`SELECT kind FROM case_links WHERE case_id = ? AND target_id = ? AND removed_at IS NULL`), c.ID, f.ID).Scan(&kind); err != nil || kind != app.LinkReopen {
			t.Errorf("link: %q %v", kind, err)
		}
		p = cz.get("/public/t/" + code + "?rated=1")
		for _, want := range []string{"评价已提交", "不满意", "垃圾又堆起来了", "已转为复核案件 " + f.Code() + "，当前状态：已受理"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("rated page lacks %q", want)
			}
		}
		if strings.Contains(p.body, `id="rate"`) {
			t.Error("rating form shown after rating")
		}
		if p := rate(code, "satisfied", ""); p.status != 409 || !strings.Contains(p.body, "已评价过") {
			t.Errorf("second rating: %d", p.status)
		}
		var n int
		db.R.QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&n)
		if n != 2 {
			t.Errorf("%d cases, want 2 (the report and one follow-up)", n)
		}
		// A satisfied rating reports nothing.
		code2 := cz.reported(goodReport())
		e.close(e.caseOf(code2), "")
		if p := rate(code2, "basic", ""); p.status != 303 {
			t.Fatalf("basic: %d", p.status)
		}
		rep2, _ := reportByCode(ctx, db, code2)
		db.R.QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&n)
		if rep2.Rating != "basic" || rep2.Followup != 0 || n != 3 {
			t.Errorf("basic rating: %+v, %d cases", rep2, n)
		}
	})
}

// TestLocales: both languages have the same keys, every key a template or
// the code asks for exists, and every state has a name.
func TestLocales(t *testing.T) {
	for _, l := range Langs[1:] {
		for k := range locales[Langs[0]] {
			if _, ok := locales[l][k]; !ok {
				t.Errorf("%s lacks %q", l, k)
			}
		}
		for k := range locales[l] {
			if _, ok := locales[Langs[0]][k]; !ok {
				t.Errorf("%s has %q, %s has not", l, k, Langs[0])
			}
		}
	}
	used := map[string]bool{"note.return": true}
	for _, r := range Ratings {
		used["rating."+r] = true
	}
	for _, st := range []casework.State{casework.Reported, casework.Registered, casework.Rejected, casework.Dispatched,
		casework.Handled, casework.Verified, casework.Closed, casework.Suspended} {
		used["state."+string(st)] = true
	}
	entries, _ := os.ReadDir("templates")
	re := regexp.MustCompile(`\{\{t "([a-z.]+)"`)
	for _, en := range entries {
		b, _ := os.ReadFile("templates/" + en.Name())
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	for k := range used {
		for _, l := range Langs {
			if _, ok := locales[l][k]; !ok {
				t.Errorf("%s lacks %q", l, k)
			}
		}
	}
	if len(used) < 40 {
		t.Errorf("only %d keys found in use: the scan is broken", len(used))
	}
}

// TestHeaders: the CSP allows no inline script or style, and the static
// files (Leaflet included) are served.
func TestHeaders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		cz := e.citizen("")
		p := cz.get("/public/")
		csp := p.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("CSP %q", csp)
		}
		if strings.Contains(p.body, "<script>") || strings.Contains(p.body, " style=") || strings.Contains(p.body, "<style") {
			t.Error("inline script or style in the report page")
		}
		if !strings.Contains(p.body, `lang="zh-CN"`) || !strings.Contains(p.body, "反映城市管理问题") {
			t.Error("the default page is not Chinese")
		}
		for _, path := range []string{"/public/static/portal.js", "/public/static/portal.css", "/public/static/vendor/leaflet/leaflet.js",
			"/public/static/vendor/leaflet/images/marker-icon.png"} {
			if p := cz.get(path); p.status != 200 || len(p.body) < 100 {
				t.Errorf("%s: %d", path, p.status)
			}
		}
		if p := cz.get("/public/?lang=en"); !strings.Contains(p.body, `lang="en"`) || !strings.Contains(p.body, "Report a city problem") {
			t.Error("English page")
		}
		if p := cz.get("/public/"); !strings.Contains(p.body, "Report a city problem") {
			t.Error("the language choice is not remembered")
		}
	})
}

// TestMergedReport: a report merged into another citizen's case follows the
// master's progress, and is rated on the master once that is closed.
func TestMergedReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		ctx := context.Background()
		first, second := e.citizen(""), e.citizen("")
		masterCode := first.reported(goodReport())
		dupCode := second.reported(goodReport())
		master, dup := e.caseOf(masterCode), e.caseOf(dupCode)
		if _, err := e.f.App.Merge(ctx, e.f.Actors["dispatcher"], dup.ID, master.ID, dup.Version); err != nil {
			t.Fatal(err)
		}
		p := second.get("/public/t/" + dupCode)
		if !strings.Contains(p.body, "已合并至案件 "+master.Code()+" 一并办理，当前状态：已受理") {
			t.Errorf("merged report page:\n%s", excerpt(p.body))
		}
		if strings.Contains(p.body, `id="rate"`) {
			t.Error("rating offered before the master is closed")
		}
		master = e.close(master, "")
		if p := second.get("/public/t/" + dupCode); !strings.Contains(p.body, `id="rate"`) || !strings.Contains(p.body, "当前状态：已结案") {
			t.Error("no rating form once the master is closed")
		}
		p = second.postForm("/public/t/"+dupCode+"/rate", url.Values{"csrf": {second.csrf}, "rating": {"unsatisfied"}})
		if p.status != 303 {
			t.Fatalf("rating the merged report: %d %s", p.status, excerpt(p.body))
		}
		rep, _ := reportByCode(ctx, db, dupCode)
		f, _, err := e.f.App.Cases.Get(ctx, e.f.Actors["admin"], rep.Followup)
		if err != nil || !strings.Contains(f.Description, "案件 "+master.Code()+" 的处理结果不满意") {
			t.Fatalf("follow-up of the master: %+v %v", f, err)
		}
		if target, kind, _ := liveLink(ctx, db, master.ID); target != f.ID || kind != app.LinkReopen {
			t.Errorf("master follows %d (%s), want %d", target, kind, f.ID)
		}
		// The master's own citizen may still rate it: one rating per report.
		if p := first.postForm("/public/t/"+masterCode+"/rate", url.Values{"csrf": {first.csrf}, "rating": {"satisfied"}}); p.status != 303 {
			t.Errorf("the master's own rating: %d", p.status)
		}
	})
}

// TestCleanTurnsByOrientation: a 32×24 photo whose top-left quadrant is
// red, tagged orientation 6 (the camera was turned a quarter), comes out
// 24×32 with the red quadrant top right; orientation 3 puts it bottom right.
func TestCleanTurnsByOrientation(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for y := 0; y < 24; y++ {
		for x := 0; x < 32; x++ {
			c := color.RGBA{0, 0, 255, 255}
			if x < 16 && y < 12 {
				c = color.RGBA{255, 0, 0, 255}
			}
			img.Set(x, y, c)
		}
	}
	red := func(im image.Image, x, y int) bool {
		r, _, b, _ := im.At(x, y).RGBA()
		return r > 0xC000 && b < 0x4000
	}
	for _, tc := range []struct {
		o            uint16
		w, h         int
		redX, redY   int
		blueX, blueY int
	}{
		{0, 32, 24, 3, 3, 28, 20},
		{6, 24, 32, 20, 3, 3, 3},
		{3, 32, 24, 28, 20, 3, 3},
		{8, 24, 32, 3, 28, 20, 3},
	} {
		raw := exifJPEG(t, img, tc.o)
		if tc.o > 0 && orientation(raw) != int(tc.o) {
			t.Fatalf("orientation read back as %d, want %d", orientation(raw), tc.o)
		}
		clean, _, err := Clean(raw, 1_000_000)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := image.Decode(bytes.NewReader(clean))
		if err != nil {
			t.Fatal(err)
		}
		if b := out.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("orientation %d: %dx%d, want %dx%d", tc.o, b.Dx(), b.Dy(), tc.w, tc.h)
			continue
		}
		if !red(out, tc.redX, tc.redY) || red(out, tc.blueX, tc.blueY) {
			t.Errorf("orientation %d: red at (%d,%d)=%v, blue at (%d,%d)=%v", tc.o, tc.redX, tc.redY, out.At(tc.redX, tc.redY), tc.blueX, tc.blueY, out.At(tc.blueX, tc.blueY))
		}
		if hasEXIF(clean) {
			t.Errorf("orientation %d: EXIF kept", tc.o)
		}
	}
	if orientation([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00}) != 1 || orientation([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 'E'}) != 1 {
		t.Error("truncated APP1 not read as no orientation")
	}
}

// TestPageLimit: guessing tracking codes from one address runs into the
// page limit (burst 3, one a second: the fourth answer is 429, wait 1 s).
func TestPageLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, func(c *Config) { c.PageLimit = open311.Limit{Rate: 1, Burst: 3} })
		cz := e.citizen("") // the first page
		for i, want := range []int{404, 404, 429} {
			p := cz.get("/public/t/ABCDEFGH2" + strconv.Itoa(i+2))
			if p.status != want {
				t.Fatalf("guess %d: %d, want %d", i, p.status, want)
			}
			if want == 429 && p.header.Get("Retry-After") != "1" {
				t.Errorf("Retry-After %q", p.header.Get("Retry-After"))
			}
		}
		e.advance(time.Second)
		if p := cz.get("/public/track"); p.status != 200 {
			t.Errorf("after a second: %d", p.status)
		}
	})
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"XIUHUA_PORTAL_RATE": "20", "XIUHUA_PORTAL_BURST": "4", "XIUHUA_PORTAL_MAX_PHOTOS": "2",
		"XIUHUA_PORTAL_CENTER": "120.3, 31.5", "XIUHUA_PORTAL_MAX_PHOTO_BYTES": "12", "XIUHUA_PORTAL_TRUST_PROXY": "yes please"}
	c, probs := ConfigFromEnv(func(k string) string { return env[k] })
	d := DefaultConfig()
	if c.PostLimit.Rate != 20.0/3600 || c.PostLimit.Burst != 4 || c.MaxPhotos != 2 || c.Center != [2]float64{120.3, 31.5} {
		t.Errorf("config %+v", c)
	}
	if c.MaxPhotoBytes != d.MaxPhotoBytes || c.TrustProxy || len(probs) != 2 {
		t.Errorf("bad values: %d bytes, trust %v, problems %q", c.MaxPhotoBytes, c.TrustProxy, probs)
	}
}
