package assess

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/territory"
)

// TestDrawPinned pins SampleAlgorithm's output: a change here means the
// algorithm changed and needs a new name, or recorded rounds no longer redraw.
func TestDrawPinned(t *testing.T) {
	pop := []string{"P01", "P02", "P03", "P04", "P05", "P06", "P07", "P08", "P09", "P10"}
	got := Draw(42, "320213022010", "main_road", pop, 4)
	rev := slices.Clone(pop)
	slices.Reverse(rev)
	want := Draw(42, "320213022010", "main_road", rev, 4)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the draw depends on the population's order: %v vs %v", got, want)
	}
	if fmt.Sprint(got) != pinned {
		t.Fatalf("Draw(42, …) = %v, pinned %s", got, pinned)
	}
	if other := Draw(43, "320213022010", "main_road", pop, 4); reflect.DeepEqual(other, got) {
		t.Error("another seed drew the same sample")
	}
	if other := Draw(42, "320213022003", "main_road", pop, 4); reflect.DeepEqual(other, got) {
		t.Error("another stratum drew the same sample")
	}
	if all := Draw(1, "u", "t", pop[:3], 5); len(all) != 3 {
		t.Errorf("k above the population: %v", all)
	}
}

// pinned is the algorithm's recorded output for these inputs (not computed by hand: PCG-DXSM
// is not done on paper); it guards against an unnoticed change.
const pinned = "[P04 P03 P07 P10]"

// TestDrawUniform: over 4,000 seeds, drawing 2 of 5 picks each point about
// 1,600 times (4,000 × 2/5), never the same point twice in one draw.
func TestDrawUniform(t *testing.T) {
	pop := []string{"a", "b", "c", "d", "e"}
	count := map[string]int{}
	for seed := uint64(0); seed < 4000; seed++ {
		d := Draw(seed, "u", "t", pop, 2)
		if len(d) != 2 || d[0] == d[1] {
			t.Fatalf("seed %d: %v", seed, d)
		}
		for _, p := range d {
			count[p]++
		}
	}
	// The binomial standard deviation is √(4000 · 0.4 · 0.6) ≈ 31: allow ±5σ.
	for _, p := range pop {
		if c := count[p]; c < 1600-155 || c > 1600+155 {
			t.Errorf("%s drawn %d times, want about 1600", p, c)
		}
	}
}

func TestStratify(t *testing.T) {
	var pts []Point
	for i := 0; i < 6; i++ {
		pts = append(pts, Point{Code: fmt.Sprintf("A%d", i), Type: "main_road", Community: "c1", Enabled: true})
	}
	pts = append(pts, Point{Code: "B0", Type: "market", Community: "c1", Enabled: true},
		Point{Code: "B1", Type: "market", Community: "c1", Enabled: false}, // disabled: never drawn
		Point{Code: "C0", Type: "toilet", Community: "c1", Enabled: true},  // type not asked for
		Point{Code: "D0", Type: "main_road", Community: "c2", Enabled: true})
	st := Stratify(9, "community", pts, map[string]int{"main_road": 2, "market": 1})
	if len(st) != 3 || st[0].Unit != "c1" || st[0].Type != "main_road" || len(st[0].Drawn) != 2 || len(st[0].Population) != 6 ||
		!reflect.DeepEqual(st[1].Population, []string{"B0"}) || !reflect.DeepEqual(st[2].Drawn, []string{"D0"}) {
		t.Fatalf("%+v", st)
	}
}

// TestTies: equal totals go to fewer problems, then to the lower code; the
// black list never repeats the red list.
func TestTies(t *testing.T) {
	sc := Scheme{Code: "s", Level: "community", Excellent: FixedOf(90), MinSample: 1, ListSize: 2,
		Indicators: []Indicator{{Code: "x", FullMarks: FixedOf(100), Deductions: []Deduction{{Points: FixedOf(1)}}}}}
	now := time.Now()
	var in ScoreInput
	in.Scheme = sc
	// u1..u5, one inspected point each; problems: u1 2, u2 2, u3 1, u4 0, u5 5 (1 point each).
	for i, n := range []int{2, 2, 1, 0, 5} {
		u := fmt.Sprintf("u%d", i+1)
		in.Points = append(in.Points, RoundPoint{Point: "p" + u, Unit: u, Type: "main_road", InspectedAt: &now})
		if n > 0 {
			in.Findings = append(in.Findings, Finding{Point: "p" + u, Indicator: "x", Category: "E0104", Count: n})
		}
	}
	// u1 and u2 tie at 98 with 2 problems each; u3 reaches 98 with 1 problem under a 2-point rule.
	sc.Indicators[0].Deductions = []Deduction{{Category: "E0102", Points: FixedOf(2)}, {Points: FixedOf(1)}}
	in.Scheme = sc
	in.Findings[2].Category = "E0102" // u3: 1 problem × 2 = 2 → 98
	out := Score(in)
	// Totals: u4 100, u1 98 (2 problems), u2 98 (2), u3 98 (1), u5 95.
	// Order: u4; then the 98s by problems: u3 (1), then u1, u2 by code; then u5.
	var order []string
	for _, u := range out.Units {
		order = append(order, fmt.Sprintf("%s:%s:%d", u.Unit, u.Total, u.Rank))
	}
	if fmt.Sprint(order) != "[u4:100.00:1 u3:98.00:2 u1:98.00:3 u2:98.00:4 u5:95.00:5]" {
		t.Fatalf("order %v", order)
	}
	if !reflect.DeepEqual(out.Lists[0].Red, []string{"u4", "u3"}) || !reflect.DeepEqual(out.Lists[0].Black, []string{"u5", "u2"}) {
		t.Fatalf("lists %+v", out.Lists)
	}
	// Excellence: all five ≥ 90 → 100.00 %.
	if out.Scored != 5 || out.ExcellenceRate.String() != "100.00" {
		t.Fatalf("%+v", out)
	}
}

// TestTierFallsBackToDistrict: ranking by street, a unit inside a street is
// ranked within it, and a unit whose area is the district itself (a
// management unit spanning streets) within the district, not in a tier of
// no area.
func TestTierFallsBackToDistrict(t *testing.T) {
	areas := map[string]territory.Area{
		"320213":       {Code: "320213", Level: territory.District},
		"320213022":    {Code: "320213022", Level: territory.Street, ParentCode: "320213"},
		"320213022010": {Code: "320213022010", Level: territory.Community, ParentCode: "320213022"},
	}
	s := &Service{Area: func(c string) (territory.Area, bool) { a, ok := areas[c]; return a, ok }}
	for _, tc := range []struct{ code, level, want string }{
		{"320213022010", "street", "320213022"},
		{"320213022", "street", "320213022"},
		{"320213", "street", "320213"},
		{"320213022010", "district", "320213"},
		{"999", "street", ""},
	} {
		if got := s.tier(tc.code, tc.level); got != tc.want {
			t.Errorf("tier(%s, %s) = %q, want %q", tc.code, tc.level, got, tc.want)
		}
	}
}
