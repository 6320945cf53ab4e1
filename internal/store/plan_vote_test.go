package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/plan"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestPlanVoteRace: one browser's votes sent at once (a double click)
// count once, and the others are refused as votes already cast, not
// failed as errors; so do several browsers' behind one address.
func TestPlanVoteRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := apptest.New(t, db)
		at := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
		p := plan.Project{Name: "背街小巷", Kind: plan.BackAlley, Territory: "320213022", District: "320213", Milestones: []plan.Step{},
			Outputs: []plan.Output{}, Cases: []int64{}, CreatedBy: f.Actors["admin"].UserID, CreatedAt: at, UpdatedAt: at}
		if err := db.SaveProject(ctx, &p); err != nil {
			t.Fatal(err)
		}
		for round := range 5 {
			voter := fmt.Sprintf("voter-%d", round)
			const n = 12
			var wg sync.WaitGroup
			oks, errs := make([]bool, n), make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					oks[i], errs[i] = db.AddVote(ctx, p.ID, voter, fmt.Sprintf("ip-%d-%d", round, i), "satisfied", at, at.Add(-time.Hour))
				}()
			}
			wg.Wait()
			counted := 0
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("round %d: vote %d failed: %v", round, i, errs[i])
				}
				if oks[i] {
					counted++
				}
			}
			if counted != 1 {
				t.Fatalf("round %d: %d votes counted, want 1", round, counted)
			}
		}
		if c, err := db.PollCounts(ctx, p.ID); err != nil || c["satisfied"] != 5 {
			t.Fatalf("counts %v %v", c, err)
		}
		// Browsers behind one address voting at once: one counts.
		var wg sync.WaitGroup
		const n = 12
		oks, errs := make([]bool, n), make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				oks[i], errs[i] = db.AddVote(ctx, p.ID, fmt.Sprintf("browser-%d", i), "ip-shared", "unsatisfied", at, at.Add(-24*time.Hour))
			}()
		}
		wg.Wait()
		counted := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("vote %d from the shared address failed: %v", i, errs[i])
			}
			if oks[i] {
				counted++
			}
		}
		if counted != 1 {
			t.Fatalf("%d votes counted from one address at once, want 1", counted)
		}
	})
}
