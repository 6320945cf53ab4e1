package territory

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// rawGeometry is a GeoJSON geometry before its coordinates are read. The
// coordinates are decoded here rather than by orb/geojson because orb reads
// a position into a [2]float64, which silently turns [120.3] into
// (120.3, 0); a territory import must say so instead.
type rawGeometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// decodeGeometry reads a GeoJSON Polygon or MultiPolygon and checks it. It
// returns the geometry only when there is nothing wrong with it.
func decodeGeometry(raw json.RawMessage) (orb.Geometry, []msg) {
	if isNull(raw) {
		return nil, []msg{{"geometry is missing", "缺少几何图形"}}
	}
	var rg rawGeometry
	if err := json.Unmarshal(raw, &rg); err != nil {
		return nil, []msg{{"geometry is not a GeoJSON geometry object", "几何图形不是GeoJSON几何对象"}}
	}
	var g orb.Geometry
	var bad []msg
	switch rg.Type {
	case "Polygon":
		var c [][][]float64
		if err := json.Unmarshal(rg.Coordinates, &c); err != nil {
			return nil, []msg{malformedCoordinates(rg.Type)}
		}
		var p orb.Polygon
		p, bad = toPolygon(c, ringLabel{})
		g = p
	case "MultiPolygon":
		var c [][][][]float64
		if err := json.Unmarshal(rg.Coordinates, &c); err != nil {
			return nil, []msg{malformedCoordinates(rg.Type)}
		}
		mp := make(orb.MultiPolygon, 0, len(c))
		for i, pc := range c {
			p, pbad := toPolygon(pc, ringLabel{polygon: i + 1})
			mp = append(mp, p)
			bad = append(bad, pbad...)
		}
		g = mp
	case "":
		return nil, []msg{{"geometry has no type", "几何图形缺少类型"}}
	default:
		return nil, []msg{{
			fmt.Sprintf("geometry is a %s; it must be a Polygon or MultiPolygon", rg.Type),
			fmt.Sprintf("几何类型为%s，应为Polygon或MultiPolygon", rg.Type),
		}}
	}
	if len(bad) > 0 {
		return nil, bad
	}
	if bad := checkGeometry(g); len(bad) > 0 {
		return nil, bad
	}
	return g, nil
}

func malformedCoordinates(typ string) msg {
	return msg{
		fmt.Sprintf("%s coordinates are not nested arrays of numbers", typ),
		fmt.Sprintf("%s的坐标不是数字组成的嵌套数组", typ),
	}
}

// toPolygon converts decoded coordinates, refusing positions with fewer than
// two numbers. A third number (altitude) is allowed by GeoJSON and dropped.
func toPolygon(c [][][]float64, l ringLabel) (orb.Polygon, []msg) {
	p := make(orb.Polygon, 0, len(c))
	var bad []msg
	for ri, rc := range c {
		l.ring = ri
		r := make(orb.Ring, 0, len(rc))
		for pi, pos := range rc {
			if len(pos) < 2 {
				bad = append(bad, msg{
					fmt.Sprintf("%s: position %d has %d numbers; it needs longitude and latitude", l.en(), pi, len(pos)),
					fmt.Sprintf("%s：第%d个坐标只有%d个数，应有经度和纬度", l.zh(), pi, len(pos)),
				})
				break
			}
			r = append(r, orb.Point{pos[0], pos[1]})
		}
		p = append(p, r)
	}
	return p, bad
}

// ringLabel names a ring in a message: "polygon 2, hole 1" / "第2个多边形的第1个内环".
// polygon is 1-based and 0 for a lone Polygon; ring 0 is the outer ring.
type ringLabel struct{ polygon, ring int }

func (l ringLabel) en() string {
	s := "outer ring"
	if l.ring > 0 {
		s = fmt.Sprintf("hole %d", l.ring)
	}
	if l.polygon > 0 {
		s = fmt.Sprintf("polygon %d, %s", l.polygon, s)
	}
	return s
}

func (l ringLabel) zh() string {
	s := "外环"
	if l.ring > 0 {
		s = fmt.Sprintf("第%d个内环", l.ring)
	}
	if l.polygon > 0 {
		s = fmt.Sprintf("第%d个多边形的%s", l.polygon, s)
	}
	return s
}

// checkGeometry checks that g is a usable area outline: a non-empty Polygon
// or MultiPolygon whose rings are closed, have at least four positions and a
// non-zero area, with finite coordinates inside the lon/lat range. It
// reports at most one problem per ring: the first one usually explains the
// rest.
func checkGeometry(g orb.Geometry) []msg {
	switch g := g.(type) {
	case nil:
		return []msg{{"geometry is missing", "缺少几何图形"}}
	case orb.Polygon:
		return checkPolygon(g, ringLabel{})
	case orb.MultiPolygon:
		if len(g) == 0 {
			return []msg{{"MultiPolygon has no polygons", "MultiPolygon不含任何多边形"}}
		}
		var bad []msg
		for i, p := range g {
			bad = append(bad, checkPolygon(p, ringLabel{polygon: i + 1})...)
		}
		return bad
	default:
		return []msg{{
			fmt.Sprintf("geometry is a %s; it must be a Polygon or MultiPolygon", g.GeoJSONType()),
			fmt.Sprintf("几何类型为%s，应为Polygon或MultiPolygon", g.GeoJSONType()),
		}}
	}
}

func checkPolygon(p orb.Polygon, l ringLabel) []msg {
	if len(p) == 0 {
		if l.polygon > 0 {
			return []msg{{
				fmt.Sprintf("polygon %d has no rings", l.polygon),
				fmt.Sprintf("第%d个多边形不含任何环", l.polygon),
			}}
		}
		return []msg{{"Polygon has no rings", "Polygon不含任何环"}}
	}
	var bad []msg
	for i, r := range p {
		l.ring = i
		if m, ok := checkRing(r, l); !ok {
			bad = append(bad, m)
		}
	}
	return bad
}

func checkRing(r orb.Ring, l ringLabel) (msg, bool) {
	if len(r) < 4 {
		return msg{
			fmt.Sprintf("%s has %d positions; a ring needs at least 4", l.en(), len(r)),
			fmt.Sprintf("%s只有%d个坐标，环至少需要4个", l.zh(), len(r)),
		}, false
	}
	for i, pt := range r {
		x, y := pt[0], pt[1]
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
			return msg{
				fmt.Sprintf("%s: position %d is not a finite number", l.en(), i),
				fmt.Sprintf("%s：第%d个坐标不是有限数值", l.zh(), i),
			}, false
		}
		if x < -180 || x > 180 || y < -90 || y > 90 {
			return msg{
				fmt.Sprintf("%s: position %d (%g, %g) is outside longitude -180..180, latitude -90..90 (swapped?)", l.en(), i, x, y),
				fmt.Sprintf("%s：第%d个坐标(%g, %g)超出经度-180..180、纬度-90..90的范围（经纬度是否颠倒？）", l.zh(), i, x, y),
			}, false
		}
	}
	if r[0] != r[len(r)-1] {
		return msg{
			fmt.Sprintf("%s is not closed: its first and last positions differ", l.en()),
			fmt.Sprintf("%s未闭合：首尾坐标不同", l.zh()),
		}, false
	}
	if planar.Area(r) == 0 {
		return msg{
			fmt.Sprintf("%s has zero area", l.en()),
			fmt.Sprintf("%s面积为零", l.zh()),
		}, false
	}
	return msg{}, true
}

// polygonsOf returns the polygons of a Polygon or MultiPolygon, and nil for
// anything else.
func polygonsOf(g orb.Geometry) []orb.Polygon {
	switch g := g.(type) {
	case orb.Polygon:
		return []orb.Polygon{g}
	case orb.MultiPolygon:
		return g
	}
	return nil
}

// containsPoint reports whether the point is in one of the polygons, its
// boundary included.
func containsPoint(polys []orb.Polygon, pt orb.Point) bool {
	for _, p := range polys {
		if polygonSide(p, pt) != outside {
			return true
		}
	}
	return false
}

// boundaryTolerance is how close to an edge, in degrees, a point counts as on
// it (about 0.1 mm). Neighbouring grids share vertices and T-junctions whose
// floating-point positions are not always exactly on the other's edge.
const boundaryTolerance = 1e-9

// strictlyInside reports whether the point is in the polygons' interior,
// clear of their boundary.
func strictlyInside(polys []orb.Polygon, pt orb.Point) bool {
	for _, p := range polys {
		if polygonSide(p, pt) == inside && planar.DistanceFrom(p, pt) > boundaryTolerance {
			return true
		}
	}
	return false
}

// representativePoint returns a point inside the area, for checking that it
// lies in its parent. The centroid is used when it is inside (the usual
// case: grids are nearly convex); for L-shaped or ring-shaped outlines, whose
// centroid can fall outside, it scans a horizontal line through the middle
// of the largest polygon and takes the midpoint of the widest stretch inside
// it, as JTS's InteriorPointArea does.
func representativePoint(polys []orb.Polygon) (orb.Point, bool) {
	var best orb.Polygon
	bestArea := -1.0
	for _, p := range polys {
		if a := planar.Area(p); a > bestArea {
			best, bestArea = p, a
		}
	}
	if bestArea <= 0 {
		return orb.Point{}, false
	}
	c, _ := planar.CentroidArea(best)
	if strictlyInside([]orb.Polygon{best}, c) {
		return c, true
	}
	return scanInteriorPoint(best)
}

func scanInteriorPoint(p orb.Polygon) (orb.Point, bool) {
	b := p.Bound()
	mid := (b.Min[1] + b.Max[1]) / 2
	// Scan halfway between the two vertex latitudes nearest the middle, so
	// that no vertex lies on the scan line and every crossing is a clean one.
	lo, hi := b.Min[1], b.Max[1]
	for _, r := range p {
		for _, pt := range r {
			switch y := pt[1]; {
			case y <= mid && y > lo:
				lo = y
			case y > mid && y < hi:
				hi = y
			}
		}
	}
	y := (lo + hi) / 2
	var xs []float64
	for _, r := range p {
		for i := 0; i+1 < len(r); i++ {
			a, c := r[i], r[i+1]
			if (a[1] < y) != (c[1] < y) {
				xs = append(xs, a[0]+(y-a[1])*(c[0]-a[0])/(c[1]-a[1]))
			}
		}
	}
	slices.Sort(xs)
	// Crossings alternate entering and leaving the polygon (holes included).
	bestW, bestX := -1.0, 0.0
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > bestW {
			bestW, bestX = w, (xs[i]+xs[i+1])/2
		}
	}
	if bestW <= 0 {
		return orb.Point{}, false
	}
	return orb.Point{bestX, y}, true
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}
