// Package territory models the city's territory tree — district 区, street
// 街道, community 社区 and unit grid 单元网格 — with its codes (standards.md §1),
// reads it from GeoJSON, checks an import before anything is stored, and
// answers which grid a point falls in.
//
// The checks are split in two because they need different knowledge:
// ParseGeoJSON looks at one file on its own (syntax, codes, geometry), and
// Validate looks at the file against what is already stored (parents,
// nesting). Both reject a bad import as a whole and list every problem at
// once, so that whoever prepared the file can fix it in one pass instead of
// one upload per mistake.
//
// Index is the read side: an immutable in-memory tree with a spatial index of
// the grids, rebuilt whenever the territory changes and shared by all
// requests.
package territory
