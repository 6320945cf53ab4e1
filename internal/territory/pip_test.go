package territory

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// TestRingSideMatchesPlanar checks the package's point-in-ring against
// orb/planar's on random rings (self-intersecting ones included) with small
// integer vertices, probed on a half-unit lattice: many probes fall exactly
// on vertices and edges, where both must answer "in", and the arithmetic is
// exact for both.
func TestRingSideMatchesPlanar(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	checked := 0
	for range 3000 {
		n := 3 + r.IntN(6)
		ring := make(orb.Ring, 0, n+1)
		for range n {
			ring = append(ring, orb.Point{float64(r.IntN(11)), float64(r.IntN(11))})
		}
		ring = append(ring, ring[0])
		for i := -2; i <= 22; i++ {
			for j := -2; j <= 22; j++ {
				pt := orb.Point{float64(i) / 2, float64(j) / 2}
				got := ringSide(ring, pt[0], pt[1]) != outside
				if want := planar.RingContains(ring, pt); got != want {
					t.Fatalf("ring %v, point %v: ringSide says in=%v, planar says %v", ring, pt, got, want)
				}
				checked++
			}
		}
	}
	t.Logf("%d probes agree", checked)
}

func TestPolygonSide(t *testing.T) {
	p := orb.Polygon{square(0, 0, 4, 4)[0], square(1, 1, 2, 2)[0]}
	tests := []struct {
		pt   orb.Point
		want side
	}{
		{orb.Point{3, 3}, inside},
		{orb.Point{1.5, 1.5}, outside}, // in the hole
		{orb.Point{1, 1.5}, onBoundary},
		{orb.Point{4, 2}, onBoundary},
		{orb.Point{5, 2}, outside},
	}
	for _, tt := range tests {
		if got := polygonSide(p, tt.pt); got != tt.want {
			t.Errorf("polygonSide(%v) = %d, want %d", tt.pt, got, tt.want)
		}
	}
}

func TestRingSide(t *testing.T) {
	sq := square(0, 0, 2, 2)[0]
	open := sq[:4] // the same square without the repeated position
	tests := []struct {
		pt   orb.Point
		want side
	}{
		{orb.Point{1, 1}, inside},
		{orb.Point{0, 0}, onBoundary},
		{orb.Point{2, 1}, onBoundary},
		{orb.Point{1, 2}, onBoundary},
		{orb.Point{0, 1}, onBoundary}, // on the closing edge
		{orb.Point{3, 1}, outside},
		{orb.Point{1, -0.5}, outside},
		{orb.Point{-1, 0}, outside}, // level with a horizontal edge
	}
	for _, tt := range tests {
		for name, ring := range map[string]orb.Ring{"closed": sq, "open": open} {
			if got := ringSide(ring, tt.pt[0], tt.pt[1]); got != tt.want {
				t.Errorf("%s ring, %v: got %d, want %d", name, tt.pt, got, tt.want)
			}
		}
	}
	// A slanted edge shared by two triangles, probed close to it: one of
	// them always has the point, whatever the rounding.
	r := rand.New(rand.NewPCG(5, 6))
	a, b := orb.Point{120.0012345, 31.0098765}, orb.Point{120.0087654, 31.0012345}
	left := orb.Ring{a, b, {120, 31}, a}
	right := orb.Ring{b, a, {120.01, 31.01}, b}
	for range 10000 {
		f := r.Float64()
		pt := orb.Point{a[0] + f*(b[0]-a[0]), a[1] + f*(b[1]-a[1])}
		if ringSide(left, pt[0], pt[1]) == outside && ringSide(right, pt[0], pt[1]) == outside {
			t.Fatalf("point %v next to the shared edge is in neither triangle", pt)
		}
	}
}

func TestLocateHolesAndParts(t *testing.T) {
	// Grid 01 is a square with a hole; grid 02 fills the hole; grid 03 has
	// two separate parts.
	areas := []Area{
		{Code: codeGridW1, Level: Grid, ParentCode: codeCommW, Geometry: orb.Polygon{cell(0, 0, 3, 3)[0], cell(1, 1, 2, 2)[0]}},
		{Code: codeGridW2, Level: Grid, ParentCode: codeCommW, Geometry: cell(1, 1, 2, 2)},
		{Code: "32021300100103", Level: Grid, ParentCode: codeCommW, Geometry: orb.MultiPolygon{cell(5, 0, 6, 1), cell(8, 0, 9, 1)}},
	}
	ix := NewIndex(areas)
	tests := []struct {
		i, j float64
		want string
	}{
		{0.5, 0.5, codeGridW1},
		{1.5, 1.5, codeGridW2},
		{1, 1.5, codeGridW1}, // on the hole's edge, shared by both: the lower code
		{5.5, 0.5, "32021300100103"},
		{8.5, 0.5, "32021300100103"},
		{7, 0.5, ""}, // between the parts
	}
	for _, tt := range tests {
		loc, ok := ix.Locate(x0+tt.i*u, y0+tt.j*u)
		if loc.Grid.Code != tt.want || ok != (tt.want != "") {
			t.Errorf("Locate(%v, %v) = %q, %v; want %q", tt.i, tt.j, loc.Grid.Code, ok, tt.want)
		}
	}
}
