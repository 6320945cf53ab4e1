package territory

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/xiuhua/xiuhua"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// rejection asserts that err rejects a whole file and returns it.
func rejection(t *testing.T, areas []Area, err error) *xiuhua.Error {
	t.Helper()
	if areas != nil {
		t.Errorf("got %d areas with the error; a rejected file must import nothing", len(areas))
	}
	var e *xiuhua.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want an *xiuhua.Error", err)
	}
	if e.Code != xiuhua.EInvalid {
		t.Errorf("code = %q, want %q", e.Code, xiuhua.EInvalid)
	}
	if !strings.Contains(e.Message, "nothing was imported") || !strings.Contains(e.MessageZh, "未导入任何数据") {
		t.Errorf("message = %q / %q, want it to say nothing was imported", e.Message, e.MessageZh)
	}
	return e
}

func TestParseGeoJSONValid(t *testing.T) {
	areas, err := ParseGeoJSON(readFixture(t, "valid.geojson"))
	if err != nil {
		t.Fatalf("ParseGeoJSON: %v", err)
	}
	want := []struct {
		code, name string
		level      Level
		parent     string
	}{
		// The district's parent_code names the city, which is not in our tree.
		{"320213", "梁溪区", District, ""},
		{"320213022", "清名桥街道", Street, "320213"},
		{"320213022010", "家乐花园社区", Community, "320213022"},
		// Given as a JSON number.
		{"32021302201001", "家乐花园01", Grid, "320213022010"},
		// Level in Chinese, parent_code left out and taken from the code.
		{"32021302201002", "家乐花园02", Grid, "320213022010"},
	}
	if len(areas) != len(want) {
		t.Fatalf("got %d areas, want %d", len(areas), len(want))
	}
	for i, w := range want {
		a := areas[i]
		if a.Code != w.code || a.Name != w.name || a.Level != w.level || a.ParentCode != w.parent {
			t.Errorf("area %d = %s %q %s parent %q; want %s %q %s parent %q",
				i, a.Code, a.Name, a.Level, a.ParentCode, w.code, w.name, w.level, w.parent)
		}
	}
	if _, ok := areas[3].Geometry.(orb.Polygon); !ok {
		t.Errorf("area 3 geometry is %T, want orb.Polygon", areas[3].Geometry)
	}
	mp, ok := areas[4].Geometry.(orb.MultiPolygon)
	if !ok {
		t.Fatalf("area 4 geometry is %T, want orb.MultiPolygon", areas[4].Geometry)
	}
	// The altitude is dropped, the position kept.
	if got := mp[0][0][0]; got != (orb.Point{120.305, 31.545}) {
		t.Errorf("first position %v, want [120.305 31.545]", got)
	}
}

func TestParseGeoJSONRejects(t *testing.T) {
	tests := []struct {
		file  string
		index int    // the bad feature, -1 for the file as a whole
		en    string // part of the English reason
		zh    string // part of the Chinese reason
	}{
		{"bad_json.geojson", -1, "not valid JSON", "不是有效的JSON"},
		{"not_collection.geojson", -1, `not a GeoJSON FeatureCollection (type is "Feature")`, "不是GeoJSON FeatureCollection"},
		{"missing_level.geojson", 1, "level is missing", "缺少层级"},
		{"unknown_level.geojson", 1, `unknown level "province"`, "未知层级"},
		{"bad_code.geojson", 2, "community code 32021302201 must be 12 digits, not 11", "社区编码32021302201应为12位数字"},
		{"empty_name.geojson", 1, "name is empty", "名称为空"},
		{"duplicate_code.geojson", 4, "duplicate code: feature 4 has it too", "编码重复：第4个要素"},
		{"geometry_missing.geojson", 1, "geometry is missing", "缺少几何图形"},
		{"geometry_point.geojson", 1, "geometry is a Point; it must be a Polygon or MultiPolygon", "几何类型为Point"},
		{"geometry_empty.geojson", 1, "Polygon has no rings", "Polygon不含任何环"},
		{"ring_short.geojson", 1, "outer ring has 3 positions; a ring needs at least 4", "外环只有3个坐标"},
		{"ring_open.geojson", 1, "outer ring is not closed", "外环未闭合"},
		{"coordinates_swapped.geojson", 1, "position 0 (31.545, 120.3) is outside longitude -180..180, latitude -90..90", "超出经度"},
		{"zero_area.geojson", 1, "outer ring has zero area", "外环面积为零"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			areas, err := ParseGeoJSON(readFixture(t, tt.file))
			e := rejection(t, areas, err)
			if len(e.Details) != 1 {
				t.Fatalf("Details = %q, want exactly one problem", e.Details)
			}
			line := e.Details[0]
			if tt.index >= 0 {
				en, zh := fmt.Sprintf("feature %d ", tt.index+1), fmt.Sprintf("第%d个要素", tt.index+1)
				if !strings.HasPrefix(line, en) || !strings.Contains(line, zh) {
					t.Errorf("Details[0] = %q, want it to name %q and %q", line, en, zh)
				}
			}
			if !strings.Contains(line, tt.en) || !strings.Contains(line, tt.zh) {
				t.Errorf("Details[0] = %q, want it to contain %q and %q", line, tt.en, tt.zh)
			}
			if e.Message != "territory file rejected: 1 problem; nothing was imported" {
				t.Errorf("Message = %q", e.Message)
			}
		})
	}
}

func TestParseGeoJSONReportsAllProblems(t *testing.T) {
	areas, err := ParseGeoJSON(readFixture(t, "multi_problem.geojson"))
	e := rejection(t, areas, err)
	if want := "territory file rejected: 3 problems; nothing was imported"; e.Message != want {
		t.Errorf("Message = %q, want %q", e.Message, want)
	}
	if want := "区划文件被拒绝：3 处问题，未导入任何数据"; e.MessageZh != want {
		t.Errorf("MessageZh = %q, want %q", e.MessageZh, want)
	}
	want := []string{
		"feature 1 (code 320213): name is empty / 第1个要素（编码 320213）：名称为空",
		"feature 3 (code 320213022010001): geometry is a LineString",
		"feature 4 (code 3202130220101): grid code 3202130220101 must be 14 to 16 digits",
	}
	if len(e.Details) != len(want) {
		t.Fatalf("Details = %q, want %d lines", e.Details, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(e.Details[i], w) {
			t.Errorf("Details[%d] = %q, want it to start with %q", i, e.Details[i], w)
		}
	}
}

func TestParseGeoJSONCapsDetails(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	const n = 150
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		// Each feature has an empty name: one problem apiece.
		fmt.Fprintf(&b, `{"type":"Feature","properties":{"code":"32021302201%03d","name":"","level":"grid"},`+
			`"geometry":{"type":"Polygon","coordinates":[[[120,31],[120.001,31],[120.001,31.001],[120,31]]]}}`, i)
	}
	b.WriteString("]}")
	areas, err := ParseGeoJSON([]byte(b.String()))
	e := rejection(t, areas, err)
	if !strings.Contains(e.Message, "150 problems") {
		t.Errorf("Message = %q, want the full count", e.Message)
	}
	if len(e.Details) != maxDetails {
		t.Fatalf("len(Details) = %d, want %d", len(e.Details), maxDetails)
	}
	if last := e.Details[maxDetails-1]; !strings.Contains(last, "51 more problems") || !strings.Contains(last, "另有 51 处问题") {
		t.Errorf("last line = %q, want it to say 51 more", last)
	}
}

func TestParseGeoJSONPropertyTypes(t *testing.T) {
	feature := func(props string) []byte {
		return []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":` + props +
			`,"geometry":{"type":"Polygon","coordinates":[[[120,31],[120.01,31],[120.01,31.01],[120,31]]]}}]}`)
	}
	tests := []struct {
		props string
		code  string // want on success
		err   string // part of the English reason on failure
	}{
		{`{"code":320213,"name":"梁溪区","level":"district"}`, "320213", ""},
		{`{"code":3.20213e5,"name":"梁溪区","level":"district"}`, "320213", ""},
		{`{"code":" 320213 ","name":"梁溪区","level":"district"}`, "320213", ""},
		{`{"code":320213.5,"name":"梁溪区","level":"district"}`, "", "code 320213.5 is not a whole number"},
		{`{"code":true,"name":"梁溪区","level":"district"}`, "", "code must be a string or a whole number, not true"},
		{`{"code":"320213","name":7,"level":"district"}`, "", "name must be a string, not 7"},
		{`{"code":"320213","name":"梁溪区","level":1}`, "", "level must be a string, not 1"},
		{`{"name":"梁溪区","level":"district"}`, "", "district code is missing"},
		{`null`, "", "level is missing"},
		{`{"code":"32021A","name":"x","level":"city"}`, "", `code "32021A" is no territory code`},
	}
	for _, tt := range tests {
		areas, err := ParseGeoJSON(feature(tt.props))
		if tt.err == "" {
			if err != nil || len(areas) != 1 || areas[0].Code != tt.code {
				t.Errorf("%s: got %v, %v; want code %s", tt.props, areas, err, tt.code)
			}
			continue
		}
		var e *xiuhua.Error
		if !errors.As(err, &e) || !strings.Contains(strings.Join(e.Details, "\n"), tt.err) {
			t.Errorf("%s: err = %v %q, want a detail containing %q", tt.props, err, detailsOf(err), tt.err)
		}
	}
}

func TestParseGeoJSONFileLevelProblems(t *testing.T) {
	tests := []struct{ data, want string }{
		{`[]`, "not a GeoJSON FeatureCollection: found a JSON array at the top level"},
		{`{"type":"FeatureCollection","features":{}}`, "found a JSON object in features"},
		{`{"type":"FeatureCollection","features":[]}`, "has no features"},
		{`{"type":"FeatureCollection"}`, "has no features"},
		{"\xef\xbb\xbf{\"type\":\"Topology\"}", `type is "Topology"`}, // the BOM is tolerated
		{`{"type":"FeatureCollection","features":[42]}`, "feature 1: not a GeoJSON Feature object"},
		{`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"320213","name":"x","level":"district"},` +
			`"geometry":{"type":"Polygon","coordinates":[[[1e999,31],[120,31],[120,32],[1e999,31]]]}}]}`, "Polygon coordinates are not nested arrays of numbers"},
		{`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"320213","name":"x","level":"district"},` +
			`"geometry":{"type":"Polygon","coordinates":[[[120],[120,31],[120,32],[120]]]}}]}`, "position 0 has 1 numbers"},
		{`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"320213","name":"x","level":"district"},` +
			`"geometry":{"type":"MultiPolygon","coordinates":[]}}]}`, "MultiPolygon has no polygons"},
		{`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"320213","name":"x","level":"district"},` +
			`"geometry":{"type":"MultiPolygon","coordinates":[[[[120,31],[121,31],[121,32],[120,31]],[[120.1,31.1],[120.2,31.1],[120.2,31.1]]]]}}]}`,
			"polygon 1, hole 1 has 3 positions"},
	}
	for _, tt := range tests {
		areas, err := ParseGeoJSON([]byte(tt.data))
		if areas != nil || !strings.Contains(strings.Join(detailsOf(err), "\n"), tt.want) {
			t.Errorf("ParseGeoJSON(%.60s…) = %d areas, details %q; want a detail containing %q", tt.data, len(areas), detailsOf(err), tt.want)
		}
	}
}

func detailsOf(err error) []string {
	var e *xiuhua.Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}

func TestCheckGeometryNonFinite(t *testing.T) {
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		p := orb.Polygon{{{120, 31}, {bad, 31}, {121, 32}, {120, 31}}}
		got := checkGeometry(p)
		if len(got) != 1 || !strings.Contains(got[0].en, "position 1 is not a finite number") {
			t.Errorf("checkGeometry with %v = %v", bad, got)
		}
	}
}

func TestRepresentativePoint(t *testing.T) {
	// A U shape: its centroid lies in the gap between the arms.
	u := orb.Polygon{{{0, 0}, {3, 0}, {3, 3}, {2, 3}, {2, 1}, {1, 1}, {1, 3}, {0, 3}, {0, 0}}}
	// A square with a square hole in the middle: the centroid is in the hole.
	holed := orb.Polygon{square(0, 0, 3, 3)[0], square(1, 1, 2, 2)[0]}
	for name, p := range map[string]orb.Polygon{"u": u, "holed": holed, "square": square(0, 0, 1, 1)} {
		pt, ok := representativePoint([]orb.Polygon{p})
		if !ok || !strictlyInside([]orb.Polygon{p}, pt) {
			t.Errorf("%s: representativePoint = %v, %v; want a point strictly inside", name, pt, ok)
		}
	}
}
