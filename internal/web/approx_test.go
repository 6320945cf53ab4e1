package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestDeskApprox: a hotline order placed by its address shows on the desk
// with a mark, the desk's "approximate positions only" filter keeps it
// alone, and its case page says, in either language, that the position is
// approximate and where it was located; a case with coordinates says nothing.
func TestDeskApprox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		exact := e.report("inspector", apptest.PointJiale1, "E0102", "清扬路暴露垃圾")
		file := "工单编号,诉求类别,问题描述,地址,经度,纬度\nAP1,违章停车,消防通道被占,梁溪区清名桥街道家乐花园社区南长街123号,,\n"
		rep, err := e.f.App.ImportHotline(context.Background(), e.f.Actors["dispatcher"], strings.NewReader(file), false, nil)
		if err != nil || rep.Imported != 1 {
			t.Fatalf("import %+v %v", rep, err)
		}
		cs, err := e.f.App.Cases.List(context.Background(), e.f.Actors["admin"], casework.Filter{Source: casework.SourceHotline})
		if err != nil || len(cs) != 1 || cs[0].ApproxArea != "320213022010" {
			t.Fatalf("the hotline case: %+v %v", cs, err)
		}
		approx := cs[0]

		d := e.client()
		d.login("dispatcher")
		p := d.get("/cases?state=")
		if !sameList(rows(p), ids(approx, exact)) {
			t.Fatalf("desk: %v", rows(p))
		}
		if !strings.Contains(p.body, `id="f-approx" name="approx" type="checkbox" value="1">`) {
			t.Error("no approximate-position filter on the desk")
		}
		if n := strings.Count(p.body, `<span class="tag approx"`); n != 1 {
			t.Errorf("%d rows marked approximate, want 1", n)
		}
		p = d.get("/cases?state=&approx=1")
		if p.status != 200 || !sameList(rows(p), ids(approx)) {
			t.Errorf("approx=1: %d %v", p.status, rows(p))
		}
		if !strings.Contains(p.body, `id="f-approx" name="approx" type="checkbox" value="1" checked>`) || tabCount(t, p, "全部") != "1" {
			t.Error("the filter is not kept checked, or the tabs do not count with it")
		}
		// The tabs keep the filter.
		if !strings.Contains(p.body, `href="/cases?approx=1&amp;state=open"`) {
			t.Errorf("the open tab drops the filter: %s", p.body[strings.Index(p.body, `class="tabs"`):][:400])
		}
		if got := rows(d.get("/cases?state=&approx=0")); !sameList(got, ids(approx, exact)) {
			t.Errorf("approx=0: %v", got)
		}
		p = d.get("/cases?state=&approx=maybe")
		if p.status != http.StatusBadRequest || alert(p.body) != "筛选条件有误" || !strings.Contains(p.body, "近似位置筛选须为 1 或留空") {
			t.Errorf("bad approx: %d %q", p.status, alert(p.body))
		}

		// The case page, in Chinese and in English.
		p = d.get("/cases/" + itoa(approx.ID))
		if p.status != 200 || !strings.Contains(p.body, `<p class="approx-note" id="approx-note" role="note">位置为近似：按地址定位至家乐花园社区，请现场核实</p>`) {
			t.Errorf("no approximate note on the case page: %d", p.status)
		}
		if p := d.get("/cases/" + itoa(exact.ID)); p.status != 200 || strings.Contains(p.body, "approx-note") {
			t.Errorf("a case with coordinates shows the note: %d", p.status)
		}
		en := e.client()
		en.lang = "en"
		en.login("dispatcher")
		if p := en.get("/cases/" + itoa(approx.ID)); !strings.Contains(p.body, "Approximate position: located from the address to 家乐花园社区; check on site") {
			t.Error("no approximate note on the English case page")
		}
		if p := en.get("/cases?state=&approx=1"); !strings.Contains(p.body, "Approximate positions only") || !sameList(rows(p), ids(approx)) {
			t.Errorf("English desk: %v", rows(p))
		}
	})
}
