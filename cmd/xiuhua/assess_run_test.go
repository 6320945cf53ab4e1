package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
)

func facts(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.R.QueryRow(`SELECT COUNT(*) FROM assess_case_facts`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAssessRunUnitsWarm: "assess units import" defines management units;
// "assess run" plans a round with its seeded draw, prints the sample, and
// the same seed draws the same points again; "assess warm" and the server's
// background warm-up derive the per-case facts.
func TestAssessRunUnitsWarm(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XIUHUA_DATA", dir)
	t.Setenv("XIUHUA_DATABASE_URL", "")
	ctx := context.Background()
	db, err := store.Open(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := apptest.New(t, db)
	svc := f.App.AssessService()
	admin := f.Actors["admin"]
	sc := assess.Scheme{Code: "civic", Name: "考核办法", Level: "community", Indicators: []assess.Indicator{
		{Code: "road", Name: "道路", FullMarks: assess.FixedOf(60), PointTypes: []string{"main_road"}, Deductions: []assess.Deduction{{Points: assess.FixedOf(2)}}},
		{Code: "market", Name: "农贸市场", FullMarks: assess.FixedOf(40), PointTypes: []string{"market"}, Deductions: []assess.Deduction{{Points: assess.FixedOf(5)}}}}}
	if _, err := svc.PutScheme(ctx, admin, sc); err != nil {
		t.Fatal(err)
	}
	// 家乐: roads J1 J2 J3, market JM; 南苑: road N1; 金星: road X1 (a toilet is no indicator's: not drawn).
	for _, p := range []struct {
		code, typ string
		lon, lat  float64
	}{{"J1", "main_road", 120.21, 31.51}, {"J2", "main_road", 120.22, 31.52}, {"J3", "main_road", 120.23, 31.57}, {"JM", "market", 120.22, 31.56},
		{"N1", "main_road", 120.26, 31.51}, {"X1", "main_road", 120.32, 31.52}, {"XT", "toilet", 120.33, 31.52}} {
		if _, err := svc.PutPoint(ctx, admin, assess.PointInput{Code: p.code, Name: "点位" + p.code, Type: p.typ, Lon: &p.lon, Lat: &p.lat}); err != nil {
			t.Fatal(err)
		}
	}
	for _, pt := range [][2]float64{apptest.PointJiale1, apptest.PointNanyuan, apptest.PointJinxing} {
		if _, err := f.App.Cases.Report(ctx, f.Actors["inspector"], casework.ReportInput{Category: "E0104", Description: "问题", Lon: &pt[0], Lat: &pt[1]}); err != nil {
			t.Fatal(err)
		}
	}
	if n := facts(t, db); n != 0 {
		t.Fatalf("facts before warm-up: %d", n)
	}
	db.Close()

	// Management units from a file.
	units := filepath.Join(dir, "units.csv")
	os.WriteFile(units, []byte("code,name,parent,grids\nJL-N,家乐北,320213022010,32021302201002\nQMQ-S,清名桥南,320213022,32021302201001;32021302200301\n"), 0o600)
	out, err := runCmd(t, "assess", "units", "import", units)
	if err != nil || !strings.Contains(out, "imported 2 management units: 2 created, 0 updated") {
		t.Fatalf("units import: %v %q", err, out)
	}
	if out, err = runCmd(t, "assess", "units", "list"); err != nil || !strings.Contains(out, "QMQ-S") || !strings.Contains(out, "清名桥南") {
		t.Fatalf("units list: %v %q", err, out)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("code,name,parent,grids\nX,重叠,320213022,32021302200301\n"), 0o600)
	if _, err := runCmd(t, "assess", "units", "import", bad); xiuhua.ErrorCode(err) != xiuhua.EInvalid {
		t.Fatalf("a grid in two units: %v", err)
	}

	// A round: one point per community and type, seed 7. Strata: 家乐 main_road (3), 家乐 market (1),
	// 南苑 main_road (1), 金星 main_road (1): 4 points.
	out, err = runCmd(t, "assess", "run", "--period", "2026-10", "--per-type", "1", "--seed", "7")
	if err != nil || !strings.Contains(out, "round 1: 2026-10 月度考核, scheme civic v1, monthly 2026-10") || !strings.Contains(out, "seed 7, algorithm "+assess.SampleAlgorithm+": 4 points in 4 strata") {
		t.Fatalf("run: %v\n%s", err, out)
	}
	drawn := assess.Draw(7, "320213022010", "main_road", []string{"J1", "J2", "J3"}, 1)[0]
	for _, w := range []string{"家乐花园社区", "main_road 主次干道", drawn, "JM", "N1", "X1"} {
		if !strings.Contains(out, w) {
			t.Errorf("the sample lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "XT") {
		t.Errorf("a toilet was drawn:\n%s", out)
	}
	// The same seed draws the same points (a second round, recorded as such).
	out2, err := runCmd(t, "assess", "run", "--period", "2026-10", "--kind", "special", "--per-type", "1", "--seed", "7", "--territory", "320213022")
	if err != nil || !strings.Contains(out2, "round 2:") || !strings.Contains(out2, "3 points in 3 strata") || !strings.Contains(out2, drawn) {
		t.Fatalf("second run: %v\n%s", err, out2)
	}
	for _, c := range [][]string{{"--seed", "x"}, {"--period", "2026-13"}, {"--kind", "weekly"}} {
		args := append([]string{"assess", "run", "--period", "2026-10"}, c...)
		if _, err := runCmd(t, args...); xiuhua.ErrorCode(err) != xiuhua.EInvalid {
			t.Errorf("%v: %v", c, err)
		}
	}
	if _, err := runCmd(t, "assess", "run", "--period", "2026-10", "--scheme", "nope"); xiuhua.ErrorCode(err) != xiuhua.ENotFound {
		t.Errorf("unknown scheme: %v", err)
	}

	// Warm-up by hand: the three cases' facts are there.
	if out, err = runCmd(t, "assess", "warm"); err != nil || !strings.Contains(out, "derived the facts of 3 cases") {
		t.Fatalf("warm: %v %q", err, out)
	}
	a, err := (&storeFlags{data: dir}).open(ctx, logger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer a.DB.Close()
	r, err := a.DB.Round(ctx, 1)
	if err != nil || !reflect.DeepEqual(assess.Redraw(r), r.Strata) || r.Seed != 7 {
		t.Fatalf("stored round: %+v %v", r, err)
	}
	if n := facts(t, a.DB); n != 3 {
		t.Fatalf("facts after warm: %d", n)
	}
	// In the background at server start: a new case's facts appear without a metrics call.
	pt := apptest.PointJiale2
	if _, err := a.Cases.Report(ctx, f.Actors["inspector"], casework.ReportInput{Category: "E0104", Description: "新问题", Lon: &pt[0], Lat: &pt[1]}); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	warmInBackground(wctx, a, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for deadline := time.Now().Add(10 * time.Second); facts(t, a.DB) != 4; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("facts after the background warm-up: %d", facts(t, a.DB))
		}
	}
}
