package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

func reportAt(t *testing.T, f *apptest.Fixture, category string, lon, lat float64) casework.Case {
	t.Helper()
	c, err := f.App.Cases.Report(context.Background(), f.Actors["inspector"], casework.ReportInput{
		Category: category, Description: "重复测试", Lon: &lon, Lat: &lat})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func candidateIDs(cs []app.Candidate) []int64 {
	var out []int64
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func sameIDs(a []int64, b ...int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDuplicates finds likely duplicates with the default rules (50 m, 72 h,
// same category, open), then merges, dismisses and unmerges. Distances are
// worked out by hand from the haversine formula (R = 6,371,008.8 m): 0.00027°
// of latitude is 30.02 m; at 31.52° N, 0.0005° of longitude is 47.39 m and
// 0.0006° is 56.87 m; the first two points are 56.10 m apart.
func TestDuplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		ctx := context.Background()
		a := f.App
		disp := f.Actors["dispatcher"]
		if app.Duplicates.Radius != 50 || app.Duplicates.Window != 72*time.Hour {
			t.Fatalf("default rules %+v", app.Duplicates)
		}
		c1 := reportAt(t, f, "E0102", 120.22, 31.52)
		c2 := reportAt(t, f, "E0102", 120.22, 31.52027) // 30.0 m north
		c3 := reportAt(t, f, "E0102", 120.2205, 31.52)  // 47.4 m east
		c4 := reportAt(t, f, "E0102", 120.2206, 31.52)  // 56.9 m: too far
		c5 := reportAt(t, f, "E0104", 120.22, 31.52)    // another category
		c6 := reportAt(t, f, "E0102", 120.22, 31.52)    // rejected below
		c7 := reportAt(t, f, "E0102", 120.22, 31.52)    // reported 73 hours earlier (below)
		c8 := reportAt(t, f, "E0102", 120.22001, 31.52) // 71 hours earlier: still inside the window
		if _, err := a.Cases.Act(ctx, disp, c6.ID, casework.Reject, casework.Input{Version: 1, Reason: "不属实"}); err != nil {
			t.Fatal(err)
		}
		for id, h := range map[int64]int{c7.ID: 73, c8.ID: 71} {
			if _, err := db.W.Exec(db.Q(`UPDATE cases SET created_at = ? WHERE id = ?`), c1.CreatedAt.Add(-time.Duration(h)*time.Hour).UnixMilli(), id); err != nil {
				t.Fatal(err)
			}
		}
		found, err := a.RecordDuplicates(ctx, c1)
		if err != nil {
			t.Fatal(err)
		}
		if !sameIDs(candidateIDs(found), c8.ID, c2.ID, c3.ID) {
			t.Fatalf("candidates of c1: %v, want c8 %d, c2 %d, c3 %d (nearest first)", candidateIDs(found), c8.ID, c2.ID, c3.ID)
		}
		if found[1].DistanceM != 30.0 || found[2].DistanceM != 47.4 || found[0].DistanceM != 0.9 {
			t.Errorf("distances %v %v %v, want 0.9, 30.0, 47.4", found[0].DistanceM, found[1].DistanceM, found[2].DistanceM)
		}
		_ = c4
		_ = c5
		var stored int
		db.R.QueryRow(`SELECT COUNT(*) FROM duplicate_candidates`).Scan(&stored)
		if stored != 3 {
			t.Errorf("%d candidates stored, want 3", stored)
		}
		v, err := a.Duplicates(ctx, disp, c2.ID)
		// c1 and c8 are both 30.0 m from c2 (ties go by id); c3 is 56.1 m away.
		if err != nil || !sameIDs(candidateIDs(v.Candidates), c1.ID, c8.ID) {
			t.Fatalf("view of c2: %v %+v", err, v)
		}

		// Refusals.
		for _, x := range []struct {
			name string
			err  error
			code xiuhua.Code
		}{
			{"into itself", func() error { _, err := a.Merge(ctx, disp, c2.ID, c2.ID, 1); return err }(), xiuhua.EUnprocessable},
			{"by an inspector", func() error { _, err := a.Merge(ctx, f.Actors["inspector"], c2.ID, c1.ID, 1); return err }(), xiuhua.EForbidden},
			{"into a closed case", func() error { _, err := a.Merge(ctx, disp, c2.ID, c6.ID, 1); return err }(), xiuhua.EConflict},
			{"out of the dispatcher's territory", func() error { _, err := a.Merge(ctx, f.Actors["dispatcher-jx"], c2.ID, c1.ID, 1); return err }(), xiuhua.ENotFound},
			{"stale version", func() error { _, err := a.Merge(ctx, disp, c2.ID, c1.ID, 7); return err }(), xiuhua.EConflict},
			{"unmerge what is not merged", func() error { _, err := a.Unmerge(ctx, disp, c2.ID); return err }(), xiuhua.EConflict},
		} {
			if xiuhua.ErrorCode(x.err) != x.code {
				t.Errorf("merge %s: %v, want %s", x.name, x.err, x.code)
			}
		}
		var links int
		db.R.QueryRow(`SELECT COUNT(*) FROM case_links`).Scan(&links)
		if links != 0 {
			t.Fatalf("%d links left by refused merges", links)
		}

		// Merge c2 into c1.
		m, err := a.Merge(ctx, disp, c2.ID, c1.ID, 1)
		if err != nil || m.State != casework.Rejected {
			t.Fatalf("merge: %v %+v", err, m)
		}
		_, evs, _ := a.Cases.Get(ctx, disp, c2.ID)
		if last := evs[len(evs)-1]; last.Action != casework.Reject || last.Data.Reason != "duplicate of case "+c1.Code()+" / 重复案件，已合并至案件 "+c1.Code() {
			t.Errorf("merge step: %+v", last)
		}
		v, _ = a.Duplicates(ctx, disp, c1.ID)
		if !sameIDs(candidateIDs(v.Merged), c2.ID) || !sameIDs(candidateIDs(v.Candidates), c8.ID, c3.ID) || v.Merged[0].DistanceM != 30.0 {
			t.Errorf("view of the master: %+v", v)
		}
		v, _ = a.Duplicates(ctx, disp, c2.ID)
		if v.MergedInto == nil || v.MergedInto.ID != c1.ID || len(v.Candidates) != 0 {
			t.Errorf("view of the merged report: %+v", v)
		}
		if _, err := a.Merge(ctx, disp, c3.ID, c2.ID, 1); xiuhua.ErrorCode(err) != xiuhua.EConflict {
			t.Errorf("merge into a merged (rejected) report: %v", err)
		}

		// Dismiss c3 as not a duplicate of c1, either way round.
		if err := a.DismissDuplicate(ctx, disp, c3.ID, c1.ID); err != nil {
			t.Fatal(err)
		}
		v, _ = a.Duplicates(ctx, disp, c1.ID)
		if !sameIDs(candidateIDs(v.Candidates), c8.ID) {
			t.Errorf("after dismissing c3: %v", candidateIDs(v.Candidates))
		}
		if err := a.DismissDuplicate(ctx, f.Actors["leader"], c8.ID, c1.ID); xiuhua.ErrorCode(err) != xiuhua.EForbidden {
			t.Errorf("a leader dismissing: %v", err)
		}

		// Unmerge: the report is restored as a new case that c2 follows.
		r, err := a.Unmerge(ctx, disp, c2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.State != casework.Reported || r.Category != "E0102" || r.Lat != 31.52027 || r.Lon != 120.22 || r.Source != casework.SourceInspector || r.Description != "重复测试" {
			t.Errorf("restored %+v", r)
		}
		v, _ = a.Duplicates(ctx, disp, c2.ID)
		if v.MergedInto != nil || v.FollowedBy == nil || v.FollowedBy.ID != r.ID {
			t.Errorf("after unmerge, c2: %+v", v)
		}
		v, _ = a.Duplicates(ctx, disp, c1.ID)
		if len(v.Merged) != 0 {
			t.Errorf("after unmerge, c1 still has %v merged", candidateIDs(v.Merged))
		}
		if _, err := a.Unmerge(ctx, disp, c2.ID); xiuhua.ErrorCode(err) != xiuhua.EConflict {
			t.Errorf("unmerge twice: %v", err)
		}
		if _, err := a.Duplicates(ctx, f.Actors["dispatcher-jx"], c1.ID); xiuhua.ErrorCode(err) != xiuhua.ENotFound {
			t.Errorf("out of territory: %v", err)
		}
		// Every link, unlink and dismissal is in the tamper-evident log, which still verifies.
		rep, err := db.VerifyAudit(ctx)
		if err != nil || len(rep.Problems) != 0 {
			t.Errorf("audit: %v %+v", err, rep.Problems)
		}
		var kinds []string
		rows, _ := db.R.Query(`SELECT kind FROM audit_log WHERE kind LIKE 'case.link%' OR kind = 'duplicate.dismiss' ORDER BY seq`)
		for rows.Next() {
			var k string
			rows.Scan(&k)
			kinds = append(kinds, k)
		}
		rows.Close()
		// The stale merge's link taken back, the merge, the dismissal, the unmerge's link.
		if got := strings.Join(kinds, ","); got != "case.link,case.link.undo,case.link,duplicate.dismiss,case.link" {
			t.Errorf("audited: %s", got)
		}
	})
}
