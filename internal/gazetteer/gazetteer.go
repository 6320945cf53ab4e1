// Package gazetteer places an address text in the territory without any
// geocoding service: it finds the names of districts, streets, communities
// and grids the text mentions ("梁溪区清名桥街道家乐花园社区南长街123号"),
// keeps the ones that nest into one chain, and answers the deepest area of
// that chain with a point inside it. 12345 hotline orders and citizens'
// reports often carry only such a text; the answer is approximate (a
// community is a few hundred metres across) and callers say so.
//
// A Gazetteer is built once per territory snapshot (an immutable
// territory.Index) and is safe for concurrent use.
package gazetteer

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/xiuhua/xiuhua/internal/territory"
)

// Status says whether a text was placed.
type Status string

// The outcomes of Find.
const (
	// Found: one chain of nested areas; Result.Area is its deepest area.
	Found Status = "found"
	// Ambiguous: the names found fit several areas equally well (the same
	// community name in two streets, or names that do not nest);
	// Result.Candidates lists them.
	Ambiguous Status = "ambiguous"
	// NotFound: the text names no area of the territory.
	NotFound Status = "not_found"
)

// Candidate is an area a text may mean.
type Candidate struct {
	Code  string          `json:"code"`
	Name  string          `json:"name"`
	Level territory.Level `json:"level"`
	// Path is the names from the district down to the area, joined without
	// spaces as Chinese addresses write them ("梁溪区清名桥街道南苑社区").
	Path string `json:"path"`
}

// Result is what Find makes of a text.
type Result struct {
	Status Status `json:"status"`
	// Area is the deepest area of the matched chain (when Found). Its level
	// is the precision of the answer: grid, community, street or district.
	Area Candidate `json:"area"`
	// Point lies inside Area's outline and, when the tree has grids under
	// the area, inside one of them, so that locating the point gives back
	// Area. HasPoint is false when neither the area nor any grid under it
	// has an outline.
	Point    orb.Point `json:"point"`
	HasPoint bool      `json:"has_point"`
	// Exact is true when Area's own name appears in full in the text, false
	// when only its short form does ("家乐花园" for 家乐花园社区).
	Exact bool `json:"exact"`
	// Matched is the area names found in the text, in the order they
	// appear, as written there.
	Matched []string `json:"matched"`
	// Candidates are the areas the text may mean (when Ambiguous), by code.
	Candidates []Candidate `json:"candidates,omitempty"`
}

// Level is the precision of a found result ("" otherwise).
func (r Result) Level() territory.Level { return r.Area.Level }

// Gazetteer is an index of the territory's area names.
type Gazetteer struct {
	ix    *territory.Index
	areas []area
	// The names as a trie over runes: next maps node<<32|rune to the child
	// node; terms[node] is the index in lists of the areas a node's name
	// denotes, or -1. Node 0 is the root.
	next  map[uint64]int32
	terms []int32
	lists [][]term
	// points holds each area's representative point, computed on first use:
	// most areas are never asked for.
	points []lazyPoint
}

type area struct {
	territory.Area
	parent int32 // index in Gazetteer.areas, -1 for none
}

type term struct {
	area  int32
	short bool // the name without its suffix, not the full name
}

type lazyPoint struct {
	once sync.Once
	pt   orb.Point
	ok   bool
}

// suffixes are the endings a short form drops, per level, longest first.
// Addresses often write "清名桥" for 清名桥街道 or "家乐花园小区" near 家乐花园社区.
var suffixes = map[territory.Level][]string{
	territory.District:  {"区", "县级市", "市", "县"},
	territory.Street:    {"街道办事处", "街道", "镇", "乡"},
	territory.Community: {"社区居委会", "居委会", "社区", "村委会", "村"},
}

// roadEnds are characters that, right after a short form, make it part of
// another name: "清名桥路" is a road, not 清名桥街道; "梁溪河" a river.
var roadEnds = map[rune]bool{'路': true, '街': true, '巷': true, '弄': true, '道': true, '桥': true, '河': true, '浜': true, '港': true, '湾': true}

// adminEnds are the last characters of the division names an address
// writes before a short form ("无锡市家乐花园", "梁溪区清名桥"). A short form
// after any other Chinese character is taken for the tail of another word:
// "南长街" does not name 长街社区.
var adminEnds = map[rune]bool{'省': true, '市': true, '区': true, '县': true, '镇': true, '乡': true, '道': true, '村': true}

// minShort is the fewest characters a short form may have.
const minShort = 2

// New builds the gazetteer of an index's areas. A short form is indexed
// only when it has at least two characters, no other area has the same
// short form and no area has it as its full name.
func New(ix *territory.Index) *Gazetteer {
	g := &Gazetteer{ix: ix, next: map[uint64]int32{}, terms: []int32{-1}}
	byCode := map[string]int32{}
	var walk func(code string)
	walk = func(code string) {
		for _, a := range ix.Children(code) {
			if _, seen := byCode[a.Code]; seen {
				continue // a cycle in bad data
			}
			byCode[a.Code] = int32(len(g.areas))
			g.areas = append(g.areas, area{Area: a, parent: -1})
			walk(a.Code)
		}
	}
	walk("")
	for i := range g.areas {
		if p, ok := byCode[g.areas[i].ParentCode]; ok {
			g.areas[i].parent = p
		}
	}
	g.points = make([]lazyPoint, len(g.areas))

	full := map[string]bool{}
	shorts := map[string][]int32{}
	for i, a := range g.areas {
		name := strings.TrimSpace(a.Name)
		if name == "" {
			continue
		}
		full[name] = true
		g.add(name, term{area: int32(i)})
		for _, suf := range suffixes[a.Level] {
			if s, ok := strings.CutSuffix(name, suf); ok {
				if utf8.RuneCountInString(s) >= minShort {
					shorts[s] = append(shorts[s], int32(i))
				}
				break
			}
		}
	}
	for s, ids := range shorts {
		if len(ids) == 1 && !full[s] {
			g.add(s, term{area: ids[0], short: true})
		}
	}
	return g
}

func (g *Gazetteer) add(name string, t term) {
	node := int32(0)
	for _, r := range name {
		k := uint64(node)<<32 | uint64(uint32(r))
		child, ok := g.next[k]
		if !ok {
			child = int32(len(g.terms))
			g.terms = append(g.terms, -1)
			g.next[k] = child
		}
		node = child
	}
	if g.terms[node] < 0 {
		g.terms[node] = int32(len(g.lists))
		g.lists = append(g.lists, nil)
	}
	g.lists[g.terms[node]] = append(g.lists[g.terms[node]], t)
}

// Index is the territory snapshot the gazetteer was built from.
func (g *Gazetteer) Index() *territory.Index { return g.ix }

// match is a name found in the text at bytes [start, end).
type match struct {
	start, end int
	list       int32
}

// Find places an address text. It finds, at each position, the longest area
// name starting there, drops names inside a longer one ("清名桥" inside
// "清名桥街道"), and scores every area named by how many of the areas on its
// chain (itself, its street, its district…) the text names, then by how many
// of those it names in full rather than by a short form. The best-scored
// area wins when the others that score as well are its ancestors; otherwise
// the answer is Ambiguous with the best-scored areas as candidates.
func (g *Gazetteer) Find(text string) Result {
	var buf [16]match
	ms := buf[:0]
	maxEnd := 0
	for start := 0; start < len(text); {
		_, size := utf8.DecodeRuneInString(text[start:])
		node, best := int32(0), match{list: -1}
		shortOK := start == 0 || start == maxEnd
		if !shortOK {
			prev, _ := utf8.DecodeLastRuneInString(text[:start])
			shortOK = !unicode.Is(unicode.Han, prev) || adminEnds[prev]
		}
		for j := start; j < len(text); {
			r, n := utf8.DecodeRuneInString(text[j:])
			child, ok := g.next[uint64(node)<<32|uint64(uint32(r))]
			if !ok {
				break
			}
			node, j = child, j+n
			if l := g.terms[node]; l >= 0 && (!g.shortOnly(l) || shortOK && !roadEnds[firstRune(text[j:])]) {
				best = match{start: start, end: j, list: l}
			}
		}
		if best.list >= 0 && best.end > maxEnd {
			ms = append(ms, best)
			maxEnd = best.end
		}
		start += size
	}
	if len(ms) == 0 {
		return Result{Status: NotFound}
	}
	res := Result{Matched: make([]string, len(ms))}
	var named []int32 // every area some match denotes
	var full []bool   // whether named[i] appears by its full name
	for i, m := range ms {
		res.Matched[i] = text[m.start:m.end]
		for _, t := range g.lists[m.list] {
			if k := slices.Index(named, t.area); k >= 0 {
				full[k] = full[k] || !t.short
			} else {
				named, full = append(named, t.area), append(full, !t.short)
			}
		}
	}
	// Score each named area by the named areas on its chain, then by those
	// of them named in full.
	bestScore := 0
	var top []int32
	for _, id := range named {
		score := 0
		for a, step := id, 0; a >= 0 && step < 4; a, step = g.areas[a].parent, step+1 {
			if k := slices.Index(named, a); k >= 0 {
				score += 8
				if full[k] {
					score++
				}
			}
		}
		switch {
		case score > bestScore:
			bestScore, top = score, append(top[:0], id)
		case score == bestScore:
			top = append(top, id)
		}
	}
	deepest := top[0]
	for _, id := range top[1:] {
		if g.areas[id].Level.Rank() > g.areas[deepest].Level.Rank() {
			deepest = id
		}
	}
	for _, id := range top {
		if id != deepest && !g.isAncestor(id, deepest) {
			res.Status = Ambiguous
			slices.SortFunc(top, func(a, b int32) int { return strings.Compare(g.areas[a].Code, g.areas[b].Code) })
			for _, id := range top {
				res.Candidates = append(res.Candidates, g.candidate(id))
			}
			return res
		}
	}
	res.Status, res.Area = Found, g.candidate(deepest)
	res.Point, res.HasPoint = g.point(deepest)
	for _, m := range ms {
		for _, t := range g.lists[m.list] {
			if t.area == deepest && !t.short {
				res.Exact = true
			}
		}
	}
	return res
}

// shortOnly reports whether a name list holds short forms only: such a name
// counts only between word boundaries (see adminEnds and roadEnds).
func (g *Gazetteer) shortOnly(list int32) bool {
	for _, t := range g.lists[list] {
		if !t.short {
			return false
		}
	}
	return true
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func (g *Gazetteer) isAncestor(anc, id int32) bool {
	for a, step := g.areas[id].parent, 0; a >= 0 && step < 4; a, step = g.areas[a].parent, step+1 {
		if a == anc {
			return true
		}
	}
	return false
}

func (g *Gazetteer) candidate(id int32) Candidate {
	a := g.areas[id]
	var names []string
	for p, step := id, 0; p >= 0 && step < 4; p, step = g.areas[p].parent, step+1 {
		names = append(names, g.areas[p].Name)
	}
	slices.Reverse(names)
	return Candidate{Code: a.Code, Name: a.Name, Level: a.Level, Path: strings.Join(names, "")}
}

// point returns the area's representative point, computing it once.
func (g *Gazetteer) point(id int32) (orb.Point, bool) {
	lp := &g.points[id]
	lp.once.Do(func() { lp.pt, lp.ok = g.findPoint(id) })
	return lp.pt, lp.ok
}

// findPoint looks for a point inside the area that the index locates in a
// grid of the area: first the area's own interior point (its centroid, as a
// rule), then the interior points of the grids under it in code order. A
// tree without grids under the area gets the outline's interior point
// alone.
func (g *Gazetteer) findPoint(id int32) (orb.Point, bool) {
	a := g.areas[id].Area
	own, hasOwn := territory.InteriorPoint(a.Geometry)
	if hasOwn && g.locatesIn(own, a) {
		return own, true
	}
	// Breadth-first down to the grids; a bound keeps bad data finite.
	queue := []string{a.Code}
	for steps := 0; len(queue) > 0 && steps < 100_000; steps++ {
		code := queue[0]
		queue = queue[1:]
		for _, c := range g.ix.Children(code) {
			if c.Level != territory.Grid {
				queue = append(queue, c.Code)
				continue
			}
			if pt, ok := territory.InteriorPoint(c.Geometry); ok && g.locatesIn(pt, a) {
				return pt, true
			}
		}
	}
	return own, hasOwn
}

// locatesIn reports whether the index puts the point in a grid of area a.
func (g *Gazetteer) locatesIn(pt orb.Point, a territory.Area) bool {
	loc, ok := g.ix.Locate(pt[0], pt[1])
	if !ok {
		return false
	}
	switch a.Level {
	case territory.Grid:
		return loc.Grid.Code == a.Code
	case territory.Community:
		return loc.Community.Code == a.Code
	case territory.Street:
		return loc.Street.Code == a.Code
	case territory.District:
		return loc.District.Code == a.Code
	}
	return false
}
