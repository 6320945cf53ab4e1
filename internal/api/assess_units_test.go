package api_test

import (
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestAssessMgmtUnits defines management units one by one and by import:
// who may, a bad file naming every problem and importing nothing, a grid in
// one unit only, and each reader's scope; points show their unit.
func TestAssessMgmtUnits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		const path = "/api/v1/assess/management-units"
		a := map[string]any{"code": "QMQ-A", "name": "清名桥A单元", "parent": "320213022", "grids": []string{"32021302201001", "32021302200301"}}
		for _, who := range []string{"dispatcher-jx", "leader", "inspector", "san"} {
			c.must(403, who, "POST", path, a)
		}
		if u := c.must(201, "dispatcher", "POST", path, a); u["code"] != "QMQ-A" || len(u["grids"].([]any)) != 2 || u["grids"].([]any)[0] != "32021302200301" {
			t.Fatalf("created: %v", u)
		}
		a["name"] = "清名桥甲单元"
		if u := c.must(200, "admin", "POST", path, a); u["name"] != "清名桥甲单元" {
			t.Fatalf("replaced: %v", u)
		}
		// A bad file: a grid already in QMQ-A, an unknown parent; nothing imported.
		bad := "code,name,parent,grids\nQMQ-B,家乐北,320213022010,32021302201002\nD,重叠,320213022,32021302201001\nE,无主,999,32021302300101\n"
		out := c.must(400, "admin", "POST", path+"/import", bad)
		ds := details(t, out)
		if len(ds) != 2 || !strings.Contains(ds[0], "already in management unit QMQ-A") || !strings.Contains(ds[1], "parent \"999\"") || !strings.Contains(ds[1], "上级区域") {
			t.Fatalf("bad import: %v", ds)
		}
		if items := c.must(200, "admin", "GET", path, nil)["items"].([]any); len(items) != 1 {
			t.Fatalf("a bad file imported something: %v", items)
		}
		good := "code,name,parent,grids\nQMQ-B,家乐北,320213022010,32021302201002\nJX,金星,320213023,32021302300101\n"
		if r := c.must(200, "admin", "POST", path+"/import", good); r["created"] != 2.0 || r["updated"] != 0.0 {
			t.Fatalf("import: %v", r)
		}
		if r := c.must(200, "admin", "POST", path+"/import", `[{"code":"JX","name":"金星单元","parent":"320213023","grids":["32021302300101"]}]`); r["updated"] != 1.0 {
			t.Fatalf("json import: %v", r)
		}
		// The 金星 dispatcher sees 金星's unit; the district dispatcher all three.
		if items := c.must(200, "dispatcher-jx", "GET", path, nil)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["name"] != "金星单元" {
			t.Fatalf("金星 dispatcher: %v", items)
		}
		if items := c.must(200, "dispatcher", "GET", path+"?territory=320213022", nil)["items"].([]any); len(items) != 2 {
			t.Fatalf("清名桥: %v", items)
		}
		c.must(403, "san", "GET", path, nil)
		c.must(400, "admin", "POST", path+"/import", "")
		// A point shows the unit of its grid.
		p := c.must(201, "admin", "POST", "/api/v1/assess/points", map[string]any{"code": "P1", "name": "南苑路", "type": "main_road", "lon": 120.27, "lat": 31.55})
		if p["management_unit"] != "QMQ-A" {
			t.Fatalf("point: %v", p)
		}
		// Importing the same point again changes nothing (its unit follows the grid).
		if r := c.must(200, "admin", "POST", "/api/v1/assess/points/import", "code,name,type,lon,lat\nP1,南苑路,main_road,120.27,31.55\n"); r["unchanged"] != 1.0 {
			t.Fatalf("re-import: %v", r)
		}
	})
}
