package casework

import (
	"math"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
)

// Input is what an action carries besides the case: the fields each action
// needs are listed in the HTTP contract (README).
type Input struct {
	Version     int      `json:"version"`
	Note        string   `json:"note"`
	Reason      string   `json:"reason"`
	Unit        string   `json:"unit"`
	Attachments []string `json:"attachments"`
	Passed      *bool    `json:"passed"`
	Hours       float64  `json:"hours"`
	Approved    *bool    `json:"approved"`
}

// Clock is the working-time arithmetic the rules need (calendar.Calendar).
type Clock interface {
	Deadline(start time.Time, d time.Duration, clock bool) time.Time
	Between(a, b time.Time) time.Duration
}

// Unit is what the rules need to know of a dispatch target.
type Unit struct {
	Code    string
	Scope   string
	Enabled bool
}

// Env is the world an action runs in, resolved by the caller beforehand so
// that Apply stays pure.
type Env struct {
	Now   time.Time
	Clock Clock
	// Limit is the case category's time limit for the case's urgency, and
	// whether it counts clock hours rather than working hours.
	Limit     time.Duration
	ClockTime bool
	// Target is the unit named by a dispatch (nil otherwise).
	Target *Unit
}

// maxNote bounds free text so one request cannot bloat the ledger.
const maxNote = 4000

// roles says who may take each action. Admins may take any (they run the
// installation), but never both handle and verify the same case.
var roles = map[Action][]auth.Role{
	Register:         {auth.Dispatcher},
	Reject:           {auth.Dispatcher},
	Dispatch:         {auth.Dispatcher},
	Return:           {auth.Handler},
	Handle:           {auth.Handler},
	Verify:           {auth.Inspector},
	Close:            {auth.Dispatcher},
	Extend:           {auth.Handler},
	ApproveExtension: {auth.Dispatcher},
	Suspend:          {auth.Dispatcher},
	Resume:           {auth.Dispatcher},
}

// from says in which states each action is legal.
var from = map[Action][]State{
	Register:         {Reported},
	Reject:           {Reported},
	Dispatch:         {Registered},
	Return:           {Dispatched},
	Handle:           {Dispatched},
	Verify:           {Handled},
	Close:            {Verified},
	Extend:           {Dispatched},
	ApproveExtension: {Dispatched},
	Suspend:          {Registered, Dispatched},
	Resume:           {Suspended},
}

// ValidAction reports whether a is an action on an existing case.
func ValidAction(a Action) bool { _, ok := from[a]; return ok }

// Allowed reports whether the actor may take the action on the case now,
// without its input: the basis of the buttons a console shows.
func Allowed(c Case, actor auth.Actor, a Action) error {
	states, ok := from[a]
	if !ok {
		return xiuhua.Errorf(xiuhua.ENotFound, "unknown action %q", "未知操作 %q", a)
	}
	if !actor.Covers(c.Grid) {
		return xiuhua.Errorf(xiuhua.EForbidden, "case is outside your jurisdiction", "该案件不在您的管辖范围内")
	}
	if actor.Role != auth.Admin && !actor.Is(roles[a]...) {
		return xiuhua.Errorf(xiuhua.EForbidden, "a %s may not %s a case", "%s无权执行此操作（%s）", actor.Role, a)
	}
	if !inState(c.State, states) {
		return xiuhua.Errorf(xiuhua.EConflict, "cannot %s a case that is %s", "案件当前状态为“%[2]s”，不能执行“%[1]s”", a, c.State)
	}
	switch a {
	case Return, Handle, Extend:
		if actor.Role == auth.Handler && actor.Unit != c.Unit {
			return xiuhua.Errorf(xiuhua.EForbidden, "the case is dispatched to unit %s, not yours", "该案件已派遣给单位 %s，不是您的单位", c.Unit)
		}
		if a == Extend && c.ExtensionHours != 0 {
			return xiuhua.Errorf(xiuhua.EConflict, "an extension request is already pending", "已有待审批的延期申请")
		}
	case Verify:
		if actor.UserID == c.HandlerID {
			return xiuhua.Errorf(xiuhua.EForbidden, "the handler may not verify their own work", "处置人不能核查自己处置的案件")
		}
	case ApproveExtension:
		if c.ExtensionHours == 0 {
			return xiuhua.Errorf(xiuhua.EConflict, "there is no pending extension request", "没有待审批的延期申请")
		}
	}
	return nil
}

// AllowedActions lists the actions the actor may take on the case now.
func AllowedActions(c Case, actor auth.Actor) []Action {
	var as []Action
	for _, a := range Actions {
		if Allowed(c, actor, a) == nil {
			as = append(as, a)
		}
	}
	return as
}

// Apply runs one action: it checks the actor, the state, the version and the
// input, and returns the next case and the event to record. It changes
// nothing on error.
func Apply(c Case, actor auth.Actor, a Action, in Input, env Env) (Case, Event, error) {
	if err := Allowed(c, actor, a); err != nil {
		return c, Event{}, err
	}
	if in.Version != c.Version {
		return c, Event{}, xiuhua.Errorf(xiuhua.EConflict,
			"the case has changed (version %d, you sent %d): reload it and try again",
			"案件已被他人更新（当前版本 %d，提交版本 %d），请刷新后重试", c.Version, in.Version)
	}
	if err := checkInput(a, in); err != nil {
		return c, Event{}, err
	}
	next := c
	ev := Event{Action: a, From: c.State, ActorID: actor.UserID, ActorName: actor.Username, ActorUnit: actor.Unit,
		At: env.Now, Note: strings.TrimSpace(in.Note), Attachments: in.Attachments}
	ev.Data.Reason = strings.TrimSpace(in.Reason)
	switch a {
	case Register:
		next.State = Registered
	case Reject:
		next.State = Rejected
		next.ClosedAt = env.Now
	case Dispatch:
		t := env.Target
		switch {
		case t == nil:
			return c, Event{}, xiuhua.Errorf(xiuhua.EUnprocessable, "unknown unit %q", "处置单位 %q 不存在", in.Unit)
		case !t.Enabled:
			return c, Event{}, xiuhua.Errorf(xiuhua.EUnprocessable, "unit %s is disabled", "处置单位 %s 已停用", t.Code)
		case !auth.Within(c.Grid, t.Scope):
			return c, Event{}, xiuhua.Errorf(xiuhua.EUnprocessable, "unit %s is not responsible for %s (its area is %s)",
				"处置单位 %s 的责任区域为 %[3]s，不包含网格 %[2]s", t.Code, c.Grid, t.Scope)
		}
		next.State = Dispatched
		next.Unit = t.Code
		next.Deadline = env.Clock.Deadline(env.Now, env.Limit, env.ClockTime)
		ev.Data.Unit = t.Code
		ev.Data.Deadline = timePtr(next.Deadline)
	case Return:
		next.State = Registered
		ev.Data.Unit = c.Unit
		ev.Data.PrevDeadline = timePtr(c.Deadline)
		next.Unit, next.Deadline, next.ExtensionHours = "", time.Time{}, 0
	case Handle:
		next.State = Handled
		next.HandlerID = actor.UserID
		next.HandledAt = env.Now
	case Verify:
		ev.Data.Passed = in.Passed
		if *in.Passed {
			next.State = Verified
		} else {
			// 返工: back to the unit under the same deadline, counted against it.
			next.State = Dispatched
			next.ReworkCount++
		}
	case Close:
		next.State = Closed
		next.ClosedAt = env.Now
	case Extend:
		next.ExtensionHours = in.Hours
		ev.Data.Hours = in.Hours
	case ApproveExtension:
		ev.Data.Hours = c.ExtensionHours
		ev.Data.Approved = in.Approved
		next.ExtensionHours = 0
		if *in.Approved {
			d := time.Duration(c.ExtensionHours * float64(time.Hour))
			next.Deadline = env.Clock.Deadline(c.Deadline, d, env.ClockTime)
			ev.Data.PrevDeadline = timePtr(c.Deadline)
			ev.Data.Deadline = timePtr(next.Deadline)
		}
	case Suspend:
		next.State = Suspended
		next.SuspendedFrom = c.State
		if !c.Deadline.IsZero() {
			// Stop the clock: keep the time left so resume can restart it.
			if env.ClockTime {
				next.Remaining = c.Deadline.Sub(env.Now)
			} else {
				next.Remaining = env.Clock.Between(env.Now, c.Deadline)
			}
			ev.Data.PrevDeadline = timePtr(c.Deadline)
		}
	case Resume:
		next.State = c.SuspendedFrom
		next.SuspendedFrom = ""
		if !c.Deadline.IsZero() {
			rem := c.Remaining
			if rem < 0 {
				// It was already late when suspended: it stays as late.
				next.Deadline = env.Now.Add(rem)
			} else {
				next.Deadline = env.Clock.Deadline(env.Now, rem, env.ClockTime)
			}
			ev.Data.PrevDeadline = timePtr(c.Deadline)
			ev.Data.Deadline = timePtr(next.Deadline)
		}
		next.Remaining = 0
	}
	next.Version = c.Version + 1
	next.UpdatedAt = env.Now
	ev.To = next.State
	return next, ev, nil
}

func checkInput(a Action, in Input) error {
	var missing []string
	need := func(ok bool, field string) {
		if !ok {
			missing = append(missing, field)
		}
	}
	switch a {
	case Reject, Return, Suspend, Extend:
		need(strings.TrimSpace(in.Reason) != "", "reason")
	case Dispatch:
		need(in.Unit != "", "unit")
	case Handle:
		need(len(in.Attachments) > 0, "attachments (at least one photo)")
	case Verify:
		need(in.Passed != nil, "passed")
		need(len(in.Attachments) > 0, "attachments (at least one photo)")
	case ApproveExtension:
		need(in.Approved != nil, "approved")
	}
	if a == Extend {
		need(in.Hours > 0 && in.Hours <= 24*365 && !math.IsNaN(in.Hours), "hours (between 0 and 8760)")
	}
	if len(missing) > 0 {
		return xiuhua.Errorf(xiuhua.EInvalid, "%s needs: %s", "操作“%s”缺少必填项：%s", a, strings.Join(missing, ", "))
	}
	if len(in.Note) > maxNote || len(in.Reason) > maxNote {
		return xiuhua.Errorf(xiuhua.EInvalid, "note and reason are limited to %d bytes", "说明和理由不能超过 %d 字节", maxNote)
	}
	if len(in.Attachments) > 20 {
		return xiuhua.Errorf(xiuhua.EInvalid, "at most 20 attachments per step", "每一步最多 20 个附件")
	}
	return nil
}

func inState(s State, ss []State) bool {
	for _, x := range ss {
		if s == x {
			return true
		}
	}
	return false
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
