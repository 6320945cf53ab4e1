package web

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

var cardRE = regexp.MustCompile(`<a class="card-link" href="/cases/(\d+)">`)

func cards(p page) []string {
	var out []string
	for _, m := range cardRE.FindAllStringSubmatch(p.body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestReportForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ins := e.client()
		ins.login("inspector")
		p := ins.get("/report")
		for _, frag := range []string{`accept="image/*" capture="environment" multiple`, `data-search="e0102 暴露垃圾 exposed garbage bllj"`,
			`<label for="lat">纬度</label>`, `<label for="category">分类</label>`, `<label for="cat-search">查找分类</label>`} {
			if !strings.Contains(p.body, frag) {
				t.Errorf("report form lacks %s", frag)
			}
		}
		// Refusals come back on the form, with what was typed kept.
		form := url.Values{"_csrf": {ins.token()}, "category": {"E0102"}, "description": {"垃圾桶满溢无人清运"}, "lat": {""}, "lon": {"120.22"}}
		p = ins.postFiles("/report", form)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "经纬度必填") || !strings.Contains(p.body, ">垃圾桶满溢无人清运</textarea>") {
			t.Fatalf("missing lat: %d %q", p.status, alert(p.body))
		}
		form.Set("lat", "31.00")
		form.Set("lon", "121.00")
		if p := ins.postFiles("/report", form); p.status != http.StatusUnprocessableEntity || !strings.Contains(alert(p.body), "不在本辖区任何单元网格内") {
			t.Errorf("outside every grid: %d %q", p.status, alert(p.body))
		}
		form.Set("lat", "north")
		if p := ins.postFiles("/report", form); p.status != http.StatusBadRequest {
			t.Errorf("lat not a number: %d", p.status)
		}
		form.Set("lat", "31.52")
		form.Set("lon", "120.22")
		if p := ins.postFiles("/report", form, []byte("GIF89a not accepted")); p.status != http.StatusUnsupportedMediaType {
			t.Errorf("a GIF: %d", p.status)
		}
		// Without JavaScript the form posts urlencoded: it still works (no photos).
		if p := ins.post("/report", form); p.status != http.StatusSeeOther {
			t.Errorf("urlencoded report: %d %q", p.status, alert(p.body))
		}
		// Too many photos.
		var many [][]byte
		for i := range maxPhotos + 1 {
			many = append(many, photo(string(rune('a'+i))))
		}
		if p := ins.postFiles("/report", form, many...); p.status != http.StatusBadRequest {
			t.Errorf("%d photos: %d", len(many), p.status)
		}
		// Handlers do not report; leaders report without uploading.
		san := e.client()
		san.login("san")
		if p := san.get("/report"); p.status != http.StatusForbidden {
			t.Errorf("handler's report page: %d", p.status)
		}
		if strings.Contains(san.get("/cases").body, `href="/report"`) {
			t.Error("a handler is offered the report page")
		}
		lead := e.client()
		lead.login("leader")
		form.Set("_csrf", lead.token())
		if p := lead.postFiles("/report", form, photo("x")); p.status != http.StatusForbidden {
			t.Errorf("leader with a photo: %d", p.status)
		}
		// A dispatcher may say where a report came from (the hotline).
		disp := e.client()
		disp.login("dispatcher")
		form.Set("_csrf", disp.token())
		form.Set("source", "hotline")
		p = disp.postFiles("/report", form)
		if p.status != http.StatusSeeOther {
			t.Fatalf("hotline report: %d %q", p.status, alert(p.body))
		}
		if p := disp.get(p.location()); !strings.Contains(p.body, "12345热线") {
			t.Error("the source is not shown")
		}
	})
}

func TestMineAndNearby(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		mine1 := e.report("inspector", apptest.PointJiale1, "E0102", "一")
		e.report("leader", apptest.PointJiale1, "E0102", "领导发现")
		mine2 := e.report("inspector", apptest.PointNanyuan, "E0504", "二")
		ins := e.client()
		ins.login("inspector")
		if got := cards(ins.get("/mine")); !sameList(got, ids(mine2, mine1)) {
			t.Errorf("my reports: %v", got)
		}

		// Three handled cases, in this order: at 家乐 01 (120.22, 31.52), 南苑
		// (120.27, 31.55) and 金星 (120.35, 31.55).
		handled := func(pt [2]float64, tag string) casework.Case {
			c := e.report("inspector", pt, "E0102", "待核查"+tag)
			c = e.act("dispatcher", c, casework.Register, casework.Input{})
			c = e.act("dispatcher", c, casework.Dispatch, casework.Input{Unit: "320213.sanitation"})
			e.advance(time.Minute)
			return e.act("san", c, casework.Handle, casework.Input{Attachments: []string{e.f.Photo(t, tag)}})
		}
		jiale, nanyuan, jinxing := handled(apptest.PointJiale1, "j"), handled(apptest.PointNanyuan, "n"), handled(apptest.PointJinxing, "x")
		ins.login("inspector") // the clock moved: a fresh session
		// No location: longest waiting first.
		p := ins.get("/nearby")
		if got := cards(p); !sameList(got, ids(jiale, nanyuan, jinxing)) || !strings.Contains(p.body, "等待最久的在前") {
			t.Errorf("nearby without a location: %v", got)
		}
		// From (120.36, 31.55): 金星 is 948 m west, 南苑 8.5 km, 家乐 13.7 km.
		p = ins.get("/nearby?lat=31.55&lon=120.36")
		if got := cards(p); !sameList(got, ids(jinxing, nanyuan, jiale)) {
			t.Errorf("nearby from 金星's east: %v", got)
		}
		for _, d := range []string{">948 m<", ">8.5 km<", ">13.7 km<"} {
			if !strings.Contains(p.body, d) {
				t.Errorf("distance %s not shown", d)
			}
		}
		if got := cards(ins.get("/nearby?lat=31.55&lon=120.27")); !sameList(got, ids(nanyuan, jiale, jinxing)) {
			t.Errorf("nearby from 南苑: %v", got)
		}
		// Scoped: inspector2 (清名桥街道) never sees 金星.
		ins2 := e.client()
		ins2.login("inspector2")
		if got := cards(ins2.get("/nearby?lat=31.55&lon=120.36")); !sameList(got, ids(nanyuan, jiale)) {
			t.Errorf("inspector2 nearby: %v", got)
		}
		if p := ins.get("/nearby?lat=abc&lon=1"); p.status != http.StatusBadRequest {
			t.Errorf("bad location: %d", p.status)
		}
	})
}

// TestLocate checks the report form's JSON call.
func TestLocate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ins2 := e.client()
		ins2.login("inspector2") // scope: 清名桥街道 320213022
		get := func(q string) (int, map[string]any) {
			p := ins2.get("/locate?" + q)
			var m map[string]any
			if err := json.Unmarshal([]byte(p.body), &m); err != nil {
				t.Fatalf("%s: %v %q", q, err, p.body)
			}
			return p.status, m
		}
		st, m := get("lat=31.52&lon=120.22")
		if st != 200 || m["text"] != "梁溪区 · 清名桥街道 · 家乐花园社区 · 家乐花园01网格" || m["in_scope"] != true {
			t.Errorf("家乐 01: %d %v", st, m)
		}
		st, m = get("lat=31.55&lon=120.35")
		if st != 200 || m["in_scope"] != false || m["warning"] != "不在您的管辖范围内" {
			t.Errorf("金星 for inspector2: %d %v", st, m)
		}
		if st, m = get("lat=31&lon=121"); st != http.StatusUnprocessableEntity || m["error"] != "该位置不在任何单元网格内" {
			t.Errorf("outside: %d %v", st, m)
		}
		if st, _ = get("lat=x&lon=121"); st != http.StatusBadRequest {
			t.Errorf("bad lat: %d", st)
		}
		if p := e.client().get("/locate?lat=31.52&lon=120.22"); p.status != http.StatusUnauthorized {
			t.Errorf("signed out: %d", p.status)
		}
	})
}

func TestHaversine(t *testing.T) {
	// One degree of latitude is 111.19 km on the 6371 km sphere (2πR/360).
	if d := haversine(31, 120, 32, 120); math.Abs(d-111194.93) > 0.01 {
		t.Errorf("1° of latitude: %.0f m", d)
	}
	// One degree of longitude at 60° is a little under half that (a great
	// circle, not the parallel).
	if d := haversine(60, 120, 60, 121); math.Abs(d-55596.93) > 0.01 {
		t.Errorf("1° of longitude at 60°N: %.0f m", d)
	}
	for m, want := range map[float64]string{12.4: "12 m", 999.6: "1000 m", 1000: "1.0 km", 4567: "4.6 km"} {
		if got := fmtDistance(m); got != want {
			t.Errorf("fmtDistance(%v) = %q, want %q", m, got, want)
		}
	}
}
