package open311_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestAddressStringApproxArea: a request placed by its address_string makes
// a case whose ApproxArea is the community the address names; one with lat
// and long makes a case without. The Open311 answers carry no such field:
// they stay GeoReport v2.
func TestAddressStringApproxArea(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		get := func(code string) casework.Case {
			t.Helper()
			id, _ := casework.IDFromCode(code)
			c, _, err := e.f.App.Cases.Get(context.Background(), e.f.Actors["admin"], id)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		// address_string only: e.report's lat and long are taken out.
		byAddr := e.report("E0102", apptest.PointJiale1, url.Values{"lat": nil, "long": nil, "address_string": {"梁溪区清名桥街道家乐花园社区南长街1号"}})
		if c := get(byAddr); c.ApproxArea != "320213022010" || c.Community != "320213022010" {
			t.Errorf("address_string only: approx area %q, community %s", c.ApproxArea, c.Community)
		}
		// lat and long with an address_string: the point is exact.
		byPoint := e.report("E0102", apptest.PointJiale1, url.Values{"address_string": {"梁溪区清名桥街道家乐花园社区南长街1号"}})
		if c := get(byPoint); c.ApproxArea != "" || c.Grid != "32021302201001" {
			t.Errorf("lat/long: approx area %q, grid %s", c.ApproxArea, c.Grid)
		}
		r := e.get("requests/"+byAddr+".json", nil)
		if r.Status != 200 || strings.Contains(r.String(), "approx") {
			t.Errorf("the Open311 answer grew a field: %s", r)
		}
	})
}
