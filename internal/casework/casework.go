// Package casework holds the case loop of GB/T 30428 (七步闭环): the states a
// case passes through, the actions that move it, who may take each action and
// how deadlines are set. The rules (rules.go) are pure; Service (service.go)
// runs them against a Store in one transaction per action.
package casework

import (
	"strconv"
	"time"

	"github.com/xiuhua/xiuhua/internal/catalog"
)

// State is where a case stands in the loop (standards.md §3).
type State string

// States.
const (
	Reported   State = "reported"   // 上报
	Registered State = "registered" // 立案
	Rejected   State = "rejected"   // 不予立案 (terminal)
	Dispatched State = "dispatched" // 派遣 (also after a failed verification: 返工)
	Handled    State = "handled"    // 处置反馈
	Verified   State = "verified"   // 核查通过
	Closed     State = "closed"     // 结案 (terminal)
	Suspended  State = "suspended"  // 挂账
)

// States lists every state in loop order.
var States = []State{Reported, Registered, Rejected, Dispatched, Handled, Verified, Closed, Suspended}

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	for _, x := range States {
		if s == x {
			return true
		}
	}
	return false
}

// Open reports whether the case still needs work.
func (s State) Open() bool { return s != Rejected && s != Closed }

// NameZh is the state's Chinese name.
func (s State) NameZh() string {
	return map[State]string{Reported: "待立案", Registered: "待派遣", Rejected: "不予立案", Dispatched: "处置中",
		Handled: "待核查", Verified: "待结案", Closed: "已结案", Suspended: "挂账"}[s]
}

// Action moves a case.
type Action string

// Actions. Report creates a case; the rest act on one.
const (
	Report           Action = "report"
	Register         Action = "register"
	Reject           Action = "reject"
	Dispatch         Action = "dispatch"
	Return           Action = "return"
	Handle           Action = "handle"
	Verify           Action = "verify"
	Close            Action = "close"
	Extend           Action = "extend"
	ApproveExtension Action = "approve-extension"
	Suspend          Action = "suspend"
	Resume           Action = "resume"
)

// Actions lists every action that acts on an existing case.
var Actions = []Action{Register, Reject, Dispatch, Return, Handle, Verify, Close, Extend, ApproveExtension, Suspend, Resume}

// Source is where a report came from.
type Source string

// Sources (domain.md §1).
const (
	SourceInspector  Source = "inspector"  // 监督员上报
	SourceCitizen    Source = "citizen"    // 市民举报
	SourceHotline    Source = "hotline"    // 12345热线
	SourceLeader     Source = "leader"     // 领导督查 (四不两直)
	SourceAssessment Source = "assessment" // 考核发现
	SourceMedia      Source = "media"      // 媒体曝光
)

// Sources lists every source.
var Sources = []Source{SourceInspector, SourceCitizen, SourceHotline, SourceLeader, SourceAssessment, SourceMedia}

// Valid reports whether s is a known source.
func (s Source) Valid() bool {
	for _, x := range Sources {
		if s == x {
			return true
		}
	}
	return false
}

// Case is one problem in the ledger (台账).
type Case struct {
	ID          int64
	State       State
	Version     int
	Category    string
	Description string
	Address     string
	Lon, Lat    float64
	// Where it is: codes of the unit grid and its ancestors, fixed at report.
	Grid, Community, Street, District string
	Source                            Source
	Urgency                           catalog.Urgency
	ReporterID                        int64
	// ExternalRef names the case in the system it came from ("" for none).
	ExternalRef string
	// ApproxArea is the code of the area (a community, or a grid) the
	// report's address was matched to when it gave no coordinates (12345
	// hotline orders, Open311 address_string): Lon and Lat are then a point
	// inside that area standing for the place, approximate, for the
	// dispatcher to check on site. "" when the position came from
	// coordinates (and on cases reported before this field existed, which
	// have only the note in their description).
	ApproxArea string
	// Unit is the code of the unit it was last dispatched to ("" before dispatch or after a return).
	Unit string
	// Deadline is the handling deadline in force (zero when none).
	Deadline    time.Time
	ReworkCount int
	// ExtensionHours is a pending extension request (0 when none).
	ExtensionHours float64
	// SuspendedFrom and Remaining keep what a suspension stopped, so resume can restart the clock.
	SuspendedFrom State
	Remaining     time.Duration
	// HandlerID is the user who last reported it handled (the verifier must be someone else).
	HandlerID int64
	HandledAt time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
	ClosedAt  time.Time
}

// Code is the case number people quote: report date (Asia/Shanghai) and id.
func (c Case) Code() string {
	return c.CreatedAt.In(shanghai).Format("20060102") + pad6(c.ID)
}

// IDFromCode recovers the id from a case number (YYYYMMDD followed by the
// id) or from a bare id. Anything else is refused.
func IDFromCode(code string) (int64, bool) {
	if code == "" || len(code) > 20 {
		return 0, false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	if len(code) >= 8+6 {
		if _, err := time.Parse("20060102", code[:8]); err != nil {
			return 0, false
		}
		code = code[8:]
	}
	id, err := strconv.ParseInt(code, 10, 64)
	return id, err == nil && id > 0
}

func pad6(id int64) string {
	s := strconv.FormatInt(id, 10)
	for len(s) < 6 {
		s = "0" + s
	}
	return s
}

var shanghai = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("Asia/Shanghai", 8*3600)
}()

// Overdue reports whether the case is being handled past its deadline at now.
// Suspended cases are not overdue: their clock is stopped.
func (c Case) Overdue(now time.Time) bool {
	return c.State == Dispatched && !c.Deadline.IsZero() && now.After(c.Deadline)
}

// Event is one immutable step of a case's history.
type Event struct {
	ID        int64     `json:"id"`
	CaseID    int64     `json:"-"`
	Seq       int       `json:"seq"`
	Action    Action    `json:"action"`
	From      State     `json:"from,omitempty"`
	To        State     `json:"to"`
	ActorID   int64     `json:"actor_id"`
	ActorName string    `json:"actor"`
	ActorUnit string    `json:"actor_unit,omitempty"`
	At        time.Time `json:"at"`
	Note      string    `json:"note,omitempty"`
	Data      EventData `json:"data"`
	// Attachments are blob ids (sha256) of photos and documents.
	Attachments []string `json:"attachments"`
}

// EventData carries what an action decided.
type EventData struct {
	Reason       string     `json:"reason,omitempty"`
	Unit         string     `json:"unit,omitempty"`
	Deadline     *time.Time `json:"deadline,omitempty"`
	PrevDeadline *time.Time `json:"prev_deadline,omitempty"`
	Hours        float64    `json:"hours,omitempty"`
	Passed       *bool      `json:"passed,omitempty"`
	Approved     *bool      `json:"approved,omitempty"`
}
