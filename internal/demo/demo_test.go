package demo

import (
	"context"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestSeed: the demo has the real Wuxi tree, cases in every state, and can be
// seeded again on the same folder without duplicating anything.
func TestSeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := app.New(ctx, db, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Seed(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		counts, _ := db.CountAreas(ctx)
		if counts["district"] != 7 || counts["street"] != 88 || counts["community"] != 1254 || counts["grid"] < 8000 {
			t.Errorf("territory %v", counts)
		}
		if res.Cases < 300 || res.AdminToken == "" {
			t.Errorf("result %+v", res)
		}
		byState := map[casework.State]int{}
		cs, err := db.Cases(ctx, casework.Filter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			byState[c.State]++
		}
		for _, s := range casework.States {
			if byState[s] == 0 {
				t.Errorf("no demo case is %s (%v)", s, byState)
			}
		}
		// A day's 12345 export: every order imported, most placed by their
		// address and marked approximate, within 清名桥街道.
		yes := true
		hot, err := db.Cases(ctx, casework.Filter{Limit: 1000, Source: casework.SourceHotline})
		if err != nil || len(hot) != 12 {
			t.Fatalf("hotline cases: %d %v", len(hot), err)
		}
		approx, _ := db.Cases(ctx, casework.Filter{Limit: 1000, Source: casework.SourceHotline, Approx: &yes})
		if len(approx) < 6 || len(approx) == len(hot) {
			t.Errorf("%d of %d hotline cases approximate, want most but not all", len(approx), len(hot))
		}
		for _, c := range approx {
			if c.Street != "320213022" || c.ApproxArea != c.Community {
				t.Errorf("approximate case %d: street %s, area %s, community %s", c.ID, c.Street, c.ApproxArea, c.Community)
			}
		}
		// The seed street of the campaigns is there by name.
		if ar, ok := a.Territory().Area("320213022"); !ok || ar.Name != "清名桥街道" {
			t.Errorf("清名桥街道: %+v", ar)
		}
		checkAssessment(t, a, db)
		checkPlans(t, a, db)
		again, err := Seed(ctx, a)
		if err != nil || again.AdminToken == res.AdminToken {
			t.Fatalf("second seed: %v", err)
		}
		cs2, _ := db.Cases(ctx, casework.Filter{Limit: 1000})
		if len(cs2) != len(cs) {
			t.Errorf("second seed changed the cases: %d → %d", len(cs), len(cs2))
		}
		if _, err := a.Authenticate(ctx, again.AdminToken); err != nil {
			t.Errorf("fresh admin token: %v", err)
		}
	})
}
