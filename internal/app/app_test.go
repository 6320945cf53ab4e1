package app_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

func report(t *testing.T, f *apptest.Fixture, who string, pt [2]float64) casework.Case {
	t.Helper()
	c, err := f.App.Cases.Report(context.Background(), f.Actors[who], casework.ReportInput{
		Category: "E0102", Description: "暴露垃圾", Lon: &pt[0], Lat: &pt[1]})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func act(t *testing.T, f *apptest.Fixture, who string, c casework.Case, a casework.Action, in casework.Input) casework.Case {
	t.Helper()
	in.Version = c.Version
	next, err := f.App.Cases.Act(context.Background(), f.Actors[who], c.ID, a, in)
	if err != nil {
		t.Fatalf("%s by %s: %v", a, who, err)
	}
	return next
}

// TestLoopOnStore runs the whole loop, rework included, and checks that every
// step is kept with its actor and evidence.
func TestLoopOnStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		ctx := context.Background()
		c := report(t, f, "inspector", apptest.PointJiale1)
		if c.Grid != "32021302201001" || c.Community != "320213022010" || c.Street != "320213022" || c.District != "320213" {
			t.Fatalf("located at %s/%s/%s/%s", c.District, c.Street, c.Community, c.Grid)
		}
		before, after := f.Photo(t, "before"), f.Photo(t, "after")
		yes, no := true, false
		c = act(t, f, "dispatcher", c, casework.Register, casework.Input{})
		c = act(t, f, "dispatcher", c, casework.Dispatch, casework.Input{Unit: "320213.sanitation"})
		if c.Deadline.IsZero() {
			t.Fatal("no deadline after dispatch")
		}
		c = act(t, f, "san", c, casework.Handle, casework.Input{Note: "cleared", Attachments: []string{after}})
		c = act(t, f, "inspector", c, casework.Verify, casework.Input{Passed: &no, Note: "still dirty", Attachments: []string{before}})
		if c.State != casework.Dispatched || c.ReworkCount != 1 {
			t.Fatalf("after failed verification: %s rework %d", c.State, c.ReworkCount)
		}
		c = act(t, f, "san", c, casework.Handle, casework.Input{Note: "cleared again", Attachments: []string{after}})
		c = act(t, f, "inspector", c, casework.Verify, casework.Input{Passed: &yes, Attachments: []string{after, before}})
		c = act(t, f, "dispatcher", c, casework.Close, casework.Input{})
		got, evs, err := f.App.Cases.Get(ctx, f.Actors["leader"], c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != casework.Closed || got.Version != 8 || got.ClosedAt.IsZero() || got.ReworkCount != 1 {
			t.Fatalf("stored case: %+v", got)
		}
		wantActions := []casework.Action{"report", "register", "dispatch", "handle", "verify", "handle", "verify", "close"}
		if len(evs) != len(wantActions) {
			t.Fatalf("%d events, want %d", len(evs), len(wantActions))
		}
		for i, ev := range evs {
			if ev.Action != wantActions[i] || ev.Seq != i+1 || ev.ActorID == 0 || ev.At.IsZero() {
				t.Errorf("event %d: %+v", i, ev)
			}
		}
		if evs[2].Data.Unit != "320213.sanitation" || evs[2].Data.Deadline == nil {
			t.Errorf("dispatch event lost its unit or deadline: %+v", evs[2].Data)
		}
		if len(evs[6].Attachments) != 2 || evs[6].Attachments[0] != after || evs[6].Attachments[1] != before {
			t.Errorf("verify attachments %v", evs[6].Attachments)
		}
		if evs[4].Data.Passed == nil || *evs[4].Data.Passed || evs[4].Note != "still dirty" {
			t.Errorf("failed verification not kept: %+v", evs[4])
		}
	})
}

func TestIllegalActionChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		ctx := context.Background()
		c := report(t, f, "inspector", apptest.PointNanyuan)
		_, err := f.App.Cases.Act(ctx, f.Actors["dispatcher"], c.ID, casework.Close, casework.Input{Version: c.Version})
		if xiuhua.ErrorCode(err) != xiuhua.EConflict {
			t.Fatalf("close a reported case: %v", err)
		}
		got, evs, _ := f.App.Cases.Get(ctx, f.Actors["dispatcher"], c.ID)
		if got.State != casework.Reported || got.Version != 1 || len(evs) != 1 {
			t.Fatalf("changed: %+v, %d events", got, len(evs))
		}
	})
}

// TestParallelDispatch: many dispatchers act on the same version at once;
// exactly one wins, the rest get a conflict, and one event is written.
func TestParallelDispatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		ctx := context.Background()
		c := report(t, f, "inspector", apptest.PointJiale2)
		c = act(t, f, "dispatcher", c, casework.Register, casework.Input{})
		const n = 16
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				unit := "320213.sanitation"
				if i%2 == 1 {
					unit = "320213022010.community"
				}
				_, errs[i] = f.App.Cases.Act(ctx, f.Actors["dispatcher"], c.ID, casework.Dispatch, casework.Input{Version: c.Version, Unit: unit})
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch xiuhua.ErrorCode(err) {
			case "":
				wins++
			case xiuhua.EConflict:
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		_, evs, _ := f.App.Cases.Get(ctx, f.Actors["dispatcher"], c.ID)
		if wins != 1 || len(evs) != 3 {
			t.Fatalf("%d winners, %d events; want 1 and 3", wins, len(evs))
		}
	})
}

// TestScoping: a community handler cannot see another community's case; a
// street dispatcher cannot see or act outside the street; lists are scoped.
func TestScoping(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		ctx := context.Background()
		jiale := report(t, f, "inspector", apptest.PointJiale1)
		nanyuan := report(t, f, "inspector", apptest.PointNanyuan)
		jinxing := report(t, f, "inspector", apptest.PointJinxing)

		if _, _, err := f.App.Cases.Get(ctx, f.Actors["jiale"], nanyuan.ID); xiuhua.ErrorCode(err) != xiuhua.ENotFound {
			t.Errorf("jiale handler reads nanyuan's case: %v", err)
		}
		if _, _, err := f.App.Cases.Get(ctx, f.Actors["jiale"], jiale.ID); err != nil {
			t.Errorf("jiale handler cannot read its own community's case: %v", err)
		}
		if _, err := f.App.Cases.Act(ctx, f.Actors["dispatcher-jx"], jiale.ID, casework.Register, casework.Input{Version: 1}); xiuhua.ErrorCode(err) != xiuhua.ENotFound {
			t.Errorf("金星 dispatcher acts on 清名桥's case: %v", err)
		}
		list := func(who, territory string) []int64 {
			cs, err := f.App.Cases.List(ctx, f.Actors[who], casework.Filter{Territory: territory})
			if err != nil {
				t.Fatalf("%s list %s: %v", who, territory, err)
			}
			var ids []int64
			for _, c := range cs {
				ids = append(ids, c.ID)
			}
			return ids
		}
		if got := list("dispatcher-jx", ""); len(got) != 1 || got[0] != jinxing.ID {
			t.Errorf("金星 dispatcher lists %v", got)
		}
		if got := list("nanyuan", ""); len(got) != 1 || got[0] != nanyuan.ID {
			t.Errorf("南苑 handler lists %v", got)
		}
		if got := list("dispatcher", ""); len(got) != 3 {
			t.Errorf("district dispatcher lists %v", got)
		}
		if got := list("dispatcher", "320213022"); len(got) != 2 {
			t.Errorf("district dispatcher filtered to 清名桥 lists %v", got)
		}
		if _, err := f.App.Cases.List(ctx, f.Actors["dispatcher-jx"], casework.Filter{Territory: "320213022"}); xiuhua.ErrorCode(err) != xiuhua.EForbidden {
			t.Errorf("金星 dispatcher filtering on 清名桥: %v", err)
		}
		// An inspector of 清名桥 cannot report in 金星.
		lon, lat := apptest.PointJinxing[0], apptest.PointJinxing[1]
		_, err := f.App.Cases.Report(ctx, f.Actors["inspector2"], casework.ReportInput{Category: "E0102", Description: "x", Lon: &lon, Lat: &lat})
		if xiuhua.ErrorCode(err) != xiuhua.EForbidden {
			t.Errorf("report outside scope: %v", err)
		}
	})
}

func TestReportRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		ctx := context.Background()
		lon, lat := apptest.PointOutside[0], apptest.PointOutside[1]
		_, err := f.App.Cases.Report(ctx, f.Actors["inspector"], casework.ReportInput{Category: "E0102", Description: "x", Lon: &lon, Lat: &lat})
		if xiuhua.ErrorCode(err) != xiuhua.EUnprocessable || !strings.Contains(xiuhua.AsError(err).MessageZh, "单元网格") {
			t.Errorf("outside every grid: %v", err)
		}
		lon, lat = apptest.PointJiale1[0], apptest.PointJiale1[1]
		_, err = f.App.Cases.Report(ctx, f.Actors["inspector"], casework.ReportInput{Category: "E9999", Description: "x", Lon: &lon, Lat: &lat})
		if xiuhua.ErrorCode(err) != xiuhua.EUnprocessable {
			t.Errorf("unknown category: %v", err)
		}
		_, err = f.App.Cases.Report(ctx, f.Actors["inspector"], casework.ReportInput{Category: "E0102", Lon: &lon})
		if e := xiuhua.AsError(err); e.Code != xiuhua.EInvalid || len(e.Details) != 2 {
			t.Errorf("missing lat and description: %v", err)
		}
		_, err = f.App.Cases.Report(ctx, f.Actors["inspector"], casework.ReportInput{Category: "E0102", Description: "x", Lon: &lon, Lat: &lat, Attachments: []string{strings.Repeat("a", 64)}})
		if xiuhua.ErrorCode(err) != xiuhua.EUnprocessable {
			t.Errorf("unknown attachment: %v", err)
		}
		cs, _ := f.App.Cases.List(ctx, f.Actors["admin"], casework.Filter{})
		if len(cs) != 0 {
			t.Errorf("refused reports left %d cases", len(cs))
		}
	})
}

// TestImportRejectsWhole: a bad territory file changes nothing, on either store.
func TestImportRejectsWhole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		ctx := context.Background()
		before, _ := db.CountAreas(ctx)
		bad := `{"type":"FeatureCollection","features":[
			{"type":"Feature","properties":{"code":"320213024","name":"新街道","level":"street","parent_code":"320213"},"geometry":{"type":"Polygon","coordinates":[[[120.4,31.5],[120.5,31.5],[120.5,31.6],[120.4,31.5]]]}},
			{"type":"Feature","properties":{"code":"320299001","name":"孤儿街道","level":"street","parent_code":"320299"},"geometry":{"type":"Polygon","coordinates":[[[120.4,31.5],[120.5,31.5],[120.5,31.6],[120.4,31.5]]]}}]}`
		_, _, err := f.App.ImportTerritory(ctx, []byte(bad))
		e := xiuhua.AsError(err)
		if e.Code != xiuhua.EInvalid || len(e.Details) == 0 || !strings.Contains(strings.Join(e.Details, "\n"), "feature 2 (code 320299001)") {
			t.Fatalf("import with an unknown parent: %v %v", err, e.Details)
		}
		after, _ := db.CountAreas(ctx)
		if after["street"] != before["street"] || f.App.Territory().Len() != 10 {
			t.Errorf("rejected import changed the territory: %v → %v", before, after)
		}
	})
}

func TestCategoryInUseIsNeverDeleted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		ctx := context.Background()
		report(t, f, "inspector", apptest.PointJiale1)
		if err := f.App.DeleteCategory(ctx, f.Actors["admin"], "E0102"); xiuhua.ErrorCode(err) != xiuhua.EConflict {
			t.Errorf("deleting a category in use: %v", err)
		}
		if err := f.App.DeleteCategory(ctx, f.Actors["dispatcher"], "E0103"); xiuhua.ErrorCode(err) != xiuhua.EForbidden {
			t.Errorf("a dispatcher deleting: %v", err)
		}
		if err := f.App.DeleteCategory(ctx, f.Actors["admin"], "E0103"); err != nil {
			t.Errorf("deleting an unused category: %v", err)
		}
		c, _ := f.App.Category("E0102")
		c.Enabled = false
		if err := f.App.PutCategory(ctx, f.Actors["admin"], c); err != nil {
			t.Fatal(err)
		}
		lon, lat := apptest.PointJiale1[0], apptest.PointJiale1[1]
		if _, err := f.App.Cases.Report(ctx, f.Actors["inspector"], casework.ReportInput{Category: "E0102", Description: "x", Lon: &lon, Lat: &lat}); xiuhua.ErrorCode(err) != xiuhua.EUnprocessable {
			t.Errorf("report in a disabled category: %v", err)
		}
	})
}
