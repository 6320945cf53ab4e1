package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// dashFixture puts six cases in the ledger and leaves the clock at
// testStart (Wed 2026-11-25 10:00):
//
//	Mon 11-16 10:00  a1 家乐01 E0102 → sanitation, handled a minute later, verified, closed
//	                 a2 南苑   E0504 → 南苑 community, never handled (overdue by 11-25)
//	                 a3 金星   E0102 → sanitation, never handled (overdue by 11-25)
//	                 a4 家乐02 E0102 → sanitation, handled on Fri 11-20 (late: due Tue)
//	Fri 11-20 10:00  b1 家乐01 E0504 reported only
//	                 b2 金星   E0102 rejected
func dashFixture(t *testing.T, e *env) {
	t.Helper()
	yes := true
	e.advance(-9 * 24 * time.Hour)
	dispatched := func(pt [2]float64, cat, unit string) casework.Case {
		c := e.report("inspector", pt, cat, "统计用例")
		c = e.act("dispatcher", c, casework.Register, casework.Input{})
		return e.act("dispatcher", c, casework.Dispatch, casework.Input{Unit: unit})
	}
	a1 := dispatched(apptest.PointJiale1, "E0102", "320213.sanitation")
	e.advance(time.Minute)
	a1 = e.act("san", a1, casework.Handle, casework.Input{Attachments: []string{e.f.Photo(t, "a1")}})
	a1 = e.act("inspector", a1, casework.Verify, casework.Input{Passed: &yes, Attachments: []string{e.f.Photo(t, "a1v")}})
	e.act("dispatcher", a1, casework.Close, casework.Input{})
	dispatched(apptest.PointNanyuan, "E0504", "320213022003.community")
	dispatched(apptest.PointJinxing, "E0102", "320213.sanitation")
	a4 := dispatched(apptest.PointJiale2, "E0102", "320213.sanitation")
	e.advance(4*24*time.Hour - time.Minute)
	e.act("san", a4, casework.Handle, casework.Input{Attachments: []string{e.f.Photo(t, "a4")}})
	e.report("inspector", apptest.PointJiale1, "E0504", "统计用例")
	b2 := e.report("inspector", apptest.PointJinxing, "E0102", "统计用例")
	e.act("dispatcher", b2, casework.Reject, casework.Input{Reason: "重复上报"})
	e.advance(5 * 24 * time.Hour)
	if !e.clock().Equal(testStart) {
		t.Fatalf("clock at %v", e.clock())
	}
}

// tableText is a table's rows as "a,b,c" joined by ";", the days without
// a case left out of the daily table.
func tableText(tb dashTable) string {
	var rows []string
	for _, r := range tb.Rows {
		if tb.Chart == "daily" && r[1] == 0 && r[2] == 0 {
			continue
		}
		cells := make([]string, len(r))
		for i, v := range r {
			cells[i] = cellText(v)
		}
		rows = append(rows, strings.Join(cells, ","))
	}
	return strings.Join(rows, ";")
}

// dashWant are the hand-worked figures of dashFixture per user.
var dashWant = map[string]map[string]string{
	"dispatcher": {
		"daily":       "2026-11-16,4,1;2026-11-20,2,0",
		"categories":  "E0102,暴露垃圾,2;E0504,占用消防通道,2",
		"overdue":     "320213.sanitation,梁溪区环卫处,1;320213022003.community,南苑社区居委会,1",
		"ontime":      "320213.sanitation,梁溪区环卫处,3,1,33.33;320213022003.community,南苑社区居委会,1,0,0.00",
		"communities": "320213022003,南苑社区,1;320213022010,家乐花园社区,2;320213023001,金星社区,1",
	},
	// A community's handler: 南苑 only.
	"nanyuan": {
		"daily":       "2026-11-16,1,0",
		"categories":  "E0504,占用消防通道,1",
		"overdue":     "320213022003.community,南苑社区居委会,1",
		"ontime":      "320213022003.community,南苑社区居委会,1,0,0.00",
		"communities": "320213022003,南苑社区,1",
	},
	// 家乐花园's handler sees the sanitation department's work there.
	"jiale": {
		"daily":       "2026-11-16,2,1;2026-11-20,1,0",
		"categories":  "E0102,暴露垃圾,1;E0504,占用消防通道,1",
		"overdue":     "",
		"ontime":      "320213.sanitation,梁溪区环卫处,2,1,50.00",
		"communities": "320213022010,家乐花园社区,2",
	},
	"dispatcher-jx": {
		"daily":       "2026-11-16,1,0;2026-11-20,1,0",
		"categories":  "E0102,暴露垃圾,1",
		"overdue":     "320213.sanitation,梁溪区环卫处,1",
		"ontime":      "320213.sanitation,梁溪区环卫处,1,0,0.00",
		"communities": "320213023001,金星社区,1",
	},
}

func TestDashboardFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		dashFixture(t, e)
		// The category names come from the catalogue: read them, not guess.
		names := map[string]string{}
		for _, code := range []string{"E0102", "E0504"} {
			c, ok := e.f.App.Category(code)
			if !ok {
				t.Fatalf("no category %s", code)
			}
			names[code] = c.NameZh
		}
		fix := func(s string) string {
			return strings.NewReplacer("暴露垃圾", names["E0102"], "占用消防通道", names["E0504"]).Replace(s)
		}
		for _, who := range []string{"dispatcher", "admin", "nanyuan", "jiale", "dispatcher-jx"} {
			want := dashWant[who]
			if who == "admin" {
				want = dashWant["dispatcher"] // the whole city is the one district
			}
			d, err := e.web.dashboardFor(context.Background(), e.f.Actors[who], "zh", e.clock())
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Tables) != len(dashCharts) {
				t.Fatalf("%s: %d tables", who, len(d.Tables))
			}
			for _, tb := range d.Tables {
				if got := tableText(tb); got != fix(want[tb.Chart]) {
					t.Errorf("%s %s:\n got %s\nwant %s", who, tb.Chart, got, fix(want[tb.Chart]))
				}
			}
			daily, _ := d.table("daily")
			if len(daily.Rows) != 30 || daily.Rows[0][0] != "2026-10-27" || daily.Rows[29][0] != "2026-11-25" {
				t.Errorf("%s: daily runs %d days, %v to %v", who, len(daily.Rows), daily.Rows[0][0], daily.Rows[len(daily.Rows)-1][0])
			}
		}
	})
}

// TestDashboardPage checks the page, its data and its downloads over HTTP,
// and that a community's handler gets only the community's figures.
func TestDashboardPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		dashFixture(t, e)
		anon := e.client()
		if p := anon.get("/dashboard"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/login") {
			t.Errorf("signed out: %d %s", p.status, p.location())
		}
		if p := anon.get("/dashboard/ontime.csv"); p.status != http.StatusSeeOther {
			t.Errorf("signed-out download: %d", p.status)
		}
		for _, who := range []string{"dispatcher", "nanyuan"} {
			c := e.client()
			c.login(who)
			p := c.get("/dashboard")
			if p.status != 200 {
				t.Fatalf("%s: dashboard %d: %s", who, p.status, alert(p.body))
			}
			for _, ch := range dashCharts {
				if !strings.Contains(p.body, `id="chart-`+ch+`"`) || !strings.Contains(p.body, `href="/dashboard/`+ch+`.xlsx"`) {
					t.Errorf("%s: no chart or download for %s", who, ch)
				}
			}
			if who == "nanyuan" && (strings.Contains(p.body, "金星社区") || strings.Contains(p.body, "家乐花园社区")) {
				t.Error("a community's handler sees other communities")
			}
			if strings.Contains(p.body, "<script>") || strings.Contains(p.body, "style=") {
				t.Error("inline script or style on the dashboard")
			}

			// The chart data.
			var data dashJSON
			p = c.get("/dashboard/data.json")
			if err := json.Unmarshal([]byte(p.body), &data); err != nil {
				t.Fatalf("%s: data.json: %v: %.200s", who, err, p.body)
			}
			comm := data.Charts["communities"]
			wantAreas := map[string]int{"dispatcher": 3, "nanyuan": 1}[who]
			if len(data.Areas.Features) != wantAreas || len(comm.Keys) != wantAreas {
				t.Errorf("%s: %d outlines, %d communities, want %d", who, len(data.Areas.Features), len(comm.Keys), wantAreas)
			}
			if who == "nanyuan" && (comm.Keys[0] != "320213022003" || comm.Series[0][0] != 1) {
				t.Errorf("nanyuan's map: %v %v", comm.Keys, comm.Series)
			}
			if ot := data.Charts["ontime"]; who == "dispatcher" && fmt.Sprint(ot.Series) != "[[33.33 0]]" {
				t.Errorf("on-time series %v", ot.Series)
			}

			// Every download, as CSV and as XLSX, carries the page's numbers.
			d, err := e.web.dashboardFor(context.Background(), e.f.Actors[who], "zh", e.clock())
			if err != nil {
				t.Fatal(err)
			}
			for _, tb := range d.Tables {
				want := [][]string{tb.Head}
				for _, r := range tb.Rows {
					rec := make([]string, len(r))
					for i, v := range r {
						rec[i] = cellText(v)
					}
					want = append(want, rec)
				}
				p := c.get("/dashboard/" + tb.Chart + ".csv")
				if p.status != 200 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/csv") ||
					!strings.Contains(p.header.Get("Content-Disposition"), tb.Chart+"-20261125.csv") {
					t.Fatalf("%s %s.csv: %d %v", who, tb.Chart, p.status, p.header)
				}
				body, ok := strings.CutPrefix(p.body, "\ufeff")
				if !ok {
					t.Errorf("%s.csv has no byte-order mark", tb.Chart)
				}
				got, err := csv.NewReader(strings.NewReader(body)).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s %s.csv:\n got %v\nwant %v", who, tb.Chart, got, want)
				}
				p = c.get("/dashboard/" + tb.Chart + ".xlsx")
				if p.status != 200 {
					t.Fatalf("%s.xlsx: %d", tb.Chart, p.status)
				}
				f, err := excelize.OpenReader(bytes.NewReader([]byte(p.body)))
				if err != nil {
					t.Fatalf("%s.xlsx does not open: %v", tb.Chart, err)
				}
				rows, err := f.GetRows(tb.Chart)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				// Empty trailing cells (a rate with no data) are not rows' cells in XLSX.
				for i := range want {
					for len(want[i]) > 0 && want[i][len(want[i])-1] == "" {
						want[i] = want[i][:len(want[i])-1]
					}
				}
				if fmt.Sprint(rows) != fmt.Sprint(want) {
					t.Errorf("%s %s.xlsx:\n got %v\nwant %v", who, tb.Chart, rows, want)
				}
			}
		}
		c := e.client()
		c.login("dispatcher")
		for _, path := range []string{"/dashboard/nope.csv", "/dashboard/daily.pdf", "/dashboard/daily"} {
			if p := c.get(path); p.status != http.StatusNotFound {
				t.Errorf("%s: %d", path, p.status)
			}
		}
		c.lang = "en"
		en := e.client()
		en.lang = "en"
		en.login("dispatcher")
		if p := en.get("/dashboard/overdue.csv"); !strings.HasPrefix(p.body, "\ufeffUnit code,Unit,Overdue\r\n") && !strings.HasPrefix(p.body, "\ufeffUnit code,Unit,Overdue\n") {
			t.Errorf("English CSV: %.80q", p.body)
		}
	})
}
