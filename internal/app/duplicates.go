package app

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
)

// DuplicateRules say how close a report must be to an open case of the same
// category, in metres and in time either way, to be offered to a dispatcher
// as a likely duplicate.
type DuplicateRules struct {
	Radius float64
	Window time.Duration
}

// Duplicates are the rules in force: 50 m and 72 h unless
// XIUHUA_DUPLICATE_RADIUS_M and XIUHUA_DUPLICATE_WINDOW_HOURS say otherwise.
var Duplicates = duplicateRulesFromEnv(os.Getenv)

func duplicateRulesFromEnv(getenv func(string) string) DuplicateRules {
	r := DuplicateRules{Radius: 50, Window: 72 * time.Hour}
	if f, err := strconv.ParseFloat(getenv("XIUHUA_DUPLICATE_RADIUS_M"), 64); err == nil && f > 0 && f <= 10000 {
		r.Radius = f
	}
	if f, err := strconv.ParseFloat(getenv("XIUHUA_DUPLICATE_WINDOW_HOURS"), 64); err == nil && f > 0 && f <= 24*365 {
		r.Window = time.Duration(f * float64(time.Hour))
	}
	return r
}

// Link kinds: how one case follows another (case_links).
const (
	LinkDuplicate = "duplicate" // a duplicate merged into its master
	LinkReopen    = "reopen"    // a closed case a citizen reopened, followed by the new case
	LinkRestored  = "restored"  // an unmerged duplicate, followed by the case that restores it
)

// Candidate is an open case a report may repeat.
type Candidate struct {
	ID          int64          `json:"id"`
	Code        string         `json:"code"`
	State       casework.State `json:"state"`
	Category    string         `json:"category"`
	Description string         `json:"description"`
	Grid        string         `json:"grid"`
	Lat         float64        `json:"lat"`
	Lon         float64        `json:"lon"`
	CreatedAt   time.Time      `json:"created_at"`
	DistanceM   float64        `json:"distance_m"`
}

// DuplicateView is what a dispatcher sees of a case's duplicates.
type DuplicateView struct {
	// MergedInto is the master the case is merged into (nil when none).
	MergedInto *Candidate `json:"merged_into"`
	// Merged are the duplicates merged into this case.
	Merged []Candidate `json:"merged"`
	// Candidates are open cases of the same category close by in space and
	// time, nearest first, not dismissed and not merged.
	Candidates []Candidate `json:"candidates"`
	// FollowedBy is the case that carries on for this one (a reopened or
	// restored case), nil when none.
	FollowedBy *Candidate `json:"followed_by"`
}

func msOf(t time.Time) int64 { return t.UnixMilli() }

// metres between two points on the sphere (haversine; good to centimetres at
// the distances duplicates are about).
func metres(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371008.8
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	h := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}

// FindDuplicates lists the open cases of c's category within the rules'
// radius and window of c, nearest first.
func (a *App) FindDuplicates(ctx context.Context, c casework.Case) ([]Candidate, error) {
	rules := Duplicates
	dlat := rules.Radius / 111_000 * 1.01
	dlon := dlat / math.Max(0.01, math.Cos(c.Lat*math.Pi/180))
	db := a.DB
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT id, state, category, description, grid, lat, lon, created_at FROM cases
		WHERE category = ? AND created_at >= ? AND created_at <= ? AND state NOT IN ('rejected', 'closed') AND id <> ?
		AND lat >= ? AND lat <= ? AND lon >= ? AND lon <= ? ORDER BY created_at DESC LIMIT ?`),
		c.Category, msOf(c.CreatedAt.Add(-rules.Window)), msOf(c.CreatedAt.Add(rules.Window)), c.ID,
		c.Lat-dlat, c.Lat+dlat, c.Lon-dlon, c.Lon+dlon, maxScan)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Candidate
	for rows.Next() {
		x, err := scanCandidate(rows)
		if err != nil {
			return nil, err
		}
		if x.DistanceM = metres(c.Lat, c.Lon, x.Lat, x.Lon); x.DistanceM <= rules.Radius {
			x.DistanceM = math.Round(x.DistanceM*10) / 10
			out = append(out, x)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].DistanceM != out[j].DistanceM {
			return out[i].DistanceM < out[j].DistanceM
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > maxCandidates {
		out = out[:maxCandidates]
	}
	return out, nil
}

// A spot that draws many reports (a burst water main) must not make each new
// report cost more than the last: the search reads at most maxScan of the
// newest cases in the box and offers the nearest maxCandidates.
const (
	maxScan       = 500
	maxCandidates = 20
)

func scanCandidate(s interface{ Scan(...any) error }) (Candidate, error) {
	var x Candidate
	var created int64
	err := s.Scan(&x.ID, &x.State, &x.Category, &x.Description, &x.Grid, &x.Lat, &x.Lon, &created)
	x.CreatedAt = time.UnixMilli(created).UTC()
	x.Code = casework.Case{ID: x.ID, CreatedAt: x.CreatedAt}.Code()
	return x, err
}

// RecordDuplicates finds the likely duplicates of a new report and keeps
// them for the dispatcher (duplicate_candidates).
func (a *App) RecordDuplicates(ctx context.Context, c casework.Case) ([]Candidate, error) {
	cs, err := a.FindDuplicates(ctx, c)
	if err != nil || len(cs) == 0 {
		return cs, err
	}
	db := a.DB
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		for _, x := range cs {
			if _, err := tx.ExecContext(ctx, db.Q(`INSERT INTO duplicate_candidates (case_id, candidate_id, distance_m, created_at)
				VALUES (?, ?, ?, ?) ON CONFLICT (case_id, candidate_id) DO NOTHING`), c.ID, x.ID, x.DistanceM, msOf(time.Now())); err != nil {
				return err
			}
		}
		return nil
	})
	return cs, err
}

// caseSummary reads one case as a candidate (distance 0).
func (a *App) caseSummary(ctx context.Context, id int64) (Candidate, error) {
	db := a.DB
	x, err := scanCandidate(db.R.QueryRowContext(ctx, db.Q(`SELECT id, state, category, description, grid, lat, lon, created_at FROM cases WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return x, xiuhua.Errorf(xiuhua.ENotFound, "no case %d", "案件 %d 不存在", id)
	}
	return x, err
}

// liveLink returns the live link the case follows, if any.
func (a *App) liveLink(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, caseID int64) (target int64, kind string, ok bool, err error) {
	err = q.QueryRowContext(ctx, a.DB.Q(`SELECT target_id, kind FROM case_links WHERE case_id = ? AND removed_at IS NULL ORDER BY id DESC LIMIT 1`), caseID).
		Scan(&target, &kind)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", false, nil
	}
	return target, kind, err == nil, err
}

// Duplicates shows a dispatcher a case's duplicates: what it is merged into,
// what is merged into it, and the likely ones not yet decided. Cases outside
// the actor's territory are left out.
func (a *App) Duplicates(ctx context.Context, actor auth.Actor, id int64) (DuplicateView, error) {
	c, _, err := a.Cases.Get(ctx, actor, id)
	if err != nil {
		return DuplicateView{}, err
	}
	v := DuplicateView{Merged: []Candidate{}, Candidates: []Candidate{}}
	db := a.DB
	visible := func(x Candidate) bool { return actor.Covers(x.Grid) }
	if t, kind, ok, err := a.liveLink(ctx, db.R, id); err != nil {
		return v, err
	} else if ok {
		x, err := a.caseSummary(ctx, t)
		if err != nil {
			return v, err
		}
		if visible(x) {
			if kind == LinkDuplicate {
				v.MergedInto = &x
			} else {
				v.FollowedBy = &x
			}
		}
	}
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT case_id FROM case_links WHERE target_id = ? AND kind = ? AND removed_at IS NULL ORDER BY id`), id, LinkDuplicate)
	if err != nil {
		return v, err
	}
	var merged []int64
	for rows.Next() {
		var m int64
		if err := rows.Scan(&m); err != nil {
			rows.Close()
			return v, err
		}
		merged = append(merged, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return v, err
	}
	skip := map[int64]bool{id: true}
	for _, m := range merged {
		x, err := a.caseSummary(ctx, m)
		if err != nil {
			return v, err
		}
		x.DistanceM = math.Round(metres(c.Lat, c.Lon, x.Lat, x.Lon)*10) / 10
		skip[m] = true
		if visible(x) {
			v.Merged = append(v.Merged, x)
		}
	}
	if v.MergedInto != nil {
		skip[v.MergedInto.ID] = true
	}
	if !c.State.Open() {
		return v, nil
	}
	// Dismissed pairs, either way round, are not offered again.
	drows, err := db.R.QueryContext(ctx, db.Q(`SELECT case_id, candidate_id FROM duplicate_candidates
		WHERE (case_id = ? OR candidate_id = ?) AND dismissed_at IS NOT NULL`), id, id)
	if err != nil {
		return v, err
	}
	for drows.Next() {
		var x, y int64
		if err := drows.Scan(&x, &y); err != nil {
			drows.Close()
			return v, err
		}
		skip[x], skip[y] = true, true
	}
	drows.Close()
	if err := drows.Err(); err != nil {
		return v, err
	}
	found, err := a.FindDuplicates(ctx, c)
	if err != nil {
		return v, err
	}
	for _, x := range found {
		if !skip[x.ID] && visible(x) {
			if t, kind, ok, err := a.liveLink(ctx, db.R, x.ID); err != nil {
				return v, err
			} else if ok && kind == LinkDuplicate && t != id {
				continue // already merged elsewhere
			}
			v.Candidates = append(v.Candidates, x)
		}
	}
	return v, nil
}

// requireDispatcher refuses actors who may not decide duplicates.
func requireDispatcher(actor auth.Actor) error {
	if !actor.Is(auth.Dispatcher, auth.Admin) {
		return xiuhua.Errorf(xiuhua.EForbidden, "only dispatchers merge and unmerge duplicates", "只有派遣员可以合并或拆分重复案件")
	}
	return nil
}

// Merge merges a duplicate report into its master: the report is rejected
// as a duplicate (不予立案, reason naming the master), and it follows the
// master from then on, so that whoever reported it sees the master's
// progress. Only a report not yet registered can be merged (registration is
// where duplicates are caught), into an open case that is not itself merged.
// version is the duplicate's version, as for any action.
func (a *App) Merge(ctx context.Context, actor auth.Actor, dupID, masterID int64, version int) (casework.Case, error) {
	if err := requireDispatcher(actor); err != nil {
		return casework.Case{}, err
	}
	if dupID == masterID {
		return casework.Case{}, xiuhua.Errorf(xiuhua.EUnprocessable, "a case cannot be merged into itself", "案件不能合并到自身")
	}
	dup, _, err := a.Cases.Get(ctx, actor, dupID)
	if err != nil {
		return casework.Case{}, err
	}
	master, _, err := a.Cases.Get(ctx, actor, masterID)
	if err != nil {
		return casework.Case{}, err
	}
	if !master.State.Open() {
		return casework.Case{}, xiuhua.Errorf(xiuhua.EConflict, "case %s is %s: merge into an open case", "案件 %s 已%s，只能合并到未结案件", master.Code(), master.State.NameZh())
	}
	if dup.State != casework.Reported {
		return casework.Case{}, xiuhua.Errorf(xiuhua.EConflict, "only a report not yet registered can be merged (case %s is %s)",
			"只有尚未立案的上报可以合并（案件 %s 当前为%s）", dup.Code(), dup.State.NameZh())
	}
	db := a.DB
	if t, kind, ok, err := a.liveLink(ctx, db.R, masterID); err != nil {
		return casework.Case{}, err
	} else if ok && kind == LinkDuplicate {
		return casework.Case{}, xiuhua.Errorf(xiuhua.EConflict, "case %s is itself merged into case %d: merge into that one",
			"案件 %s 本身已合并至案件 %d，请合并到该案件", master.Code(), t)
	}
	// Link first, then reject: if the reject fails (a stale version, say) the
	// link is taken back, and a crash in between leaves a report that is
	// linked but still waiting, which the dispatcher merges again.
	linkID, err := db.LinkCase(ctx, dupID, masterID, LinkDuplicate, actor.UserID, actor.Username, time.Now())
	if err != nil {
		return casework.Case{}, err
	}
	out, err := a.Cases.Act(ctx, actor, dupID, casework.Reject, casework.Input{Version: version,
		Reason: "duplicate of case " + master.Code() + " / 重复案件，已合并至案件 " + master.Code()})
	if err != nil {
		if derr := db.DeleteCaseLink(ctx, linkID, actor.UserID); derr != nil {
			a.Log.Error("merge: could not take back the link of a failed merge", "link", linkID, "err", derr)
		}
		return casework.Case{}, err
	}
	return out, nil
}

// Unmerge takes a merged duplicate out of its master. A rejected report
// cannot come back to life (the loop keeps every step), so the report is
// restored as a new case with the same category, place, description, source
// and photos, which the old one follows from then on.
func (a *App) Unmerge(ctx context.Context, actor auth.Actor, dupID int64) (casework.Case, error) {
	if err := requireDispatcher(actor); err != nil {
		return casework.Case{}, err
	}
	dup, evs, err := a.Cases.Get(ctx, actor, dupID)
	if err != nil {
		return casework.Case{}, err
	}
	db := a.DB
	if _, kind, ok, err := a.liveLink(ctx, db.R, dupID); err != nil {
		return casework.Case{}, err
	} else if !ok || kind != LinkDuplicate {
		return casework.Case{}, xiuhua.Errorf(xiuhua.EConflict, "case %s is not merged into another case", "案件 %s 未被合并", dup.Code())
	}
	var photos []string
	if len(evs) > 0 && evs[0].Action == casework.Report {
		photos = evs[0].Attachments
	}
	lat, lon := dup.Lat, dup.Lon
	restored, err := a.Cases.Report(ctx, actor, casework.ReportInput{Category: dup.Category, Description: dup.Description,
		Lat: &lat, Lon: &lon, Source: dup.Source, Urgency: dup.Urgency, Address: dup.Address, Attachments: photos, ApproxArea: dup.ApproxArea})
	if err != nil {
		return casework.Case{}, err
	}
	if err := a.LinkCases(ctx, actor, dupID, restored.ID, LinkRestored); err != nil {
		return casework.Case{}, err
	}
	return restored, nil
}

// LinkCases makes a case follow another from now on (ending what it
// followed before): the public then sees the target's progress under the
// follower's number.
func (a *App) LinkCases(ctx context.Context, actor auth.Actor, followerID, targetID int64, kind string) error {
	_, err := a.DB.LinkCase(ctx, followerID, targetID, kind, actor.UserID, actor.Username, time.Now())
	return err
}

// DismissDuplicate records that a dispatcher judged two cases not to be
// duplicates: the pair is not offered again.
func (a *App) DismissDuplicate(ctx context.Context, actor auth.Actor, id, otherID int64) error {
	if err := requireDispatcher(actor); err != nil {
		return err
	}
	if _, _, err := a.Cases.Get(ctx, actor, id); err != nil {
		return err
	}
	if _, _, err := a.Cases.Get(ctx, actor, otherID); err != nil {
		return err
	}
	return a.DB.DismissDuplicate(ctx, id, otherID, actor.UserID, time.Now())
}
