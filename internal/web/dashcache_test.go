package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestDashboardCache checks that the dashboard's figures are reused for
// dashTTL, per scope, that the page says when they are from, and that they
// are computed afresh once older.
func TestDashboardCache(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		dashFixture(t, e)
		// Open cases of category E0504 in the chart data (the fixture has
		// two: a2 in 南苑 and b1 in 家乐).
		var communities int // in the last chart data read
		open := func(c *client) float64 {
			t.Helper()
			p := c.get("/dashboard/data.json")
			if p.status != http.StatusOK {
				t.Fatalf("data.json %d: %s", p.status, p.body)
			}
			var data dashJSON
			if err := json.Unmarshal([]byte(p.body), &data); err != nil {
				t.Fatal(err)
			}
			communities = len(data.Charts["communities"].Keys)
			cat := data.Charts["categories"]
			for i, k := range cat.Keys {
				if k == "E0504" {
					return cat.Series[0][i]
				}
			}
			return 0
		}
		disp := e.client()
		disp.login("dispatcher")
		if n := open(disp); n != 2 {
			t.Fatalf("E0504 open %v, want 2", n)
		}
		p := disp.get("/dashboard")
		if p.status != http.StatusOK || !strings.Contains(p.body, "数据更新于 10:00:00") {
			t.Errorf("the page does not say when its figures are from: %d %s", p.status, alert(p.body))
		}
		// A new case within the TTL: the same figures, for this scope…
		e.advance(5 * time.Second)
		e.report("inspector", apptest.PointNanyuan, "E0504", "缓存用例")
		if n := open(disp); n != 2 {
			t.Errorf("E0504 open %v within the TTL, want the cached 2", n)
		}
		// …while another scope computes its own (南苑 sees a2 and the new one).
		ny := e.client()
		ny.login("nanyuan")
		if n := open(ny); n != 2 || communities != 1 {
			t.Errorf("nanyuan: E0504 open %v in %d communities, want 2 in 1", n, communities)
		}
		// Past the TTL the figures are read again.
		e.advance(dashTTL)
		if n := open(disp); n != 3 {
			t.Errorf("E0504 open %v after the TTL, want 3", n)
		}
		if p := disp.get("/dashboard"); !strings.Contains(p.body, "数据更新于 10:00:20") {
			t.Errorf("the page's time after the TTL: %s", alert(p.body))
		}
	})
}
