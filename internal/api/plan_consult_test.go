package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/plan"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

const blockArea = `{"type":"Polygon","coordinates":[[[120.21,31.51],[120.24,31.51],[120.24,31.54],[120.21,31.54],[120.21,31.51]]]}`

// TestPlanProjectAreaPhotosAndConsultationOverHTTP stores a project's
// polygon, attaches photos before and after with their ownership rules,
// publishes the project and moderates suggestions through the API.
func TestPlanProjectAreaPhotosAndConsultationOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		now, _ := time.ParseInLocation("2006-01-02 15:04", "2026-05-27 09:00", calendar.Shanghai())
		c.f.App.Cases.Now = func() time.Time { return now }
		body := map[string]any{"name": "城东社区小花坞区块", "kind": "urban_village", "territory": "320213022010", "budget": 15000000, "spent": 0,
			"milestones": []map[string]any{{"name": "完工", "planned": "2026-09-30"}}, "area": rawJSON(blockArea)}
		p := c.must(201, "leader", "POST", "/api/v1/plan/projects", body)
		path := fmt.Sprintf("/api/v1/plan/projects/%d", num(p["id"]))
		if a, ok := p["area"].(map[string]any); !ok || a["type"] != "Polygon" || p["stage"] != "planned" || p["public"] != false {
			t.Fatalf("created %v", p)
		}
		// A Feature's geometry and a MultiPolygon are taken; other shapes are not.
		body["area"] = rawJSON(`{"type":"Feature","properties":{},"geometry":` + blockArea + `}`)
		c.must(201, "leader", "POST", "/api/v1/plan/projects", body)
		body["area"] = rawJSON(`{"type":"MultiPolygon","coordinates":[[[[120.21,31.51],[120.24,31.51],[120.24,31.54],[120.21,31.51]]]]}`)
		c.must(201, "leader", "POST", "/api/v1/plan/projects", body)
		for _, bad := range []string{`{"type":"Point","coordinates":[120.2,31.5]}`, `{"type":"Polygon","coordinates":[[[120.21,31.51],[120.24,31.51],[120.24,31.54]]]}`,
			`{"type":"Polygon","coordinates":[[[120.21,31.51],[120.24,31.51],[120.24,31.54],[120.21,31.55]]]}`, `{"type":"Polygon","coordinates":[[[200,31.51],[120.24,31.51],[120.24,31.54],[200,31.51]]]}`,
			`{"type":"Polygon","coordinates":[[[120.21,31.51],[120.22,31.51],[120.23,31.51],[120.21,31.51]]]}`, `"polygon"`} {
			body["area"] = rawJSON(bad)
			if code, res := c.do("leader", "POST", "/api/v1/plan/projects", body); code != 400 {
				t.Errorf("area %s: %d %v", bad, code, res)
			}
		}

		// Photos: uploaded first, then attached; someone else's upload is refused.
		mine := c.must(201, "leader", "POST", "/api/v1/blobs", append(append([]byte{}, apptest.PNG...), "before"...))["id"].(string)
		theirs := c.must(201, "inspector", "POST", "/api/v1/blobs", append(append([]byte{}, apptest.PNG...), "theirs"...))["id"].(string)
		photos := path + "/photos"
		c.must(201, "leader", "POST", photos, map[string]any{"blob": mine, "kind": "before", "caption": "整治前的巷口", "taken_at": "2026-03-01T09:00:00+08:00"})
		c.must(400, "leader", "POST", photos, map[string]any{"blob": theirs, "kind": "after"})
		c.must(400, "leader", "POST", photos, map[string]any{"blob": mine, "kind": "sideways"})
		c.must(400, "leader", "POST", photos, map[string]any{"blob": mine, "kind": "after", "taken_at": "2027-01-01T00:00:00+08:00"})
		c.must(403, "jiale", "POST", photos, map[string]any{"blob": mine, "kind": "after"})
		c.must(404, "dispatcher-jx", "POST", photos, map[string]any{"blob": mine, "kind": "after"})
		got := c.must(200, "jiale", "GET", path, nil)
		ph := got["photos"].([]any)
		if len(ph) != 1 || ph[0].(map[string]any)["blob"] != mine || ph[0].(map[string]any)["caption"] != "整治前的巷口" {
			t.Fatalf("photos %v", got["photos"])
		}
		if code, h, b := c.raw("jiale", photos+"/"+mine); code != 200 || h != "image/png" || !bytes.HasPrefix(b, apptest.PNG) {
			t.Errorf("photo download %d %s", code, h)
		}
		if code, _, _ := c.raw("dispatcher-jx", photos+"/"+mine); code != 404 {
			t.Errorf("photo outside scope: %d", code)
		}
		if code, _, _ := c.raw("jiale", photos+"/"+theirs); code != 404 {
			t.Errorf("a photo not of the project: %d", code)
		}

		// Consultation: publish, then suggestions through the store as the portal takes them.
		cons := path + "/consultation"
		c.must(400, "leader", "PUT", cons, map[string]any{"consult": true})
		c.must(403, "jiale", "PUT", cons, map[string]any{"public": true})
		if pub := c.must(200, "leader", "PUT", cons, map[string]any{"public": true, "consult": true}); pub["public"] != true || pub["consult"] != true {
			t.Errorf("published %v", pub)
		}
		// A later edit keeps the publication.
		upd := map[string]any{"name": "城东社区小花坞区块", "kind": "urban_village", "territory": "320213022010", "budget": 15000000, "spent": 2000000, "version": 1,
			"milestones": []map[string]any{{"name": "完工", "planned": "2026-09-30"}}, "area": rawJSON(blockArea)}
		if e := c.must(200, "leader", "PUT", path, upd); e["public"] != true || e["consult"] != true || e["area"] == nil {
			t.Errorf("edited %v", e)
		}
		ctx := t.Context()
		for i, body := range []string{"增加路灯照明，夜间太暗", "希望保留老树", "广告内容"} {
			if err := db.AddSuggestion(ctx, suggestion(int64(num(p["id"])), body, fmt.Sprint("1380000000", i), now)); err != nil {
				t.Fatal(err)
			}
		}
		list := c.must(200, "leader", "GET", path+"/suggestions?state=pending", nil)["items"].([]any)
		if len(list) != 3 || list[0].(map[string]any)["contact"] != "13800000000" {
			t.Fatalf("pending %v", list)
		}
		if l := c.must(200, "jiale", "GET", path+"/suggestions", nil)["items"].([]any); len(l) != 3 || l[0].(map[string]any)["contact"] != nil {
			t.Errorf("handler sees contacts: %v", l)
		}
		c.must(400, "leader", "GET", path+"/suggestions?state=maybe", nil)
		// The queue across projects: the leader's three, none for the other
		// street's dispatcher or a handler.
		if q := c.must(200, "leader", "GET", "/api/v1/plan/suggestions?state=pending", nil)["items"].([]any); len(q) != 3 || q[2].(map[string]any)["body"] != "广告内容" {
			t.Errorf("queue %v", q)
		}
		c.must(403, "dispatcher-jx", "GET", "/api/v1/plan/suggestions", nil)
		c.must(403, "jiale", "GET", "/api/v1/plan/suggestions", nil)
		c.must(400, "admin", "GET", "/api/v1/plan/suggestions?state=maybe", nil)
		c.must(404, "dispatcher-jx", "GET", path+"/suggestions", nil)
		mod := func(i int) string {
			return fmt.Sprintf("/api/v1/plan/suggestions/%d/moderate", num(list[i].(map[string]any)["id"]))
		}
		c.must(403, "jiale", "POST", mod(0), map[string]any{"approve": true})
		c.must(404, "dispatcher-jx", "POST", mod(0), map[string]any{"approve": true})
		c.must(400, "leader", "POST", mod(2), map[string]any{"approve": false})
		c.must(404, "leader", "POST", "/api/v1/plan/suggestions/99999/moderate", map[string]any{"approve": true})
		if a := c.must(200, "leader", "POST", mod(0), map[string]any{"approve": true}); a["state"] != "approved" {
			t.Errorf("approved %v", a)
		}
		c.must(200, "admin", "POST", mod(1), map[string]any{"approve": true})
		if r := c.must(200, "leader", "POST", mod(2), map[string]any{"reason": "与项目无关的广告"}); r["state"] != "rejected" || r["reason"] != "与项目无关的广告" {
			t.Errorf("rejected %v", r)
		}
		c.must(409, "leader", "POST", mod(2), map[string]any{"approve": true})
		if l := c.must(200, "leader", "GET", path+"/suggestions?state=approved", nil)["items"].([]any); len(l) != 2 {
			t.Errorf("approved: %d", len(l))
		}
		if q := c.must(200, "admin", "GET", "/api/v1/plan/suggestions?state=pending", nil)["items"].([]any); len(q) != 0 {
			t.Errorf("queue after moderation %v", q)
		}
		if poll := c.must(200, "jiale", "GET", path+"/poll", nil); poll["votes"] != 0.0 || poll["rate"] != nil {
			t.Errorf("poll %v", poll)
		}
		var n int
		if _, err := db.SealAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := db.R.QueryRow(db.Q(`SELECT COUNT(*) FROM audit_log WHERE kind = 'plan.suggestion.moderate'`)).Scan(&n); err != nil || n != 3 {
			t.Errorf("moderation audit entries %d (%v)", n, err)
		}
		var payload string
		if err := db.R.QueryRow(db.Q(`SELECT payload FROM audit_log WHERE kind = 'plan.suggestion' ORDER BY seq LIMIT 1`)).Scan(&payload); err != nil || strings.Contains(payload, "13800000000") {
			t.Errorf("suggestion audit payload %q (%v)", payload, err)
		}
		if rep, err := db.VerifyAudit(ctx); err != nil || len(rep.Problems) != 0 {
			t.Errorf("audit chain: %v %+v", err, rep.Problems)
		}
	})
}

// TestPlanYearReportOverHTTP builds the year-end workbook and reads it
// back: targets per unit with their evaluation, statements with the
// signature, projects with budget, spent and milestones.
func TestPlanYearReportOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		var now time.Time
		set := func(s string) { now, _ = time.ParseInLocation("2006-01-02 15:04", s, calendar.Shanghai()) }
		c.f.App.Cases.Now = func() time.Time { return now }
		set("2026-01-01 00:00")
		manual := c.must(201, "leader", "POST", "/api/v1/plan/targets", map[string]any{"year": 2026, "unit": "320213022010.community", "name": "主次干道洁净度",
			"measure": "percent", "baseline": 60, "goal": 90, "due": "2026-12-31"})
		mile := c.must(201, "leader", "POST", "/api/v1/plan/targets", map[string]any{"year": 2026, "unit": "320213022010.community", "name": "背街小巷整治完成",
			"measure": "milestone", "due": "2026-06-30"})
		c.must(201, "leader", "POST", "/api/v1/plan/targets", map[string]any{"year": 2026, "unit": "320213.sanitation", "name": "撤桶", "measure": "milestone", "due": "2026-12-31"})
		c.must(201, "leader", "POST", "/api/v1/plan/targets", map[string]any{"year": 2025, "unit": "320213.sanitation", "name": "去年的目标", "measure": "milestone", "due": "2025-12-31"})
		st := c.must(201, "leader", "POST", "/api/v1/plan/statements", map[string]any{"year": 2026, "unit": "320213022010.community", "title": "2026年度目标责任状",
			"targets": []int{num(manual["id"]), num(mile["id"])}})
		set("2026-01-06 10:30")
		c.must(200, "jiale", "POST", fmt.Sprintf("/api/v1/plan/statements/%d/sign", num(st["id"])), nil)
		// Reports (day 0, 60), (day 73, 63), (day 146, 66): forecast 75 < 90, late.
		set("2026-03-15 00:00")
		c.must(201, "jiale", "POST", fmt.Sprintf("/api/v1/plan/targets/%d/reports", num(manual["id"])), map[string]any{"value": 63})
		set("2026-05-27 00:00")
		c.must(201, "jiale", "POST", fmt.Sprintf("/api/v1/plan/targets/%d/reports", num(manual["id"])), map[string]any{"value": 66})
		c.must(201, "jiale", "POST", fmt.Sprintf("/api/v1/plan/targets/%d/reports", num(mile["id"])), map[string]any{"value": 1})
		c.must(201, "leader", "POST", "/api/v1/plan/projects", map[string]any{"name": "春秋社区田园路区块", "kind": "back_alley", "territory": "320213022003", "budget": 16000000, "spent": 5500000,
			"milestones": []map[string]any{{"name": "设计", "planned": "2026-03-01", "actual": "2026-03-01"}, {"name": "完工", "planned": "2026-05-01"}},
			"outputs":    []map[string]any{{"name": "新增停车位", "unit": "个", "planned": 120, "achieved": 86}}})
		c.must(201, "leader", "POST", "/api/v1/plan/projects", map[string]any{"name": "城西社区象牙浦区块", "kind": "urban_village", "territory": "320213023001", "budget": 15980000, "spent": 9000000,
			"milestones": []map[string]any{{"name": "完工", "planned": "2026-06-30"}}})

		set("2026-05-28 10:00")
		c.must(400, "leader", "GET", "/api/v1/plan/report.xlsx", nil)
		c.must(400, "leader", "GET", "/api/v1/plan/report.xlsx?year=26", nil)
		c.must(403, "dispatcher-jx", "GET", "/api/v1/plan/report.xlsx?year=2026&territory=320213022", nil)
		code, h, b := c.raw("leader", "/api/v1/plan/report.xlsx?year=2026&territory=320213022")
		if code != 200 || !strings.Contains(h, "spreadsheetml") {
			t.Fatalf("xlsx %d %s %s", code, h, b)
		}
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows := func(sheet string) [][]string {
			r, err := f.GetRows(sheet)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		tg := rows("目标任务")
		// Header + the community's two targets (清名桥 street): 撤桶 (district scope) and 2025 stay out.
		if len(tg) != 3 {
			t.Fatalf("targets sheet %v", tg)
		}
		want := []string{"家乐花园社区居委会", "320213022010.community", "主次干道洁净度", "百分比", "填报", "越高越好", "60", "90", "2026-12-31", "66", "20", "75", "滞后", "是"}
		if strings.Join(tg[1], "|") != strings.Join(want, "|") {
			t.Errorf("target row\n got %v\nwant %v", tg[1], want)
		}
		if r := tg[2]; r[2] != "背街小巷整治完成" || r[8] != "2026-06-30" || r[9] != "1" || r[10] != "100" || r[12] != "已完成" || r[13] != "否" {
			t.Errorf("milestone row %v", r)
		}
		// Numbers are numbers.
		if typ, _ := f.GetCellType("目标任务", "J2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
			t.Errorf("J2 type %v", typ)
		}
		if v, _ := f.GetCellValue("目标任务", "L2"); v != "75" {
			t.Errorf("forecast cell %q", v)
		}
		sts := rows("责任状")
		if len(sts) != 2 || sts[1][0] != "2026年度目标责任状" || sts[1][3] != "2" || sts[1][4] != "2026-01-01" || sts[1][5] != "jiale" || sts[1][6] != "2026-01-06" {
			t.Errorf("statements sheet %v", sts)
		}
		ps := rows("项目")
		// 田园路 only (象牙浦 is in the other street): 设计 on time, 完工 late; spent 5,500,000 of 16,000,000 = 34.38%.
		if len(ps) != 3 || ps[1][0] != "春秋社区田园路区块" || ps[1][1] != "背街小巷整治" || ps[1][3] != "实施中" || ps[1][4] != "16000000" || ps[1][5] != "5500000" ||
			ps[1][6] != "34.38" || ps[1][7] != "2" || ps[1][8] != "1" || ps[1][9] != "1" || ps[1][10] != "新增停车位 86/120个" {
			t.Errorf("projects sheet %v", ps)
		}
		if ps[2][0] != "合计" || ps[2][4] != "16000000" || ps[2][5] != "5500000" || ps[2][9] != "1" {
			t.Errorf("total row %v", ps[2])
		}
		if ms := rows("项目节点"); len(ms) != 3 || strings.Join(ms[2], "|") != "春秋社区田园路区块|完工|2026-05-01||是" {
			t.Errorf("milestones sheet %v", ms)
		}
		// 86 of 120: 71.67%.
		if os := rows("项目产出"); len(os) != 2 || strings.Join(os[1], "|") != "春秋社区田园路区块|新增停车位|个|120|86|71.67" {
			t.Errorf("outputs sheet %v", os)
		}
		// The whole district: both projects, 3,198万 budget.
		_, _, b = c.raw("leader", "/api/v1/plan/report.xlsx?year=2026")
		f2, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := f2.GetCellValue("项目", "E4"); v != "31980000" {
			t.Errorf("district budget total %q", v)
		}
		if r, _ := f2.GetRows("目标任务"); len(r) != 4 {
			t.Errorf("district targets %d rows", len(r))
		}
		f2.Close()

		code, h, b = c.raw("leader", "/api/v1/plan/report.html?year=2026&territory=320213022")
		page := string(b)
		if code != 200 || !strings.HasPrefix(h, "text/html") {
			t.Fatalf("html %d", code)
		}
		for _, want := range []string{"@page { size: A4", "2026年度目标任务与项目完成情况报告", "区域：清名桥街道", "本年度共下达目标 2 项，已完成 1 项，滞后 1 项", "已签署 1 份",
			"总预算 1600 万元，已支出 550 万元", "家乐花园社区居委会", "新增停车位 86/120个", "jiale"} {
			if !strings.Contains(page, want) {
				t.Errorf("html lacks %q", want)
			}
		}
	})
}

func rawJSON(s string) json.RawMessage { return json.RawMessage(s) }

// suggestion is a citizen's pending suggestion as the portal stores it.
func suggestion(project int64, body, contact string, at time.Time) *plan.Suggestion {
	return &plan.Suggestion{Project: project, Kind: plan.KindSuggestion, Body: body, Contact: contact, State: plan.Pending, CreatedAt: at}
}
