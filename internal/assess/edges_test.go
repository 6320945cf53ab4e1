package assess_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

const (
	jiale   = "320213022010.community"
	nanyuan = "320213022003.community"
	jinxing = "320213023.street_office"
)

// dispatchedAt is dispatched() at a point inside the unit's area.
func (w *world) dispatchedAt(when, unit string, pt [2]float64) casework.Case {
	w.t.Helper()
	w.now = at(when)
	c, err := w.f.App.Cases.Report(context.Background(), w.f.Actors["inspector"], casework.ReportInput{
		Category: "E0104", Description: "道路不洁", Lon: &pt[0], Lat: &pt[1]})
	if err != nil {
		w.t.Fatal(err)
	}
	c = w.act(when, "dispatcher", c, casework.Register, casework.Input{})
	return w.act(when, "dispatcher", c, casework.Dispatch, casework.Input{Unit: unit})
}

// TestMetricsEdges: a case dispatched in one period and closed in the next, a
// reworked case, extended deadlines (one extended after its deadline was
// counted), an open case counted in an earlier period, no cases at all, and
// the inspector's figures. All cases are E0104 (8 working hours).
func TestMetricsEdges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// D (金星街道办): dispatched Mon 09-28 09:00, due 18:00, never handled.
		w.dispatchedAt("2026-09-28 09:00", jinxing, apptest.PointJinxing)
		// A (家乐花园): dispatched Fri 10-30 16:00: 2 h that day, Sat 10-31 and Sun 11-01 off,
		// 6 h on Mon 11-02 (09–12, 13–16): due Mon 11-02 16:00.
		a := w.dispatchedAt("2026-10-30 16:00", jiale, apptest.PointJiale1)
		if !a.Deadline.Equal(at("2026-11-02 16:00")) {
			t.Fatalf("A deadline %v", a.Deadline)
		}
		// B (南苑): two cases dispatched Mon 10-12 09:00, due 18:00. B1 handled 10:00, failed
		// verification 11:00 (返工), not handled again in October. B2 handled 10:00 (on time),
		// verified Tue 10-13 10:00 (late: due 12:00 the day before), closed 11:00 (after its deadline).
		b1 := w.dispatchedAt("2026-10-12 09:00", nanyuan, apptest.PointNanyuan)
		b2 := w.dispatchedAt("2026-10-12 09:00", nanyuan, apptest.PointNanyuan)
		b1 = w.act("2026-10-12 10:00", "nanyuan", b1, casework.Handle, casework.Input{})
		b1 = w.act("2026-10-12 11:00", "inspector", b1, casework.Verify, casework.Input{Passed: &no})
		w.fix(b2, "2026-10-12 10:00", "2026-10-13 10:00", "2026-10-13 11:00", "nanyuan")
		// C (环卫处): C1 dispatched Thu 10-29 09:00, due 18:00; 8 h more asked 16:00 and approved
		// 17:00: due Fri 10-30 18:00; handled 10-30 17:00, verified 17:30, closed 17:45 — all on
		// time only thanks to the extension. C2 dispatched Fri 10-30 09:00, due 18:00, not
		// handled in October; extended after the fact in November (below).
		c1 := w.dispatchedAt("2026-10-29 09:00", san, apptest.PointJiale1)
		c1 = w.act("2026-10-29 16:00", "san", c1, casework.Extend, casework.Input{Hours: 8})
		// The reason's quotes and backslash make its event data take encoding/json's path, not the fast one.
		c1 = w.act("2026-10-29 17:00", "dispatcher", c1, casework.ApproveExtension, casework.Input{Approved: &yes, Reason: `同意"延期"\ 8h`})
		if !c1.Deadline.Equal(at("2026-10-30 18:00")) {
			t.Fatalf("C1 extended deadline %v", c1.Deadline)
		}
		w.fix(c1, "2026-10-30 17:00", "2026-10-30 17:30", "2026-10-30 17:45", "san")
		c2 := w.dispatchedAt("2026-10-30 09:00", san, apptest.PointJiale1)
		// One report rejected, one still waiting to be registered at the end of October.
		r := w.report("2026-10-20 10:00", "E0104")
		w.act("2026-10-20 11:00", "dispatcher", r, casework.Reject, casework.Input{})
		w.report("2026-10-31 10:00", "E0104")

		// Look at October from 11-01 08:00, before anything happens in November.
		w.now = at("2026-11-01 08:00")
		october := w.metrics("2026-10", "unit")
		// A: due 0 (its deadline is in November), to close 1 (dispatched in October), closed 0:
		// closure 0/1 = 0.00 %, on-time closure 0.00 %; handling rates no data; the composite
		// has the closure term only: 3000·0 / 3000 → 0.00.
		check(t, "A 2026-10", find(october, jiale), want{0, 0, 0, 0, 0, 1, 0, 0, "", "", "0.00", "0.00", "0.00"})
		// B: due 2, on time 1 (B2), overdue open 1 (B1), handled 2, reworked 1, to close 2, closed 1,
		// closed on time 0 → 50.00, 50.00, 50.00, 0.00; composite 0.4·½ + 0.3·½ + 0.2·½ + 0.1·½ = 50.00.
		check(t, "B 2026-10", find(october, nanyuan), want{2, 1, 1, 2, 1, 2, 1, 0, "50.00", "50.00", "50.00", "0.00", "50.00"})
		// C: due 2 (C1 under its extended deadline, C2), on time 1, overdue open 1, handled 1,
		// reworked 0, to close 2, closed 1 on time → 50.00, 0.00, 50.00, 50.00;
		// composite 0.4·½ + 0.3·½ + 0.2·1 + 0.1·½ = 0.2 + 0.15 + 0.2 + 0.05 = 60.00.
		check(t, "C 2026-10", find(october, san), want{2, 1, 1, 1, 0, 2, 1, 1, "50.00", "0.00", "50.00", "50.00", "60.00"})
		// D was counted in September and not again in October.
		if m := find(october, jinxing); m != nil {
			t.Errorf("D counted again in October: %+v", m)
		}
		// D in September: due 1, overdue open 1, to close 1, nothing handled or closed:
		// on-time 0.00, rework no data, closure 0.00, on-time closure 0.00; composite over the
		// terms with data (4000·0 + 3000·0 + 1000·0) / 8000 = 0.00.
		check(t, "D 2026-09", find(w.metrics("2026-09", "unit"), jinxing), want{1, 0, 1, 0, 0, 1, 0, 0, "0.00", "", "0.00", "0.00", "0.00"})
		// No case anywhere in August: no rows, not rows of zeros.
		if ms := w.metrics("2026-08", "unit"); len(ms) != 0 {
			t.Errorf("August: %+v", ms)
		}
		// Inspector: reports in October A, B1, B2, C1, C2, the rejected and the pending one = 7,
		// registered 5 → 5/7 = 71.43 %. Verifications in October: B1's (11:00, handled 10:00:
		// on time), B2's (10-13 10:00; due 10-12 12:00: late), C1's (17:30, handled 17:00: 2 working
		// hours run to Mon 11-02 10:00: on time) → 2/3 = 66.67 %.
		p, _ := assess.ParsePeriod("2026-10")
		res, err := w.svc.Metrics(context.Background(), w.f.Actors["leader"], assess.MetricsQuery{Period: p, By: "inspector"})
		if err != nil {
			t.Fatal(err)
		}
		insp := w.f.Actors["inspector"].UserID
		if len(res.Inspectors) != 1 || res.Inspectors[0].Inspector != insp {
			t.Fatalf("inspectors: %+v", res.Inspectors)
		}
		im := res.Inspectors[0]
		if im.Reports != 7 || im.Registered != 5 || str(im.ReportAccuracy) != "71.43" ||
			im.Verifications != 3 || im.VerifiedOnTime != 2 || str(im.OnTimeVerificationRt) != "66.67" {
			t.Errorf("inspector October: %+v (accuracy %s, on-time %s)", im, str(im.ReportAccuracy), str(im.OnTimeVerificationRt))
		}

		// November. A handled Mon 11-02 10:00 (before 16:00), verified 11:00, closed 12:00.
		w.fix(a, "2026-11-02 10:00", "2026-11-02 11:00", "2026-11-02 12:00", "jiale")
		// C2: 16 h more approved Mon 11-02 10:00: from Fri 10-30 18:00, 8 h on Mon 11-02 and 8 h
		// on Tue 11-03 → due 11-03 18:00; handled 11-03 10:00, verified 11:00, closed 12:00.
		c2 = w.act("2026-11-02 09:30", "san", c2, casework.Extend, casework.Input{Hours: 16})
		c2 = w.act("2026-11-02 10:00", "dispatcher", c2, casework.ApproveExtension, casework.Input{Approved: &yes, Reason: `补批"延期"`})
		if !c2.Deadline.Equal(at("2026-11-03 18:00")) {
			t.Fatalf("C2 extended deadline %v", c2.Deadline)
		}
		w.fix(c2, "2026-11-03 10:00", "2026-11-03 11:00", "2026-11-03 12:00", "san")
		// B1 handled again and closed in November.
		w.fix(b1, "2026-11-04 10:00", "2026-11-04 11:00", "2026-11-04 12:00", "nanyuan")
		w.now = at("2026-12-01 09:00")

		// October recomputed after all that is the same, bit for bit: only events before
		// its end count.
		if again := w.metrics("2026-10", "unit"); !reflect.DeepEqual(again, october) {
			t.Errorf("October changed after November's events:\n was %+v\n now %+v", october, again)
		}
		november := w.metrics("2026-11", "unit")
		// A in November: due 1, on time 1, handled 1, to close 0 (dispatched in October) →
		// on-time 100.00, rework 0.00, closure no data; composite (4000·1 + 2000·1 + 1000·1) / 7000 = 100.00.
		check(t, "A 2026-11", find(november, jiale), want{1, 1, 0, 1, 0, 0, 0, 0, "100.00", "0.00", "", "", "100.00"})
		// C2 and B1 were counted in October: not again, though C2's deadline moved into November.
		for _, u := range []string{san, nanyuan, jinxing} {
			if m := find(november, u); m != nil {
				t.Errorf("%s counted in November: %+v", u, m)
			}
		}
	})
}

func find(ms []assess.Metrics, key string) *assess.Metrics {
	for i := range ms {
		if ms[i].Key == key {
			return &ms[i]
		}
	}
	return nil
}
