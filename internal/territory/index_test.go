package territory

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/paulmach/orb"
)

func TestLocateSmallTree(t *testing.T) {
	ix := NewIndex(smallTree())
	tests := []struct {
		name   string
		i, j   float64 // position in units of u from (x0, y0)
		grid   string
		comm   string
		street string
	}{
		{"inside W-01", 0.5, 0.5, codeGridW1, codeCommW, codeStreetW},
		{"inside W-02", 0.3, 1.7, codeGridW2, codeCommW, codeStreetW},
		{"inside E-01 (a MultiPolygon)", 1.5, 0.5, codeGridE1, codeCommE, codeStreetE},
		{"inside E-02", 1.9, 1.9, codeGridE2, codeCommE, codeStreetE},
		// Boundaries go to the lowest code among the grids that touch them.
		{"edge W-01|E-01", 1, 0.5, codeGridW1, codeCommW, codeStreetW},
		{"edge W-01|W-02", 0.5, 1, codeGridW1, codeCommW, codeStreetW},
		{"edge E-01|E-02", 1.5, 1, codeGridE1, codeCommE, codeStreetE},
		{"edge W-02|E-02", 1, 1.5, codeGridW2, codeCommW, codeStreetW},
		{"vertex shared by all four", 1, 1, codeGridW1, codeCommW, codeStreetW},
		{"outer edge", 2, 1.5, codeGridE2, codeCommE, codeStreetE},
	}
	for _, tt := range tests {
		loc, ok := ix.Locate(x0+tt.i*u, y0+tt.j*u)
		if !ok {
			t.Errorf("%s: not found", tt.name)
			continue
		}
		if loc.Grid.Code != tt.grid || loc.Community.Code != tt.comm || loc.Street.Code != tt.street || loc.District.Code != codeDistrict {
			t.Errorf("%s: got %+v, want grid %s in %s, %s, %s", tt.name, loc, tt.grid, tt.comm, tt.street, codeDistrict)
		}
	}
	loc, _ := ix.Locate(x0+0.5*u, y0+0.5*u)
	want := Location{
		Grid:      Ref{codeGridW1, "西01"},
		Community: Ref{codeCommW, "西社区"},
		Street:    Ref{codeStreetW, "西街道"},
		District:  Ref{codeDistrict, "梁溪区"},
	}
	if loc != want {
		t.Errorf("Locate = %+v, want %+v", loc, want)
	}

	for _, p := range [][2]float64{{-0.5, 0.5}, {0.5, 2.01}, {2.000001, 1}, {100, 100}} {
		if loc, ok := ix.Locate(x0+p[0]*u, y0+p[1]*u); ok {
			t.Errorf("Locate(%v) = %+v, want not found", p, loc)
		}
	}
}

func TestLocateDoesNotDependOnOrder(t *testing.T) {
	tree := smallTree()
	r := rand.New(rand.NewPCG(7, 7))
	points := [][2]float64{{1, 0.5}, {0.5, 1}, {1, 1}, {1.5, 1}, {1, 1.5}, {0, 0}, {2, 2}}
	first := NewIndex(tree)
	for range 20 {
		r.Shuffle(len(tree), func(i, j int) { tree[i], tree[j] = tree[j], tree[i] })
		ix := NewIndex(tree)
		for _, p := range points {
			a, _ := first.Locate(x0+p[0]*u, y0+p[1]*u)
			b, _ := ix.Locate(x0+p[0]*u, y0+p[1]*u)
			if a != b {
				t.Fatalf("point %v: %s in one order, %s in another", p, a.Grid.Code, b.Grid.Code)
			}
		}
	}
}

func TestIndexTree(t *testing.T) {
	ix := NewIndex(smallTree())
	if got := ix.Len(); got != 9 {
		t.Errorf("Len = %d, want 9", got)
	}
	if a, ok := ix.Area(codeCommE); !ok || a.Name != "东社区" || a.Level != Community {
		t.Errorf("Area(%s) = %+v, %v", codeCommE, a, ok)
	}
	if _, ok := ix.Area("999999"); ok {
		t.Error("Area(999999) found")
	}
	codes := func(as []Area) []string {
		var cs []string
		for _, a := range as {
			cs = append(cs, a.Code)
		}
		return cs
	}
	if got, want := codes(ix.Children(codeDistrict)), []string{codeStreetW, codeStreetE}; !slices.Equal(got, want) {
		t.Errorf("Children(district) = %v, want %v", got, want)
	}
	if got, want := codes(ix.Children(codeCommE)), []string{codeGridE1, codeGridE2}; !slices.Equal(got, want) {
		t.Errorf("Children(community) = %v, want %v", got, want)
	}
	if got, want := codes(ix.Children("")), []string{codeDistrict}; !slices.Equal(got, want) {
		t.Errorf("Children(\"\") = %v, want %v", got, want)
	}
	if got := ix.Children(codeGridW1); len(got) != 0 {
		t.Errorf("Children(grid) = %v, want none", got)
	}
	// The result is the caller's: changing it leaves the index alone.
	ch := ix.Children(codeDistrict)
	ch[0].Name = "changed"
	if a := ix.Children(codeDistrict)[0]; a.Name == "changed" {
		t.Error("Children returned the index's own slice")
	}
	if got, want := ix.Ancestors(codeGridE2), []string{codeDistrict, codeStreetE, codeCommE, codeGridE2}; !slices.Equal(got, want) {
		t.Errorf("Ancestors(grid) = %v, want %v", got, want)
	}
	if got, want := ix.Ancestors(codeStreetW), []string{codeDistrict, codeStreetW}; !slices.Equal(got, want) {
		t.Errorf("Ancestors(street) = %v, want %v", got, want)
	}
	if got := ix.Ancestors("nope"); got != nil {
		t.Errorf("Ancestors(unknown) = %v, want nil", got)
	}
}

func TestLocateWithMissingAncestors(t *testing.T) {
	// A grid whose community is not loaded still answers with the codes it
	// knows.
	ix := NewIndex([]Area{{Code: codeGridW1, Name: "西01", Level: Grid, ParentCode: codeCommW, Geometry: cell(0, 0, 1, 1)}})
	loc, ok := ix.Locate(x0+0.5*u, y0+0.5*u)
	if !ok || loc.Grid.Code != codeGridW1 || loc.Community != (Ref{Code: codeCommW}) || loc.Street != (Ref{}) {
		t.Errorf("Locate = %+v, %v", loc, ok)
	}
	if got := ix.Ancestors(codeGridW1); !slices.Equal(got, []string{codeGridW1}) {
		t.Errorf("Ancestors = %v", got)
	}
}

// The lattice: 200×100 square grids of side cellSize from (latX, latY),
// 20 × 10 grids to a community, 10 communities in a row to a street, 10
// streets to the district.
const (
	latCols, latRows  = 200, 100
	commCols, commRow = 20, 10
	latX, latY        = 120.0, 31.0
	cellSize          = 0.001 // about 100 m, a typical unit grid
)

// latticeCode is the code of the grid in column i, row j.
func latticeCode(i, j int) (grid, community, street string) {
	street = fmt.Sprintf("320213%03d", j/commRow+1)
	community = fmt.Sprintf("%s%03d", street, i/commCols+1)
	grid = fmt.Sprintf("%s%03d", community, (j%commRow)*commCols+i%commCols+1)
	return grid, community, street
}

func buildLattice() []Area {
	areas := []Area{{Code: "320213", Name: "区", Level: District}}
	for s := range latRows / commRow {
		_, _, street := latticeCode(0, s*commRow)
		areas = append(areas, Area{Code: street, Name: "街道" + street, Level: Street, ParentCode: "320213"})
		for c := range latCols / commCols {
			_, comm, _ := latticeCode(c*commCols, s*commRow)
			areas = append(areas, Area{Code: comm, Name: "社区" + comm, Level: Community, ParentCode: street})
		}
	}
	for j := range latRows {
		for i := range latCols {
			grid, comm, _ := latticeCode(i, j)
			// Neighbours compute shared edges with the same expression, so
			// they agree to the bit.
			x, y := latX+float64(i)*cellSize, latY+float64(j)*cellSize
			x1, y1 := latX+float64(i+1)*cellSize, latY+float64(j+1)*cellSize
			areas = append(areas, Area{Code: grid, Name: grid, Level: Grid, ParentCode: comm, Geometry: square(x, y, x1, y1)})
		}
	}
	return areas
}

var lattice = sync.OnceValue(func() *Index { return NewIndex(buildLattice()) })

// latticePoints returns n points inside grids, away from their edges, each
// with the code of its grid worked out arithmetically.
func latticePoints(n int) ([][2]float64, []string) {
	r := rand.New(rand.NewPCG(1, 2))
	pts := make([][2]float64, n)
	codes := make([]string, n)
	for k := range n {
		i, j := r.IntN(latCols), r.IntN(latRows)
		fx, fy := 0.05+0.9*r.Float64(), 0.05+0.9*r.Float64()
		pts[k] = [2]float64{latX + (float64(i)+fx)*cellSize, latY + (float64(j)+fy)*cellSize}
		codes[k], _, _ = latticeCode(i, j)
	}
	return pts, codes
}

func TestLocateLattice(t *testing.T) {
	ix := lattice()
	if got, want := ix.Len(), 1+10+100+latCols*latRows; got != want {
		t.Fatalf("Len = %d, want %d", got, want)
	}
	pts, codes := latticePoints(20000)
	for k, p := range pts {
		loc, ok := ix.Locate(p[0], p[1])
		if !ok || loc.Grid.Code != codes[k] {
			t.Fatalf("Locate(%v) = %s, %v; want %s", p, loc.Grid.Code, ok, codes[k])
		}
		if loc.Community.Code != codes[k][:12] || loc.Street.Code != codes[k][:9] || loc.District.Code != "320213" {
			t.Fatalf("Locate(%v) ancestors = %+v", p, loc)
		}
	}
	if _, ok := ix.Locate(latX-cellSize/2, latY+cellSize); ok {
		t.Error("point west of the lattice found")
	}
	if _, ok := ix.Locate(latX+latCols*cellSize*1.001, latY+cellSize); ok {
		t.Error("point east of the lattice found")
	}
}

func TestLocateZeroAllocs(t *testing.T) {
	ix := lattice()
	pts, _ := latticePoints(64)
	k := 0
	allocs := testing.AllocsPerRun(1000, func() {
		p := pts[k%len(pts)]
		k++
		ix.Locate(p[0], p[1])
		ix.Locate(0, 0) // a miss, too
	})
	if allocs != 0 {
		t.Errorf("Locate allocates %v times per call, want 0", allocs)
	}
}

func TestLocateConcurrent(t *testing.T) {
	ix := lattice()
	pts, codes := latticePoints(2000)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			for k, p := range pts {
				if loc, ok := ix.Locate(p[0], p[1]); !ok || loc.Grid.Code != codes[k] {
					errs <- fmt.Sprintf("Locate(%v) = %s, want %s", p, loc.Grid.Code, codes[k])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func BenchmarkLocate(b *testing.B) {
	ix := lattice()
	pts, _ := latticePoints(1 << 12)
	b.ReportAllocs()
	found, n := 0, 0
	for b.Loop() {
		p := pts[n&(len(pts)-1)]
		if _, ok := ix.Locate(p[0], p[1]); ok {
			found++
		}
		n++
	}
	if found != n {
		b.Fatalf("found %d of %d", found, n)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lookups/s")
}

// BenchmarkLocateDetailed is BenchmarkLocate with surveyed-looking outlines:
// every grid's square drawn with 64 vertices, as road-bounded grids have
// tens of them, to show the cost of the exact test over the index.
func BenchmarkLocateDetailed(b *testing.B) {
	areas := buildLattice()
	for k, a := range areas {
		if p, ok := a.Geometry.(orb.Polygon); ok {
			areas[k].Geometry = densify(p, 16)
		}
	}
	ix := NewIndex(areas)
	pts, _ := latticePoints(1 << 12)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		p := pts[n&(len(pts)-1)]
		ix.Locate(p[0], p[1])
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lookups/s")
}

// densify splits every edge of p's outer ring into k.
func densify(p orb.Polygon, k int) orb.Polygon {
	r := p[0]
	out := make(orb.Ring, 0, (len(r)-1)*k+1)
	for i := 0; i+1 < len(r); i++ {
		for s := range k {
			f := float64(s) / float64(k)
			out = append(out, orb.Point{r[i][0] + f*(r[i+1][0]-r[i][0]), r[i][1] + f*(r[i+1][1]-r[i][1])})
		}
	}
	return orb.Polygon{append(out, r[0])}
}

func BenchmarkNewIndex(b *testing.B) {
	areas := buildLattice()
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(areas)
	}
}
