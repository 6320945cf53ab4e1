package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/open311"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestCitizenUpdatesOnCasePage: what citizens add after reporting (an
// update posted through Open311's servicerequestupdates, a rating with a
// comment on the portal, also on a duplicate merged into the case) is shown
// to the command centre on the case page under 市民补充, without the
// citizen's contact details; handlers and inspectors do not get the section.
func TestCitizenUpdatesOnCasePage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		master := e.report("inspector", apptest.PointJiale1, "E0102", "清扬路暴露垃圾")
		dup := e.report("inspector", apptest.PointJiale1, "E0102", "清扬路又有垃圾")
		quiet := e.report("inspector", apptest.PointNanyuan, "E0102", "无人补充")

		// FixMyStreet posts an update on the master case and one on the duplicate.
		_, secret, err := open311.AddKey(ctx, e.f.App, "fixmystreet", "")
		if err != nil {
			t.Fatal(err)
		}
		o := open311.New(e.f.App, nil)
		o.Config.PerIP.Rate, o.Config.PerKey.Rate = 0, 0
		o.Now = e.clock
		update := func(code, id, desc, media string) {
			t.Helper()
			form := url.Values{"api_key": {secret}, "service_request_id": {code}, "update_id": {id}, "status": {"OPEN"},
				"description": {desc}, "email": {"citizen@example.cn"}, "phone": {"13800001111"}, "first_name": {"王"}, "last_name": {"小明"},
				"updated_datetime": {"2026-11-25T10:00:00+08:00"}}
			if media != "" {
				form.Set("media_url", media)
			}
			req := httptest.NewRequest("POST", "/open311/v2/servicerequestupdates.json", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			o.ServeHTTP(w, req)
			var out []map[string]any
			if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &out) != nil || len(out) != 1 {
				t.Fatalf("update %s: %d %s", id, w.Code, w.Body)
			}
		}
		update(master.Code(), "u1", "垃圾还在，味道很大", "https://fms.example.cn/photo/1.jpeg")
		e.advance(time.Minute)
		update(dup.Code(), "u2", "楼下也有一堆", "")
		// The duplicate is merged into the master case.
		if _, err := e.f.App.Merge(ctx, e.f.Actors["dispatcher"], dup.ID, master.ID, dup.Version); err != nil {
			t.Fatal(err)
		}
		// A portal citizen rated the master case (as the portal records it).
		e.advance(time.Minute)
		if _, err := db.W.ExecContext(ctx, db.Q(`INSERT INTO portal_reports (case_id, code, name, phone, created_at, rating, rating_comment, rated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), master.ID, "abcdefabcdefabcd", "李四", "13900002222", e.clock().UnixMilli(),
			"unsatisfied", "处理太慢", e.clock().UnixMilli()); err != nil {
			t.Fatal(err)
		}

		disp := e.client()
		disp.login("dispatcher")
		p := disp.get("/cases/" + itoa(master.ID))
		if p.status != http.StatusOK {
			t.Fatalf("case page: %d", p.status)
		}
		sec := section(p.body, `id="citizen"`)
		for _, want := range []string{"市民补充", "Open311 · fixmystreet", "OPEN", "垃圾还在，味道很大", `href="https://fms.example.cn/photo/1.jpeg"`,
			"楼下也有一堆", "来自关联案件", `href="/cases/` + itoa(dup.ID) + `">` + dup.Code(), "市民门户评价", "不满意", "处理太慢"} {
			if !strings.Contains(sec, want) {
				t.Errorf("citizen section lacks %q:\n%s", want, sec)
			}
		}
		// Oldest first: the update, the duplicate's update, the rating.
		if i, j, k := strings.Index(sec, "垃圾还在"), strings.Index(sec, "楼下也有一堆"), strings.Index(sec, "处理太慢"); !(i < j && j < k) {
			t.Errorf("order %d %d %d", i, j, k)
		}
		for _, secret := range []string{"citizen@example.cn", "13800001111", "小明", "李四", "13900002222"} {
			if strings.Contains(p.body, secret) {
				t.Errorf("the case page shows the contact %q", secret)
			}
		}
		// A case nobody added to has no section; English names it so.
		if strings.Contains(disp.get("/cases/"+itoa(quiet.ID)).body, `id="citizen"`) {
			t.Error("a section for a case without citizen updates")
		}
		disp.lang = "en"
		if en := disp.get("/cases/" + itoa(master.ID)); !strings.Contains(en.body, "Citizen updates") || !strings.Contains(en.body, "Unsatisfied") {
			t.Error("no English section")
		}
		// Inspectors do not get it; a dispatcher of another street does not see the case.
		ins := e.client()
		ins.login("inspector")
		if p := ins.get("/cases/" + itoa(master.ID)); p.status != http.StatusOK || strings.Contains(p.body, "垃圾还在") {
			t.Errorf("inspector: %d, section shown: %v", p.status, strings.Contains(p.body, "垃圾还在"))
		}
		jx := e.client()
		jx.login("dispatcher-jx")
		if p := jx.get("/cases/" + itoa(master.ID)); p.status != http.StatusNotFound || strings.Contains(p.body, "垃圾还在") {
			t.Errorf("dispatcher-jx: %d", p.status)
		}
	})
}

// section returns the HTML element that opens with the attribute, up to its
// closing </section> ("" when absent).
func section(body, attr string) string {
	i := strings.Index(body, attr)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</section>")
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}
