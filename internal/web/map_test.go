package web

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

type featureCollection struct {
	Features []struct {
		Geometry struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
}

func (c *client) geojson(path string) (int, featureCollection) {
	c.e.t.Helper()
	p := c.get(path)
	var fc featureCollection
	if p.status == 200 {
		if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/geo+json") {
			c.e.t.Fatalf("%s: Content-Type %q", path, ct)
		}
		if err := json.Unmarshal([]byte(p.body), &fc); err != nil {
			c.e.t.Fatalf("%s: %v", path, err)
		}
	}
	return p.status, fc
}

func (fc featureCollection) prop(name string) []string {
	var out []string
	for _, f := range fc.Features {
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(jsonString(f.Properties[name]), `"`), `"`))
	}
	sort.Strings(out)
	return out
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestMapData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c1, c2, c3, c4, _ := deskFixture(e) // c5 is rejected: closed, not on the map
		d, jx := e.client(), e.client()
		d.login("dispatcher")
		jx.login("dispatcher-jx")
		all := "bbox=120.1,31.4,120.5,31.7"
		for _, tc := range []struct {
			c     *client
			level string
			want  []string
		}{
			{d, "district", []string{"320213"}},
			{d, "street", []string{"320213022", "320213023"}},
			{d, "grid", []string{"32021302200301", "32021302201001", "32021302201002", "32021302300101"}},
			{jx, "street", []string{"320213023"}},
			{jx, "grid", []string{"32021302300101"}},
			{jx, "district", nil}, // above the scope: nothing
		} {
			st, fc := tc.c.geojson("/map/areas.json?level=" + tc.level + "&" + all)
			if st != 200 || !sameList(fc.prop("code"), tc.want) {
				t.Errorf("%s: %d %v, want %v", tc.level, st, fc.prop("code"), tc.want)
			}
		}
		// Only what is in view: the western half holds 家乐's two grids.
		if _, fc := d.geojson("/map/areas.json?level=grid&bbox=120.20,31.50,120.24,31.60"); !sameList(fc.prop("code"), []string{"32021302201001", "32021302201002"}) {
			t.Errorf("grids in the west: %v", fc.prop("code"))
		}
		_, fc := d.geojson("/map/areas.json?level=grid&bbox=120.20,31.50,120.24,31.60")
		if fc.Features[0].Geometry.Type != "Polygon" {
			t.Errorf("geometry %q", fc.Features[0].Geometry.Type)
		}
		// Open cases in view, in scope: c5 is rejected, so not on the map.
		st, fc := d.geojson("/map/cases.json?" + all)
		if st != 200 || !sameList(fc.prop("id"), sortedIDs(c1, c2, c3, c4)) {
			t.Errorf("open cases: %d %v", st, fc.prop("id"))
		}
		if _, fc := jx.geojson("/map/cases.json?" + all); !sameList(fc.prop("id"), sortedIDs(c3)) {
			t.Errorf("dispatcher-jx's cases: %v", fc.prop("id"))
		}
		_, fc = jx.geojson("/map/cases.json?" + all)
		if p := fc.Features[0].Properties; p["state_name"] != "处置中" || p["overdue"] != false || p["category"] != "暴露垃圾" || p["approx"] != false || string(fc.Features[0].Geometry.Coordinates) != "[120.35,31.55]" {
			t.Errorf("case feature %v %s", p, fc.Features[0].Geometry.Coordinates)
		}
		// A position located from an address is marked as such.
		if _, err := db.W.Exec(db.Q(`UPDATE cases SET approx_area = community WHERE id = ?`), c3.ID); err != nil {
			t.Fatal(err)
		}
		if _, fc := jx.geojson("/map/cases.json?" + all); fc.Features[0].Properties["approx"] != true {
			t.Errorf("approximate case feature %v", fc.Features[0].Properties)
		}
		if p := d.get("/map"); !strings.Contains(p.body, `data-t-approx="位置按地址定位，为近似位置，请现场核实"`) || !strings.Contains(p.body, "近似位置（按地址定位）") {
			t.Error("map page lacks the approximate position's legend and popup text")
		}
		if _, fc := d.geojson("/map/cases.json?bbox=120.30,31.50,120.40,31.60"); !sameList(fc.prop("id"), sortedIDs(c3)) {
			t.Errorf("cases in the east: %v", fc.prop("id"))
		}
		for _, bad := range []string{"/map/cases.json", "/map/cases.json?bbox=1,2,3", "/map/cases.json?bbox=5,5,1,1", "/map/areas.json?level=city&" + all, "/map/cases.json?bbox=a,b,c,d"} {
			if st, _ := d.geojson(bad); st != http.StatusBadRequest {
				t.Errorf("%s: %d", bad, st)
			}
		}
		if p := e.client().get("/map/cases.json?" + all); p.status != http.StatusUnauthorized {
			t.Errorf("signed out: %d", p.status)
		}
		// The page itself, with Leaflet from this server and no basemap.
		p := d.get("/map")
		if !strings.Contains(p.body, `/static/vendor/leaflet/leaflet.js?v=`) || !strings.Contains(p.body, `data-bounds="31.50000,120.20000,31.60000,120.40000"`) || !strings.Contains(p.body, "仅显示辖区边界") {
			t.Errorf("map page: %s", between(p.body, "<head>", "</head>"))
		}
		if p := d.get("/static/vendor/leaflet/leaflet.js"); p.status != 200 || !strings.Contains(p.body, "Leaflet 1.9.4") {
			t.Errorf("embedded Leaflet: %d", p.status)
		}
		// A basemap is allowed by the CSP only when configured.
		e.web.TileURL = "https://t{s}.tiles.example.cn/{z}/{x}/{y}.png"
		if csp := d.get("/map").header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' blob: data: https://*.tiles.example.cn;") {
			t.Errorf("CSP with tiles: %q", csp)
		}
	})
}

func sortedIDs(cs ...casework.Case) []string {
	var out []string
	for _, c := range cs {
		out = append(out, itoa(c.ID))
	}
	sort.Strings(out)
	return out
}

func TestTileOrigin(t *testing.T) {
	for tmpl, want := range map[string]string{
		"": "",
		"https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=K&x={x}&y={y}&l={z}": "https://*.tianditu.gov.cn",
		"https://{s}.tile.example.org/{z}/{x}/{y}.png":                   "https://*.tile.example.org",
		"http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png":                     "http://10.1.2.3:8080",
		"javascript:alert(1)":                                            "",
		"/tiles/{z}/{x}/{y}.png":                                         "",
	} {
		if got := tileOrigin(tmpl); got != want {
			t.Errorf("tileOrigin(%q) = %q, want %q", tmpl, got, want)
		}
	}
}
