package territory

import "github.com/paulmach/orb"

// InteriorPoint returns a point inside a Polygon or MultiPolygon outline:
// the centroid of its largest polygon when that lies inside, else a point
// found on a horizontal scan through it (see representativePoint). It is
// false for other geometries and for outlines that enclose nothing.
func InteriorPoint(g orb.Geometry) (orb.Point, bool) {
	return representativePoint(polygonsOf(g))
}
