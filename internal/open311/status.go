package open311

import (
	"strings"

	"github.com/xiuhua/xiuhua/internal/casework"
)

// StatusRow says how one xiuhua state reads to Open311 clients: the spec's
// status (open or closed) and the extended status of FixMyStreet's
// servicerequestupdates. docs/open311.md shows the same table.
type StatusRow struct {
	State casework.State
	// Open311 is "open" or "closed" (GeoReport v2 status).
	Open311 string
	// FMS is the FixMyStreet extended status of an update that leaves the case in State.
	FMS string
	// Notes are the public status_notes, English and Chinese.
	Notes [2]string
}

// Statuses maps every xiuhua state (outgoing direction). Two steps override
// the state's status in updates: a unit's return (回退) reads
// INTERNAL_REFERRAL, and the rejection of a report merged into another case
// reads DUPLICATE.
var Statuses = []StatusRow{
	{casework.Reported, "open", "OPEN", [2]string{"Received; waiting to be registered by the command centre.", "已受理，等待指挥中心立案。"}},
	{casework.Registered, "open", "INVESTIGATING", [2]string{"Registered as a case; waiting to be dispatched to the responsible unit.", "已立案，等待派遣至责任单位。"}},
	{casework.Dispatched, "open", "IN_PROGRESS", [2]string{"Dispatched to the responsible unit, which is handling it.", "已派遣至责任单位，正在处置。"}},
	{casework.Handled, "open", "IN_PROGRESS", [2]string{"The unit reports it handled; waiting for on-site verification.", "责任单位已处置，等待现场核查。"}},
	{casework.Verified, "open", "FIXED", [2]string{"Fixed and verified on site; the case is being closed.", "已处置并经现场核查，正在结案。"}},
	{casework.Closed, "closed", "FIXED", [2]string{"Fixed, verified and closed.", "已处置、核查并结案。"}},
	{casework.Rejected, "closed", "NO_FURTHER_ACTION", [2]string{"Not registered as a case: no further action.", "不予立案，不再处理。"}},
	{casework.Suspended, "open", "ACTION_SCHEDULED", [2]string{"Put on hold (挂账) to be handled later, e.g. with a planned project.", "已挂账，待条件具备（如结合计划工程）时处置。"}},
}

// statusOf returns the row of a state.
func statusOf(s casework.State) StatusRow {
	for _, r := range Statuses {
		if r.State == s {
			return r
		}
	}
	return StatusRow{State: s, Open311: "open", FMS: "OPEN"}
}

// ClientStatus says how xiuhua reads a status a client posts with an update
// (incoming direction): the xiuhua state the client's word corresponds to,
// and what xiuhua does with it. A client never moves a case through the loop:
// only staff do. It can add a citizen's word to the record, and reopen a
// closed case, which reports a follow-up case.
type ClientStatus struct {
	Status string
	State  casework.State
	Effect string
}

// ClientStatuses lists every status FixMyStreet sends (basic OPEN and CLOSED,
// its extended statuses, and REOPEN).
var ClientStatuses = []ClientStatus{
	{"OPEN", casework.Reported, "recorded on the case"},
	{"REOPEN", casework.Reported, "on a closed or rejected case: a follow-up case is reported and the old one follows it; on an open case: recorded"},
	{"INVESTIGATING", casework.Registered, "recorded on the case"},
	{"ACTION_SCHEDULED", casework.Suspended, "recorded on the case"},
	{"IN_PROGRESS", casework.Dispatched, "recorded on the case"},
	{"INTERNAL_REFERRAL", casework.Registered, "recorded on the case"},
	{"FIXED", casework.Closed, "recorded on the case; an inspector still verifies on site"},
	{"CLOSED", casework.Closed, "recorded on the case"},
	{"DUPLICATE", casework.Rejected, "recorded on the case; dispatchers merge duplicates"},
	{"NOT_COUNCILS_RESPONSIBILITY", casework.Rejected, "recorded on the case"},
	{"NO_FURTHER_ACTION", casework.Rejected, "recorded on the case"},
}

// clientStatus looks a posted status up, ignoring case and accepting spaces
// for underscores ("in progress").
func clientStatus(s string) (ClientStatus, bool) {
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", "_"))
	for _, c := range ClientStatuses {
		if c.Status == s {
			return c, true
		}
	}
	return ClientStatus{}, false
}

// publicStep is how a step of the loop reads publicly (English, Chinese).
// Internal notes and reasons are never shown; only what happened.
func publicStep(ev casework.Event, unitName string, deadline string) [2]string {
	switch ev.Action {
	case casework.Report:
		return [2]string{"Reported.", "已上报。"}
	case casework.Register:
		return [2]string{"Registered as a case.", "已立案。"}
	case casework.Reject:
		return [2]string{"Not registered as a case.", "不予立案。"}
	case casework.Dispatch:
		if deadline != "" {
			return [2]string{"Dispatched to " + unitName + ", to be handled by " + deadline + ".", "已派遣至" + unitName + "，处置时限 " + deadline + "。"}
		}
		return [2]string{"Dispatched to " + unitName + ".", "已派遣至" + unitName + "。"}
	case casework.Return:
		return [2]string{"Returned by the unit as not its own; to be dispatched again.", "责任单位回退，待重新派遣。"}
	case casework.Handle:
		return [2]string{"The unit reports it handled; waiting for on-site verification.", "责任单位已处置，等待现场核查。"}
	case casework.Verify:
		if ev.Data.Passed != nil && !*ev.Data.Passed {
			return [2]string{"Not fixed on verification; sent back to the unit for rework.", "现场核查未通过，已返工。"}
		}
		return [2]string{"Verified on site.", "现场核查通过。"}
	case casework.Close:
		return [2]string{"Closed.", "已结案。"}
	case casework.Extend:
		return [2]string{"The unit asked for more time.", "责任单位申请延期。"}
	case casework.ApproveExtension:
		if ev.Data.Approved != nil && *ev.Data.Approved {
			if deadline != "" {
				return [2]string{"More time granted: to be handled by " + deadline + ".", "延期已批准，新处置时限 " + deadline + "。"}
			}
			return [2]string{"More time granted.", "延期已批准。"}
		}
		return [2]string{"More time refused.", "延期申请未批准。"}
	case casework.Suspend:
		return [2]string{"Put on hold (挂账).", "已挂账。"}
	case casework.Resume:
		return [2]string{"Work resumed.", "已恢复处置。"}
	}
	return [2]string{"Updated.", "已更新。"}
}

// fmsStatus is the extended status an update for ev carries.
func fmsStatus(ev casework.Event, duplicate bool) string {
	switch {
	case ev.Action == casework.Return:
		return "INTERNAL_REFERRAL"
	case ev.Action == casework.Reject && duplicate:
		return "DUPLICATE"
	}
	return statusOf(ev.To).FMS
}
