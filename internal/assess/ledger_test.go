package assess_test

import (
	"context"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// world is the fixture on a simulated clock: every step happens at the time
// the test names.
type world struct {
	t   *testing.T
	f   *apptest.Fixture
	now time.Time
	svc *assess.Service
}

func newWorld(t *testing.T, db *store.DB) *world {
	w := &world{t: t, f: apptest.New(t, db)}
	w.f.App.Cases.Now = func() time.Time { return w.now }
	w.svc = &assess.Service{Store: db, Cases: w.f.App.Cases, Calendar: w.f.App.Calendar, Locate: w.f.App.Locate,
		Category: w.f.App.Category, Now: func() time.Time { return w.now },
		Area: func(code string) (territory.Area, bool) { return w.f.App.Territory().Area(code) }}
	return w
}

// at parses a Shanghai wall-clock time, "2026-10-12 09:00".
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Shanghai())
	if err != nil {
		panic(err)
	}
	return t
}

func (w *world) report(when, category string) casework.Case {
	w.t.Helper()
	w.now = at(when)
	pt := apptest.PointJiale1
	c, err := w.f.App.Cases.Report(context.Background(), w.f.Actors["inspector"], casework.ReportInput{
		Category: category, Description: "问题 " + when, Lon: &pt[0], Lat: &pt[1]})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) act(when, who string, c casework.Case, a casework.Action, in casework.Input) casework.Case {
	w.t.Helper()
	w.now = at(when)
	in.Version = c.Version
	switch a {
	case casework.Handle, casework.Verify:
		in.Attachments = []string{w.f.Photo(w.t, when+who)}
	case casework.Reject, casework.Return, casework.Suspend, casework.Extend:
		in.Reason = "理由"
	}
	next, err := w.f.App.Cases.Act(context.Background(), w.f.Actors[who], c.ID, a, in)
	if err != nil {
		w.t.Fatalf("%s by %s at %s: %v", a, who, when, err)
	}
	return next
}

var yes, no = true, false

// dispatched reports, registers and dispatches a case to a unit at one time.
func (w *world) dispatched(when, category, unit string) casework.Case {
	w.t.Helper()
	c := w.report(when, category)
	c = w.act(when, "dispatcher", c, casework.Register, casework.Input{})
	return w.act(when, "dispatcher", c, casework.Dispatch, casework.Input{Unit: unit})
}

// fix handles, verifies (passed) and closes a case at three times.
func (w *world) fix(c casework.Case, handled, verified, closed, handler string) casework.Case {
	w.t.Helper()
	c = w.act(handled, handler, c, casework.Handle, casework.Input{})
	c = w.act(verified, "inspector", c, casework.Verify, casework.Input{Passed: &yes})
	return w.act(closed, "dispatcher", c, casework.Close, casework.Input{})
}

func (w *world) metrics(period, by string) []assess.Metrics {
	w.t.Helper()
	p, err := assess.ParsePeriod(period)
	if err != nil {
		w.t.Fatal(err)
	}
	res, err := w.svc.Metrics(context.Background(), w.f.Actors["leader"], assess.MetricsQuery{Period: p, By: by})
	if err != nil {
		w.t.Fatal(err)
	}
	return res.Items
}

func (w *world) unit(period, unit string) *assess.Metrics {
	w.t.Helper()
	for _, m := range w.metrics(period, "unit") {
		if m.Key == unit {
			return &m
		}
	}
	return nil
}

func fx(v string) *assess.Fixed {
	if v == "" {
		return nil
	}
	f, err := assess.ParseFixed(v)
	if err != nil {
		panic(err)
	}
	return &f
}

// want compares metrics to expected counts and rates ("" = no data).
type want struct {
	due, onTime, overdue, handled, reworked, toClose, closed, closedOnTime int
	onTimeRate, reworkRate, closureRate, onTimeClosureRate, composite      string
}

func check(t *testing.T, label string, m *assess.Metrics, x want) {
	t.Helper()
	if m == nil {
		t.Fatalf("%s: no metrics", label)
	}
	got := want{m.Due, m.HandledOnTime, m.OverdueOpen, m.Handled, m.Reworked, m.ToClose, m.Closed, m.ClosedOnTime,
		str(m.OnTimeHandlingRate), str(m.ReworkRate), str(m.ClosureRate), str(m.OnTimeClosureRate), str(m.Composite)}
	if got != x {
		t.Errorf("%s:\n got %+v\nwant %+v", label, got, x)
	}
}

func str(f *assess.Fixed) string {
	if f == nil {
		return ""
	}
	return f.String()
}

const san = "320213.sanitation"

// TestWorkedExample reproduces standards.md §4's example through the real
// case loop. E0104 (dirty road) has a normal limit of 8 working hours:
// dispatched Monday 2026-10-12 09:00, every deadline is 18:00 the same day
// (09–12 is 3 h, 13–18 is 5 h).
func TestWorkedExample(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		var cs []casework.Case
		for i := 0; i < 10; i++ {
			cs = append(cs, w.dispatched("2026-10-12 09:00", "E0104", san))
		}
		if got := cs[0].Deadline; !got.Equal(at("2026-10-12 18:00")) {
			t.Fatalf("deadline %v, want 2026-10-12 18:00", got)
		}
		// 6 handled before the deadline, passed at once, closed before it.
		for i := 0; i < 6; i++ {
			w.fix(cs[i], "2026-10-12 10:00", "2026-10-12 11:00", "2026-10-12 12:00", "san")
		}
		// 1 handled, failed verification (返工), handled again, passed, closed: all before the deadline.
		c := w.act("2026-10-12 10:00", "san", cs[6], casework.Handle, casework.Input{})
		c = w.act("2026-10-12 11:00", "inspector", c, casework.Verify, casework.Input{Passed: &no})
		w.fix(c, "2026-10-12 14:00", "2026-10-12 15:00", "2026-10-12 16:00", "san")
		// 2 handled after the deadline, passed, closed in October.
		for i := 7; i < 9; i++ {
			w.fix(cs[i], "2026-10-13 10:00", "2026-10-13 11:00", "2026-10-13 12:00", "san")
		}
		// 1 never handled. Compute in November: October is over.
		w.now = at("2026-11-03 10:00")
		// due 10; on time 7 → 70.00 %; overdue open 1; handled 9, reworked 1 → 1/9 = 11.11 %;
		// to close 10 (all dispatched in October), closed 9 → 90.00 %, closed by the deadline 7 → 70.00 %;
		// composite = 0.4·7/10 + 0.3·9/10 + 0.2·8/9 + 0.1·9/10 = 0.28 + 0.27 + 0.17777… + 0.09
		//           = 0.81777… → 81.78.
		check(t, "环卫所 2026-10", w.unit("2026-10", san), want{10, 7, 1, 9, 1, 10, 9, 7, "70.00", "11.11", "90.00", "70.00", "81.78"})
		// The same cases seen by area: all are in 家乐花园社区 (PointJiale1), registered in October.
		areas := w.metrics("2026-10", "community")
		if len(areas) != 1 || areas[0].Key != "320213022010" {
			t.Fatalf("areas: %+v", areas)
		}
		check(t, "家乐花园 2026-10", &areas[0], want{10, 7, 1, 9, 1, 10, 9, 7, "70.00", "11.11", "90.00", "70.00", "81.78"})
		// The open case was counted in October; in November it is not counted again.
		if m := w.unit("2026-11", san); m != nil {
			t.Errorf("November: %+v, want nothing", m)
		}
		// No case at all in September: no metrics, not zeros.
		if ms := w.metrics("2026-09", "unit"); len(ms) != 0 {
			t.Errorf("September: %+v", ms)
		}
	})
}
