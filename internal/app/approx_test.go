package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestApproxArea: an order placed by its address keeps the code of the area
// the address was matched to (the case's ApproxArea), in the ledger and in
// every read of it; an order with coordinates has none; the list and the
// desk filter on it; an unmerged report keeps it with its place.
func TestApproxArea(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		ctx := context.Background()
		rep, err := f.App.ImportHotline(ctx, f.Actors["dispatcher"], strings.NewReader(addressFile), false, nil)
		if err != nil || rep.Imported != 3 {
			t.Fatalf("import %+v %v", rep, err)
		}
		all, err := f.App.Cases.List(ctx, f.Actors["admin"], casework.Filter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		by := map[string]casework.Case{}
		for _, c := range all {
			by[c.ExternalRef] = c
		}
		want := map[string]string{"12345:GA001": "320213022010", "12345:GA004": "320213022003", "12345:GA005": ""}
		for ref, area := range want {
			c, ok := by[ref]
			if !ok || c.ApproxArea != area {
				t.Errorf("%s: approx area %q, want %q", ref, c.ApproxArea, area)
				continue
			}
			// One case read back, and the desk's read, say the same.
			one, err := db.Case(ctx, c.ID)
			if err != nil || one.ApproxArea != area {
				t.Errorf("%s read alone: %q %v", ref, one.ApproxArea, err)
			}
		}
		// The note in the description stays, for the older cases' sake.
		if !strings.HasSuffix(by["12345:GA001"].Description, "\n位置按地址定位至家乐花园社区（近似）") {
			t.Errorf("GA001's note: %q", by["12345:GA001"].Description)
		}
		yes, no := true, false
		refs := func(cs []casework.Case) string {
			var out []string
			for _, c := range cs {
				out = append(out, c.ExternalRef)
			}
			return strings.Join(out, ",")
		}
		// An inspector's case, with coordinates, is no approximate one either.
		lon, lat := apptest.PointJiale1[0], apptest.PointJiale1[1]
		mine, err := f.App.Cases.Report(ctx, f.Actors["inspector"], casework.ReportInput{Category: "E0102", Description: "清扬路暴露垃圾", Lon: &lon, Lat: &lat})
		if err != nil || mine.ApproxArea != "" {
			t.Fatalf("inspector's report: %+v %v", mine, err)
		}
		cs, err := f.App.Cases.List(ctx, f.Actors["admin"], casework.Filter{Approx: &yes, Limit: 10})
		if err != nil || refs(cs) != "12345:GA004,12345:GA001" {
			t.Errorf("approx=true: %s %v", refs(cs), err)
		}
		cs, err = f.App.Cases.List(ctx, f.Actors["admin"], casework.Filter{Approx: &no, Limit: 10})
		if err != nil || len(cs) != 2 || cs[0].ID != mine.ID || cs[1].ExternalRef != "12345:GA005" {
			t.Errorf("approx=false: %s %v", refs(cs), err)
		}
		// With the other filters: 家乐花园 only.
		cs, err = f.App.Cases.List(ctx, f.Actors["admin"], casework.Filter{Approx: &yes, Territory: "320213022010", Limit: 10})
		if err != nil || refs(cs) != "12345:GA001" {
			t.Errorf("approx=true in 家乐花园: %s %v", refs(cs), err)
		}
		df := store.DeskFilter{Territory: "320213", Approx: &yes, States: []casework.State{casework.Reported}}
		dcs, err := db.DeskCases(ctx, df)
		if err != nil || refs(dcs) != "12345:GA004,12345:GA001" || dcs[0].ApproxArea != "320213022003" {
			t.Errorf("desk approx: %s %v", refs(dcs), err)
		}
		if n, err := db.DeskCount(ctx, df); err != nil || n != 2 {
			t.Errorf("desk count approx: %d %v", n, err)
		}
		counts, _, err := db.DeskCounts(ctx, df)
		if err != nil || counts[casework.Reported] != 2 {
			t.Errorf("desk counts approx: %v %v", counts, err)
		}
		df.Approx = &no
		if n, err := db.DeskCount(ctx, df); err != nil || n != 2 {
			t.Errorf("desk count exact: %d %v", n, err)
		}
		// An action rewrites the case row and keeps the field.
		ga1 := by["12345:GA001"]
		ga1, err = f.App.Cases.Act(ctx, f.Actors["dispatcher"], ga1.ID, casework.Register, casework.Input{Version: ga1.Version})
		if err != nil || ga1.ApproxArea != "320213022010" {
			t.Fatalf("register: %q %v", ga1.ApproxArea, err)
		}
		if got, _ := db.Case(ctx, ga1.ID); got.ApproxArea != "320213022010" || got.State != casework.Registered {
			t.Errorf("after register: %q %s", got.ApproxArea, got.State)
		}
		// A merged report restored by unmerge keeps its approximate place.
		ga4 := by["12345:GA004"]
		if _, err := f.App.Merge(ctx, f.Actors["dispatcher"], ga4.ID, mine.ID, ga4.Version); err != nil {
			t.Fatal(err)
		}
		restored, err := f.App.Unmerge(ctx, f.Actors["dispatcher"], ga4.ID)
		if err != nil || restored.ApproxArea != "320213022003" || restored.Lon != ga4.Lon {
			t.Errorf("restored: %q %v", restored.ApproxArea, err)
		}
	})
}
