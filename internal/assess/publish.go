package assess

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// ScoreQuery names a round directly or by its period (and scheme code).
type ScoreQuery struct {
	Round  int64
	Period string
	Scheme string
	// Cutoff overrides the end (a publication's); zero: the period's end, or now.
	Cutoff time.Time
}

// resolveRound finds the round a query names, among those the actor may see.
func (s *Service) resolveRound(ctx context.Context, actor auth.Actor, q ScoreQuery) (Round, error) {
	if q.Round != 0 {
		return s.round(ctx, actor, q.Round)
	}
	per, err := ParsePeriod(q.Period)
	if err != nil {
		return Round{}, err
	}
	rs, err := s.Store.Rounds(ctx, per.String())
	if err != nil {
		return Round{}, err
	}
	var match []Round
	for _, r := range rs {
		if (q.Scheme == "" || r.SchemeCode == q.Scheme) && (actor.Covers(r.Territory) || auth.Within(actor.Scope, r.Territory)) {
			match = append(match, r)
		}
	}
	switch len(match) {
	case 0:
		return Round{}, xiuhua.Errorf(xiuhua.ENotFound, "no round in %s", "%s 没有考核轮次", per.String())
	case 1:
		return match[0], nil
	}
	ids := make([]string, len(match))
	for i, r := range match {
		ids[i] = strconv.FormatInt(r.ID, 10)
	}
	return Round{}, xiuhua.Errorf(xiuhua.EConflict, "%s has several rounds (%s): name one with round", "%s 有多个考核轮次（%s），请用 round 指定",
		per.String(), strings.Join(ids, ", "))
}

// Scores computes a round's scores as of the end of its period (or now,
// while it runs), for the units in the actor's scope.
func (s *Service) Scores(ctx context.Context, actor auth.Actor, q ScoreQuery) (Scores, error) {
	if err := canRead(actor); err != nil {
		return Scores{}, err
	}
	r, err := s.resolveRound(ctx, actor, q)
	if err != nil {
		return Scores{}, err
	}
	if q.Cutoff.IsZero() {
		q.Cutoff = s.Now()
	}
	return s.scores(ctx, r, q.Cutoff, actor.Scope)
}

func (s *Service) scores(ctx context.Context, r Round, cutoff time.Time, scope string) (Scores, error) {
	per, err := ParsePeriod(r.Period)
	if err != nil {
		return Scores{}, err
	}
	w := NewWindow(per, cutoff)
	sc, err := s.Store.Scheme(ctx, r.SchemeID)
	if err != nil {
		return Scores{}, err
	}
	pts, err := s.Store.RoundPoints(ctx, r.ID)
	if err != nil {
		return Scores{}, err
	}
	fs, err := s.Store.Findings(ctx, r.ID)
	if err != nil {
		return Scores{}, err
	}
	in := ScoreInput{Scheme: sc, Points: pts, Findings: fs, FixedFast: map[int64]bool{}}
	// Points inspected or findings made after the cutoff are not the period's.
	for i := range in.Points {
		if t := in.Points[i].InspectedAt; t != nil && t.UnixMilli() >= w.End {
			in.Points[i].InspectedAt = nil
		}
	}
	kept := in.Findings[:0]
	for _, f := range in.Findings {
		if f.CreatedAt.UnixMilli() < w.End {
			kept = append(kept, f)
		}
	}
	in.Findings = kept
	if b := sc.Bonus; b != nil {
		var ids []int64
		for _, f := range in.Findings {
			if f.CaseID != 0 {
				ids = append(ids, f.CaseID)
			}
		}
		sums, err := s.Store.CaseSummaries(ctx, ids, w.End)
		if err != nil {
			return Scores{}, err
		}
		cal := s.Calendar()
		for id, x := range sums {
			in.FixedFast[id] = s.fixedFast(cal, x, b.WithinPercent)
		}
	}
	// Problems of the previous period's rounds of the same scheme and territory.
	if prev, err := s.Store.Rounds(ctx, per.Prev().String()); err != nil {
		return Scores{}, err
	} else {
		for _, pr := range prev {
			if pr.SchemeCode != r.SchemeCode || pr.Territory != r.Territory {
				continue
			}
			if in.Prev == nil {
				in.Prev = map[string]int{}
			}
			ppts, err := s.Store.RoundPoints(ctx, pr.ID)
			if err != nil {
				return Scores{}, err
			}
			unit := map[string]string{}
			for _, p := range ppts {
				unit[p.Point] = p.Unit
			}
			pfs, err := s.Store.Findings(ctx, pr.ID)
			if err != nil {
				return Scores{}, err
			}
			for _, f := range pfs {
				in.Prev[unit[f.Point]] += f.Count
			}
		}
	}
	area, err := s.unitArea(ctx)
	if err != nil {
		return Scores{}, err
	}
	var mgmt map[string]string
	if sc.Level == MgmtLevel {
		if mgmt, err = s.mgmtNames(ctx); err != nil {
			return Scores{}, err
		}
	}
	// A management unit's tier is its parent's.
	in.Tier = func(unit string) string { return s.tier(area(unit), sc.TierLevel) }
	out := Score(in)
	out.Round, out.Period, out.Territory = r.ID, r.Period, r.Territory
	out.Cutoff = time.UnixMilli(w.End).In(calendar.Shanghai())
	kept2 := out.Units[:0]
	for _, u := range out.Units {
		if ua := area(u.Unit); auth.Within(ua, scope) || auth.Within(scope, ua) {
			if n, ok := mgmt[u.Unit]; ok {
				u.Name = n
			} else if s.Area != nil {
				if a, ok := s.Area(u.Unit); ok {
					u.Name = a.Name
				}
			}
			kept2 = append(kept2, u)
		}
	}
	out.Units = kept2
	return out, nil
}

// fixedFast: handled (for good, at the cutoff) within pct % of the case's
// time limit after its dispatch, counted as the limit counts (working or clock hours).
func (s *Service) fixedFast(cal *calendar.Calendar, x Summary, pct int) bool {
	if x.Handled == 0 || x.Dispatched == 0 {
		return false
	}
	cat, ok := s.category(x.Category)
	if !ok {
		return false
	}
	limit, clock := cat.Limit("normal")
	d, h := time.UnixMilli(x.Dispatched), time.UnixMilli(x.Handled)
	elapsed := h.Sub(d)
	if !clock {
		elapsed = cal.Between(d, h)
	}
	// elapsed × 100 ≤ limit × pct, in integers.
	return int64(elapsed/time.Millisecond)*100 <= int64(limit/time.Millisecond)*int64(pct)
}

// ancestor is the code of the area above code at a level ("" when unknown).
// tier is the area a unit is ranked within: its ancestor at the scheme's
// tier level, or, for a unit above that level (a management unit made of
// grids of several streets, whose parent is the district, when a scheme
// ranks by street), its district, so that it is ranked with its peers
// there instead of in a group of no area.
func (s *Service) tier(code, level string) string {
	if t := s.ancestor(code, level); t != "" || level == string(territory.District) {
		return t
	}
	return s.ancestor(code, string(territory.District))
}

func (s *Service) ancestor(code, level string) string {
	if s.Area == nil {
		return ""
	}
	for c := code; c != ""; {
		a, ok := s.Area(c)
		if !ok {
			return ""
		}
		if string(a.Level) == level {
			return a.Code
		}
		c = a.ParentCode
	}
	return ""
}

// PublishInput says what to publish.
type PublishInput struct {
	// Kind is "scores" (a round's) or "metrics" (department or area metrics).
	Kind      string   `json:"kind"`
	Period    string   `json:"period"`
	Round     int64    `json:"round,omitempty"`
	Scheme    string   `json:"scheme,omitempty"`
	By        string   `json:"by,omitempty"`
	Territory string   `json:"territory,omitempty"`
	Weights   *Weights `json:"weights,omitempty"`
	// Reason is required for a correction (a second or later version).
	Reason string `json:"reason,omitempty"`
}

// published is a publication's body: what was computed and the result.
type published struct {
	Params PublishInput    `json:"params"`
	Result json.RawMessage `json:"result"`
}

// Publish freezes a period's results as a new version: first the facts are
// reconciled with the whole ledger, then the results are computed as of the
// period's end and stored with their parameters. The period must be over.
func (s *Service) Publish(ctx context.Context, actor auth.Actor, in PublishInput) (Publication, error) {
	if err := canAssess(actor); err != nil {
		return Publication{}, err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if utf8.RuneCountInString(in.Reason) > 1000 {
		return Publication{}, xiuhua.Errorf(xiuhua.EInvalid, "reason is at most 1000 characters", "理由不超过1000字")
	}
	per, err := ParsePeriod(in.Period)
	if err != nil {
		return Publication{}, err
	}
	in.Period = per.String()
	if s.Now().Before(per.End) {
		return Publication{}, xiuhua.Errorf(xiuhua.EConflict, "%s is not over yet: results are published after the period ends",
			"%s 尚未结束，考核周期结束后方可发布", in.Period)
	}
	var scope string
	switch in.Kind {
	case "scores":
		r, err := s.resolveRound(ctx, actor, ScoreQuery{Round: in.Round, Period: in.Period, Scheme: in.Scheme})
		if err != nil {
			return Publication{}, err
		}
		if r.Period != in.Period {
			return Publication{}, xiuhua.Errorf(xiuhua.EUnprocessable, "round %d is of %s, not %s", "考核轮次 %d 属于 %s，不是 %s", r.ID, r.Period, in.Period)
		}
		in.Round, in.Scheme, in.Territory, in.By, in.Weights = r.ID, "", r.Territory, "", nil
		scope = "round:" + strconv.FormatInt(r.ID, 10)
	case "metrics":
		t, err := actor.Narrow(in.Territory)
		if err != nil {
			return Publication{}, err
		}
		if in.By == "" {
			in.By = "unit"
		}
		if in.Weights == nil {
			w := DefaultWeights
			in.Weights = &w
		}
		in.Territory, in.Round, in.Scheme = t, 0, ""
		scope = "metrics:" + in.By + ":" + t
	default:
		return Publication{}, xiuhua.Errorf(xiuhua.EInvalid, "kind must be scores or metrics", "kind 须为 scores 或 metrics")
	}
	prev, err := s.Store.Publications(ctx, in.Kind, in.Period, scope)
	if err != nil {
		return Publication{}, err
	}
	if len(prev) > 0 && in.Reason == "" {
		return Publication{}, xiuhua.Errorf(xiuhua.EInvalid, "%s is already published (version %d): a correction needs a reason",
			"%s 已发布（第%d版），更正须说明理由", in.Period, prev[len(prev)-1].Version)
	}
	if _, err := s.Store.RefreshFacts(ctx, true); err != nil {
		return Publication{}, err
	}
	reason := in.Reason
	in.Reason = ""
	body, err := s.compute(ctx, in, per.End)
	if err != nil {
		return Publication{}, err
	}
	p := Publication{Kind: in.Kind, Period: in.Period, Scope: scope, Reason: reason, Cutoff: per.End, Body: body,
		CreatedBy: actor.UserID, CreatedAt: s.Now()}
	return p, s.Store.Publish(ctx, &p)
}

// compute produces a publication body: deterministic JSON of the parameters
// and the result.
func (s *Service) compute(ctx context.Context, in PublishInput, cutoff time.Time) ([]byte, error) {
	per, err := ParsePeriod(in.Period)
	if err != nil {
		return nil, err
	}
	var result any
	switch in.Kind {
	case "scores":
		r, err := s.Store.Round(ctx, in.Round)
		if err != nil {
			return nil, err
		}
		if result, err = s.scores(ctx, r, cutoff, in.Territory); err != nil {
			return nil, err
		}
	case "metrics":
		if result, err = s.metrics(ctx, MetricsQuery{Period: per, By: in.By, Territory: in.Territory, Weights: *in.Weights, Cutoff: cutoff}, in.Territory); err != nil {
			return nil, err
		}
	}
	raw, err := marshal(result)
	if err != nil {
		return nil, err
	}
	return marshal(published{Params: in, Result: raw})
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// Publications lists the published versions of a period's results the
// actor may read, oldest first, each with its body: whole, or cut down to the
// actor's units (View "excerpt"). The rule (Visibility) is the district's
// circulation of a notice (通报).
func (s *Service) Publications(ctx context.Context, actor auth.Actor, kind, period, scope string) ([]Publication, error) {
	if err := canRead(actor); err != nil {
		return nil, err
	}
	per, err := ParsePeriod(period)
	if err != nil {
		return nil, err
	}
	ps, err := s.Store.Publications(ctx, kind, per.String(), scope)
	if err != nil {
		return nil, err
	}
	out := []Publication{}
	for _, p := range ps {
		v, err := s.view(ctx, actor, p)
		if err != nil {
			return nil, err
		}
		if v.View != "" {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Publication views.
const (
	ViewFull    = "full"
	ViewExcerpt = "excerpt"
)

// Visibility says how an actor may read a publication over territory
// (its round's or metrics' territory). A district circulates its notice
// (通报) to the leadership of every street and department it names, and each
// street's staff works from the lines about its own units:
//   - an actor whose scope contains the territory (a district dispatcher for
//     a district round, the admin) reads it whole;
//   - a leader whose scope lies inside the territory (a street's leader
//     under a district round) reads it whole too: the notice is addressed to
//     them, red and black lists included;
//   - anyone else whose scope lies inside it (a street dispatcher) reads an
//     excerpt: the units in their scope with their ranks, the red and black
//     list entries that are theirs, and the territory's own totals (units
//     ranked, excellence rate), which name no other unit;
//   - an actor outside the territory does not see it at all ("").
func Visibility(actor auth.Actor, territory string) string {
	switch {
	case actor.Covers(territory):
		return ViewFull
	case auth.Within(actor.Scope, territory) && actor.Role == auth.Leader:
		return ViewFull
	case auth.Within(actor.Scope, territory):
		return ViewExcerpt
	}
	return ""
}

// view is p as the actor may read it (View "" when not at all).
func (s *Service) view(ctx context.Context, actor auth.Actor, p Publication) (Publication, error) {
	var body published
	if err := json.Unmarshal(p.Body, &body); err != nil {
		return Publication{}, xiuhua.Internal(err)
	}
	p.View = Visibility(actor, body.Params.Territory)
	if p.View != ViewExcerpt {
		return p, nil
	}
	raw, err := s.excerpt(ctx, actor, p.Kind, body.Result)
	if err != nil {
		return Publication{}, err
	}
	body.Result = raw
	if p.Body, err = marshal(body); err != nil {
		return Publication{}, xiuhua.Internal(err)
	}
	return p, nil
}

// excerpt cuts a publication's result down to the actor's units.
func (s *Service) excerpt(ctx context.Context, actor auth.Actor, kind string, result json.RawMessage) (json.RawMessage, error) {
	mine := func(code string) bool { return auth.Within(code, actor.Scope) || auth.Within(actor.Scope, code) }
	var v any
	switch kind {
	case "scores":
		var sc Scores
		if err := json.Unmarshal(result, &sc); err != nil {
			return nil, xiuhua.Internal(err)
		}
		area, err := s.unitArea(ctx)
		if err != nil {
			return nil, err
		}
		keep := map[string]bool{}
		units := []UnitScore{}
		for _, u := range sc.Units {
			if mine(area(u.Unit)) {
				keep[u.Unit] = true
				units = append(units, u)
			}
		}
		sc.Units = units
		lists := []TierList{}
		for _, l := range sc.Lists {
			if !mine(l.Tier) {
				continue
			}
			tl := TierList{Tier: l.Tier, Red: []string{}, Black: []string{}}
			for _, c := range l.Red {
				if keep[c] {
					tl.Red = append(tl.Red, c)
				}
			}
			for _, c := range l.Black {
				if keep[c] {
					tl.Black = append(tl.Black, c)
				}
			}
			lists = append(lists, tl)
		}
		sc.Lists = lists
		v = sc
	case "metrics":
		var m MetricsResult
		if err := json.Unmarshal(result, &m); err != nil {
			return nil, xiuhua.Internal(err)
		}
		items := []Metrics{}
		for _, it := range m.Items {
			key := it.Key
			if m.By == "unit" {
				key = s.unitScope(it.Key)
			}
			if mine(key) {
				items = append(items, it)
			}
		}
		// Inspectors are people, placed in no territory: none are shown.
		m.Items, m.Inspectors = items, nil
		v = m
	default:
		return nil, xiuhua.Internal(fmt.Errorf("publication of unknown kind %q", kind))
	}
	return marshal(v)
}

// unitScope is the territory an organisation unit answers for: UnitScope's,
// else the territory code its code starts with ("320213.sanitation" →
// "320213"), else the code itself.
func (s *Service) unitScope(code string) string {
	if s.UnitScope != nil {
		if sc, ok := s.UnitScope(code); ok {
			return sc
		}
	}
	if pre, _, ok := strings.Cut(code, "."); ok && isTerritoryCode(pre) {
		return pre
	}
	return code
}

// Recompute computes a publication again from the ledger, with its recorded
// parameters and cutoff, and reports whether the result is identical byte
// for byte; it returns the fresh body either way.
func (s *Service) Recompute(ctx context.Context, actor auth.Actor, p Publication) (bool, []byte, error) {
	if err := canRead(actor); err != nil {
		return false, nil, err
	}
	if p.View == ViewExcerpt && p.ID != 0 {
		// An excerpt is checked against the whole publication it was cut from.
		orig, err := s.Store.Publication(ctx, p.ID)
		if err != nil {
			return false, nil, err
		}
		same, fresh, err := s.recompute(ctx, orig)
		if err != nil {
			return false, nil, err
		}
		fp := orig
		fp.Body = fresh
		if fp, err = s.view(ctx, actor, fp); err != nil {
			return false, nil, err
		}
		return same, fp.Body, nil
	}
	return s.recompute(ctx, p)
}

func (s *Service) recompute(ctx context.Context, p Publication) (bool, []byte, error) {
	var body published
	if err := json.Unmarshal(p.Body, &body); err != nil {
		return false, nil, xiuhua.Internal(err)
	}
	if _, err := s.Store.RefreshFacts(ctx, true); err != nil {
		return false, nil, err
	}
	fresh, err := s.compute(ctx, body.Params, p.Cutoff)
	if err != nil {
		return false, nil, err
	}
	return bytes.Equal(fresh, p.Body), fresh, nil
}
