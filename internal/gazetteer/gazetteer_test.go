package gazetteer

import (
	"slices"
	"sync"
	"testing"

	"github.com/paulmach/orb"

	"github.com/xiuhua/xiuhua/internal/territory"
	"github.com/xiuhua/xiuhua/internal/territory/demodata"
)

func rect(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

// handMade is a small tree on a plane:
//
//	梁溪区 (0–10 × 0–10)            滨湖区 (10–20 × 0–10)
//	  清名桥街道 (0–5 × 0–10)          雪浪街道 (10–20 × 0–10)
//	    家乐花园社区 (0–5 × 0–5)          南苑社区 (same), one grid
//	      grids 01 (x 0–2.5), 02 (x 2.5–5)
//	    南苑社区 (0–5 × 5–10), one grid
//	    清名桥社区: no outline, no grid
//	  金星街道 (5–10 × 0–10)
//	    金星社区: an L (the bar y 0–1 and the post x 5–6), one grid the same
//	    星光村: no outline; one grid 6–10 × 1–10
func handMade() *territory.Index {
	l := orb.Polygon{{{5, 0}, {10, 0}, {10, 1}, {6, 1}, {6, 10}, {5, 10}, {5, 0}}}
	return territory.NewIndex([]territory.Area{
		{Code: "320213", Name: "梁溪区", Level: territory.District, Geometry: rect(0, 0, 10, 10)},
		{Code: "320211", Name: "滨湖区", Level: territory.District, Geometry: rect(10, 0, 20, 10)},
		{Code: "320213022", Name: "清名桥街道", Level: territory.Street, ParentCode: "320213", Geometry: rect(0, 0, 5, 10)},
		{Code: "320213023", Name: "金星街道", Level: territory.Street, ParentCode: "320213", Geometry: rect(5, 0, 10, 10)},
		{Code: "320211008", Name: "雪浪街道", Level: territory.Street, ParentCode: "320211", Geometry: rect(10, 0, 20, 10)},
		{Code: "320213022010", Name: "家乐花园社区", Level: territory.Community, ParentCode: "320213022", Geometry: rect(0, 0, 5, 5)},
		{Code: "320213022003", Name: "南苑社区", Level: territory.Community, ParentCode: "320213022", Geometry: rect(0, 5, 5, 10)},
		{Code: "320213022019", Name: "清名桥社区", Level: territory.Community, ParentCode: "320213022"},
		{Code: "320211008010", Name: "南苑社区", Level: territory.Community, ParentCode: "320211008", Geometry: rect(10, 0, 20, 10)},
		{Code: "320213023001", Name: "金星社区", Level: territory.Community, ParentCode: "320213023", Geometry: l},
		{Code: "320213023201", Name: "星光村", Level: territory.Community, ParentCode: "320213023"},
		{Code: "32021302201001", Name: "家乐花园社区01网格", Level: territory.Grid, ParentCode: "320213022010", Geometry: rect(0, 0, 2.5, 5)},
		{Code: "32021302201002", Name: "家乐花园社区02网格", Level: territory.Grid, ParentCode: "320213022010", Geometry: rect(2.5, 0, 5, 5)},
		{Code: "32021302200301", Name: "南苑社区01网格", Level: territory.Grid, ParentCode: "320213022003", Geometry: rect(0, 5, 5, 10)},
		{Code: "32021100801001", Name: "雪浪南苑01网格", Level: territory.Grid, ParentCode: "320211008010", Geometry: rect(10, 0, 20, 10)},
		{Code: "32021302300101", Name: "金星社区01网格", Level: territory.Grid, ParentCode: "320213023001", Geometry: l},
		{Code: "32021302320101", Name: "星光村01网格", Level: territory.Grid, ParentCode: "320213023201", Geometry: rect(6, 1, 10, 10)},
	})
}

func TestFindHandMade(t *testing.T) {
	g := New(handMade())
	for _, c := range []struct {
		text     string
		code     string
		level    territory.Level
		exact    bool
		pt       orb.Point
		hasPoint bool
	}{
		// The full chain; the centroid (2.5, 2.5) is on the line between the
		// two grids, which Locate gives to the lower code, 01: still 家乐花园.
		{"梁溪区清名桥街道家乐花园社区南长街123号", "320213022010", territory.Community, true, orb.Point{2.5, 2.5}, true},
		{"江苏省无锡市 家乐花园社区 3栋", "320213022010", territory.Community, true, orb.Point{2.5, 2.5}, true},
		// A short form: 家乐花园 for 家乐花园社区.
		{"家乐花园小区3栋2单元", "320213022010", territory.Community, false, orb.Point{2.5, 2.5}, true},
		// The same community name in two streets: the district or street says which.
		{"梁溪区南苑社区", "320213022003", territory.Community, true, orb.Point{2.5, 7.5}, true},
		{"滨湖区南苑社区", "320211008010", territory.Community, true, orb.Point{15, 5}, true},
		{"雪浪南苑社区菜场", "320211008010", territory.Community, true, orb.Point{15, 5}, true},
		// An L-shaped community: its centroid (6.21, 3.71) is outside it;
		// the scan at y 5.5 crosses x 5 and 6, giving (5.5, 5.5).
		{"金星街道金星社区", "320213023001", territory.Community, true, orb.Point{5.5, 5.5}, true},
		// A community without an outline: the point of its grid.
		{"金星星光村", "320213023201", territory.Community, true, orb.Point{8, 5.5}, true},
		// A community with neither outline nor grid has no point.
		{"清名桥社区", "320213022019", territory.Community, true, orb.Point{}, false},
		// A grid name beats the community name inside it.
		{"家乐花园社区02网格东侧", "32021302201002", territory.Grid, true, orb.Point{3.75, 2.5}, true},
		// Street level: (2.5, 5) touches three grids; the lowest code, 南苑's, is in 清名桥街道.
		{"清名桥街道某路口", "320213022", territory.Street, true, orb.Point{2.5, 5}, true},
		{"梁溪某小区", "320213", territory.District, false, orb.Point{5, 5}, true},
	} {
		r := g.Find(c.text)
		if r.Status != Found || r.Area.Code != c.code || r.Level() != c.level || r.Exact != c.exact || r.HasPoint != c.hasPoint || r.Point != c.pt {
			t.Errorf("%s: %+v, want %s %s exact=%v %v", c.text, r, c.code, c.level, c.exact, c.pt)
		}
	}
	r := g.Find("梁溪区清名桥街道家乐花园社区南长街123号")
	if !slices.Equal(r.Matched, []string{"梁溪区", "清名桥街道", "家乐花园社区"}) || r.Area.Path != "梁溪区清名桥街道家乐花园社区" {
		t.Errorf("matched %q, path %q", r.Matched, r.Area.Path)
	}
}

func TestFindAmbiguousAndNothing(t *testing.T) {
	g := New(handMade())
	codes := func(r Result) []string {
		var out []string
		for _, c := range r.Candidates {
			out = append(out, c.Code)
		}
		return out
	}
	// 南苑社区 is in two streets of two districts.
	r := g.Find("南苑社区门口垃圾满溢")
	if r.Status != Ambiguous || !slices.Equal(codes(r), []string{"320211008010", "320213022003"}) ||
		r.Candidates[0].Path != "滨湖区雪浪街道南苑社区" || r.Candidates[1].Path != "梁溪区清名桥街道南苑社区" {
		t.Errorf("南苑社区: %+v", r)
	}
	// Names that do not nest: 家乐花园社区 is not in 滨湖区.
	r = g.Find("滨湖区家乐花园社区")
	if r.Status != Ambiguous || !slices.Equal(codes(r), []string{"320211", "320213022010"}) {
		t.Errorf("滨湖区家乐花园社区: %+v", r)
	}
	// A wrong name beside a right chain loses to the chain.
	r = g.Find("梁溪区清名桥街道家乐花园社区（原雪浪）")
	if r.Status != Found || r.Area.Code != "320213022010" {
		t.Errorf("chain with a stray name: %+v", r)
	}
	for _, text := range []string{
		"", "清扬路与南长街交叉口", "hello world",
		"清名桥路1号",    // 清名桥 is the short form of a street and of a community: not indexed
		"梁溪路88号",    // a road named after the district
		"梁溪河边",      // a river
		"区", "社区街道", // suffixes alone
		"\xff\xfe无效编码",
	} {
		if r := g.Find(text); r.Status != NotFound || r.Matched != nil {
			t.Errorf("%q: %+v, want not found", text, r)
		}
	}
}

// The short-form rules: at least two characters, unique, not another area's name.
func TestShortForms(t *testing.T) {
	g := New(territory.NewIndex([]territory.Area{
		{Code: "320213", Name: "梁溪区", Level: territory.District},
		{Code: "320213022", Name: "东镇", Level: territory.Street, ParentCode: "320213"},
		{Code: "320213023", Name: "扬名街道", Level: territory.Street, ParentCode: "320213"},
		{Code: "320213023001", Name: "扬名", Level: territory.Community, ParentCode: "320213023"},
		{Code: "320213022001", Name: "新村", Level: territory.Community, ParentCode: "320213022"},
	}))
	for text, want := range map[string]string{
		"东镇":   "320213022",
		"东":    "",             // 东镇's short form would have one character
		"扬名":   "320213023001", // 扬名街道's short form is the community's full name
		"梁溪":   "320213",
		"新村":   "320213022001",
		"新村小区": "320213022001",
	} {
		r := g.Find(text)
		if got := r.Area.Code; got != want {
			t.Errorf("%s: %+v, want %q", text, r, want)
		}
	}
}

var (
	wuxiOnce sync.Once
	wuxiIx   *territory.Index
	wuxiErr  error
)

func wuxi(t testing.TB) *territory.Index {
	t.Helper()
	wuxiOnce.Do(func() {
		data, err := demodata.Wuxi()
		if err != nil {
			wuxiErr = err
			return
		}
		areas, err := territory.ParseGeoJSON(data)
		if err != nil {
			wuxiErr = err
			return
		}
		wuxiIx = territory.NewIndex(areas)
	})
	if wuxiErr != nil {
		t.Fatal(wuxiErr)
	}
	return wuxiIx
}

func TestFindWuxi(t *testing.T) {
	ix := wuxi(t)
	g := New(ix)
	r := g.Find("梁溪区清名桥街道家乐花园社区南长街123号")
	if r.Status != Found || r.Area.Code != "320213022010" || !r.HasPoint {
		t.Fatalf("家乐花园: %+v", r)
	}
	if loc, ok := ix.Locate(r.Point[0], r.Point[1]); !ok || loc.Community.Code != "320213022010" {
		t.Errorf("the point %v locates in %+v", r.Point, loc)
	}
	// 南长街 is a road: its tail is not the short form of 长街社区, a
	// community of the same street.
	r = g.Find("梁溪区清名桥街道南长街123号")
	if r.Status != Found || r.Area.Code != "320213022" {
		t.Errorf("南长街: %+v", r)
	}
	if r = g.Find("清名桥街道长街小区"); r.Status != Found || r.Area.Code != "320213022001" || r.Exact {
		t.Errorf("长街小区: %+v", r)
	}
	// A crossing of two roads: only the district is named (清名桥路 is a
	// road, and 清名桥 alone is both a street and a community).
	r = g.Find("无锡市梁溪区南长街与清名桥路交叉口")
	if r.Status != Found || r.Area.Code != "320213" || r.Level() != territory.District {
		t.Errorf("交叉口: %+v", r)
	}
	// 南苑社区 is in 清名桥街道 (梁溪区) and 雪浪街道 (滨湖区).
	r = g.Find("南苑社区")
	if r.Status != Ambiguous || len(r.Candidates) != 2 || r.Candidates[0].Code != "320211008010" || r.Candidates[1].Code != "320213022003" {
		t.Errorf("南苑社区: %+v", r)
	}
	if r = g.Find("无锡市梁溪区南苑社区"); r.Status != Found || r.Area.Code != "320213022003" {
		t.Errorf("梁溪区南苑社区: %+v", r)
	}
	if r = g.Find("民主社区"); r.Status != Ambiguous || len(r.Candidates) != 3 {
		t.Errorf("民主社区: %+v", r)
	}
	if r = g.Find("宜兴市徐舍镇民主社区"); r.Status != Found || r.Area.Code != "320282103001" {
		t.Errorf("徐舍镇民主社区: %+v", r)
	}
	if r = g.Find("请尽快处理，谢谢！"); r.Status != NotFound {
		t.Errorf("nothing named: %+v", r)
	}
	// Every community, named by its full path, is found, and its point
	// locates back into it.
	n := 0
	for _, d := range ix.Children("") {
		for _, s := range ix.Children(d.Code) {
			for _, c := range ix.Children(s.Code) {
				if c.Level != territory.Community {
					continue
				}
				n++
				r := g.Find(d.Name + s.Name + c.Name + "1号")
				if r.Status != Found || r.Area.Code != c.Code || !r.HasPoint {
					t.Errorf("%s%s%s: %+v", d.Name, s.Name, c.Name, r)
					continue
				}
				if loc, ok := ix.Locate(r.Point[0], r.Point[1]); !ok || loc.Community.Code != c.Code {
					t.Errorf("%s: point %v locates in %+v", c.Name, r.Point, loc)
				}
			}
		}
	}
	if n != demodata.Communities {
		t.Errorf("%d communities walked, want %d", n, demodata.Communities)
	}
}

func BenchmarkBuildWuxi(b *testing.B) {
	ix := wuxi(b)
	for b.Loop() {
		New(ix)
	}
}

// A 100-character address over the Wuxi tree (1,349 areas, 10,045 grids).
func BenchmarkFindWuxi(b *testing.B) {
	g := New(wuxi(b))
	text := "江苏省无锡市梁溪区清名桥街道家乐花园社区南长街123号附近小区门口，居民反映垃圾桶满溢多日无人清运，夏季气味很大，影响周边住户正常生活，请相关部门尽快处理并反馈结果"
	if r := g.Find(text); r.Area.Code != "320213022010" {
		b.Fatalf("%+v", r)
	}
	b.ReportAllocs()
	for b.Loop() {
		g.Find(text)
	}
}

// Find is safe for concurrent use: the points computed on first use are
// computed once (run with -race).
func TestFindConcurrent(t *testing.T) {
	g := New(handMade())
	var wg sync.WaitGroup
	pts := make([]orb.Point, 8)
	for i := range pts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pts[i] = g.Find("金星社区").Point
		}()
	}
	wg.Wait()
	for _, p := range pts {
		if p != (orb.Point{5.5, 5.5}) {
			t.Errorf("points %v", pts)
			break
		}
	}
}
