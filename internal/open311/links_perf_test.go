package open311

import (
	"context"
	"fmt"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestLinksOfLongList checks that linksOf answers a list longer than
// linksByRange (read by the ids' range) with the same links as asked case
// by case: those touching a case asked, none between two cases not asked
// even inside the range, in id order.
func TestLinksOfLongList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		ctx := context.Background()
		ins := make([]casework.ReportInput, 70)
		for i := range ins {
			lon, lat := apptest.PointJiale1[0], apptest.PointJiale1[1]
			ins[i] = casework.ReportInput{Category: "E0102", Description: fmt.Sprintf("链接用例 %d", i), Lon: &lon, Lat: &lat}
		}
		cs, errs, err := f.App.Cases.ReportBatch(ctx, f.Actors["inspector"], ins)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range errs {
			if e != nil {
				t.Fatal(e)
			}
		}
		id := func(i int) int64 { return cs[i].ID }
		// Links, in the order of their ids: follower → target.
		pairs := [][2]int{{1, 2}, {10, 20}, {69, 0}, {10, 11}}
		for _, p := range pairs {
			if _, err := db.W.ExecContext(ctx, db.Q(`INSERT INTO case_links (case_id, target_id, kind, actor_name, created_at) VALUES (?, ?, 'duplicate', 'test', 1)`),
				id(p[0]), id(p[1])); err != nil {
				t.Fatal(err)
			}
		}
		// Every case but 10 and 20 asked.
		var ids []int64
		for i := range cs {
			if i != 10 && i != 20 {
				ids = append(ids, id(i))
			}
		}
		if len(ids) <= linksByRange {
			t.Fatalf("%d ids do not take the range path", len(ids))
		}
		got, err := linksOf(ctx, db, ids)
		if err != nil {
			t.Fatal(err)
		}
		var pairsGot [][2]int64
		for _, l := range got {
			pairsGot = append(pairsGot, [2]int64{l.CaseID, l.TargetID})
		}
		want := [][2]int64{{id(1), id(2)}, {id(69), id(0)}, {id(10), id(11)}}
		if fmt.Sprint(pairsGot) != fmt.Sprint(want) {
			t.Errorf("links of 68 cases %v, want %v", pairsGot, want)
		}
		// The same as asking by name, a few at a time.
		var byName []link
		seen := map[int64]bool{}
		for i := 0; i < len(ids); i += linksByRange {
			part, err := linksOf(ctx, db, ids[i:min(i+linksByRange, len(ids))])
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range part {
				if !seen[l.ID] {
					seen[l.ID] = true
					byName = append(byName, l)
				}
			}
		}
		if fmt.Sprint(byName) != fmt.Sprint(got) {
			t.Errorf("by range %v, by name %v", got, byName)
		}
	})
}
