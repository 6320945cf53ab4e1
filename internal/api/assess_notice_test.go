package api_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"github.com/xiuhua/xiuhua/internal/assess/notice"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// raw fetches a path as a user and returns the status, content type and body.
func (c *client) raw(user, path string) (int, string, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.f.Tokens[user])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// text is the text of an HTML document, element by element, whitespace collapsed.
func text(t *testing.T, page []byte) (string, map[string]string) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	sections := map[string]string{}
	var walk func(n *html.Node, into *strings.Builder)
	walk = func(n *html.Node, into *strings.Builder) {
		if n.Type == html.TextNode && n.Parent != nil && n.Parent.Data != "style" && n.Parent.Data != "title" {
			into.WriteString(n.Data)
			into.WriteString(" ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.Data == "section" {
				var s strings.Builder
				walk(c, &s)
				for _, a := range c.Attr {
					if a.Key == "id" {
						sections[a.Val] = strings.Join(strings.Fields(s.String()), " ")
					}
				}
				into.WriteString(s.String())
				continue
			}
			walk(c, into)
		}
	}
	walk(doc, &b)
	return strings.Join(strings.Fields(b.String()), " "), sections
}

// TestAssessNotice publishes November's scores and metrics of 清名桥街道 and
// prints them as a notice: the hand-checked numbers in HTML and XLSX, a
// correction's version and reason, and who may read it.
func TestAssessNotice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		var now time.Time
		set := func(s string) {
			var err error
			if now, err = time.ParseInLocation("2006-01-02 15:04", s, calendar.Shanghai()); err != nil {
				t.Fatal(err)
			}
		}
		c.f.App.Cases.Now = func() time.Time { return now }
		set("2026-11-02 09:00")
		c.must(201, "admin", "POST", "/api/v1/assess/schemes", map[string]any{"code": "civic", "name": "考核办法", "level": "community", "min_sample": 2,
			"indicators": []any{
				map[string]any{"code": "road", "name": "道路保洁", "full_marks": 60, "deductions": []any{map[string]any{"points": 2.5}}},
				map[string]any{"code": "order", "name": "市容秩序", "full_marks": 40, "deductions": []any{map[string]any{"points": 1}}},
			}})
		// Two roads in 家乐花园 (320213022010), one in 南苑 (320213022003).
		for i, pt := range [][2]float64{{120.22, 31.52}, {120.23, 31.53}, {120.27, 31.53}} {
			c.must(201, "admin", "POST", "/api/v1/assess/points", map[string]any{"code": fmt.Sprint("P", i), "name": "路段", "type": "main_road", "lon": pt[0], "lat": pt[1]})
		}
		set("2026-11-03 09:00")
		rd := c.must(201, "dispatcher", "POST", "/api/v1/assess/rounds", map[string]any{"scheme": "civic", "period": "2026-11", "name": "11月",
			"territory": "320213022", "sizes": map[string]int{"main_road": 1}, "seed": "12345"})
		rpath := fmt.Sprintf("/api/v1/assess/rounds/%d", num(rd["id"]))
		drawn := map[string]string{}
		for _, p := range rd["points"].([]any) {
			p := p.(map[string]any)
			drawn[p["unit"].(string)] = p["point"].(string)
		}
		jl := drawn["320213022010"]
		if jl == "" || drawn["320213022003"] != "P2" {
			t.Fatalf("drawn: %v", drawn)
		}
		// 家乐: the drawn road 2 problems on road (5.00 off) and 1 on order (1.00 off), the other road
		// visited and clean: 55.00 + 39.00 = 94.00 on two points, excellent (≥ 90), ranked 1.
		fd := c.must(201, "inspector", "POST", rpath+"/findings", map[string]any{"point": jl, "indicator": "road", "category": "E0104", "count": 2})
		c.must(201, "inspector", "POST", rpath+"/findings", map[string]any{"point": jl, "indicator": "order", "category": "E0104", "count": 1})
		other := map[string]string{"P0": "P1", "P1": "P0"}[jl]
		c.must(201, "leader", "POST", rpath+"/visits", map[string]any{"point": other})
		c.must(204, "inspector", "POST", rpath+"/inspected", map[string]any{"point": other})
		// 南苑: 4 problems on road (10.00 off): 50.00 + 40.00 = 90.00 on one point: insufficient sample.
		c.must(201, "inspector", "POST", rpath+"/findings", map[string]any{"point": "P2", "indicator": "road", "category": "E0104", "count": 4})
		// The first finding's case is dispatched to 环卫处 and never handled: due, overdue, no rework data.
		cpath := fmt.Sprintf("/api/v1/cases/%d", num(fd["case"].(map[string]any)["id"]))
		v := c.must(200, "dispatcher", "POST", cpath+"/register", map[string]any{"version": 1})
		c.must(200, "dispatcher", "POST", cpath+"/dispatch", map[string]any{"version": v["version"], "unit": "320213.sanitation"})

		set("2026-12-01 09:00")
		pub := c.must(201, "admin", "POST", "/api/v1/assess/publish", map[string]any{"kind": "scores", "period": "2026-11"})
		mpub := c.must(201, "admin", "POST", "/api/v1/assess/publish", map[string]any{"kind": "metrics", "period": "2026-11", "territory": "320213022"})
		base := fmt.Sprintf("/api/v1/assess/publications/%d/notice", num(pub["id"]))

		code, ctype, page := c.raw("leader", base+".html")
		if code != 200 || ctype != "text/html; charset=utf-8" {
			t.Fatalf("notice.html: %d %s %s", code, ctype, page)
		}
		all, sec := text(t, page)
		for _, want := range []string{"清名桥街道2026年11月城市精细化管理考核结果通报", "考核周期：2026年11月（2026-11）", "第1版"} {
			if !strings.Contains(sec["title"], want) {
				t.Errorf("title section lacks %q: %s", want, sec["title"])
			}
		}
		if strings.Contains(all, "更正说明") {
			t.Error("version 1 shows a correction")
		}
		// Columns 道路保洁 (60.00), 市容秩序 (40.00); 家乐 ranked 1 on 2 points: 55.00, 39.00, 6.00 off, 0.00 bonus, 94.00, 优秀.
		wants := map[string][]string{
			"scores":       {"道路保洁 （60.00）", "市容秩序 （40.00）", "梁溪区 1 家乐花园社区 2 55.00 39.00 6.00 0.00 94.00 优秀"},
			"excellence":   {"90.00 1 1 100.00"},
			"problems":     {"家乐花园社区 3 — —", "南苑社区（样本不足） 4 — —", "合计 7 — —"},
			"lists":        {"梁溪区 家乐花园社区（94.00分） 无", "排名规则：按总分排序；总分相同时问题数少者在前"},
			"insufficient": {"少于 2 个", "梁溪区 南苑社区 1 4 90.00"},
			// due 1, on time 0 (0.00 %), overdue 1, rework — (nothing handled).
			"metrics": {"第1版", "梁溪区环卫处 1 0 0.00 1 —"},
		}
		for s, ws := range wants {
			for _, w := range ws {
				if !strings.Contains(sec[s], w) {
					t.Errorf("section %s lacks %q:\n%s", s, w, sec[s])
				}
			}
		}
		if strings.Contains(sec["scores"], "南苑") {
			t.Errorf("an insufficient sample is in the ranked table: %s", sec["scores"])
		}
		for _, css := range []string{"@page { size: A4", "page-break-before: always", "thead { display: table-header-group; }", "方正小标宋简体", "FangSong"} {
			if !bytes.Contains(page, []byte(css)) {
				t.Errorf("print style lacks %q", css)
			}
		}

		// The workbook: one sheet per section, the same numbers.
		code, ctype, book := c.raw("leader", base+".xlsx")
		if code != 200 || !strings.HasPrefix(ctype, "application/vnd.openxmlformats") {
			t.Fatalf("notice.xlsx: %d %s", code, ctype)
		}
		x, err := excelize.OpenReader(bytes.NewReader(book))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		if got := strings.Join(x.GetSheetList(), ","); got != "通报,考核得分,优秀率,问题数量,红黑榜,样本不足,部门指标" {
			t.Fatalf("sheets %s", got)
		}
		cells := map[string]map[string]string{
			notice.SheetNotice:       {"A1": "清名桥街道2026年11月城市精细化管理考核结果通报", "B5": "1"},
			notice.SheetScores:       {"D1": "单位", "F1": "道路保洁（60.00）", "B2": "1", "C2": "320213022010", "E2": "2", "F2": "55.00", "G2": "39.00", "H2": "6.00", "J2": "94.00", "K2": "优秀", "A3": ""},
			notice.SheetExcellence:   {"A2": "90.00", "B2": "1", "C2": "1", "D2": "100.00"},
			notice.SheetProblems:     {"C2": "3", "D2": "—", "B3": "南苑社区", "C3": "4", "A4": "合计", "C4": "7"},
			notice.SheetLists:        {"B2": "红榜", "D2": "家乐花园社区（94.00分）", "B3": ""},
			notice.SheetInsufficient: {"B2": "320213022003", "D2": "1", "E2": "4", "F2": "90.00"},
			notice.SheetMetrics:      {"A2": "320213.sanitation", "C2": "1", "D2": "0", "E2": "0.00", "F2": "1", "G2": "—"},
		}
		for sh, m := range cells {
			for ref, want := range m {
				if got, err := x.GetCellValue(sh, ref); err != nil || got != want {
					t.Errorf("%s!%s = %q (%v), want %q", sh, ref, got, err, want)
				}
			}
		}

		// A correction: version 2 with its reason; version 1 still prints as it was.
		pub2 := c.must(201, "admin", "POST", "/api/v1/assess/publish", map[string]any{"kind": "scores", "period": "2026-11", "reason": "更正：复核南苑扣分"})
		_, _, page2 := c.raw("leader", fmt.Sprintf("/api/v1/assess/publications/%d/notice.html", num(pub2["id"])))
		if _, s2 := text(t, page2); !strings.Contains(s2["title"], "第2版") || !strings.Contains(s2["title"], "更正说明（第2版）：更正：复核南苑扣分") {
			t.Errorf("correction notice: %s", s2["title"])
		}
		if _, _, again := c.raw("leader", base+".html"); !bytes.Equal(again, page) {
			t.Error("version 1's notice changed after a correction")
		}

		// Who may read: assessment readers covering the round's territory.
		c.must(403, "san", "GET", base+".html", nil)
		c.must(403, "inspector", "GET", base+".xlsx", nil)
		c.must(404, "dispatcher-jx", "GET", base+".html", nil) // 金星街道: not 清名桥's
		c.must(200, "dispatcher", "GET", base+".xlsx", nil)
		c.must(404, "leader", "GET", "/api/v1/assess/publications/999/notice.html", nil)
		c.must(404, "leader", "GET", "/api/v1/assess/publications/x/notice.html", nil)
		c.must(422, "leader", "GET", fmt.Sprintf("/api/v1/assess/publications/%d/notice.html", num(mpub["id"])), nil)
		c.must(401, "", "GET", base+".html", nil)
	})
}
