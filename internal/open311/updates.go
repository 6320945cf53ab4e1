package open311

import (
	"context"
	"database/sql"
	"net/http"
	"net/mail"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/catalog"
)

// FixMyStreet's servicerequestupdates: GET lists the updates of requests in
// a time window (each step of the loop is one update, with its extended
// status); POST adds a citizen's update to a request.

// maxUpdatesWindowDefault is the window of a GET without dates.
const maxUpdatesWindowDefault = 24 * time.Hour

// emission is a followed case whose steps are shown under a follower's
// number for a time: a merged duplicate shows its master's progress, a
// reopened case the new case's.
type emission struct {
	follower, target int64
	from, to         time.Time
	kind             string
}

func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, f format) error {
	ctx := r.Context()
	v, err := s.form(w, r)
	if err != nil {
		return err
	}
	scope, err := s.reader(r, v)
	if err != nil {
		return err
	}
	loc := s.App.Calendar().Location()
	var probs []string
	bad := func(err error) {
		probs = append(probs, xiuhua.AsError(err).Message+" / "+xiuhua.AsError(err).MessageZh)
	}
	var from, to time.Time
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"start_date", &from}, {"end_date", &to}} {
		x, err := one(v, p.name)
		if err != nil {
			bad(err)
			continue
		}
		if x != "" {
			if *p.dst, err = parseTime(p.name, x, loc); err != nil {
				bad(err)
			}
		}
	}
	switch {
	case from.IsZero() && to.IsZero():
		to = s.Now()
		from = to.Add(-maxUpdatesWindowDefault)
	case to.IsZero():
		to = from.Add(maxWindow)
	case from.IsZero():
		from = to.Add(-maxWindow)
	case to.Before(from):
		probs = append(probs, "end_date is before start_date / end_date 早于 start_date")
	case to.Sub(from) > maxWindow:
		probs = append(probs, "start_date and end_date may not span more than 90 days / start_date 与 end_date 的跨度不能超过90天")
	}
	var only []int64
	for _, x := range commaList(v, "service_request_id") {
		id, ok := casework.IDFromCode(x)
		if !ok {
			probs = append(probs, "service_request_id "+strconv.Quote(short(x))+" is not a request number / 不是有效的请求编号")
			continue
		}
		only = append(only, id)
	}
	if len(only) > 1000 {
		probs = append(probs, "at most 1000 service_request_id at once / service_request_id 一次最多1000个")
	}
	page, size, err := paging(v, 1000)
	if err != nil {
		bad(err)
	}
	if len(probs) > 0 {
		return invalid(probs)
	}
	ups, err := s.updatesBetween(ctx, scope, only, from, to, page*size)
	if err != nil {
		return err
	}
	if lo := (page - 1) * size; lo < len(ups) {
		ups = ups[lo:]
	} else {
		ups = nil
	}
	if len(ups) > size {
		ups = ups[:size]
	}
	l := localeOf(v)
	items := make([]any, len(ups))
	for i, u := range ups {
		items[i] = object{
			{"update_id", u.id},
			{"service_request_id", u.request},
			{"status", u.status},
			{"updated_datetime", w3c(u.at, loc)},
			{"description", l.pick(u.text)},
			{"media_url", nil},
			{"external_status_code", string(u.state)},
		}
	}
	write(w, f, http.StatusOK, "service_request_updates", list{Item: "request_update", Items: items})
	return nil
}

// update is one public update.
type update struct {
	id      string
	request string
	status  string
	state   casework.State
	at      time.Time
	text    [2]string
	order   int64
}

// updatesBetween gathers the updates in [from, to], oldest first, at most
// limit: the steps of cases in scope (their report excluded: it is the
// request itself), and the steps of the cases they follow.
func (s *Server) updatesBetween(ctx context.Context, scope string, only []int64, from, to time.Time, limit int) ([]update, error) {
	db := s.App.DB
	var own []step
	var err error
	if only != nil {
		in, err := caseIDsIn(ctx, db, scope, only)
		if err != nil {
			return nil, err
		}
		ids := []int64{}
		for id := range in {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		only = ids
		own, err = stepsBetween(ctx, db, "", ids, from, to, limit+1000)
		if err != nil {
			return nil, err
		}
	} else if own, err = stepsBetween(ctx, db, scope, nil, from, to, limit+1000); err != nil {
		return nil, err
	}
	ems, err := s.emissions(ctx, scope, only, from, to)
	if err != nil {
		return nil, err
	}
	targets := map[int64]bool{}
	for _, e := range ems {
		targets[e.target] = true
	}
	tids := make([]int64, 0, len(targets))
	for id := range targets {
		tids = append(tids, id)
	}
	followed, err := stepsBetween(ctx, db, "", tids, from, to, 10*limit+1000)
	if err != nil {
		return nil, err
	}
	// Codes of every case involved, and which reports were merges.
	need := map[int64]bool{}
	for _, st := range own {
		need[st.CaseID] = true
	}
	for _, e := range ems {
		need[e.follower], need[e.target] = true, true
	}
	ids := make([]int64, 0, len(need))
	for id := range need {
		ids = append(ids, id)
	}
	codes := map[int64]string{}
	if len(ids) > 0 {
		cs, err := listCases(ctx, db, caseQuery{IDs: ids, Limit: len(ids)})
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			codes[c.ID] = c.Code()
		}
	}
	links, err := linksOf(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	merged := map[int64]bool{}
	for _, lk := range links {
		if lk.Kind == app.LinkDuplicate {
			merged[lk.CaseID] = true
		}
	}
	var unitCodes []string
	for _, sts := range [][]step{own, followed} {
		for _, st := range sts {
			unitCodes = append(unitCodes, st.Event.Data.Unit)
		}
	}
	units, err := s.unitNames(ctx, unitCodes)
	if err != nil {
		return nil, err
	}
	var out []update
	for _, st := range own {
		if st.Event.Action == casework.Report {
			continue
		}
		text := s.stepText(st.Event, units)
		if st.Event.Action == casework.Reject && merged[st.CaseID] {
			for _, lk := range links {
				if lk.CaseID == st.CaseID && lk.Kind == app.LinkDuplicate {
					code := codes[lk.TargetID]
					text = [2]string{"Duplicate of request " + code + ": merged into it; its progress follows here.",
						"重复反映，已合并至 " + code + "，其处理进展将在此同步。"}
				}
			}
		}
		out = append(out, update{id: "e" + strconv.FormatInt(st.ID, 10), request: codes[st.CaseID], status: fmsStatus(st.Event, merged[st.CaseID]),
			state: st.Event.To, at: st.Event.At, text: text, order: st.ID})
	}
	for _, st := range followed {
		for _, e := range ems {
			if e.target != st.CaseID || st.Event.At.Before(e.from) || st.Event.At.After(e.to) {
				continue
			}
			code := codes[st.CaseID]
			var text [2]string
			if st.Event.Action == casework.Report {
				text = [2]string{"Followed up as request " + code + ".", "已转为 " + code + " 继续处理。"}
				if e.kind == app.LinkRestored {
					text = [2]string{"Taken out of the merge: carried on as request " + code + ".", "已撤销合并，转为 " + code + " 继续处理。"}
				}
			} else {
				t := s.stepText(st.Event, units)
				text = [2]string{"Request " + code + ": " + t[0], code + "：" + t[1]}
			}
			out = append(out, update{id: "e" + strconv.FormatInt(st.ID, 10) + "-" + strconv.FormatInt(e.follower, 10), request: codes[e.follower],
				status: fmsStatus(st.Event, merged[st.CaseID]), state: st.Event.To, at: st.Event.At, text: text, order: st.ID})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].at.Equal(out[j].at) {
			return out[i].at.Before(out[j].at)
		}
		return out[i].order < out[j].order
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// emissions resolves which cases' steps show under which followers in [from,
// to]: the links of followers in scope (or among only), and the links of
// the cases they follow, a few levels deep.
func (s *Server) emissions(ctx context.Context, scope string, only []int64, from, to time.Time) ([]emission, error) {
	db := s.App.DB
	var first []link
	var err error
	if only != nil {
		all, err := linksOf(ctx, db, only)
		if err != nil {
			return nil, err
		}
		set := map[int64]bool{}
		for _, id := range only {
			set[id] = true
		}
		for _, lk := range all {
			if set[lk.CaseID] {
				first = append(first, lk)
			}
		}
	} else if first, err = linksInScope(ctx, db, scope, from, to); err != nil {
		return nil, err
	}
	var out []emission
	var frontier []emission
	for _, lk := range first {
		if e, ok := clip(emission{lk.CaseID, lk.TargetID, linkStart(lk), linkEnd(lk), lk.Kind}, from, to); ok {
			frontier = append(frontier, e)
		}
	}
	for depth := 0; depth < 4 && len(frontier) > 0; depth++ {
		out = append(out, frontier...)
		ids := make([]int64, 0, len(frontier))
		for _, e := range frontier {
			ids = append(ids, e.target)
		}
		next, err := linksOf(ctx, db, ids)
		if err != nil {
			return nil, err
		}
		var nf []emission
		for _, e := range frontier {
			for _, lk := range next {
				if lk.CaseID != e.target || lk.TargetID == e.follower {
					continue
				}
				if ne, ok := clip(emission{e.follower, lk.TargetID, linkStart(lk), linkEnd(lk), e.kind}, e.from, e.to); ok {
					nf = append(nf, ne)
				}
			}
		}
		frontier = nf
	}
	return out, nil
}

// linkStart is from when a link shows its target's steps: a master's from
// the merge on, while a case made for the follower (a reopen's or an
// unmerge's new case) from its very report, which comes just before the link.
func linkStart(lk link) time.Time {
	if lk.Kind == app.LinkDuplicate {
		return lk.CreatedAt
	}
	return time.Time{}
}

// linkEnd is the last moment a link shows its target's steps: the
// millisecond before it was ended (times are stored to the millisecond, and
// a step in the very millisecond of an unmerge belongs to the master alone).
func linkEnd(lk link) time.Time {
	if lk.RemovedAt.IsZero() {
		return lk.RemovedAt
	}
	return lk.RemovedAt.Add(-time.Millisecond)
}

// clip narrows an emission to [from, to]; a zero end is open.
func clip(e emission, from, to time.Time) (emission, bool) {
	if e.from.Before(from) {
		e.from = from
	}
	if e.to.IsZero() || e.to.After(to) {
		e.to = to
	}
	return e, !e.to.Before(e.from)
}

// effective follows a case's live links to the case that carries it now.
func (s *Server) effective(ctx context.Context, c publicCase) (publicCase, error) {
	for i := 0; i < 5; i++ {
		links, err := linksOf(ctx, s.App.DB, []int64{c.ID})
		if err != nil {
			return c, err
		}
		next := int64(0)
		for _, lk := range links {
			if lk.CaseID == c.ID && lk.RemovedAt.IsZero() {
				next = lk.TargetID
			}
		}
		if next == 0 {
			return c, nil
		}
		if c, err = getCase(ctx, s.App.DB, next); err != nil {
			return c, err
		}
	}
	return c, nil
}

// postUpdate records a citizen's update on a request (POST
// servicerequestupdates.{fmt}). A client never moves a case through the
// loop; a REOPEN of a request whose case is closed reports a follow-up case
// that the request follows from then on.
func (s *Server) postUpdate(w http.ResponseWriter, r *http.Request, f format) error {
	ctx := r.Context()
	v, err := s.form(w, r)
	if err != nil {
		return err
	}
	if err := s.checkJurisdiction(v); err != nil {
		return err
	}
	k, err := s.key(r, v, true)
	if err != nil {
		return err
	}
	var probs []string
	get := func(name string, max int) string {
		x, err := one(v, name)
		if err != nil {
			probs = append(probs, xiuhua.AsError(err).Message+" / "+xiuhua.AsError(err).MessageZh)
			return ""
		}
		if utf8.RuneCountInString(x) > max {
			probs = append(probs, name+" is longer than "+strconv.Itoa(max)+" characters / "+name+" 超过 "+strconv.Itoa(max)+" 字")
			return ""
		}
		return x
	}
	reqID := get("service_request_id", 40)
	statusS := get("status", 40)
	desc := get("description", 4000)
	clientID := get("update_id", 100)
	when := get("updated_datetime", 40)
	first, last := get("first_name", 100), get("last_name", 100)
	email, phone := get("email", 254), get("phone", 40)
	mediaURL := get("media_url", 2000)
	var cs ClientStatus
	if statusS == "" {
		probs = append(probs, "status is required / 缺少 status")
	} else if c, ok := clientStatus(statusS); !ok {
		names := make([]string, len(ClientStatuses))
		for i, c := range ClientStatuses {
			names[i] = c.Status
		}
		probs = append(probs, "status must be one of "+strings.Join(names, ", ")+", not "+strconv.Quote(short(statusS))+" / status 取值无效")
	} else {
		cs = c
	}
	var id int64
	if reqID == "" {
		probs = append(probs, "service_request_id is required / 缺少 service_request_id")
	} else if x, ok := casework.IDFromCode(reqID); !ok {
		probs = append(probs, "service_request_id "+strconv.Quote(short(reqID))+" is not a request number / 不是有效的请求编号")
	} else {
		id = x
	}
	var clientTime time.Time
	if when != "" {
		if clientTime, err = parseTime("updated_datetime", when, s.App.Calendar().Location()); err != nil {
			probs = append(probs, xiuhua.AsError(err).Message+" / "+xiuhua.AsError(err).MessageZh)
		}
	}
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || a.Name != "" {
			probs = append(probs, "email is not an e-mail address / email 不是有效的电子邮件地址")
		}
	}
	if phone != "" && !phoneRE.MatchString(phone) {
		probs = append(probs, "phone may hold digits, spaces and + ( ) - . only / phone 只能包含数字、空格及 + ( ) - .")
	}
	if mediaURL != "" {
		if u, err := url.Parse(mediaURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			probs = append(probs, "media_url must be an http or https URL / media_url 须为 http 或 https 地址")
		}
	}
	if len(probs) > 0 {
		return invalid(probs)
	}
	c, err := getCase(ctx, s.App.DB, id)
	if err != nil {
		return err
	}
	if !inScope(c, k.Scope) {
		return notFound(short(reqID))
	}
	answer := func(updateID int64) {
		write(w, f, http.StatusOK, "service_request_updates", list{Item: "request_update", Items: []any{object{
			{"update_id", "c" + strconv.FormatInt(updateID, 10)}}}})
	}
	// A client that retries sends the same update_id: answer what was recorded.
	if prior, ok, err := priorUpdate(ctx, s.App.DB, k.ID, clientID); err != nil {
		return err
	} else if ok {
		if prior.CaseID != c.ID {
			return xiuhua.Errorf(xiuhua.EInvalid, "update_id %s was already used for another request", "update_id %s 已用于其他请求", short(clientID))
		}
		answer(prior.ID)
		return nil
	}
	u := updateRow{CaseID: c.ID, KeyID: k.ID, ClientUpdateID: clientID, Status: cs.Status, Description: desc, MediaURL: mediaURL,
		FirstName: first, LastName: last, Email: email, Phone: phone, ClientTime: clientTime, CreatedAt: s.Now()}
	if cs.Status == "REOPEN" {
		cur, err := s.effective(ctx, c)
		if err != nil {
			return err
		}
		if !cur.State.Open() {
			text := "市民反映问题仍然存在（原案件 " + cur.Code() + "）"
			if desc != "" {
				text += "：" + desc
			}
			if utf8.RuneCountInString(text) > maxCaseDescription {
				text = string([]rune(text)[:maxCaseDescription-1]) + "…"
			}
			lat, lon := cur.Lat, cur.Lon
			urg := catalog.Urgency(cur.Urgency)
			nc, err := s.App.Cases.Report(ctx, k.Actor(), casework.ReportInput{Category: cur.Category, Description: text, Lat: &lat, Lon: &lon,
				Source: casework.SourceCitizen, Urgency: urg, Address: cur.Address})
			if err != nil {
				return err
			}
			if err := s.App.LinkCases(ctx, k.Actor(), c.ID, nc.ID, app.LinkReopen); err != nil {
				return err
			}
			u.FollowupCaseID = nc.ID
		}
	}
	var upID int64
	err = s.App.DB.Tx(ctx, func(tx *sql.Tx) error {
		upID, err = insertUpdate(ctx, tx, s.App.DB, u)
		return err
	})
	if isUnique(err) {
		// The same update_id raced in from a retry: answer the first.
		if prior, ok, err2 := priorUpdate(ctx, s.App.DB, k.ID, clientID); err2 == nil && ok {
			answer(prior.ID)
			return nil
		}
	}
	if err != nil {
		return err
	}
	answer(upID)
	return nil
}
