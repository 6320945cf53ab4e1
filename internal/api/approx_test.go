package api_test

import (
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestApproxLocation: a hotline order with an address only becomes a case
// whose location_approximate names the community the address was matched
// to; one with coordinates shows null; approx=true|false filters on it and
// a bad value is a 400 in both languages.
func TestApproxLocation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		file := []byte("工单编号,诉求类别,问题描述,地址,经度,纬度\n" +
			"AP1,违章停车,消防通道被占,梁溪区清名桥街道家乐花园社区南长街123号,,\n" +
			"AP2,违章停车,路口占道,清扬路1号,120.22,31.52\n")
		rep := c.must(200, "dispatcher", "POST", "/api/v1/hotline/import", file)
		if num(rep["imported"]) != 2 {
			t.Fatalf("import %v", rep)
		}
		list := c.must(200, "dispatcher", "GET", "/api/v1/cases?source=hotline", nil)["items"].([]any)
		if len(list) != 2 {
			t.Fatalf("hotline cases: %v", list)
		}
		// Newest first: AP2 (coordinates), then AP1 (address).
		exact, approx := list[0].(map[string]any), list[1].(map[string]any)
		if v, ok := exact["location_approximate"]; !ok || v != nil {
			t.Errorf("a case with coordinates: location_approximate %v (present %v), want null", v, ok)
		}
		la, _ := approx["location_approximate"].(map[string]any)
		if la["area_code"] != "320213022010" || la["area_name"] != "家乐花园社区" {
			t.Errorf("an address-only case: location_approximate %v", approx["location_approximate"])
		}
		// The single case's answer too; the note stays in the description.
		one := c.must(200, "dispatcher", "GET", "/api/v1/cases/"+approx["code"].(string), nil)
		if la, _ := one["location_approximate"].(map[string]any); la["area_code"] != "320213022010" ||
			!strings.HasSuffix(one["description"].(string), "位置按地址定位至家乐花园社区（近似）") {
			t.Errorf("GET one: %v / %q", one["location_approximate"], one["description"])
		}

		ids := func(q string) []any {
			var out []any
			for _, it := range c.must(200, "dispatcher", "GET", "/api/v1/cases?"+q, nil)["items"].([]any) {
				out = append(out, it.(map[string]any)["id"])
			}
			return out
		}
		// The fixture has no other cases, so the filters split these two.
		if got := ids("approx=true"); len(got) != 1 || got[0] != approx["id"] {
			t.Errorf("approx=true: %v, want [%v]", got, approx["id"])
		}
		if got := ids("approx=false"); len(got) != 1 || got[0] != exact["id"] {
			t.Errorf("approx=false: %v, want [%v]", got, exact["id"])
		}
		if got := ids("approx=true&state=registered"); len(got) != 0 {
			t.Errorf("approx=true&state=registered: %v", got)
		}
		// A street dispatcher elsewhere (金星) sees no approximate case of 家乐花园.
		if got := c.must(200, "dispatcher-jx", "GET", "/api/v1/cases?approx=true", nil)["items"].([]any); len(got) != 0 {
			t.Errorf("dispatcher-jx approx=true: %v", got)
		}
		bad := c.must(400, "dispatcher", "GET", "/api/v1/cases?approx=maybe", nil)["error"].(map[string]any)
		if !strings.Contains(bad["message"].(string), "approx must be true or false") || !strings.Contains(bad["message_zh"].(string), "approx 须为 true 或 false") {
			t.Errorf("bad approx: %v", bad)
		}
	})
}
