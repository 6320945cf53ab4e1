package territory

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/xiuhua/xiuhua"
)

func byCode(areas []Area) map[string]Area {
	m := make(map[string]Area, len(areas))
	for _, a := range areas {
		m[a.Code] = a
	}
	return m
}

func TestValidateAcceptsTree(t *testing.T) {
	ws, err := Validate(smallTree(), nil)
	if err != nil {
		t.Fatalf("Validate: %v %q", err, detailsOf(err))
	}
	// Neighbours share edges and vertices: that is no overlap.
	if len(ws) != 0 {
		t.Errorf("warnings = %+v, want none", ws)
	}
}

func TestValidateAgainstExisting(t *testing.T) {
	tree := smallTree()
	existing := byCode(tree)
	newGrid := Area{Code: "32021300100103", Name: "西03", Level: Grid, ParentCode: codeCommW, Geometry: cell(0, 0, 0.5, 0.5)}
	// The overlap with the stored grid W-01 is reported, and the re-imported
	// community (same code) replaces the stored one without complaint.
	incoming := []Area{tree[3], newGrid}
	ws, err := Validate(incoming, existing)
	if err != nil {
		t.Fatalf("Validate: %v %q", err, detailsOf(err))
	}
	if len(ws) != 1 || ws[0].Index != 1 || ws[0].Code != newGrid.Code || !strings.Contains(ws[0].Message, "overlaps grid "+codeGridW1) {
		t.Errorf("warnings = %+v, want one overlap of %s with %s", ws, newGrid.Code, codeGridW1)
	}

	// Stored areas known only by code: levels come from the code lengths.
	codesOnly := map[string]Area{codeDistrict: {}, codeStreetW: {}, codeCommW: {}}
	if _, err := Validate([]Area{{Code: "32021300100103", Name: "西03", Level: Grid, ParentCode: codeCommW}}, codesOnly); err != nil {
		t.Errorf("Validate against codes only: %v %q", err, detailsOf(err))
	}
}

func TestValidateRejects(t *testing.T) {
	existing := byCode(smallTree())
	incoming := []Area{
		0: {Code: "32021300100103", Name: "ok", Level: Grid, ParentCode: codeCommW},
		1: {Code: "32021300100104", Name: "unknown parent", Level: Grid, ParentCode: "320213001099"},
		2: {Code: "32021300100105", Name: "grid under a street", Level: Grid, ParentCode: codeStreetW},
		3: {Code: "320213002005", Name: "code not extending parent", Level: Community, ParentCode: codeStreetW},
		4: {Code: "32021300100103", Name: "duplicate of 0", Level: Grid, ParentCode: codeCommW},
		5: {Code: "320214", Name: "district with a parent", Level: District, ParentCode: "320200"},
		6: {Code: "3202130010", Name: "bad code", Level: Street, ParentCode: codeDistrict},
		7: {Code: "32021300100106", Name: "no parent_code", Level: Grid},
		8: {Code: "32021300100107", Name: "bad level", Level: "cell", ParentCode: codeCommW},
	}
	ws, err := Validate(incoming, existing)
	if ws != nil {
		t.Errorf("warnings = %v with an error, want nil", ws)
	}
	e := xiuhua.AsError(err)
	if e.Code != xiuhua.EInvalid {
		t.Fatalf("err = %v, want EInvalid", err)
	}
	if want := "territory import rejected: 8 problems; nothing was imported"; e.Message != want {
		t.Errorf("Message = %q, want %q", e.Message, want)
	}
	want := []string{
		"feature 2 (code 32021300100104): parent 320213001099 is neither in this import nor already stored / 第2个要素（编码 32021300100104）：上级区划320213001099既不在本次导入中，也不在已有区划中",
		"feature 3 (code 32021300100105): a grid must sit under a community, but its parent 320213001 is a street",
		"feature 4 (code 320213002005): code 320213002005 does not extend its parent's code 320213001",
		"feature 5 (code 32021300100103): duplicate code: feature 1 has it too",
		"feature 6 (code 320214): a district has no parent",
		"feature 7 (code 3202130010): street code 3202130010 must be 9 digits, not 10",
		"feature 8 (code 32021300100106): parent_code is missing",
		"feature 9 (code 32021300100107): unknown level \"cell\"",
	}
	got := make(map[int]string)
	for _, line := range e.Details {
		for i, w := range want {
			if strings.HasPrefix(line, w) {
				got[i] = line
			}
		}
	}
	for i, w := range want {
		if _, ok := got[i]; !ok {
			t.Errorf("no detail starting %q in\n%s", w, strings.Join(e.Details, "\n"))
		}
	}
	if len(e.Details) != len(want) {
		t.Errorf("got %d details, want %d:\n%s", len(e.Details), len(want), strings.Join(e.Details, "\n"))
	}
}

func TestValidateParentInSameImport(t *testing.T) {
	// The whole tree at once, children before parents: order does not matter.
	tree := smallTree()
	reversed := make([]Area, len(tree))
	for i, a := range tree {
		reversed[len(tree)-1-i] = a
	}
	if _, err := Validate(reversed, nil); err != nil {
		t.Errorf("Validate: %v %q", err, detailsOf(err))
	}
}

func TestValidateWarnings(t *testing.T) {
	existing := byCode(smallTree())
	incoming := []Area{
		// Filed under the west community but drawn in the east one.
		0: {Code: "32021300100103", Name: "misfiled", Level: Grid, ParentCode: codeCommW, Geometry: cell(1.2, 0.2, 1.8, 0.8)},
		// Overlaps the stored W-02 by half.
		1: {Code: "32021300100104", Name: "overlapping", Level: Grid, ParentCode: codeCommW, Geometry: cell(0, 1.5, 1, 2)},
		// Same outline as incoming 3, same community: the pair is reported once.
		2: {Code: "32021300100105", Name: "twin a", Level: Grid, ParentCode: codeCommW, Geometry: cell(0.1, 0.1, 0.4, 0.4)},
		3: {Code: "32021300100106", Name: "twin b", Level: Grid, ParentCode: codeCommW, Geometry: cell(0.1, 0.1, 0.4, 0.4)},
		// Overlaps the east community's grid but belongs to another community:
		// no overlap warning (and it is inside its own parent).
		4: {Code: "32021300200201", Name: "other community", Level: Grid, ParentCode: "320213002002", Geometry: cell(1.5, 0, 2, 1)},
		5: {Code: "320213002002", Name: "东二社区", Level: Community, ParentCode: codeStreetE, Geometry: cell(1.5, 0, 2, 1)},
		// An L-shaped grid whose centroid is outside itself but whose body is
		// inside its community: no warning.
		6: {Code: "32021300200103", Name: "L", Level: Grid, ParentCode: codeCommE, Geometry: orb.Polygon{{
			{x0 + 1*u, y0 + 1*u}, {x0 + 2*u, y0 + 1*u}, {x0 + 2*u, y0 + 1.1*u}, {x0 + 1.1*u, y0 + 1.1*u},
			{x0 + 1.1*u, y0 + 2*u}, {x0 + 1*u, y0 + 2*u}, {x0 + 1*u, y0 + 1*u},
		}}},
	}
	// Make room for the twins and the L so that only the cases above warn.
	delete(existing, codeGridW1)
	delete(existing, codeGridE2)
	ws, err := Validate(incoming, existing)
	if err != nil {
		t.Fatalf("Validate: %v %q", err, detailsOf(err))
	}
	type key struct {
		index int
		part  string
	}
	want := []key{
		{0, "grid 32021300100103 lies outside its community 320213001001"},
		{1, "overlaps grid 32021300100102"},
		{3, "overlaps grid 32021300100105"},
		// East keeps E1 (1 cell of its 2) plus the L (0.19 cell): 59.5 %.
		{6, "cover only 59.5% of it"},
	}
	if len(ws) != len(want) {
		t.Fatalf("warnings:\n%v\nwant %d", ws, len(want))
	}
	for i, w := range want {
		if ws[i].Index != w.index || !strings.Contains(ws[i].Message, w.part) || ws[i].MessageZh == "" {
			t.Errorf("warning %d = %+v, want index %d with %q", i, ws[i], w.index, w.part)
		}
	}
	if !strings.Contains(ws[0].MessageZh, "位于所属社区320213001001之外") {
		t.Errorf("MessageZh = %q", ws[0].MessageZh)
	}
}

func TestValidateLatticeHasNoFalseOverlaps(t *testing.T) {
	// 20,000 grids that share every edge and corner with their neighbours.
	ws, err := Validate(buildLattice(), nil)
	if err != nil {
		t.Fatalf("Validate: %v %q", err, detailsOf(err))
	}
	if len(ws) != 0 {
		t.Errorf("%d warnings, first %+v; want none", len(ws), ws[0])
	}
}

func TestValidateGaps(t *testing.T) {
	tree := smallTree()
	if ws, err := Validate(tree, nil); err != nil || len(ws) != 0 {
		t.Fatalf("the complete tree: %v %v", ws, err)
	}
	// Importing the east community's first grid alone against a store that
	// lacks its second: the community is 2 cells, its grids cover 1 = 50 %.
	existing := byCode(tree)
	delete(existing, codeGridE2)
	ws, err := Validate([]Area{tree[7]}, existing)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].Index != 0 || ws[0].Code != codeCommE || !strings.Contains(ws[0].Message, "50.0%") || !strings.Contains(ws[0].MessageZh, "50.0%") {
		t.Errorf("gap warnings: %+v", ws)
	}
}
