package territory

import "github.com/paulmach/orb"

// Point-in-polygon, written here rather than taken from orb/planar because
// Locate's budget is a few hundred nanoseconds: planar.RingContains
// recomputes the ring's bound and divides once per edge on every call, which
// on grids of 64 vertices held Locate to half a million lookups a second.
// This version multiplies instead of dividing, and the index keeps each
// ring's bound. Per ring its answers match planar.RingContains', boundary
// included (the tests compare the two).

// side is where a point lies relative to a ring or polygon.
type side int8

const (
	outside side = iota
	onBoundary
	inside
)

// ringSide tells where (x, y) lies relative to the ring r, by counting the
// ring's edges crossed by a ray from the point towards +x. The ring is closed
// implicitly (its last position joins its first), so an area built in code
// without the repeated position is read the same as one from GeoJSON.
//
// Each edge is taken from its lower to its upper end (by y, then x) whatever
// the ring's direction, so two grids sharing an edge compute bit-identical
// cross products for it and can never both miss a point next to it.
func ringSide(r []orb.Point, x, y float64) side {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		lo, hi := r[j], r[i]
		if (lo[1] < y && hi[1] < y) || (lo[1] > y && hi[1] > y) {
			continue // entirely below or above the ray
		}
		if lo[1] > hi[1] || (lo[1] == hi[1] && lo[0] > hi[0]) {
			lo, hi = hi, lo
		}
		// > 0 when the point is left of the upward edge lo→hi.
		cross := (hi[0]-lo[0])*(y-lo[1]) - (x-lo[0])*(hi[1]-lo[1])
		if cross == 0 && x >= min(lo[0], hi[0]) && x <= max(lo[0], hi[0]) {
			return onBoundary
		}
		// Half-open in y, so a ray through a vertex counts it once.
		if lo[1] <= y && y < hi[1] && cross > 0 {
			in = !in
		}
	}
	if in {
		return inside
	}
	return outside
}

// polygonSide tells where pt lies relative to p: its first ring is the outer
// boundary, the others are holes. A hole's edge is part of the polygon's
// boundary, so a point on it is on the boundary (orb/planar counts it out).
func polygonSide(p orb.Polygon, pt orb.Point) side {
	if len(p) == 0 {
		return outside
	}
	s := ringSide(p[0], pt[0], pt[1])
	if s == outside {
		return outside
	}
	for _, h := range p[1:] {
		switch ringSide(h, pt[0], pt[1]) {
		case inside:
			return outside
		case onBoundary:
			s = onBoundary
		}
	}
	return s
}
