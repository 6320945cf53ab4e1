package portal

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestBoard: the red and black lists appear on the portal only once
// published, by unit names, with the period and none of the scores or the
// correction's reason. Hand-checked round of October 2026, one road point a
// community, −2 a problem of E0102, lists of one over the district:
//
//	家乐花园 J-R1 inspected, no problem: 100 → red list
//	金星     X-R1 1 problem: 98
//	南苑     N-R1 2 problems: 96 → black list
func TestBoard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		ctx := context.Background()
		e.mu.Lock()
		e.now = time.Date(2026, 10, 21, 10, 0, 0, 0, shanghai)
		e.mu.Unlock()
		svc := e.f.App.AssessService()
		svc.Now = e.clock
		admin, ins := e.f.Actors["admin"], e.f.Actors["inspector"]
		cz := e.citizen("")

		if p := cz.get("/public/board"); p.status != 200 || !strings.Contains(p.body, `id="board-none"`) || !strings.Contains(p.body, "考核结果尚未发布") {
			t.Fatalf("empty board: %d %.300s", p.status, p.body)
		}
		if p := cz.get("/public/"); !strings.Contains(p.body, `<a href="/public/board" id="nav-board">红黑榜</a>`) {
			t.Error("the portal's navigation does not link the board")
		}

		sc := assess.Scheme{Code: "board", Name: "红黑榜测试办法", Level: "community", MinSample: 1, ListSize: 1,
			Indicators: []assess.Indicator{{Code: "road", Name: "道路", FullMarks: assess.FixedOf(100), PointTypes: []string{"main_road"},
				Deductions: []assess.Deduction{{Category: "E0102", Points: assess.FixedOf(2)}}}}}
		if _, err := svc.PutScheme(ctx, admin, sc); err != nil {
			t.Fatal(err)
		}
		for _, p := range []struct {
			code     string
			lon, lat float64
		}{{"J-R1", 120.21, 31.51}, {"N-R1", 120.26, 31.51}, {"X-R1", 120.32, 31.52}} {
			lon, lat := p.lon, p.lat
			if _, err := svc.PutPoint(ctx, admin, assess.PointInput{Code: p.code, Name: "点位" + p.code, Type: "main_road", Lon: &lon, Lat: &lat}); err != nil {
				t.Fatal(err)
			}
		}
		seed := uint64(7)
		r, _, err := svc.CreateRound(ctx, admin, assess.RoundInput{Scheme: "board", Period: "2026-10", Name: "10月考核", Territory: "320213",
			Sizes: map[string]int{"main_road": 1}, Seed: &seed})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Inspected(ctx, ins, r.ID, "J-R1"); err != nil {
			t.Fatal(err)
		}
		for _, f := range []assess.FindingInput{{Point: "N-R1", Indicator: "road", Category: "E0102", Count: 2, Note: "内部记录：店主不配合"},
			{Point: "X-R1", Indicator: "road", Category: "E0102", Count: 1}} {
			if _, _, err := svc.RecordFinding(ctx, ins, r.ID, f); err != nil {
				t.Fatal(err)
			}
		}
		e.mu.Lock()
		e.now = time.Date(2026, 11, 2, 10, 0, 0, 0, shanghai)
		e.mu.Unlock()
		// Scored but not published: the board still has nothing.
		scores, err := svc.Scores(ctx, admin, assess.ScoreQuery{Round: r.ID})
		if err != nil || len(scores.Lists) != 1 || strings.Join(scores.Lists[0].Red, ",") != "320213022010" || strings.Join(scores.Lists[0].Black, ",") != "320213022003" {
			t.Fatalf("the round's own lists: %+v %v", scores.Lists, err)
		}
		p := cz.get("/public/board")
		if !strings.Contains(p.body, `id="board-none"`) || strings.Contains(p.body, "家乐花园") || strings.Contains(p.body, "南苑") {
			t.Fatalf("unpublished scores on the board: %.600s", p.body)
		}

		if _, err := svc.Publish(ctx, admin, assess.PublishInput{Kind: "scores", Period: "2026-10", Round: r.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Publish(ctx, admin, assess.PublishInput{Kind: "scores", Period: "2026-10", Round: r.ID, Reason: "内部备注：更正录入"}); err != nil {
			t.Fatal(err)
		}
		p = cz.get("/public/board")
		if p.status != 200 || strings.Contains(p.body, `id="board-none"`) {
			t.Fatalf("published board: %d %.300s", p.status, p.body)
		}
		if !strings.Contains(p.body, `<p class="board-period" id="board-period">考核周期：2026年10月`) {
			t.Errorf("period: %s", between(p.body, `id="board-period"`, "</p>"))
		}
		if red := between(p.body, `class="board-red"`, "</div>"); !strings.Contains(red, "<li>家乐花园社区</li>") || strings.Contains(red, "南苑") || strings.Contains(red, "金星") {
			t.Errorf("red list: %s", red)
		}
		if black := between(p.body, `class="board-black"`, "</div>"); !strings.Contains(black, "<li>南苑社区</li>") || strings.Contains(black, "家乐花园") || strings.Contains(black, "金星") {
			t.Errorf("black list: %s", black)
		}
		// The one tier is the round's own territory: named once, in the heading.
		if !strings.Contains(p.body, "<h2>梁溪区 ") || strings.Contains(p.body, "<h3>梁溪区</h3>") {
			t.Errorf("the territory should be named once, as the heading: %s", between(p.body, `class="board-part"`, `class="board-lists"`))
		}
		for _, private := range []string{"100.00", "98.00", "96.00", "内部备注", "内部记录", "店主不配合", "金星社区", "J-R1", "admin"} {
			if strings.Contains(p.body, private) {
				t.Errorf("the board shows %q", private)
			}
		}
		en := e.citizen("en").get("/public/board")
		if !strings.Contains(en.body, "Assessment period: October 2026") || !strings.Contains(en.body, "Red list") || !strings.Contains(en.body, "家乐花园社区") {
			t.Errorf("English board: %.600s", en.body)
		}
	})
}

// between returns the text after the first from up to the next to.
func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

// TestPeriodName names periods in both languages.
func TestPeriodName(t *testing.T) {
	for _, c := range []struct{ in, zh, en string }{
		{"2026-10", "2026年10月", "October 2026"}, {"2026-Q4", "2026年第四季度", "Q4 2026"}, {"2026-Q1", "2026年第一季度", "Q1 2026"}, {"2026", "2026年度", "2026"},
	} {
		p, err := assess.ParsePeriod(c.in)
		if err != nil {
			t.Fatal(err)
		}
		if zh, en := periodName("zh", p), periodName("en", p); zh != c.zh || en != c.en {
			t.Errorf("%s: %q %q", c.in, zh, en)
		}
	}
}

// TestLatestPeriod: the board shows the period that ends last, the quarter
// over its last month.
func TestLatestPeriod(t *testing.T) {
	pubs := func(ps ...string) []assess.Publication {
		var out []assess.Publication
		for _, p := range ps {
			out = append(out, assess.Publication{Period: p})
		}
		return out
	}
	for _, c := range []struct {
		in   []assess.Publication
		want string
	}{
		{pubs("2026-09", "2026-10", "2026-Q3"), "2026-10"},
		{pubs("2026-12", "2026-Q4", "2026-11"), "2026-Q4"},
		{pubs("2026-Q4", "2026-12"), "2026-Q4"},
		{pubs("2025", "2025-Q4", "2025-12"), "2025"},
		{pubs("2026-Q2", "2026-05"), "2026-Q2"},
	} {
		p, ok := latestPeriod(c.in)
		if !ok || p.String() != c.want {
			t.Errorf("%v: %s %v, want %s", c.in, p, ok, c.want)
		}
	}
	if _, ok := latestPeriod(nil); ok {
		t.Error("a period out of nothing")
	}
}
