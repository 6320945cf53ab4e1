package api_test

import (
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

func details(t *testing.T, out map[string]any) []string {
	t.Helper()
	e, _ := out["error"].(map[string]any)
	var ds []string
	for _, d := range e["details"].([]any) {
		ds = append(ds, d.(string))
	}
	return ds
}

// TestAssessPointsImport imports inspection points from CSV and GeoJSON:
// located, checked against a territory or unit, idempotent by code; a bad
// file names every problem by line or feature and imports nothing.
func TestAssessPointsImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		const path = "/api/v1/assess/points/import"
		points := func() map[string]map[string]any {
			out := map[string]map[string]any{}
			for _, p := range c.must(200, "admin", "GET", "/api/v1/assess/points", nil)["items"].([]any) {
				p := p.(map[string]any)
				out[p["code"].(string)] = p
			}
			return out
		}
		// Columns in any order, a BOM, a Chinese type name, a territory and a unit as checks.
		good := "\ufeffname,code,type,lon,lat,address,territory\n" +
			"家乐路口,J1,主次干道,120.22,31.52,,320213022010\n" +
			"南苑菜场,N1,market,120.27,31.53,清扬路,320213022\n" +
			"\n" +
			"金星路,X1,main_road,120.32,31.52,,320213023.street_office\n"
		for _, who := range []string{"dispatcher-jx", "leader", "inspector", "san"} {
			c.must(403, who, "POST", path, good)
		}
		if r := c.must(200, "dispatcher", "POST", path, good); r["created"] != 3.0 || r["updated"] != 0.0 || r["unchanged"] != 0.0 {
			t.Fatalf("first import: %v", r)
		}
		ps := points()
		if j := ps["J1"]; len(ps) != 3 || j["type"] != "main_road" || j["community"] != "320213022010" || j["name"] != "家乐路口" || j["enabled"] != true {
			t.Fatalf("points: %v", ps)
		}
		if n := ps["N1"]; n["type"] != "market" || n["community"] != "320213022003" || n["address"] != "清扬路" {
			t.Fatalf("N1: %v", n)
		}
		// Again: nothing changes; one name changed: one update.
		if r := c.must(200, "admin", "POST", path, good); r["created"] != 0.0 || r["unchanged"] != 3.0 {
			t.Fatalf("same file again: %v", r)
		}
		if r := c.must(200, "admin", "POST", path, strings.Replace(good, "家乐路口", "家乐路口东", 1)); r["updated"] != 1.0 || r["unchanged"] != 2.0 {
			t.Fatalf("a changed name: %v", r)
		}

		// A bad file: five bad rows, one good new one; nothing imported.
		bad := "code,name,type,lon,lat,territory\n" +
			"B1,坏类型,moon,120.22,31.52,\n" + // line 2: type
			"B2,错社区,main_road,120.22,31.52,320213022003\n" + // line 3: in 家乐, not 南苑
			"B1,重复,main_road,120.22,31.52,\n" + // line 4: code again
			"B4,区外,main_road,121.0,31.0,\n" + // line 5: outside every grid
			"B5,无纬度,main_road,120.22,,\n" + // line 6: no lat
			"NEW,好点位,main_road,120.23,31.53,\n"
		code, out := c.do("admin", "POST", path, bad)
		ds := details(t, out)
		if code != 400 || len(ds) != 5 {
			t.Fatalf("bad file: %d %v", code, out)
		}
		for i, w := range []string{"line 2: unknown point type \"moon\" / 第2行：未知点位类型 \"moon\"", "line 3: the point lies in grid",
			"line 4: code B1 again (first at line 2)", "line 5: (121.000000, 31.000000) is outside every unit grid", "line 6: lon and lat are required"} {
			if !strings.HasPrefix(ds[i], w) {
				t.Errorf("detail %d = %q, want %q…", i, ds[i], w)
			}
		}
		if _, ok := points()["NEW"]; ok || len(points()) != 3 {
			t.Fatal("a bad file imported something")
		}
		code, out = c.do("admin", "POST", path, "code,name,type,lon\nZ,z,main_road,120.2\n")
		if code != 400 || !strings.Contains(details(t, out)[0], "line 1: the header lacks column \"lat\"") {
			t.Fatalf("missing column: %d %v", code, out)
		}
		c.must(400, "admin", "POST", path, "")

		// GeoJSON: features numbered from 1.
		geo := `{"type":"FeatureCollection","features":[
			{"type":"Feature","geometry":{"type":"Point","coordinates":[120.26,31.57]},"properties":{"code":"G1","name":"南苑公厕","type":"toilet","unit":"320213022003.community"}},
			{"type":"Feature","geometry":{"type":"Point","coordinates":[120.24,31.51]},"properties":{"code":"G2","name":"老小区","type":"老旧小区","enabled":false}}]}`
		if r := c.must(200, "admin", "POST", path, geo); r["created"] != 2.0 {
			t.Fatalf("geojson: %v", r)
		}
		if g := points()["G2"]; g["type"] != "old_compound" || g["enabled"] != false || g["community"] != "320213022010" {
			t.Fatalf("G2: %v", g)
		}
		badGeo := `{"type":"FeatureCollection","features":[
			{"type":"Feature","geometry":{"type":"Point","coordinates":[120.22,31.52]},"properties":{"code":"G3","name":"好","type":"square"}},
			{"type":"Feature","geometry":{"type":"LineString","coordinates":[[120.22,31.52],[120.23,31.53]]},"properties":{"code":"G4","name":"线","type":"river"}},
			{"type":"Feature","geometry":{"type":"Point","coordinates":[120.22,31.52]},"properties":{"code":"G5","name":"南苑?","type":"square","unit":"320213022003.community"}}]}`
		code, out = c.do("admin", "POST", path, badGeo)
		ds = details(t, out)
		if code != 400 || len(ds) != 2 || !strings.HasPrefix(ds[0], "feature 2: must be a Feature with a Point geometry") ||
			!strings.HasPrefix(ds[1], "feature 3: the point lies in grid") || !strings.Contains(ds[1], "第3个要素") {
			t.Fatalf("bad geojson: %d %v", code, out)
		}
		if _, ok := points()["G3"]; ok {
			t.Fatal("a bad GeoJSON imported something")
		}
		c.must(400, "admin", "POST", path, `{"type":"Feature"}`)
	})
}
