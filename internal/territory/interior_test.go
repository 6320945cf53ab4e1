package territory

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// TestRandomPoint: drawn points fall inside the outline (an L shape, whose
// bounding box is a quarter outside), and a geometry that is no outline
// gives none.
func TestRandomPoint(t *testing.T) {
	l := orb.Polygon{{{0, 0}, {2, 0}, {2, 1}, {1, 1}, {1, 2}, {0, 2}, {0, 0}}}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		p, ok := RandomPoint(l, rng)
		if !ok || !planar.PolygonContains(l, p) {
			t.Fatalf("draw %d: %v %v", i, p, ok)
		}
	}
	if _, ok := RandomPoint(orb.MultiPolygon{l}, rng); !ok {
		t.Error("no point in a MultiPolygon")
	}
	if _, ok := RandomPoint(orb.LineString{{0, 0}, {1, 1}}, rng); ok {
		t.Error("a point inside a line")
	}
}
