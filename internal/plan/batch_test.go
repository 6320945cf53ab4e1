package plan_test

import (
	"context"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/plan"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestComputedTargetsBatched evaluates many computed targets with one
// metrics call per year and territory and one rounds call per year, scheme
// and territory, on both stores, with values computed by hand from the
// figures the fakes return.
func TestComputedTargetsBatched(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		apptest.New(t, db)
		ctx := context.Background()
		now := plan.YearStart(2026).AddDate(0, 5, 0)
		onTimeCalls, roundCalls := map[string]int{}, map[string]int{}
		svc := &plan.Service{Store: db, Now: func() time.Time { return now },
			OnTimeAll: func(_ context.Context, year int, territory string) (map[string]float64, error) {
				onTimeCalls[territory]++
				return map[string]float64{"320213.sanitation": 96.5, "320213022010.community": 80}, nil
			},
			Rounds: func(_ context.Context, year int, scheme, territory string) ([]plan.RoundResult, error) {
				roundCalls[scheme+"@"+territory]++
				return []plan.RoundResult{
					{Round: 1, Units: []plan.UnitResult{{Unit: "320213022010", Total: 92, Inspected: 3, Excellent: true},
						{Unit: "320213022003", Total: 81, Inspected: 3}, {Unit: "320213022003", Total: 100, Inspected: 0},
						{Unit: "320213023001", Total: 70, Inspected: 1, Insufficient: true}},
						Points: []plan.PointResult{{Unit: "320213022010", Type: "main_road", Inspected: true},
							{Unit: "320213022003", Type: "main_road", Inspected: true, Problems: 2},
							{Unit: "320213022003", Type: "back_street", Inspected: true},
							{Unit: "320213022003", Type: "main_road", Inspected: false}}},
					{Round: 2, Units: []plan.UnitResult{{Unit: "320213022010", Total: 97, Inspected: 2, Excellent: true},
						{Unit: "320213022003", Total: 90, Inspected: 2, Excellent: true}},
						Points: []plan.PointResult{{Unit: "320213022010", Type: "main_road", Inspected: true, Problems: 1}}},
				}, nil
			},
		}
		mk := func(unit, terr, source, scheme, ptype string) int64 {
			tg := plan.Target{Year: 2026, Unit: unit, Territory: terr, Name: source, Measure: plan.Percent, Direction: plan.Higher,
				Baseline: 50, Goal: 90, Due: plan.YearStart(2027), Source: source, Scheme: scheme, PointType: ptype, CreatedAt: plan.YearStart(2026)}
			if err := tg.Check(); err != nil {
				t.Fatal(err)
			}
			if err := db.CreateTarget(ctx, &tg); err != nil {
				t.Fatal(err)
			}
			return tg.ID
		}
		san1 := mk("320213.sanitation", "320213", plan.OnTime, "", "")
		san2 := mk("320213.sanitation", "320213", plan.OnTime, "", "")
		jialeOT := mk("320213022010.community", "320213022010", plan.OnTime, "", "")
		score := mk("320213.sanitation", "320213", plan.Score, "civic", "")
		excel := mk("320213.sanitation", "320213", plan.Excellence, "civic", "")
		clean := mk("320213.sanitation", "320213", plan.Clean, "civic", "main_road")
		jscore := mk("320213022010.community", "320213022010", plan.Score, "civic", "")
		other := mk("320213.sanitation", "320213", plan.Score, "other", "")

		sts, err := svc.Targets(ctx, auth.Actor{Role: auth.Admin}, 2026, "")
		if err != nil {
			t.Fatal(err)
		}
		// Three on-time targets in two territories: two calls. Five
		// assessment targets in three (scheme, territory) groups: three calls.
		if len(onTimeCalls) != 2 || onTimeCalls["320213"] != 1 || onTimeCalls["320213022010"] != 1 {
			t.Errorf("metrics calls %v", onTimeCalls)
		}
		if len(roundCalls) != 3 || roundCalls["civic@320213"] != 1 || roundCalls["civic@320213022010"] != 1 || roundCalls["other@320213"] != 1 {
			t.Errorf("rounds calls %v", roundCalls)
		}
		by := map[int64]plan.Status{}
		for _, s := range sts {
			by[s.ID] = s
		}
		v := func(id int64) any {
			if by[id].Value == nil {
				return nil
			}
			return *by[id].Value
		}
		// Each unit's own rate from the one call.
		if v(san1) != 96.5 || v(san2) != 96.5 || v(jialeOT) != 80.0 {
			t.Errorf("on-time %v %v %v", v(san1), v(san2), v(jialeOT))
		}
		// Scored results (not insufficient, inspected): 92, 81, 97, 90 → 90; excellent 3 of 4 = 75%.
		if v(score) != 90.0 || by[score].Sample != 4 || by[score].Rounds != 2 || v(excel) != 75.0 {
			t.Errorf("score %v (sample %d) excellence %v", v(score), by[score].Sample, v(excel))
		}
		// Inspected main roads: clean, 2 problems, 1 problem: 1 of 3 = 33.33%.
		if v(clean) != 33.33 || by[clean].Sample != 3 {
			t.Errorf("clean %v sample %d", v(clean), by[clean].Sample)
		}
		// 家乐 alone: 92 and 97 → 94.5.
		if v(jscore) != 94.5 {
			t.Errorf("家乐 score %v", v(jscore))
		}
		if v(other) != 90.0 {
			t.Errorf("other scheme %v", v(other))
		}
	})
}
