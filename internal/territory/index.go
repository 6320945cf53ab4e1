package territory

import (
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Ref names an area.
type Ref struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Location is where a point falls: the grid and its ancestors. A Ref is empty
// when the tree has no area at that level above the grid.
type Location struct {
	Grid      Ref `json:"grid"`
	Community Ref `json:"community"`
	Street    Ref `json:"street"`
	District  Ref `json:"district"`
}

// Index answers which grid a point falls in, and walks the tree, from
// memory. It is immutable once built and safe for concurrent use; rebuild it
// when the territory changes. It keeps the areas' geometries without copying
// them: callers must not modify them afterwards.
type Index struct {
	areas    map[string]Area
	children map[string][]Area // by parent code, sorted by code; "" holds the roots
	grids    []gridShape       // sorted by code, so a lower position is a lower code
	rings    []ringShape       // the grids' rings, each grid's in one run
	points   []orb.Point       // the rings' vertices, each ring's in one run
	tree     rtree.RTreeG[int32]
}

// gridShape is what Locate needs of a grid: its rings and the answer,
// computed once at build time. The outlines live flattened in Index.rings
// and Index.points so that a lookup reads contiguous memory and chases no
// per-grid slices.
type gridShape struct {
	rings [2]int32 // Index.rings[rings[0]:rings[1]]
	loc   Location
}

// ringShape is one ring of a grid with its bound, so that a point far from a
// ring (a hole, another part of a MultiPolygon) costs four comparisons.
type ringShape struct {
	bound  orb.Bound
	points [2]int32 // Index.points[points[0]:points[1]]
	holes  int32    // for an outer ring, how many holes follow it
}

// NewIndex builds an index of areas. Where two areas share a code the later
// one wins, as a re-import replaces a stored area. Only grids with a Polygon
// or MultiPolygon outline are located; areas of the other levels need no
// geometry.
func NewIndex(areas []Area) *Index {
	ix := &Index{
		areas:    make(map[string]Area, len(areas)),
		children: make(map[string][]Area),
	}
	for _, a := range areas {
		ix.areas[a.Code] = a
	}
	sorted := make([]Area, 0, len(ix.areas))
	for _, a := range ix.areas {
		sorted = append(sorted, a)
	}
	slices.SortFunc(sorted, func(a, b Area) int { return strings.Compare(a.Code, b.Code) })

	for _, a := range sorted {
		ix.children[a.ParentCode] = append(ix.children[a.ParentCode], a)
		if a.Level == Grid {
			ix.addGrid(a)
		}
	}
	// The build appended to these as it went; trim the slack for a
	// long-lived index.
	ix.rings = slices.Clip(ix.rings)
	ix.points = slices.Clip(ix.points)
	return ix
}

func (ix *Index) addGrid(a Area) {
	g := gridShape{loc: ix.location(a)}
	g.rings[0] = int32(len(ix.rings))
	var bound orb.Bound
	for _, p := range polygonsOf(a.Geometry) {
		// Degenerate rings enclose nothing. An import never has them, but an
		// index may be built from areas made elsewhere.
		if len(p) == 0 || len(p[0]) < 3 {
			continue
		}
		outer := len(ix.rings)
		ix.addRing(p[0])
		for _, h := range p[1:] {
			if len(h) >= 3 {
				ix.addRing(h)
				ix.rings[outer].holes++
			}
		}
		if outer == int(g.rings[0]) {
			bound = ix.rings[outer].bound
		} else {
			bound = bound.Union(ix.rings[outer].bound)
		}
	}
	g.rings[1] = int32(len(ix.rings))
	if g.rings[0] == g.rings[1] {
		return // no outline: the grid is in the tree but cannot be located
	}
	ix.tree.Insert(bound.Min, bound.Max, int32(len(ix.grids)))
	ix.grids = append(ix.grids, g)
}

func (ix *Index) addRing(r orb.Ring) {
	start := int32(len(ix.points))
	ix.points = append(ix.points, r...)
	ix.rings = append(ix.rings, ringShape{bound: r.Bound(), points: [2]int32{start, int32(len(ix.points))}})
}

// contains reports whether the point is in grid g, its boundary included.
func (ix *Index) contains(g *gridShape, pt orb.Point) bool {
	rings := ix.rings[g.rings[0]:g.rings[1]]
	for k := 0; k < len(rings); k += 1 + int(rings[k].holes) {
		outer := &rings[k]
		if !outer.bound.Contains(pt) {
			continue
		}
		if ix.ringSide(outer, pt) == outside {
			continue
		}
		// As polygonSide: out only when strictly inside a hole.
		in := true
		for h := k + 1; h <= k+int(outer.holes); h++ {
			if hole := &rings[h]; hole.bound.Contains(pt) && ix.ringSide(hole, pt) == inside {
				in = false
				break
			}
		}
		if in {
			return true
		}
	}
	return false
}

func (ix *Index) ringSide(r *ringShape, pt orb.Point) side {
	return ringSide(ix.points[r.points[0]:r.points[1]], pt[0], pt[1])
}

// location fills a grid's Location by following parent codes. A parent named
// but missing from the index still gives its code, with no name.
func (ix *Index) location(grid Area) Location {
	loc := Location{Grid: Ref{Code: grid.Code, Name: grid.Name}}
	level, parent := Grid, grid.ParentCode
	// At most three steps up: this also stops a cycle in bad data.
	for step := 0; step < 3 && parent != ""; step++ {
		a, ok := ix.areas[parent]
		if !ok {
			a = Area{Code: parent, Level: level.Parent()}
		}
		ref := Ref{Code: a.Code, Name: a.Name}
		switch a.Level {
		case Community:
			loc.Community = ref
		case Street:
			loc.Street = ref
		case District:
			loc.District = ref
		}
		if !ok {
			break
		}
		level, parent = a.Level, a.ParentCode
	}
	return loc
}

// Locate returns the grid the point (lon, lat) falls in, with its ancestors,
// and false when it falls in no grid. A point on the boundary between grids
// (or in an overlap) goes to the grid with the lowest code, so the answer
// never depends on build order.
//
// Locate does not allocate; it takes a few hundred nanoseconds over tens of
// thousands of grids.
func (ix *Index) Locate(lon, lat float64) (Location, bool) {
	pt := orb.Point{lon, lat}
	best := int32(-1)
	ix.tree.Search(pt, pt, func(_, _ [2]float64, i int32) bool {
		// Grids are numbered in code order: a higher number cannot win.
		if best >= 0 && i > best {
			return true
		}
		if ix.contains(&ix.grids[i], pt) {
			best = i
		}
		return true
	})
	if best < 0 {
		return Location{}, false
	}
	return ix.grids[best].loc, true
}

// Area returns the area with the given code.
func (ix *Index) Area(code string) (Area, bool) {
	a, ok := ix.areas[code]
	return a, ok
}

// Children returns the areas whose parent is code, sorted by code. The
// children of "" are the districts (and any area stored without a parent).
func (ix *Index) Children(code string) []Area {
	return slices.Clone(ix.children[code])
}

// Len returns the number of areas in the index.
func (ix *Index) Len() int { return len(ix.areas) }

// Ancestors returns the codes from the top of the tree down to code itself,
// e.g. for a grid [district, street, community, grid], or nil when code is
// not in the index. The walk stops at a parent missing from the index.
func (ix *Index) Ancestors(code string) []string {
	a, ok := ix.areas[code]
	if !ok {
		return nil
	}
	chain := []string{a.Code}
	// Four levels at most: the bound also stops a cycle in bad data.
	for len(chain) < 4 && a.ParentCode != "" {
		if a, ok = ix.areas[a.ParentCode]; !ok {
			break
		}
		chain = append(chain, a.Code)
	}
	slices.Reverse(chain)
	return chain
}
