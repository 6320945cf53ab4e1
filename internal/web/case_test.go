package web

import (
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

var actionFormRE = regexp.MustCompile(`<form method="post" action="/cases/\d+/([a-z-]+)"`)

// actionForms lists the action forms a case page offers, in order.
func actionForms(p page) []string {
	var out []string
	for _, m := range actionFormRE.FindAllStringSubmatch(p.body, -1) {
		out = append(out, m[1])
	}
	return out
}

var photoRE = regexp.MustCompile(`src="/photos/([0-9a-f]{64})"`)

func TestCasePageActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.report("inspector", apptest.PointJiale1, "E0102", "清扬路暴露垃圾")
		path := "/cases/" + itoa(c.ID)
		clients := map[string]*client{}
		for _, u := range []string{"dispatcher", "dispatcher-jx", "inspector", "inspector2", "san", "jiale", "leader"} {
			clients[u] = e.client()
			clients[u].login(u)
		}
		// Only what each may do now is offered.
		for _, tc := range []struct {
			who  string
			want []string
		}{
			{"dispatcher", []string{"register", "reject"}},
			{"inspector", nil},
			{"leader", nil},
			{"san", nil},
		} {
			p := clients[tc.who].get(path)
			if p.status != 200 || !sameList(actionForms(p), tc.want) {
				t.Errorf("%s on a reported case: %d %v, want %v", tc.who, p.status, actionForms(p), tc.want)
			}
		}
		if p := clients["inspector"].get(path); !strings.Contains(p.body, "您当前不能对此案件执行操作。") {
			t.Error("no 'nothing to do' line for the inspector")
		}
		// Out of scope reads as absent; so does a case that does not exist.
		if p := clients["dispatcher-jx"].get(path); p.status != http.StatusNotFound {
			t.Errorf("dispatcher-jx: %d", p.status)
		}
		if p := clients["dispatcher"].get("/cases/99999"); p.status != http.StatusNotFound || !strings.Contains(p.body, "案件 99999 不存在") {
			t.Errorf("no such case: %d %q", p.status, alert(p.body))
		}
		// The case number works as well as the id.
		if p := clients["dispatcher"].get("/cases/" + c.Code()); p.status != 200 {
			t.Errorf("by case number: %d", p.status)
		}

		// Registered: dispatch lists the enabled units whose scope covers
		// grid 32021302201001, the category's duty (sanitation) first.
		c = e.act("dispatcher", c, casework.Register, casework.Input{})
		p := clients["dispatcher"].get(path)
		if !sameList(actionForms(p), []string{"dispatch", "suspend"}) {
			t.Fatalf("registered: %v", actionForms(p))
		}
		opts := regexp.MustCompile(`<option value="([^"]+)">([^<]*)</option>`).FindAllStringSubmatch(p.body[strings.Index(p.body, `id="dispatch-unit"`):], -1)
		var got []string
		for _, o := range opts {
			got = append(got, o[1]+" "+o[2])
		}
		if want := []string{"320213.sanitation 梁溪区环卫处 （建议）", "320213022010.community 家乐花园社区居委会"}; !sameList(got, want) {
			t.Errorf("dispatch units %q, want %q", got, want)
		}

		// Dispatched at Wed 10:00: 8 working hours, due Thu 10:00.
		c = e.act("dispatcher", c, casework.Dispatch, casework.Input{Unit: "320213.sanitation"})
		p = clients["dispatcher"].get(path)
		if !strings.Contains(p.body, "2026-11-26 10:00") || !strings.Contains(p.body, "剩余 8.0 工作小时") {
			t.Errorf("deadline and time left missing: %s", between(p.body, "案件信息", "处置前"))
		}
		if !sameList(actionForms(p), []string{"suspend"}) {
			t.Errorf("dispatcher on a dispatched case: %v", actionForms(p))
		}
		if p := clients["san"].get(path); !sameList(actionForms(p), []string{"return", "handle", "extend"}) {
			t.Errorf("san: %v", actionForms(p))
		}
		if p := clients["jiale"].get(path); len(actionForms(p)) != 0 {
			t.Errorf("another unit's handler: %v", actionForms(p))
		}
		// The handler's forms ask for what the loop needs: photos, reasons, hours.
		p = clients["san"].get(path)
		for _, frag := range []string{`id="handle-photos" name="photos" type="file"`, `enctype="multipart/form-data"`, `id="extend-hours" name="hours" type="number"`, `id="return-reason" name="reason"`} {
			if !strings.Contains(p.body, frag) {
				t.Errorf("san's page lacks %s", frag)
			}
		}
		// At Wed 13:00 (12–13 is lunch): 6 h left, Wed 13–18 and Thu 9–10.
		e.advance(3 * time.Hour)
		clients["dispatcher"].login("dispatcher") // idle for longer than a session lives
		if p := clients["dispatcher"].get(path); !strings.Contains(p.body, "剩余 6.0 工作小时") {
			t.Errorf("at Wed 13:00: %s", between(p.body, "处置时限", "处置前"))
		}
	})
}

// between returns the part of s between two markers, for failure messages.
func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i:], b)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+j]
}

// TestLoopForms walks a case round the loop through the console's forms:
// report with a photo, register, dispatch, handle with a photo (after a
// refused attempt without), verify with a photo, close.
func TestLoopForms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ins, disp, san, ins2 := e.client(), e.client(), e.client(), e.client()
		ins.login("inspector")
		disp.login("dispatcher")
		san.login("san")
		ins2.login("inspector2")

		form := url.Values{"_csrf": {ins.token()}, "category": {"E0102"}, "description": {"家乐花园门口暴露垃圾"},
			"lat": {"31.52"}, "lon": {"120.22"}, "urgency": {"normal"}, "address": {"清扬路 1 号"}}
		p := ins.postFiles("/report", form, photo("before"))
		loc := p.location()
		if p.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/cases/") || !strings.HasSuffix(loc, "?done=report") {
			t.Fatalf("report: %d %q %s", p.status, loc, alert(p.body))
		}
		path := strings.TrimSuffix(loc, "?done=report")
		p = ins.get(loc)
		if !strings.Contains(p.body, `<p class="flash" role="status">已上报</p>`) || !strings.Contains(p.body, "家乐花园01网格") {
			t.Fatalf("after report: %s", alert(p.body))
		}
		before := photoRE.FindStringSubmatch(p.body)
		if before == nil {
			t.Fatal("no photo on the reported case")
		}

		step := func(c *client, action string, fields url.Values, photos ...[]byte) page {
			t.Helper()
			cur := c.get(path)
			v := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(cur.body)
			if v == nil {
				t.Fatalf("%s: no form on the page (offered %v)", action, actionForms(cur))
			}
			fields.Set("_csrf", csrf(t, cur))
			fields.Set("version", v[1])
			if len(photos) > 0 || action == "handle" || action == "verify" {
				return c.postFiles(path+"/"+action, fields, photos...)
			}
			return c.post(path+"/"+action, fields)
		}
		ok := func(p page, action string) {
			t.Helper()
			if p.status != http.StatusSeeOther || p.location() != path+"?done="+action {
				t.Fatalf("%s: %d %q %s", action, p.status, p.location(), alert(p.body))
			}
		}
		ok(step(disp, "register", url.Values{}), "register")
		// A unit that does not cover the case is refused with the reason.
		p = step(disp, "dispatch", url.Values{"unit": {"320213023.street_office"}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(alert(p.body), "不包含网格 32021302201001") {
			t.Fatalf("dispatch out of area: %d %q", p.status, alert(p.body))
		}
		ok(step(disp, "dispatch", url.Values{"unit": {"320213.sanitation"}, "note": {"请尽快清运"}}), "dispatch")
		// Handling needs a photo: refused without, shown on the case page.
		p = step(san, "handle", url.Values{"note": {"已清运"}})
		if p.status != http.StatusBadRequest || !strings.Contains(alert(p.body), "缺少必填项") || !strings.Contains(p.body, `id="act-handle"`) {
			t.Fatalf("handle without photo: %d %q", p.status, alert(p.body))
		}
		// Not an image: refused by content.
		p = step(san, "handle", url.Values{}, []byte("this is not a photo at all"))
		if p.status != http.StatusUnsupportedMediaType || !strings.Contains(alert(p.body), "仅支持 JPEG、PNG、WebP") {
			t.Fatalf("handle with text: %d %q", p.status, alert(p.body))
		}
		ok(step(san, "handle", url.Values{"note": {"已清运"}}, photo("after")), "handle")
		// The reporter may verify (not the handler); inspector2 does here.
		ok(step(ins2, "verify", url.Values{"passed": {"true"}, "note": {"现场已清理"}}, photo("verified")), "verify")
		ok(step(disp, "close", url.Values{"note": {"予以结案"}}), "close")

		p = disp.get(path)
		if !strings.Contains(p.body, `<span class="state st-closed">已结案</span>`) || len(actionForms(p)) != 0 {
			t.Fatalf("closed case: offered %v", actionForms(p))
		}
		tl := p.body[strings.Index(p.body, `class="timeline"`):]
		var order []string
		for _, m := range regexp.MustCompile(`<span class="ev-action">([^<]+)</span>`).FindAllStringSubmatch(tl, -1) {
			order = append(order, m[1])
		}
		if want := []string{"上报", "立案", "派遣", "处置反馈", "核查", "结案"}; !sameList(order, want) {
			t.Errorf("timeline %v, want %v", order, want)
		}
		for _, frag := range []string{"派遣至：梁溪区环卫处", "请尽快清运", "核查通过", "予以结案", "处置时限：2026-11-26 10:00"} {
			if !strings.Contains(tl, frag) {
				t.Errorf("timeline lacks %q", frag)
			}
		}
		photos := photoRE.FindAllStringSubmatch(p.body, -1)
		if len(photos) < 3*2 { // before/after strips and the timeline
			t.Errorf("%d photo tags on the closed case", len(photos))
		}
		// A stale form (an old version) is refused, not applied twice.
		if p := disp.post(path+"/register", url.Values{"_csrf": {disp.token()}, "version": {"1"}}); p.status != http.StatusConflict {
			t.Errorf("stale register: %d", p.status)
		}

		// Photos: served to who may see the case, absent to others.
		pid := before[1]
		req, _ := http.NewRequest("GET", e.srv.URL+"/photos/"+pid, nil)
		resp := disp.do(req)
		if resp.status != 200 || resp.header.Get("Content-Type") != "image/png" || resp.body != string(photo("before")) {
			t.Errorf("photo for the dispatcher: %d %q", resp.status, resp.header.Get("Content-Type"))
		}
		jx := e.client()
		jx.login("dispatcher-jx")
		if p := jx.get("/photos/" + pid); p.status != http.StatusNotFound {
			t.Errorf("photo for another street: %d", p.status)
		}
		if p := e.client().get("/photos/" + pid); p.status != http.StatusUnauthorized {
			t.Errorf("photo signed out: %d", p.status)
		}
		if p := disp.get("/photos/not-a-blob"); p.status != http.StatusNotFound {
			t.Errorf("bad photo id: %d", p.status)
		}
	})
}
