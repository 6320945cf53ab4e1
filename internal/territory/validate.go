package territory

import (
	"fmt"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/tidwall/rtree"
)

// Warning is a doubt about an import that does not stop it: survey data is
// rarely perfect, and an imperfect outline is better than none
// (standards.md §1).
type Warning struct {
	Index     int    `json:"index"` // 0-based position of the area in the import
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageZh string `json:"message_zh"`
}

// Validate checks areas about to be imported against each other and against
// existing, the areas already stored, keyed by code.
//
// It rejects, all at once and in one *xiuhua.Error (EInvalid) whose Details
// name each area by its index in incoming: an unknown level or a bad code, a
// code given twice, a district with a parent, and any other area whose
// parent_code is neither in incoming nor in existing, whose parent is not
// exactly one level up, or whose code does not extend its parent's.
// Re-importing a stored code is allowed: the incoming area replaces it and
// is the one its children are checked against. An existing area whose Level
// is empty is taken to be at the level its code's length implies, so existing
// may be built from stored codes alone.
//
// When the import is acceptable it returns warnings, ordered by index: an
// area whose representative point lies outside its parent's outline (when
// both outlines are known), and grids of the same community that overlap.
func Validate(incoming []Area, existing map[string]Area) ([]Warning, error) {
	var ps problems
	byCode := make(map[string]int, len(incoming))
	valid := make([]bool, len(incoming))
	for i, a := range incoming {
		if m, bad := checkCode(a.Level, a.Code); bad {
			ps.add(i, a.Code, m)
			continue
		}
		if j, dup := byCode[a.Code]; dup {
			ps.add(i, a.Code, msg{
				fmt.Sprintf("duplicate code: feature %d has it too", j+1),
				fmt.Sprintf("编码重复：第%d个要素也使用此编码", j+1),
			})
			continue
		}
		byCode[a.Code] = i
		valid[i] = true
	}

	// parentOf finds the area a code names, preferring the incoming one since
	// it replaces a stored one with the same code.
	parentOf := func(code string) (Area, bool) {
		if j, ok := byCode[code]; ok {
			return incoming[j], true
		}
		p, ok := existing[code]
		if ok {
			if p.Code == "" {
				p.Code = code
			}
			if !p.Level.Valid() {
				p.Level = levelOfCode(p.Code)
			}
		}
		return p, ok
	}

	for i, a := range incoming {
		if !valid[i] {
			continue
		}
		if a.Level == District {
			if a.ParentCode != "" {
				ps.add(i, a.Code, msg{
					fmt.Sprintf("a district has no parent, but parent_code is %s", a.ParentCode),
					fmt.Sprintf("区没有上级区划，但上级编码为%s", a.ParentCode),
				})
			}
			continue
		}
		if a.ParentCode == "" {
			ps.add(i, a.Code, msg{
				fmt.Sprintf("parent_code is missing; a %s needs its %s", a.Level, a.Level.Parent()),
				fmt.Sprintf("缺少上级编码，%s须指明所属%s", a.Level.NameZh(), a.Level.Parent().NameZh()),
			})
			continue
		}
		parent, ok := parentOf(a.ParentCode)
		if !ok {
			ps.add(i, a.Code, msg{
				fmt.Sprintf("parent %s is neither in this import nor already stored", a.ParentCode),
				fmt.Sprintf("上级区划%s既不在本次导入中，也不在已有区划中", a.ParentCode),
			})
			continue
		}
		if m, bad := checkNesting(a, parent); bad {
			ps.add(i, a.Code, m)
		}
	}
	if err := ps.reject(whatImport); err != nil {
		return nil, err
	}

	var ws []Warning
	for i, a := range incoming {
		if a.Level == District {
			continue
		}
		parent, _ := parentOf(a.ParentCode)
		if w, ok := outsideParent(i, a, parent); ok {
			ws = append(ws, w)
		}
	}
	ws = append(ws, gridOverlaps(incoming, existing, byCode)...)
	ws = append(ws, gridGaps(incoming, existing, byCode)...)
	slices.SortStableFunc(ws, func(a, b Warning) int { return a.Index - b.Index })
	return ws, nil
}

// gapTolerance is the share of a community its grids may leave uncovered
// before the import warns: quantised survey outlines never tile exactly.
const gapTolerance = 0.01

// gridGaps warns when the grids of a community touched by the import cover
// visibly less than the community: the standard wants no gaps (不留死角), and
// a point in a gap can be located to no grid. Areas are compared, which is
// cheap and exact enough when grids do not overlap (overlaps warn apart).
func gridGaps(incoming []Area, existing map[string]Area, byCode map[string]int) []Warning {
	first := map[string]int{} // community → index of the import's first area about it
	for i, a := range incoming {
		switch a.Level {
		case Community:
			if _, ok := first[a.Code]; !ok {
				first[a.Code] = i
			}
		case Grid:
			if _, ok := first[a.ParentCode]; !ok {
				first[a.ParentCode] = i
			}
		}
	}
	if len(first) == 0 {
		return nil
	}
	covered := map[string]float64{}
	for _, a := range incoming {
		if a.Level == Grid {
			covered[a.ParentCode] += geoArea(a.Geometry)
		}
	}
	for code, a := range existing {
		if _, replaced := byCode[code]; replaced || a.ParentCode == "" {
			continue
		}
		if _, touched := first[a.ParentCode]; touched && (a.Level == Grid || levelOfCode(code) == Grid) {
			covered[a.ParentCode] += geoArea(a.Geometry)
		}
	}
	var ws []Warning
	for comm, i := range first {
		var c Area
		if j, ok := byCode[comm]; ok {
			c = incoming[j]
		} else if e, ok := existing[comm]; ok {
			c = e
		} else {
			continue
		}
		total := geoArea(c.Geometry)
		if total <= 0 || covered[comm] >= total*(1-gapTolerance) {
			continue
		}
		pct := 100 * covered[comm] / total
		ws = append(ws, Warning{Index: i, Code: comm,
			Message:   fmt.Sprintf("the unit grids of community %s cover only %.1f%% of it: points in the gaps belong to no grid", comm, pct),
			MessageZh: fmt.Sprintf("社区%s的单元网格只覆盖其面积的%.1f%%，空隙中的位置不属于任何网格", comm, pct)})
	}
	return ws
}

// geoArea is the planar area of a polygon or multipolygon in square degrees:
// only ever compared with areas nearby, so the projection does not matter.
func geoArea(g orb.Geometry) float64 {
	var sum float64
	for _, p := range polygonsOf(g) {
		sum += planar.Area(p)
	}
	return sum
}

// outsideParent warns when a point inside the child is not inside its
// parent. One point is a cheap test that catches the usual mistakes (a grid
// filed under the wrong community, coordinates in another frame) without
// computing polygon containment.
func outsideParent(i int, child, parent Area) (Warning, bool) {
	cp, pp := polygonsOf(child.Geometry), polygonsOf(parent.Geometry)
	if len(cp) == 0 || len(pp) == 0 {
		return Warning{}, false
	}
	pt, ok := representativePoint(cp)
	if !ok || containsPoint(pp, pt) {
		return Warning{}, false
	}
	return Warning{
		Index: i,
		Code:  child.Code,
		Message: fmt.Sprintf("%s %s lies outside its %s %s: its point (%.6f, %.6f) is not inside the %s",
			child.Level, child.Code, levelNameEn(parent.Level), parent.Code, pt[0], pt[1], levelNameEn(parent.Level)),
		MessageZh: fmt.Sprintf("%s%s位于所属%s%s之外：其内点(%.6f, %.6f)不在%s范围内",
			child.Level.NameZh(), child.Code, levelNameZh(parent.Level), parent.Code, pt[0], pt[1], levelNameZh(parent.Level)),
	}, true
}

// overlapItem is a grid taking part in the overlap check.
type overlapItem struct {
	index  int // position in incoming, or -1 for a stored grid
	code   string
	parent string
	polys  []orb.Polygon
	bound  orb.Bound
}

// gridOverlaps warns about grids of the same community that overlap, where at
// least one of the pair is incoming (overlaps among stored grids were
// reported when they came in). Candidates are pairs whose bounds intersect;
// they overlap when a vertex or the representative point of one lies
// strictly inside the other. That misses two shapes crossing without either
// holding a vertex of the other, which survey grids bounded by roads and
// walls hardly ever do; it never flags neighbours that only share an edge.
func gridOverlaps(incoming []Area, existing map[string]Area, byCode map[string]int) []Warning {
	var items []overlapItem
	add := func(index int, a Area) {
		polys := polygonsOf(a.Geometry)
		if len(polys) == 0 {
			return
		}
		var b orb.Bound
		for k, p := range polys {
			if k == 0 {
				b = p.Bound()
			} else {
				b = b.Union(p.Bound())
			}
		}
		items = append(items, overlapItem{index: index, code: a.Code, parent: a.ParentCode, polys: polys, bound: b})
	}
	for i, a := range incoming {
		if a.Level == Grid {
			add(i, a)
		}
	}
	nIncoming := len(items)
	// Sorted so that the warnings come out the same on every run.
	codes := make([]string, 0, len(existing))
	for code := range existing {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		a := existing[code]
		if _, replaced := byCode[code]; replaced {
			continue
		}
		if a.Code == "" {
			a.Code = code
		}
		if a.Level == Grid || (a.Level == "" && levelOfCode(code) == Grid) {
			add(-1, a)
		}
	}
	if nIncoming == 0 {
		return nil
	}

	var tr rtree.RTreeG[int]
	for k, it := range items {
		tr.Insert(it.bound.Min, it.bound.Max, k)
	}
	var ws []Warning
	for k := range items[:nIncoming] {
		a := &items[k]
		tr.Search(a.bound.Min, a.bound.Max, func(_, _ [2]float64, j int) bool {
			b := &items[j]
			// Each incoming pair once, from its later member; stored grids
			// sort after all incoming ones.
			if j == k || (j < nIncoming && j > k) || b.parent != a.parent {
				return true
			}
			if overlaps(a, b) {
				ws = append(ws, Warning{
					Index:     a.index,
					Code:      a.code,
					Message:   fmt.Sprintf("grid %s overlaps grid %s of the same community %s", a.code, b.code, a.parent),
					MessageZh: fmt.Sprintf("单元网格%s与同一社区%s的单元网格%s重叠", a.code, a.parent, b.code),
				})
			}
			return true
		})
	}
	return ws
}

func overlaps(a, b *overlapItem) bool {
	return anyVertexInside(a.polys, b.polys) || anyVertexInside(b.polys, a.polys) ||
		repInside(a.polys, b.polys) || repInside(b.polys, a.polys)
}

func anyVertexInside(from, into []orb.Polygon) bool {
	for _, p := range from {
		for _, r := range p {
			for _, pt := range r {
				if strictlyInside(into, pt) {
					return true
				}
			}
		}
	}
	return false
}

// repInside catches identical or nested outlines, where no vertex of either
// is strictly inside the other.
func repInside(from, into []orb.Polygon) bool {
	pt, ok := representativePoint(from)
	return ok && strictlyInside(into, pt)
}
