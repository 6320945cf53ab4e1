package open311

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/casework"
)

// render builds the public request objects of some cases. With extensions
// (Chicago's extensions=true) each also carries extended_attributes and the
// public notes of its history.
func (s *Server) render(ctx context.Context, cs []publicCase, l locale, ext bool) ([]any, error) {
	items := make([]any, 0, len(cs))
	if len(cs) == 0 {
		return items, nil
	}
	loc := s.App.Calendar().Location()
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	links, err := linksOf(ctx, s.App.DB, ids)
	if err != nil {
		return nil, err
	}
	// Codes of the linked cases, for notes and parent ids.
	codes := map[int64]string{}
	for _, c := range cs {
		codes[c.ID] = c.Code()
	}
	var more []int64
	for _, lk := range links {
		for _, id := range []int64{lk.CaseID, lk.TargetID} {
			if _, ok := codes[id]; !ok {
				codes[id] = ""
				more = append(more, id)
			}
		}
	}
	if len(more) > 0 {
		extra, err := listCases(ctx, s.App.DB, caseQuery{IDs: more, Limit: len(more)})
		if err != nil {
			return nil, err
		}
		for _, c := range extra {
			codes[c.ID] = c.Code()
		}
	}
	var steps map[int64][]step
	var updates map[int64][]updateRow
	if ext {
		all, err := caseSteps(ctx, s.App.DB, ids)
		if err != nil {
			return nil, err
		}
		steps = map[int64][]step{}
		for _, st := range all {
			steps[st.CaseID] = append(steps[st.CaseID], st)
		}
		ups, err := citizenUpdates(ctx, s.App.DB, ids)
		if err != nil {
			return nil, err
		}
		updates = map[int64][]updateRow{}
		for _, u := range ups {
			updates[u.CaseID] = append(updates[u.CaseID], u)
		}
	}
	// Names of the units these cases and their steps name, and no others.
	var unitCodes []string
	for _, c := range cs {
		unitCodes = append(unitCodes, c.Unit)
	}
	for _, sts := range steps {
		for _, st := range sts {
			unitCodes = append(unitCodes, st.Event.Data.Unit)
		}
	}
	units, err := s.unitNames(ctx, unitCodes)
	if err != nil {
		return nil, err
	}
	// Cases of a page share their few communities: each area address is
	// composed once.
	type place struct{ community, street, district string }
	addresses := map[place]string{}
	address := func(c publicCase) string {
		if c.Address != "" {
			return s.address(c, l)
		}
		k := place{c.Community, c.Street, c.District}
		a, ok := addresses[k]
		if !ok {
			a = s.address(c, l)
			addresses[k] = a
		}
		return a
	}
	for _, c := range cs {
		row := statusOf(c.State)
		notes := l.pick(row.Notes)
		var follows, parent string
		var duplicate bool
		var followers []string
		for _, lk := range links {
			switch {
			case lk.CaseID == c.ID && lk.Kind == app.LinkDuplicate:
				duplicate = true
				if lk.RemovedAt.IsZero() {
					parent = codes[lk.TargetID]
				}
			case lk.CaseID == c.ID && lk.RemovedAt.IsZero():
				follows = codes[lk.TargetID]
			case lk.TargetID == c.ID && lk.RemovedAt.IsZero():
				followers = append(followers, codes[lk.CaseID])
			}
		}
		fms := row.FMS
		if duplicate && c.State == casework.Rejected {
			fms = "DUPLICATE"
		}
		switch {
		case parent != "":
			notes = l.pick([2]string{"Duplicate of request " + parent + ", merged into it: follow that request.", "重复反映，已合并至 " + parent + "，请关注该请求的进展。"})
		case follows != "":
			notes += l.pick([2]string{" Followed up as request " + follows + ".", "已转为 " + follows + " 继续处理。"})
		}
		var agency any
		if c.Unit != "" {
			agency = nullable(units[c.Unit])
		}
		var expected any
		if !c.Deadline.IsZero() && c.State.Open() {
			expected = w3c(c.Deadline, loc)
		}
		updated := c.UpdatedAt
		if !c.ClosedAt.IsZero() {
			updated = c.ClosedAt
		}
		var mediaURL any
		if len(c.MediaURLs) > 0 {
			mediaURL = c.MediaURLs[0]
		}
		name := ""
		if cat, ok := s.App.Category(c.Category); ok {
			name = l.pick([2]string{cat.NameEn, cat.NameZh})
		}
		o := object{
			{"service_request_id", codes[c.ID]},
			{"status", row.Open311},
			{"status_notes", nullable(notes)},
			{"service_name", nullable(name)},
			{"service_code", c.Category},
			{"description", nullable(c.Description)},
			{"agency_responsible", agency},
			{"service_notice", nil},
			{"requested_datetime", w3c(c.CreatedAt, loc)},
			{"updated_datetime", w3c(updated, loc)},
			{"expected_datetime", expected},
			{"address", nullable(address(c))},
			{"address_id", nullable(c.AddressID)},
			{"zipcode", nil},
			{"lat", c.Lat},
			{"long", c.Lon},
			{"media_url", mediaURL},
		}
		if ext {
			o = append(o,
				field{"extended_attributes", object{
					{"channel", string(c.Source)},
					{"urgency", c.Urgency},
					{"district", nullable(s.areaName(c.District))},
					{"street", nullable(s.areaName(c.Street))},
					{"community", nullable(s.areaName(c.Community))},
					{"grid", c.Grid},
					{"duplicate", duplicate},
					{"parent_service_request_id", nullable(parent)},
					{"followed_by", nullable(follows)},
					{"followers", strList("service_request_id", followers)},
					{"fms_status", fms},
				}},
				field{"notes", list{Item: "note", Items: s.notes(c, steps[c.ID], updates[c.ID], links, codes, units, l)}},
			)
		}
		items = append(items, o)
	}
	return items, nil
}

func strList(item string, xs []string) list {
	items := make([]any, len(xs))
	for i, x := range xs {
		items[i] = x
	}
	return list{Item: item, Items: items}
}

// notes are a case's public history (Chicago's notes): the steps of the
// loop, updates clients posted (that one was received, not its text), and
// links to other cases.
func (s *Server) notes(c publicCase, steps []step, ups []updateRow, links []link, codes map[int64]string, units map[string]string, l locale) []any {
	type note struct {
		at   time.Time
		seq  int
		obj  object
		kind string
	}
	loc := s.App.Calendar().Location()
	var ns []note
	for _, st := range steps {
		kind := "activity"
		switch {
		case st.Event.Action == casework.Report:
			kind = "opened"
		case !st.Event.To.Open():
			kind = "closed"
		}
		dup := false
		for _, lk := range links {
			dup = dup || (lk.CaseID == c.ID && lk.Kind == app.LinkDuplicate)
		}
		ns = append(ns, note{st.Event.At, len(ns), object{
			{"datetime", w3c(st.Event.At, loc)},
			{"summary", l.pick(s.stepText(st.Event, units))},
			{"type", kind},
			{"status", fmsStatus(st.Event, dup)},
		}, kind})
	}
	for _, u := range ups {
		text := [2]string{"An update from the reporter was received.", "收到反映人的补充信息。"}
		if u.FollowupCaseID != 0 {
			text = [2]string{"The reporter says the problem is back: followed up as request " + codes[u.FollowupCaseID] + ".",
				"反映人称问题仍然存在，已转为 " + codes[u.FollowupCaseID] + " 继续处理。"}
		}
		ns = append(ns, note{u.CreatedAt, len(ns), object{
			{"datetime", w3c(u.CreatedAt, loc)},
			{"summary", l.pick(text)},
			{"type", "activity"},
			{"status", u.Status},
		}, "activity"})
	}
	for _, lk := range links {
		if lk.CaseID != c.ID && lk.Kind != app.LinkDuplicate {
			continue
		}
		var text [2]string
		switch {
		case lk.CaseID == c.ID && lk.Kind == app.LinkDuplicate:
			text = [2]string{"Merged into request " + codes[lk.TargetID] + " as a duplicate.", "作为重复反映合并至 " + codes[lk.TargetID] + "。"}
		case lk.CaseID == c.ID && lk.Kind == app.LinkRestored:
			text = [2]string{"Taken out of the merge: carried on as request " + codes[lk.TargetID] + ".", "已撤销合并，转为 " + codes[lk.TargetID] + " 继续处理。"}
		case lk.CaseID == c.ID:
			continue // a reopen is noted with the update that asked for it
		default:
			text = [2]string{"Request " + codes[lk.CaseID] + " was merged into this one as a duplicate.", "重复反映 " + codes[lk.CaseID] + " 已合并至本请求。"}
		}
		ns = append(ns, note{lk.CreatedAt, len(ns), object{
			{"datetime", w3c(lk.CreatedAt, loc)},
			{"summary", l.pick(text)},
			{"type", "activity"},
			{"status", nil},
		}, "activity"})
	}
	sort.SliceStable(ns, func(i, j int) bool {
		if !ns[i].at.Equal(ns[j].at) {
			return ns[i].at.Before(ns[j].at)
		}
		return ns[i].seq < ns[j].seq
	})
	out := make([]any, len(ns))
	for i, n := range ns {
		out[i] = n.obj
	}
	return out
}

// stepText is a step's public wording, with the unit's name and the
// deadline where they belong.
func (s *Server) stepText(ev casework.Event, units map[string]string) [2]string {
	loc := s.App.Calendar().Location()
	deadline := ""
	if ev.Data.Deadline != nil {
		deadline = ev.Data.Deadline.In(loc).Format("2006-01-02 15:04")
	}
	unit := units[ev.Data.Unit]
	if unit == "" {
		unit = ev.Data.Unit
	}
	return publicStep(ev, unit, deadline)
}

// unitNames maps the given unit codes to names: the one thing about a unit
// the public sees.
func (s *Server) unitNames(ctx context.Context, codes []string) (map[string]string, error) {
	us, err := s.App.DB.UnitsByCode(ctx, codes)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(us))
	for _, u := range us {
		m[u.Code] = u.Name
	}
	return m, nil
}

func (s *Server) areaName(code string) string {
	a, ok := s.App.Territory().Area(code)
	if !ok {
		return ""
	}
	return a.Name
}

// address is the address given, else the place from the most specific area
// to the most general, as the spec asks.
func (s *Server) address(c publicCase, l locale) string {
	if c.Address != "" {
		return c.Address
	}
	var parts []string
	for _, code := range []string{c.Community, c.Street, c.District} {
		if n := s.areaName(code); n != "" {
			parts = append(parts, n)
		}
	}
	if l == en {
		return strings.Join(parts, ", ")
	}
	// Chinese addresses run from the general to the specific.
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, "")
}
