package territory

import (
	"math/rand/v2"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// InteriorPoint returns a point inside a Polygon or MultiPolygon outline:
// the centroid of its largest polygon when that lies inside, else a point
// found on a horizontal scan through it (see representativePoint). It is
// false for other geometries and for outlines that enclose nothing.
func InteriorPoint(g orb.Geometry) (orb.Point, bool) {
	return representativePoint(polygonsOf(g))
}

// RandomPoint draws points uniformly in a Polygon or MultiPolygon outline's
// bounding box until one falls inside it (at most 50 draws), for demo and
// load-test data spread over an area; false when none did or for other
// geometries.
func RandomPoint(g orb.Geometry, rng *rand.Rand) (orb.Point, bool) {
	b := g.Bound()
	for range 50 {
		p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		switch geom := g.(type) {
		case orb.Polygon:
			if planar.PolygonContains(geom, p) {
				return p, true
			}
		case orb.MultiPolygon:
			if planar.MultiPolygonContains(geom, p) {
				return p, true
			}
		default:
			return orb.Point{}, false
		}
	}
	return orb.Point{}, false
}
