package assess_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

const (
	gridJ1 = "32021302201001" // 家乐01: lat 31.50–31.55
	gridJ2 = "32021302201002" // 家乐02: lat 31.55–31.60
	gridN1 = "32021302200301" // 南苑01
	gridX1 = "32021302300101" // 金星01
)

// TestManagementUnits: management units (管理单元) made of grids: checked
// whole, a grid in one unit only (moving between units in one call); a
// scheme scores them; points fall to the unit of their grid; the sample is
// stratified per unit; scores, the excellence rate and the red and black
// lists are over the units, hand-computed below.
func TestManagementUnits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		admin := w.f.Actors["admin"]
		w.now = at("2026-10-01 09:00")

		// A crosses the 家乐/南苑 line (家乐01 + 南苑01) under the street; B is
		// 家乐02 under its community; JX is 金星01.
		A := assess.MgmtUnit{Code: "QMQ-A", Name: "清名桥A单元", Parent: "320213022", Grids: []string{gridN1, gridJ1}}
		B := assess.MgmtUnit{Code: "QMQ-B", Name: "家乐北单元", Parent: "320213022010", Grids: []string{gridJ2}}
		JX := assess.MgmtUnit{Code: "JX", Name: "金星单元", Parent: "320213023", Grids: []string{gridX1}}

		// Bad units: every problem named, nothing stored.
		bad := []assess.MgmtUnit{
			{Code: "320213022", Name: "数字编码", Parent: "320213022", Grids: []string{gridJ1}},
			{Code: "OUT", Name: "越界", Parent: "320213022010", Grids: []string{gridN1, "320213022003"}},
			{Code: "NOPARENT", Name: "无上级", Parent: "999999", Grids: []string{gridX1}},
		}
		_, err := w.svc.PutMgmtUnits(ctx, admin, bad)
		if xiuhua.ErrorCode(err) != xiuhua.EInvalid || len(xiuhua.AsError(err).Details) != 4 {
			t.Fatalf("bad units: %v %q", err, xiuhua.AsError(err).Details)
		}
		for i, want := range []string{`unit "320213022": code must be`, `unit "OUT": grid 32021302200301 is not inside 320213022010`,
			`unit "OUT": "320213022003" is not a unit grid`, `unit "NOPARENT": parent "999999" is not a district`} {
			if !strings.HasPrefix(xiuhua.AsError(err).Details[i], want) {
				t.Errorf("detail %d: %q, want %q…", i, xiuhua.AsError(err).Details[i], want)
			}
		}
		if _, err := w.svc.PutMgmtUnits(ctx, w.f.Actors["dispatcher-jx"], []assess.MgmtUnit{JX}); xiuhua.ErrorCode(err) != xiuhua.EForbidden {
			t.Fatalf("a street dispatcher defined a unit: %v", err)
		}
		res, err := w.svc.PutMgmtUnits(ctx, admin, []assess.MgmtUnit{A, B, JX})
		if err != nil || res.Created != 3 || res.Updated != 0 {
			t.Fatalf("put: %+v %v", res, err)
		}
		// A grid in two units is refused; moving one between units in one call is not.
		_, err = w.svc.PutMgmtUnits(ctx, admin, []assess.MgmtUnit{{Code: "D", Name: "重叠", Parent: "320213022", Grids: []string{gridN1}}})
		if xiuhua.ErrorCode(err) != xiuhua.EInvalid || !strings.Contains(err.Error(), "grid 32021302200301 is already in management unit QMQ-A") {
			t.Fatalf("a grid in two units: %v", err)
		}
		moved := B
		moved.Parent, moved.Grids = "320213022", []string{gridJ2, gridN1}
		if res, err := w.svc.PutMgmtUnits(ctx, admin, []assess.MgmtUnit{{Code: A.Code, Name: A.Name, Parent: A.Parent, Grids: []string{gridJ1}}, moved}); err != nil || res.Updated != 2 {
			t.Fatalf("moving 南苑01 to B: %+v %v", res, err)
		}
		if res, err := w.svc.PutMgmtUnits(ctx, admin, []assess.MgmtUnit{A, B}); err != nil || res.Updated != 2 {
			t.Fatalf("moving it back: %+v %v", res, err)
		}
		all, err := w.svc.MgmtUnits(ctx, admin, "")
		if err != nil || len(all) != 3 || all[1].Code != "QMQ-A" || !reflect.DeepEqual(all[1].Grids, []string{gridN1, gridJ1}) ||
			!reflect.DeepEqual(all[2].Grids, []string{gridJ2}) || all[2].Parent != "320213022010" {
			t.Fatalf("units: %+v %v", all, err)
		}
		// A dispatcher of another district may not take over a unit by its code.
		other := auth.Actor{Username: "bh", Role: auth.Dispatcher, Scope: "320211"}
		if _, err := w.svc.PutMgmtUnits(ctx, other, []assess.MgmtUnit{{Code: "JX", Name: "夺取", Parent: "320211", Grids: []string{"32021101"}}}); xiuhua.ErrorCode(err) != xiuhua.EInvalid ||
			!strings.Contains(err.Error(), "taken by a unit outside your jurisdiction") {
			t.Fatalf("another district's dispatcher: %v", err)
		}
		if jx, _ := w.svc.MgmtUnits(ctx, w.f.Actors["dispatcher-jx"], ""); len(jx) != 1 || jx[0].Code != "JX" {
			t.Fatalf("金星 dispatcher's units: %+v", jx)
		}

		// The scheme scores management units, ranked within the district.
		sc := civicScheme()
		sc.Code, sc.Level, sc.MinSample, sc.Bonus = "mu", assess.MgmtLevel, 3, nil
		if _, err := w.svc.PutScheme(ctx, admin, sc); err != nil {
			t.Fatal(err)
		}
		for _, p := range fixturePoints {
			lon, lat := p.lon, p.lat
			if _, err := w.svc.PutPoint(ctx, admin, assess.PointInput{Code: p.code, Name: "点位" + p.code, Type: p.typ, Lon: &lon, Lat: &lat}); err != nil {
				t.Fatal(err)
			}
		}
		if p, _ := db.Point(ctx, "J-R4"); p.MgmtUnit != "QMQ-B" {
			t.Fatalf("J-R4 (31.57, 家乐02) is in %q", p.MgmtUnit)
		}
		// Populations: A main_road J-R1 J-R2 J-R3 N-R1 N-R2 N-R3, market N-M1, compound J-C1 N-C1 N-C2;
		// B main_road J-R4, market J-M1 J-M2, compound J-C2; JX main_road X-R1 X-R2.
		// Drawn (2 roads, 1 market, 1 compound): A 2+1+1, B 1+1+1, JX 2 = 9 points in 3 + 3 + 1 = 7 strata.
		seed := uint64(5)
		r, pts, err := w.svc.CreateRound(ctx, admin, assess.RoundInput{Scheme: "mu", Period: "2026-10", Name: "10月管理单元考核", Territory: "320213",
			Sizes: map[string]int{"main_road": 2, "market": 1, "old_compound": 1}, Seed: &seed})
		if err != nil {
			t.Fatal(err)
		}
		if len(pts) != 9 || len(r.Strata) != 7 {
			t.Fatalf("sample: %d points, %+v", len(pts), r.Strata)
		}
		popOf := func(unit, typ string) []string {
			for _, st := range r.Strata {
				if st.Unit == unit && st.Type == typ {
					return st.Population
				}
			}
			return nil
		}
		if got := popOf("QMQ-A", "main_road"); !reflect.DeepEqual(got, []string{"J-R1", "J-R2", "J-R3", "N-R1", "N-R2", "N-R3"}) {
			t.Errorf("A's roads: %v", got)
		}
		if got := popOf("QMQ-A", "old_compound"); !reflect.DeepEqual(got, []string{"J-C1", "N-C1", "N-C2"}) {
			t.Errorf("A's compounds: %v", got)
		}
		if got := popOf("QMQ-B", "market"); !reflect.DeepEqual(got, []string{"J-M1", "J-M2"}) {
			t.Errorf("B's markets: %v", got)
		}
		for _, st := range r.Strata {
			want := assess.Draw(seed, st.Unit, st.Type, st.Population, r.Sizes[st.Type])
			if !reflect.DeepEqual(st.Drawn, want) {
				t.Errorf("stratum %s/%s drew %v, redraw %v", st.Unit, st.Type, st.Drawn, want)
			}
		}
		// The preview draws what the round recorded.
		if pre, err := w.svc.PreviewSample(ctx, admin, assess.RoundInput{Scheme: "mu", Territory: "320213", Sizes: r.Sizes, Seed: &seed}); err != nil || !reflect.DeepEqual(pre, r.Strata) {
			t.Errorf("preview: %+v %v", pre, err)
		}
		// A street's round draws only the units inside the street.
		seed2 := uint64(6)
		r2, _, err := w.svc.CreateRound(ctx, admin, assess.RoundInput{Scheme: "mu", Kind: assess.Special, Period: "2026-10", Name: "专项",
			Territory: "320213022", Sizes: map[string]int{"main_road": 1}, Seed: &seed2})
		if err != nil || len(r2.Strata) != 2 || r2.Strata[0].Unit != "QMQ-A" || r2.Strata[1].Unit != "QMQ-B" {
			t.Fatalf("street round: %+v %v", r2.Strata, err)
		}

		// A: road.clean E0104 ×2 (−4), compound E0102 ×2 (−3): 93, 4 problems, excellent.
		// B: market catch-all ×3 (5 each: −15): 85, 3 problems. JX: road.clean E0104 ×1 (−2): 98 on 2 points: insufficient.
		ar, ac := pick(pts, "QMQ-A", "main_road"), pick(pts, "QMQ-A", "old_compound")
		w.finding("2026-10-10 10:00", "inspector", r.ID, ar[0], "road.clean", "E0104", 2)
		w.finding("2026-10-10 10:10", "inspector", r.ID, ac[0], "compound", "E0102", 2)
		w.finding("2026-10-10 10:20", "inspector", r.ID, pick(pts, "QMQ-B", "market")[0], "market", "E0601", 3)
		w.finding("2026-10-10 10:30", "inspector", r.ID, pick(pts, "JX", "main_road")[0], "road.clean", "E0104", 1)
		for _, p := range pts {
			w.inspected("2026-10-11 10:00", r.ID, p.Point)
		}
		w.now = at("2026-11-02 09:00")
		s, err := w.svc.Scores(ctx, w.f.Actors["leader"], assess.ScoreQuery{Round: r.ID})
		if err != nil {
			t.Fatal(err)
		}
		a, b, x := unitScore(t, s, "QMQ-A"), unitScore(t, s, "QMQ-B"), unitScore(t, s, "JX")
		if a.Total != f2("93") || a.Problems != 4 || a.Inspected != 4 || !a.Excellent || a.Rank != 1 || a.Tier != "320213" || a.Name != "清名桥A单元" {
			t.Errorf("A: %+v", a)
		}
		if b.Total != f2("85") || b.Problems != 3 || b.Inspected != 3 || b.Excellent || b.Rank != 2 || b.Tier != "320213" || b.Name != "家乐北单元" {
			t.Errorf("B: %+v", b)
		}
		if x.Total != f2("98") || !x.Insufficient || x.Rank != 0 || x.Inspected != 2 {
			t.Errorf("JX: %+v", x)
		}
		// 管理单元优秀率: 1 excellent of 2 ranked = 50.00 %.
		if s.Scored != 2 || s.ExcellentUnits != 1 || str(s.ExcellenceRate) != "50.00" ||
			!reflect.DeepEqual(s.Lists, []assess.TierList{{Tier: "320213", Red: []string{"QMQ-A"}, Black: []string{"QMQ-B"}}}) {
			t.Errorf("scores: %+v", s)
		}
		// Scope: the 金星 dispatcher sees JX alone, in the scores and in the round.
		sj, err := w.svc.Scores(ctx, w.f.Actors["dispatcher-jx"], assess.ScoreQuery{Round: r.ID})
		if err != nil || len(sj.Units) != 1 || sj.Units[0].Unit != "JX" {
			t.Errorf("金星 scores: %+v %v", sj.Units, err)
		}
		d, err := w.svc.Round(ctx, w.f.Actors["dispatcher-jx"], r.ID)
		if err != nil || len(d.Points) != 2 || !slices.ContainsFunc(d.Findings, func(f assess.Finding) bool { return f.Point == pick(pts, "JX", "main_road")[0] }) || len(d.Findings) != 1 {
			t.Errorf("金星 round: %+v %v", d, err)
		}
		// Published, the excerpt for 金星 keeps JX; recomputes byte for byte.
		pub, err := w.svc.Publish(ctx, admin, assess.PublishInput{Kind: "scores", Period: "2026-10", Round: r.ID})
		if err != nil {
			t.Fatal(err)
		}
		if same, _, err := w.svc.Recompute(ctx, admin, pub); err != nil || !same {
			t.Errorf("recompute: %v %v", same, err)
		}
		ps, err := w.svc.Publications(ctx, w.f.Actors["dispatcher-jx"], "scores", "2026-10", pub.Scope)
		if err != nil || len(ps) != 1 || ps[0].View != assess.ViewExcerpt || !strings.Contains(string(ps[0].Body), `"unit":"JX"`) ||
			strings.Contains(string(ps[0].Body), "QMQ-A") {
			t.Errorf("金星 excerpt: %+v %v", ps, err)
		}
	})
}

// TestParseMgmtUnits reads CSV (rows of one unit merged, Chinese headers,
// mixed separators) and JSON, and refuses a header without grids.
func TestParseMgmtUnits(t *testing.T) {
	csv := "\ufeff编码,名称,上级区域,网格\nA,甲,320213022,32021302201001；32021302200301\nA,,,32021302201002\nB,乙,320213023,\"32021302300101 \"\n"
	us, err := assess.ParseMgmtUnits([]byte(csv))
	if err != nil || len(us) != 2 || !reflect.DeepEqual(us[0].Grids, []string{gridJ1, gridN1, gridJ2}) || us[1].Parent != "320213023" || us[1].Grids[0] != gridX1 {
		t.Fatalf("csv: %+v %v", us, err)
	}
	if _, err := assess.ParseMgmtUnits([]byte("A,甲,320213022,x\nA,乙,320213022,y\n")); xiuhua.ErrorCode(err) != xiuhua.EInvalid {
		t.Errorf("no header: %v", err)
	}
	if _, err := assess.ParseMgmtUnits([]byte("code,name,parent,grids\nA,甲,320213022,x\nA,乙,320213022,y\n")); xiuhua.ErrorCode(err) != xiuhua.EInvalid {
		t.Errorf("two names for A: %v", err)
	}
	us, err = assess.ParseMgmtUnits([]byte(`{"items":[{"code":"A","name":"甲","parent":"320213022","grids":["32021302201001"]}]}`))
	if err != nil || len(us) != 1 || us[0].Grids[0] != gridJ1 {
		t.Fatalf("json: %+v %v", us, err)
	}
}
