package web

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

var rowRE = regexp.MustCompile(`<td class="code"><a href="/cases/(\d+)">`)

// rows returns the case ids of a desk page's table, in order.
func rows(p page) []string {
	var out []string
	for _, m := range rowRE.FindAllStringSubmatch(p.body, -1) {
		out = append(out, m[1])
	}
	return out
}

func ids(cs ...casework.Case) []string {
	var out []string
	for _, c := range cs {
		out = append(out, itoa(c.ID))
	}
	return out
}

func sameList(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

// tabCount reads the number on a desk tab by its label.
func tabCount(t *testing.T, p page, label string) string {
	t.Helper()
	m := regexp.MustCompile(`>` + regexp.QuoteMeta(label) + ` <b>(\d+)</b></a>`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no tab %q", label)
	}
	return m[1]
}

// deskFixture puts five cases in the ledger, one hour apart from testStart:
// c1 reported (家乐 01), c2 registered (南苑), c3 dispatched (金星, street
// office), c4 dispatched (家乐 02, reported by the leader, sanitation), c5
// rejected (金星).
func deskFixture(e *env) (c1, c2, c3, c4, c5 casework.Case) {
	c1 = e.report("inspector", apptest.PointJiale1, "E0102", "清扬路暴露垃圾")
	e.advance(time.Hour)
	c2 = e.report("inspector", apptest.PointNanyuan, "E0504", "机动车占用消防通道")
	c2 = e.act("dispatcher", c2, casework.Register, casework.Input{})
	e.advance(time.Hour)
	c3 = e.report("inspector", apptest.PointJinxing, "E0102", "金星路暴露垃圾")
	c3 = e.act("dispatcher", c3, casework.Register, casework.Input{})
	c3 = e.act("dispatcher", c3, casework.Dispatch, casework.Input{Unit: "320213023.street_office"})
	e.advance(time.Hour)
	c4 = e.report("leader", apptest.PointJiale2, "E0201", "电线杆小广告")
	c4 = e.act("dispatcher", c4, casework.Register, casework.Input{})
	c4 = e.act("dispatcher", c4, casework.Dispatch, casework.Input{Unit: "320213.sanitation"})
	e.advance(time.Hour)
	c5 = e.report("inspector", apptest.PointJinxing, "C0110", "路灯不亮")
	c5 = e.act("dispatcher", c5, casework.Reject, casework.Input{Reason: "重复上报"})
	return
}

func TestDeskFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c1, c2, c3, c4, c5 := deskFixture(e)
		d := e.client()
		d.login("dispatcher")

		// No query: the open cases, newest first, with counts by state.
		p := d.get("/cases")
		if p.status != 200 || !sameList(rows(p), ids(c4, c3, c2, c1)) {
			t.Fatalf("default desk: %d %v", p.status, rows(p))
		}
		for label, want := range map[string]string{"全部": "5", "未结案": "4", "待立案": "1", "待派遣": "1", "处置中": "2", "不予立案": "1", "已结案": "0", "超期": "0"} {
			if got := tabCount(t, p, label); got != want {
				t.Errorf("tab %s: %s, want %s", label, got, want)
			}
		}
		if !strings.Contains(p.body, "第 1–4 件，共 4 件") {
			t.Error("no summary line")
		}
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"state=", ids(c5, c4, c3, c2, c1)},
			{"state=reported", ids(c1)},
			{"state=dispatched", ids(c4, c3)},
			{"state=&category=E0102", ids(c3, c1)},
			{"state=&territory=320213023", ids(c5, c3)},
			{"state=&territory=320213022010", ids(c4, c1)},
			{"state=&territory=32021302201002", ids(c4)},
			{"state=&source=leader", ids(c4)},
			{"state=&sort=id", ids(c1, c2, c3, c4, c5)},
			// By code (C0110, E0102, E0201, E0504), newest first within one.
			{"state=&sort=category", ids(c5, c3, c1, c4, c2)},
			// The earliest deadline first; cases without one last, by id.
			{"state=&sort=deadline", ids(c3, c4, c1, c2, c5)},
			{"state=&from=2026-11-25&to=2026-11-25", ids(c5, c4, c3, c2, c1)},
			{"state=&from=2026-11-26", nil},
			{"state=&to=2026-11-24", nil},
			{"state=&overdue=1", nil},
		} {
			if got := rows(d.get("/cases?" + tc.query)); !sameList(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
			}
		}
		// Overdue: c3 (E0102, 8 working hours) was dispatched Wed 12:00: Wed
		// 13–18 (5) + Thu 9–12 (3) puts its deadline at Thu 12:00. At Thu
		// 15:00 it is 2 working hours late (13–15; 12–13 is lunch).
		e.advance(25 * time.Hour) // Wed 14:00 → Thu 15:00
		d.login("dispatcher")     // the session has ended meanwhile
		if c3.Deadline.In(shanghai).Format("01-02 15:04") != "11-26 12:00" {
			t.Fatalf("c3's deadline is %v", c3.Deadline.In(shanghai))
		}
		p = d.get("/cases?state=&overdue=1")
		if !sameList(rows(p), ids(c3)) || tabCount(t, p, "超期") != "1" {
			t.Fatalf("overdue at Thu 15:00: %v", rows(p))
		}
		if !strings.Contains(p.body, `<tr class="overdue">`) || !strings.Contains(p.body, "超 2.0 工时") {
			t.Errorf("the overdue row is not marked: %s", p.body[strings.Index(p.body, "<tbody>"):])
		}
		// c4 (E0201, 16 h) was dispatched Wed 13:00: Wed 13–18 (5) + Thu 9–12,
		// 13–18 (8) + Fri 9–12 (3) = Fri 12:00. At Thu 15:00 it has Thu 15–18
		// (3) + Fri 9–12 (3) = 6 working hours left.
		if p := d.get("/cases?state=dispatched"); !strings.Contains(p.body, "剩 6.0 工时") {
			t.Errorf("c4 should have 6.0 working hours left")
		}

		// Bad filters are a 400 with the reasons, on the desk itself.
		p = d.get("/cases?state=bogus&from=25/11/2026&size=7")
		if p.status != http.StatusBadRequest || alert(p.body) != "筛选条件有误" || !strings.Contains(p.body, "日期格式应为 YYYY-MM-DD") || !strings.Contains(p.body, "未知状态") {
			t.Errorf("bad filter: %d %q", p.status, alert(p.body))
		}

		// Scope: a street's dispatcher sees its street only, and asking for
		// another territory is forbidden.
		jx := e.client()
		jx.login("dispatcher-jx")
		if got := rows(jx.get("/cases?state=")); !sameList(got, ids(c5, c3)) {
			t.Errorf("dispatcher-jx sees %v", got)
		}
		if p := jx.get("/cases?territory=320213022"); p.status != http.StatusForbidden {
			t.Errorf("another street: %d", p.status)
		}
		// A handler opens on their unit's open cases.
		san := e.client()
		san.login("san")
		if got := rows(san.get("/cases")); !sameList(got, ids(c4)) {
			t.Errorf("san's desk: %v", got)
		}
		if got := rows(san.get("/cases?state=")); len(got) != 5 {
			t.Errorf("san's whole territory: %v", got)
		}
	})
}

func TestDeskPaging(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		var all []casework.Case
		for i := range 45 {
			all = append(all, e.report("inspector", apptest.PointNanyuan, "E0102", fmt.Sprintf("第%d件", i+1)))
		}
		d := e.client()
		d.login("dispatcher")
		p := d.get("/cases?state=&size=20&page=2")
		want := ids(all[24], all[23], all[22], all[21], all[20], all[19], all[18], all[17], all[16], all[15],
			all[14], all[13], all[12], all[11], all[10], all[9], all[8], all[7], all[6], all[5])
		if !sameList(rows(p), want) {
			t.Fatalf("page 2: %v", rows(p))
		}
		if !strings.Contains(p.body, "第 21–40 件，共 45 件") || !strings.Contains(p.body, "第 2 / 3 页") {
			t.Errorf("page 2 summary missing")
		}
		if !strings.Contains(p.body, `href="/cases?page=1&amp;size=20&amp;state=" rel="prev"`) || !strings.Contains(p.body, `href="/cases?page=3&amp;size=20&amp;state=" rel="next"`) {
			t.Errorf("pager links: %s", p.body[strings.Index(p.body, `class="pager"`):])
		}
		if got := rows(d.get("/cases?state=&size=20&page=3")); !sameList(got, ids(all[4], all[3], all[2], all[1], all[0])) {
			t.Errorf("page 3: %v", got)
		}
		if got := rows(d.get("/cases?state=&size=20&page=9")); len(got) != 0 {
			t.Errorf("past the end: %v", got)
		}
	})
}
