package territory

import "github.com/paulmach/orb"

// Area is one piece of territory.
type Area struct {
	Code       string
	Name       string
	Level      Level
	ParentCode string // "" for districts
	// Geometry is the outline, an orb.Polygon or orb.MultiPolygon in
	// lon/lat. A territory file must give one; areas above the grid may be
	// stored without (no public package has street outlines, domain.md §6).
	Geometry orb.Geometry
}
