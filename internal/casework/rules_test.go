package casework

import (
	"testing"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/calendar"
)

var (
	cal        = calendar.Default()
	cst        = calendar.Shanghai()
	dispatcher = auth.Actor{UserID: 1, Username: "d", Role: auth.Dispatcher, Scope: "320213"}
	handler    = auth.Actor{UserID: 2, Username: "h", Role: auth.Handler, Unit: "U1", Scope: "320213"}
	inspector  = auth.Actor{UserID: 3, Username: "i", Role: auth.Inspector, Scope: "320213"}
	yes, no    = true, false
)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

// caseIn builds a case standing in state s with what that state implies.
func caseIn(s State) Case {
	c := Case{ID: 7, State: s, Version: 3, Category: "E0102", Grid: "32021302201001", Urgency: "normal"}
	switch s {
	case Dispatched, Handled, Verified, Closed:
		c.Unit, c.Deadline = "U1", at("2026-11-20 17:00")
	case Suspended:
		c.Unit, c.Deadline, c.SuspendedFrom, c.Remaining = "U1", at("2026-11-20 17:00"), Dispatched, 3*time.Hour
	}
	if s == Handled || s == Verified || s == Closed {
		c.HandlerID = handler.UserID
	}
	return c
}

// TestEveryActionFromEveryState walks the whole table: each action from each
// state either moves the case as the loop says or answers conflict and
// changes nothing.
func TestEveryActionFromEveryState(t *testing.T) {
	// The expected next state for each legal (action, state); absent means illegal.
	legal := map[Action]map[State]State{
		Register:         {Reported: Registered},
		Reject:           {Reported: Rejected},
		Dispatch:         {Registered: Dispatched},
		Return:           {Dispatched: Registered},
		Handle:           {Dispatched: Handled},
		Verify:           {Handled: Verified},
		Close:            {Verified: Closed},
		Extend:           {Dispatched: Dispatched},
		ApproveExtension: {Dispatched: Dispatched},
		Suspend:          {Registered: Suspended, Dispatched: Suspended},
		Resume:           {Suspended: Dispatched},
	}
	who := map[Action]auth.Actor{Register: dispatcher, Reject: dispatcher, Dispatch: dispatcher, Return: handler, Handle: handler,
		Verify: inspector, Close: dispatcher, Extend: handler, ApproveExtension: dispatcher, Suspend: dispatcher, Resume: dispatcher}
	input := map[Action]Input{
		Reject: {Reason: "duplicate"}, Dispatch: {Unit: "U1"}, Return: {Reason: "not ours"},
		Handle: {Attachments: []string{"p1"}}, Verify: {Passed: &yes, Attachments: []string{"p2"}},
		Extend: {Reason: "needs parts", Hours: 8}, ApproveExtension: {Approved: &yes}, Suspend: {Reason: "waits for a project"},
	}
	env := Env{Now: at("2026-11-18 10:00"), Clock: cal, Limit: 8 * time.Hour, Target: &Unit{Code: "U1", Scope: "320213", Enabled: true}}
	n := 0
	for _, a := range Actions {
		for _, s := range States {
			c := caseIn(s)
			if a == ApproveExtension {
				c.ExtensionHours = 8
			}
			in := input[a]
			in.Version = c.Version
			next, ev, err := Apply(c, who[a], a, in, env)
			want, ok := legal[a][s]
			n++
			if !ok {
				if xiuhua.ErrorCode(err) != xiuhua.EConflict {
					t.Errorf("%s from %s: got %v, want conflict", a, s, err)
				}
				if next != c {
					t.Errorf("%s from %s: case changed on error", a, s)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s from %s: %v", a, s, err)
				continue
			}
			if next.State != want || ev.From != s || ev.To != want || ev.Action != a || next.Version != c.Version+1 {
				t.Errorf("%s from %s: got state %s event %s→%s v%d", a, s, next.State, ev.From, ev.To, next.Version)
			}
			if ev.ActorID != who[a].UserID || !ev.At.Equal(env.Now) {
				t.Errorf("%s: event actor/time not recorded: %+v", a, ev)
			}
		}
	}
	if n != len(Actions)*len(States) {
		t.Fatalf("covered %d pairs", n)
	}
}

func TestDispatchDeadlineInWorkingTime(t *testing.T) {
	c := caseIn(Registered)
	// Dispatched Wednesday 30 September 2026 at 16:00 with 8 working hours:
	// 2 h that day, National Day 1–7 October off, 6 h on Thursday 8 October → 15:00+1h lunch = 16:00.
	env := Env{Now: at("2026-09-30 16:00"), Clock: cal, Limit: 8 * time.Hour, Target: &Unit{Code: "U1", Scope: "3202", Enabled: true}}
	next, ev, err := Apply(c, dispatcher, Dispatch, Input{Version: 3, Unit: "U1"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if want := at("2026-10-08 16:00"); !next.Deadline.Equal(want) || !ev.Data.Deadline.Equal(want) {
		t.Errorf("deadline %v, want %v", next.Deadline.In(cst), want)
	}
	// Clock-hour categories (emergencies) ignore the holiday.
	env.ClockTime, env.Limit = true, 2*time.Hour
	next, _, _ = Apply(c, dispatcher, Dispatch, Input{Version: 3, Unit: "U1"}, env)
	if want := at("2026-09-30 18:00"); !next.Deadline.Equal(want) {
		t.Errorf("clock deadline %v, want %v", next.Deadline.In(cst), want)
	}
}

func TestDispatchRefusesWrongUnit(t *testing.T) {
	c := caseIn(Registered)
	for name, u := range map[string]*Unit{
		"unknown":         nil,
		"disabled":        {Code: "U1", Scope: "320213", Enabled: false},
		"other territory": {Code: "U9", Scope: "320211", Enabled: true},
	} {
		_, _, err := Apply(c, dispatcher, Dispatch, Input{Version: 3, Unit: "U1"}, Env{Now: at("2026-11-18 10:00"), Clock: cal, Target: u})
		if xiuhua.ErrorCode(err) != xiuhua.EUnprocessable {
			t.Errorf("%s: %v, want unprocessable", name, err)
		}
	}
}

func TestFailedVerificationIsRework(t *testing.T) {
	c := caseIn(Handled)
	next, ev, err := Apply(c, inspector, Verify, Input{Version: 3, Passed: &no, Attachments: []string{"p"}}, Env{Now: at("2026-11-18 10:00"), Clock: cal})
	if err != nil {
		t.Fatal(err)
	}
	if next.State != Dispatched || next.ReworkCount != 1 || *ev.Data.Passed || !next.Deadline.Equal(c.Deadline) || next.Unit != "U1" {
		t.Errorf("rework: %+v", next)
	}
}

func TestWhoMayAct(t *testing.T) {
	env := Env{Now: at("2026-11-18 10:00"), Clock: cal}
	c := caseIn(Handled)
	// The handler may not verify their own work, even as an admin.
	self := auth.Actor{UserID: handler.UserID, Role: auth.Admin}
	if _, _, err := Apply(c, self, Verify, Input{Version: 3, Passed: &yes, Attachments: []string{"p"}}, env); xiuhua.ErrorCode(err) != xiuhua.EForbidden {
		t.Errorf("self-verification: %v", err)
	}
	// A dispatcher may not handle; a handler of another unit may not either.
	d := caseIn(Dispatched)
	if _, _, err := Apply(d, dispatcher, Handle, Input{Version: 3, Attachments: []string{"p"}}, env); xiuhua.ErrorCode(err) != xiuhua.EForbidden {
		t.Errorf("dispatcher handling: %v", err)
	}
	other := handler
	other.Unit = "U2"
	if _, _, err := Apply(d, other, Handle, Input{Version: 3, Attachments: []string{"p"}}, env); xiuhua.ErrorCode(err) != xiuhua.EForbidden {
		t.Errorf("other unit handling: %v", err)
	}
	// Out of territory.
	far := dispatcher
	far.Scope = "320211"
	if _, _, err := Apply(caseIn(Reported), far, Register, Input{Version: 3}, env); xiuhua.ErrorCode(err) != xiuhua.EForbidden {
		t.Errorf("out of scope: %v", err)
	}
	// Leaders read only.
	if as := AllowedActions(caseIn(Reported), auth.Actor{Role: auth.Leader, Scope: "320213"}); len(as) != 0 {
		t.Errorf("leader may %v", as)
	}
	if as := AllowedActions(caseIn(Reported), dispatcher); len(as) != 2 || as[0] != Register || as[1] != Reject {
		t.Errorf("dispatcher on a reported case may %v, want register, reject", as)
	}
}

func TestStaleVersionAndMissingInput(t *testing.T) {
	env := Env{Now: at("2026-11-18 10:00"), Clock: cal}
	if _, _, err := Apply(caseIn(Reported), dispatcher, Register, Input{Version: 2}, env); xiuhua.ErrorCode(err) != xiuhua.EConflict {
		t.Errorf("stale: %v", err)
	}
	for a, in := range map[Action]Input{
		Reject: {}, Handle: {Note: "done"}, Verify: {Attachments: []string{"p"}}, Extend: {Reason: "x", Hours: -1},
	} {
		s := map[Action]State{Reject: Reported, Handle: Dispatched, Verify: Handled, Extend: Dispatched}[a]
		who := map[Action]auth.Actor{Reject: dispatcher, Handle: handler, Verify: inspector, Extend: handler}[a]
		in.Version = 3
		if _, _, err := Apply(caseIn(s), who, a, in, env); xiuhua.ErrorCode(err) != xiuhua.EInvalid {
			t.Errorf("%s with %+v: %v, want invalid", a, in, err)
		}
	}
}

func TestExtensionAndSuspension(t *testing.T) {
	env := Env{Now: at("2026-11-18 10:00"), Clock: cal, Limit: 8 * time.Hour}
	c := caseIn(Dispatched) // deadline Friday 20 November 17:00
	c, _, err := Apply(c, handler, Extend, Input{Version: 3, Reason: "parts", Hours: 4}, env)
	if err != nil || c.ExtensionHours != 4 {
		t.Fatalf("extend: %v %+v", err, c)
	}
	if _, _, err := Apply(c, handler, Extend, Input{Version: 4, Reason: "more", Hours: 4}, env); xiuhua.ErrorCode(err) != xiuhua.EConflict {
		t.Errorf("second pending extension: %v", err)
	}
	c, ev, err := Apply(c, dispatcher, ApproveExtension, Input{Version: 4, Approved: &yes}, env)
	// Friday 17:00 + 4 working hours = 1 h Friday, 3 h Monday 23 November from 09:00 → 12:00.
	if err != nil || !c.Deadline.Equal(at("2026-11-23 12:00")) || c.ExtensionHours != 0 || ev.Data.Hours != 4 {
		t.Fatalf("approve: %v deadline %v", err, c.Deadline.In(cst))
	}
	// Suspend on Wednesday 18 Nov 10:00 with the deadline Monday 23 Nov 12:00:
	// left = 8 (Wed 10–18 minus lunch = 7) … worked out: Wed 7 h, Thu 8, Fri 8, Mon 3 = 26 h.
	c, _, err = Apply(c, dispatcher, Suspend, Input{Version: 5, Reason: "waits for the back-alley project"}, env)
	if err != nil || c.State != Suspended || c.Remaining != 26*time.Hour {
		t.Fatalf("suspend: %v remaining %v", err, c.Remaining)
	}
	if c.Overdue(at("2026-12-30 10:00")) {
		t.Error("a suspended case is never overdue")
	}
	// Resume on Monday 7 December 09:00: 26 h → Mon 8, Tue 8, Wed 8, Thu 2 → Thursday 10 December 11:00.
	env.Now = at("2026-12-07 09:00")
	c, _, err = Apply(c, dispatcher, Resume, Input{Version: 6}, env)
	if err != nil || c.State != Dispatched || !c.Deadline.Equal(at("2026-12-10 11:00")) {
		t.Fatalf("resume: %v deadline %v", err, c.Deadline.In(cst))
	}
	if !c.Overdue(at("2026-12-10 11:01")) || c.Overdue(at("2026-12-10 10:59")) {
		t.Error("overdue boundary wrong")
	}
}

func TestCaseCode(t *testing.T) {
	c := Case{ID: 42, CreatedAt: time.Date(2026, 11, 24, 17, 0, 0, 0, time.UTC)} // 01:00 on the 25th in Wuxi
	if c.Code() != "20261125000042" {
		t.Errorf("code %s", c.Code())
	}
	if id, ok := IDFromCode(c.Code()); !ok || id != 42 {
		t.Errorf("IDFromCode = %d %v", id, ok)
	}
	if id, ok := IDFromCode("42"); !ok || id != 42 {
		t.Errorf("bare id = %d %v", id, ok)
	}
	for _, bad := range []string{"../x", "+42", "abcdefgh000042", "20261399000042", "", "0", "-1"} {
		if _, ok := IDFromCode(bad); ok {
			t.Errorf("%q accepted as a case number", bad)
		}
	}
}
