package open311_test

import (
	"context"
	"encoding/json"
	"math"
	"net/url"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestAddressString: a request with address_string and no lat/long is
// placed in the community the address names (the fixture's 家乐花园社区,
// 120.20–120.25 × 31.50–31.60, whose centre is 120.225, 31.55), and noted as
// approximate for the dispatcher; an address naming a street only, or
// nothing, is the spec's 400 saying what was matched.
func TestAddressString(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		form := func(addr string) url.Values {
			return url.Values{"api_key": {e.keys["city"]}, "service_code": {"E0102"}, "description": {"垃圾满溢"}, "address_string": {addr}}
		}
		const addr = "梁溪区清名桥街道家乐花园社区南长街1号"
		r := e.post("requests.json", form(addr))
		if r.Status != 200 {
			t.Fatalf("address only: %d %s", r.Status, r)
		}
		var out []map[string]any
		if err := json.Unmarshal(r.Body, &out); err != nil || len(out) != 1 {
			t.Fatalf("%s: %v", r, err)
		}
		code := out[0]["service_request_id"].(string)
		id, _ := casework.IDFromCode(code)
		c, _, err := e.f.App.Cases.Get(context.Background(), e.f.Actors["admin"], id)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(c.Lon-120.225) > 1e-9 || math.Abs(c.Lat-31.55) > 1e-9 || c.Community != "320213022010" || c.Address != addr ||
			!strings.HasSuffix(c.Description, "\n位置按地址定位至家乐花园社区（近似）") {
			t.Errorf("stored %+v", c)
		}
		// The request reads back with the point and the citizen's address.
		r = e.get("requests/"+code+".json", nil)
		var got []map[string]any
		if err := json.Unmarshal(r.Body, &got); err != nil || len(got) != 1 {
			t.Fatalf("%s: %v", r, err)
		}
		if got[0]["address"] != addr || math.Abs(got[0]["lat"].(float64)-31.55) > 1e-9 || math.Abs(got[0]["long"].(float64)-120.225) > 1e-9 {
			t.Errorf("read back %v", got[0])
		}

		for _, c := range []struct{ addr, want, wantZh string }{
			{"清名桥街道某路口", "matched 梁溪区清名桥街道 only", "仅匹配到梁溪区清名桥街道"},
			{"火星基地", "names no district, street or community", "没有本辖区的区、街道或社区名称"},
		} {
			r := e.post("requests.json", form(c.addr))
			errs := jsonErrors(t, r)
			if r.Status != 400 || errs[0].Code != 400 || !strings.Contains(errs[0].Description, c.want) || !strings.Contains(errs[0].Description, c.wantZh) {
				t.Errorf("%s: %d %s", c.addr, r.Status, r)
			}
		}
		// In XML too, as FixMyStreet reads errors.
		r = e.post("requests.xml", form("清名桥街道"))
		if r.Status != 400 || !strings.Contains(r.String(), "<errors>") || !strings.Contains(r.String(), "清名桥街道 only") {
			t.Errorf("XML: %d %s", r.Status, r)
		}
		// A key scoped to 清名桥街道 cannot report into 金星社区 by address either.
		f := form("金星社区1号")
		f.Set("api_key", e.keys["qmq"])
		if r := e.post("requests.json", f); r.Status != 403 {
			t.Errorf("outside the key's scope: %d %s", r.Status, r)
		}
	})
}
