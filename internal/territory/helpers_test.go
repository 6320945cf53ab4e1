package territory

import "github.com/paulmach/orb"

// square returns the axis-aligned square polygon [x0,x1]×[y0,y1].
func square(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

// The small tree shared by the Validate and Locate tests: a district of
// 2×2 cells of size u at (x0, y0), cut into a west and an east street, each
// with one community of two grids (south 01, north 02).
//
//	y0+2u +--------+--------+
//	      | W-02   | E-02   |
//	y0+u  +--------+--------+
//	      | W-01   | E-01   |
//	y0    +--------+--------+
//	      x0      x0+u     x0+2u
const (
	x0, y0, u = 120.0, 31.0, 0.001

	codeDistrict = "320213"
	codeStreetW  = "320213001"
	codeStreetE  = "320213002"
	codeCommW    = "320213001001"
	codeCommE    = "320213002001"
	codeGridW1   = "32021300100101"
	codeGridW2   = "32021300100102"
	codeGridE1   = "32021300200101"
	codeGridE2   = "32021300200102"
)

// cell returns the square of the small tree's cell (i, j), in units of u.
func cell(i0, j0, i1, j1 float64) orb.Polygon {
	return square(x0+i0*u, y0+j0*u, x0+i1*u, y0+j1*u)
}

func smallTree() []Area {
	return []Area{
		{Code: codeDistrict, Name: "梁溪区", Level: District, Geometry: cell(0, 0, 2, 2)},
		{Code: codeStreetW, Name: "西街道", Level: Street, ParentCode: codeDistrict, Geometry: cell(0, 0, 1, 2)},
		{Code: codeStreetE, Name: "东街道", Level: Street, ParentCode: codeDistrict, Geometry: cell(1, 0, 2, 2)},
		{Code: codeCommW, Name: "西社区", Level: Community, ParentCode: codeStreetW, Geometry: cell(0, 0, 1, 2)},
		{Code: codeCommE, Name: "东社区", Level: Community, ParentCode: codeStreetE, Geometry: cell(1, 0, 2, 2)},
		{Code: codeGridW1, Name: "西01", Level: Grid, ParentCode: codeCommW, Geometry: cell(0, 0, 1, 1)},
		{Code: codeGridW2, Name: "西02", Level: Grid, ParentCode: codeCommW, Geometry: cell(0, 1, 1, 2)},
		{Code: codeGridE1, Name: "东01", Level: Grid, ParentCode: codeCommE, Geometry: orb.MultiPolygon{cell(1, 0, 2, 1)}},
		{Code: codeGridE2, Name: "东02", Level: Grid, ParentCode: codeCommE, Geometry: cell(1, 1, 2, 2)},
	}
}
