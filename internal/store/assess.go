package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/audit"
	"github.com/xiuhua/xiuhua/internal/casework"
)

// factsMargin is how far back in case update time an incremental refresh
// looks again, so a transaction that took its time before a commit is not
// missed. Rereading is cheap: unchanged versions are skipped.
const factsMargin = int64(10 * time.Minute / time.Millisecond)

// factsChunk is how many cases one refresh step derives and writes.
const factsChunk = 500

// RefreshFacts brings assess_case_facts up to date with the cases: it derives
// the summary of every case whose version moved since it was last derived.
// Incremental runs look at cases updated since the last run (less a margin)
// and new ids; a full run compares every case, and is what publishing uses.
// It returns how many cases it derived.
func (db *DB) RefreshFacts(ctx context.Context, full bool) (int, error) {
	var maxUpd, maxID sql.NullInt64
	if err := db.R.QueryRowContext(ctx, `SELECT MAX(updated_at), MAX(id) FROM cases`).Scan(&maxUpd, &maxID); err != nil {
		return 0, err
	}
	const stale = `SELECT c.id FROM cases c LEFT JOIN assess_case_facts f ON f.case_id = c.id
		WHERE (f.case_id IS NULL OR f.version <> c.version)`
	q := stale
	var args []any
	if !full {
		wm, wid, err := db.factsMark(ctx)
		if err != nil {
			return 0, err
		}
		// Two index ranges, deduplicated below: an OR of the two, a UNION or
		// an ORDER BY makes SQLite walk every case in id order instead.
		q = stale + ` AND c.updated_at >= ? UNION ALL ` + stale + ` AND c.id > ?`
		args = append(args, wm-factsMargin, wid)
	}
	rows, err := db.R.QueryContext(ctx, db.Q(q), args...)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	derived := len(ids)
	for len(ids) > 0 {
		n := min(factsChunk, len(ids))
		if err := db.deriveFacts(ctx, ids[:n]); err != nil {
			return 0, err
		}
		ids = ids[n:]
	}
	if maxUpd.Valid {
		_, err = db.W.ExecContext(ctx, db.Q(`INSERT INTO assess_meta (name, value) VALUES ('facts_updated', ?), ('facts_id', ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE assess_meta.value < excluded.value`), maxUpd.Int64, maxID.Int64)
	}
	return derived, err
}

func (db *DB) factsMark(ctx context.Context) (upd, id int64, err error) {
	rows, err := db.R.QueryContext(ctx, `SELECT name, value FROM assess_meta WHERE name IN ('facts_updated', 'facts_id')`)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			return 0, 0, err
		}
		if k == "facts_updated" {
			upd = v
		} else {
			id = v
		}
	}
	return upd, id, rows.Err()
}

func inList(n int) string { return "(?" + strings.Repeat(", ?", n-1) + ")" }

func int64Args(ids []int64) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return args
}

// caseBase reads the fixed facts and versions of cases. It runs before the
// events are read, so a version recorded is never newer than the events
// derived from (a change in between makes the next refresh derive again).
func (db *DB) caseBase(ctx context.Context, ids []int64) (map[int64]assess.Summary, map[int64]int, error) {
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT id, version, category, source, reporter_id, grid, community, street, district
		FROM cases WHERE id IN `+inList(len(ids))), int64Args(ids)...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	base := make(map[int64]assess.Summary, len(ids))
	vers := make(map[int64]int, len(ids))
	for rows.Next() {
		var s assess.Summary
		var v int
		var rep sql.NullInt64
		if err := rows.Scan(&s.Case, &v, &s.Category, &s.Source, &rep, &s.Grid, &s.Community, &s.Street, &s.District); err != nil {
			return nil, nil, err
		}
		s.Reporter = rep.Int64
		base[s.Case], vers[s.Case] = s, v
	}
	return base, vers, rows.Err()
}

// caseSteps reads the events of cases before a cutoff as assess steps, in order.
func (db *DB) caseSteps(ctx context.Context, ids []int64, cutoff int64) (map[int64][]assess.Step, error) {
	return db.stepsWhere(ctx, db.R, `FROM events e WHERE e.case_id IN `+inList(len(ids))+` AND e.at < ?`, append(int64Args(ids), cutoff)...)
}

// stepsWhere reads events (aliased e) as assess steps by case, in order.
func (db *DB) stepsWhere(ctx context.Context, q queryer, from string, args ...any) (map[int64][]assess.Step, error) {
	rows, err := q.QueryContext(ctx, db.Q(`SELECT e.case_id, e.seq, e.action, e.actor_id, e.at, e.data `+from), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]assess.Step{}
	seqs := map[int64][]int{}
	sorted := true
	for rows.Next() {
		var id int64
		var seq int
		var st assess.Step
		var actor sql.NullInt64
		var data sql.RawBytes
		if err := rows.Scan(&id, &seq, &st.Action, &actor, &st.At, &data); err != nil {
			return nil, err
		}
		st.Actor = actor.Int64
		switch st.Action {
		case casework.Dispatch, casework.ApproveExtension, casework.Resume, casework.Verify:
			if err := stepData(&st, data); err != nil {
				return nil, err
			}
		}
		if q := seqs[id]; len(q) > 0 && q[len(q)-1] > seq {
			sorted = false
		}
		out[id] = append(out[id], st)
		seqs[id] = append(seqs[id], seq)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !sorted {
		// No ORDER BY (a sort of the whole result would cost more than this).
		for id, st := range out {
			q := seqs[id]
			sort.Sort(bySeq{st, q})
		}
	}
	return out, nil
}

// stepData fills a step from its event's data: the unit, the deadline set
// and the verdicts. The data is what encoding/json wrote for
// casework.EventData; plain values are read directly (a replay reads
// hundreds of thousands), anything else goes through encoding/json.
func stepData(st *assess.Step, data []byte) error {
	var d casework.EventData
	if !fastEventData(data, &d) {
		d = casework.EventData{}
		if err := json.Unmarshal(data, &d); err != nil {
			return err
		}
	}
	st.Unit = d.Unit
	if d.Deadline != nil {
		st.Deadline = d.Deadline.UnixMilli()
	}
	st.Passed = d.Passed != nil && *d.Passed
	if st.Action == casework.ApproveExtension && (d.Approved == nil || !*d.Approved) {
		st.Deadline = 0
	}
	return nil
}

// fastEventData reads the fields the metrics need from flat JSON with no
// escapes; it reports false for anything else.
func fastEventData(b []byte, d *casework.EventData) bool {
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' || bytes.IndexByte(b, '\\') >= 0 {
		return false
	}
	str := func(key string) (string, bool, bool) {
		k := bytes.Index(b, []byte(`"`+key+`":`))
		if k < 0 {
			return "", false, true
		}
		v := b[k+len(key)+3:]
		if len(v) == 0 || v[0] != '"' {
			return "", false, false
		}
		e := bytes.IndexByte(v[1:], '"')
		if e < 0 {
			return "", false, false
		}
		return string(v[1 : 1+e]), true, true
	}
	boolean := func(key string) (*bool, bool) {
		k := bytes.Index(b, []byte(`"`+key+`":`))
		if k < 0 {
			return nil, true
		}
		v := b[k+len(key)+3:]
		switch {
		case bytes.HasPrefix(v, []byte("true")):
			t := true
			return &t, true
		case bytes.HasPrefix(v, []byte("false")):
			f := false
			return &f, true
		}
		return nil, false
	}
	unit, _, ok := str("unit")
	if !ok {
		return false
	}
	dl, has, ok := str("deadline")
	if !ok {
		return false
	}
	if has {
		t, err := time.Parse(time.RFC3339Nano, dl)
		if err != nil {
			return false
		}
		d.Deadline = &t
	}
	var ok1, ok2 bool
	d.Unit = unit
	d.Passed, ok1 = boolean("passed")
	d.Approved, ok2 = boolean("approved")
	return ok1 && ok2
}

// queryer is a pool or one of its connections.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

type bySeq struct {
	st  []assess.Step
	seq []int
}

func (b bySeq) Len() int           { return len(b.st) }
func (b bySeq) Less(i, j int) bool { return b.seq[i] < b.seq[j] }
func (b bySeq) Swap(i, j int) {
	b.st[i], b.st[j] = b.st[j], b.st[i]
	b.seq[i], b.seq[j] = b.seq[j], b.seq[i]
}

// deriveFacts derives and stores the facts of a few cases in one transaction.
func (db *DB) deriveFacts(ctx context.Context, ids []int64) error {
	base, vers, err := db.caseBase(ctx, ids)
	if err != nil {
		return err
	}
	steps, err := db.caseSteps(ctx, ids, math.MaxInt64)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO assess_case_facts (case_id, version, reported_at, active_until, summary) VALUES `)
	args := make([]any, 0, 5*len(ids))
	n := 0
	for _, id := range ids {
		bs, ok := base[id]
		if !ok {
			continue
		}
		s := assess.Derive(bs, steps[id], math.MaxInt64)
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?)")
		args = append(args, id, vers[id], s.Reported, max(s.Last, s.Deadline()), s.Encode())
		n++
	}
	if n == 0 {
		return nil
	}
	b.WriteString(` ON CONFLICT (case_id) DO UPDATE SET version = excluded.version, reported_at = excluded.reported_at,
		active_until = excluded.active_until, summary = excluded.summary WHERE assess_case_facts.version <= excluded.version`)
	_, err = db.W.ExecContext(ctx, db.Q(b.String()), args...)
	return err
}

// EachSummary calls fn with every case that may matter to a window, as it
// stood at the window's end: every case reported before the end and changed
// (or due) after the start, which includes every case with a deadline, a
// deadline set, a dispatch, a registration or a report in the window. The
// facts of a case changed after the end are not what they were at the end:
// such a case is replayed from its events before the end. fn must not keep
// the pointer. Call RefreshFacts first.
func (db *DB) EachSummary(ctx context.Context, w assess.Window, fn func(*assess.Summary)) error {
	conn, err := db.R.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if db.Dialect == SQLite {
		// A month is hundreds of megabytes of facts: read them mapped rather
		// than through the small page cache, one pread per page.
		if _, err := conn.ExecContext(ctx, `PRAGMA mmap_size = 4294967296`); err != nil {
			return err
		}
	}
	rows, err := conn.QueryContext(ctx, db.Q(`SELECT summary FROM assess_case_facts WHERE active_until >= ? AND reported_at < ?`),
		w.Start, w.End)
	if err != nil {
		return err
	}
	dec := assess.NewDecoder()
	var sum assess.Summary
	var later []assess.Summary
	for rows.Next() {
		var raw sql.RawBytes
		if err := rows.Scan(&raw); err != nil {
			rows.Close()
			return err
		}
		if !dec.Decode(raw, &sum) {
			rows.Close()
			return errBadSummary(sum.Case)
		}
		if sum.Last >= w.End {
			later = append(later, sum)
			continue
		}
		fn(&sum)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(later) == 0 {
		return nil
	}
	// One query for the events before the end of every case that may have
	// changed after it (a superset: also cases merely due after it), rather
	// than one per chunk of cases.
	// CROSS JOIN keeps SQLite's planner on the facts first (it would rather
	// walk events by time); PostgreSQL reads it as a plain join.
	steps, err := db.stepsWhere(ctx, conn, `FROM assess_case_facts f CROSS JOIN events e
		WHERE e.case_id = f.case_id AND f.active_until >= ? AND f.reported_at < ? AND e.at < ?`, w.End, w.End, w.End)
	if err != nil {
		return err
	}
	for i := range later {
		// The summary's fixed facts (location, reporter…) are the case's; the rest is replayed.
		s := assess.Derive(later[i], steps[later[i].Case], w.End)
		fn(&s)
	}
	return nil
}

// Summaries collects EachSummary (for tests and small windows).
func (db *DB) Summaries(ctx context.Context, w assess.Window) ([]assess.Summary, error) {
	var out []assess.Summary
	err := db.EachSummary(ctx, w, func(s *assess.Summary) {
		c := *s
		c.Versions = append([]assess.Version(nil), s.Versions...)
		out = append(out, c)
	})
	return out, err
}

func errBadSummary(id int64) error {
	return xiuhua.Internal(fmt.Errorf("assess_case_facts: the summary of case %d is unreadable", id))
}

// Verifications returns the on-site verifications done in a window, each
// with the time of the handling it checked (the event just before it: a
// handled case can only be verified).
func (db *DB) Verifications(ctx context.Context, w assess.Window) ([]assess.Verification, error) {
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT v.actor_id, h.at, v.at, c.grid FROM events v
		JOIN events h ON h.case_id = v.case_id AND h.seq = v.seq - 1
		JOIN cases c ON c.id = v.case_id
		WHERE v.action = 'verify' AND v.at >= ? AND v.at < ?`), w.Start, w.End)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []assess.Verification
	for rows.Next() {
		var v assess.Verification
		var actor sql.NullInt64
		if err := rows.Scan(&actor, &v.Handled, &v.Verified, &v.Grid); err != nil {
			return nil, err
		}
		v.Inspector = actor.Int64
		out = append(out, v)
	}
	return out, rows.Err()
}

// assessNotFound is the not-found error of an assessment record.
func assessNotFound(what string, key any) error {
	return xiuhua.Errorf(xiuhua.ENotFound, "no %s %v", "%s %v 不存在", what, key)
}

const schemeCols = `id, code, version, name, body, frozen, created_at`

func scanScheme(s interface{ Scan(...any) error }) (assess.Scheme, error) {
	var sc assess.Scheme
	var id int64
	var code, name, body string
	var version int
	var frozen bool
	var created int64
	if err := s.Scan(&id, &code, &version, &name, &body, &frozen, &created); err != nil {
		return sc, err
	}
	if err := json.Unmarshal([]byte(body), &sc); err != nil {
		return sc, err
	}
	sc.ID, sc.Code, sc.Version, sc.Name, sc.Frozen, sc.CreatedAt = id, code, version, name, frozen, time.UnixMilli(created).UTC()
	return sc, nil
}

// PutScheme stores a scheme: it replaces the latest version while no round
// uses it, and otherwise (frozen) adds the next version.
func (db *DB) PutScheme(ctx context.Context, s assess.Scheme, by int64) (assess.Scheme, error) {
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var id sql.NullInt64
		var ver sql.NullInt64
		var frozen sql.NullBool
		err := tx.QueryRowContext(ctx, db.Q(`SELECT id, version, frozen FROM assess_schemes WHERE code = ? ORDER BY version DESC LIMIT 1`), s.Code).
			Scan(&id, &ver, &frozen)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		now := time.Now()
		s.Frozen, s.CreatedAt = false, now.UTC().Truncate(time.Millisecond)
		s.ID = 0
		body, err := json.Marshal(s)
		if err != nil {
			return err
		}
		replaced := id.Valid && !frozen.Bool
		if replaced {
			s.ID, s.Version = id.Int64, int(ver.Int64)
			_, err = tx.ExecContext(ctx, db.Q(`UPDATE assess_schemes SET name = ?, body = ?, created_by = ?, created_at = ? WHERE id = ?`),
				s.Name, string(body), nullID(by), ms(now), s.ID)
		} else {
			s.Version = int(ver.Int64) + 1
			err = tx.QueryRowContext(ctx, db.Q(`INSERT INTO assess_schemes (code, version, name, body, frozen, created_by, created_at)
				VALUES (?, ?, ?, ?, FALSE, ?, ?) RETURNING id`), s.Code, s.Version, s.Name, string(body), nullID(by), ms(now)).Scan(&s.ID)
		}
		if err != nil {
			return err
		}
		return db.auditAssess(ctx, tx, by, auditScheme, s.Code, schemeAudit{s.ID, s.Code, s.Version, s.Name, replaced, sha256Hex(body), body})
	})
	if isUnique(err) {
		return s, xiuhua.Errorf(xiuhua.EConflict, "scheme %s was changed by someone else meanwhile: try again", "考核办法 %s 已被他人同时修改，请重试", s.Code)
	}
	return s, err
}

// Scheme returns a scheme version by id.
func (db *DB) Scheme(ctx context.Context, id int64) (assess.Scheme, error) {
	s, err := scanScheme(db.R.QueryRowContext(ctx, db.Q(`SELECT `+schemeCols+` FROM assess_schemes WHERE id = ?`), id))
	if err == sql.ErrNoRows {
		return s, assessNotFound("scheme", id)
	}
	return s, err
}

// SchemeVersion returns a scheme by code and version (0: the latest).
func (db *DB) SchemeVersion(ctx context.Context, code string, version int) (assess.Scheme, error) {
	q := `SELECT ` + schemeCols + ` FROM assess_schemes WHERE code = ? AND version = ?`
	args := []any{code, version}
	if version == 0 {
		q, args = `SELECT `+schemeCols+` FROM assess_schemes WHERE code = ? ORDER BY version DESC LIMIT 1`, []any{code}
	}
	s, err := scanScheme(db.R.QueryRowContext(ctx, db.Q(q), args...))
	if err == sql.ErrNoRows {
		return s, assessNotFound("scheme", code)
	}
	return s, err
}

// Schemes lists every scheme version, by code and version.
func (db *DB) Schemes(ctx context.Context) ([]assess.Scheme, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT `+schemeCols+` FROM assess_schemes ORDER BY code, version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []assess.Scheme
	for rows.Next() {
		s, err := scanScheme(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// PutPoint adds or changes an inspection point.
func (db *DB) PutPoint(ctx context.Context, p assess.Point) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.Q(`INSERT INTO assess_points (code, name, type, address, lon, lat, grid, community, street, district, enabled, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (code) DO UPDATE SET name = excluded.name, type = excluded.type, address = excluded.address, lon = excluded.lon,
			lat = excluded.lat, grid = excluded.grid, community = excluded.community, street = excluded.street, district = excluded.district,
			enabled = excluded.enabled, updated_at = excluded.updated_at`),
			p.Code, p.Name, p.Type, p.Address, p.Lon, p.Lat, p.Grid, p.Community, p.Street, p.District, p.Enabled, ms(time.Now()))
		if err != nil {
			return err
		}
		p.MgmtUnit = "" // not stored with the point
		return db.auditAssess(ctx, tx, 0, auditPoint, p.Code, p)
	})
}

// pointFrom reads points (p) with the management unit of their grid (g).
const pointFrom = `SELECT p.code, p.name, p.type, p.address, p.lon, p.lat, p.grid, p.community, p.street, p.district, p.enabled,
	COALESCE(g.unit_code, '') FROM assess_points p LEFT JOIN assess_mgmt_unit_grids g ON g.grid = p.grid`

func scanPoint(s interface{ Scan(...any) error }) (assess.Point, error) {
	var p assess.Point
	err := s.Scan(&p.Code, &p.Name, &p.Type, &p.Address, &p.Lon, &p.Lat, &p.Grid, &p.Community, &p.Street, &p.District, &p.Enabled, &p.MgmtUnit)
	return p, err
}

// Point returns one inspection point.
func (db *DB) Point(ctx context.Context, code string) (assess.Point, error) {
	p, err := scanPoint(db.R.QueryRowContext(ctx, db.Q(pointFrom+` WHERE p.code = ?`), code))
	if err == sql.ErrNoRows {
		return p, assessNotFound("inspection point", code)
	}
	return p, err
}

// Points lists the inspection points in a territory ("" for all), by code.
func (db *DB) Points(ctx context.Context, territory string) ([]assess.Point, error) {
	q, args := pointFrom, []any{}
	if territory != "" {
		q += ` WHERE p.` + territoryColumn(territory) + ` = ?`
		args = append(args, territory)
	}
	rows, err := db.R.QueryContext(ctx, db.Q(q+` ORDER BY p.code`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []assess.Point
	for rows.Next() {
		p, err := scanPoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// roundSample is what assess_rounds.sample holds.
type roundSample struct {
	Sizes  map[string]int   `json:"sizes"`
	Strata []assess.Stratum `json:"strata"`
}

// CreateRound stores a round and its drawn points, and freezes the scheme
// version it uses, in one transaction.
func (db *DB) CreateRound(ctx context.Context, r *assess.Round, points []assess.RoundPoint, by int64) error {
	sample, err := json.Marshal(roundSample{r.Sizes, r.Strata})
	if err != nil {
		return err
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.Q(`UPDATE assess_schemes SET frozen = TRUE WHERE id = ?`), r.SchemeID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO assess_rounds (scheme_id, kind, period, name, territory, seed, algorithm, sample, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), r.SchemeID, r.Kind, r.Period, r.Name, r.Territory,
			strconv.FormatUint(r.Seed, 10), r.Algorithm, string(sample), nullID(by), ms(r.CreatedAt)).Scan(&r.ID)
		if err != nil {
			return err
		}
		for _, p := range points {
			if _, err := tx.ExecContext(ctx, db.Q(`INSERT INTO assess_round_points (round_id, point_code, unit, point_type, source, ord)
				VALUES (?, ?, ?, ?, ?, ?)`), r.ID, p.Point, p.Unit, p.Type, p.Source, p.Ord); err != nil {
				return err
			}
		}
		return db.auditAssess(ctx, tx, by, auditRound, strconv.FormatInt(r.ID, 10), roundAudit{r.SchemeID, r.Kind, r.Period, r.Name, r.Territory,
			strconv.FormatUint(r.Seed, 10), r.Algorithm, r.Sizes, ms(r.CreatedAt), sha256Hex(sample), len(points), pointCodesSHA256(points)})
	})
}

const roundCols = `r.id, r.scheme_id, s.code, s.version, r.kind, r.period, r.name, r.territory, r.seed, r.algorithm, r.sample, r.created_at`

func scanRound(s interface{ Scan(...any) error }) (assess.Round, error) {
	var r assess.Round
	var seed, sample string
	var created int64
	if err := s.Scan(&r.ID, &r.SchemeID, &r.SchemeCode, &r.SchemeVersion, &r.Kind, &r.Period, &r.Name, &r.Territory, &seed,
		&r.Algorithm, &sample, &created); err != nil {
		return r, err
	}
	var rs roundSample
	if err := json.Unmarshal([]byte(sample), &rs); err != nil {
		return r, err
	}
	r.Sizes, r.Strata = rs.Sizes, rs.Strata
	r.Seed, _ = strconv.ParseUint(seed, 10, 64)
	r.CreatedAt = time.UnixMilli(created).UTC()
	return r, nil
}

// Round returns a round.
func (db *DB) Round(ctx context.Context, id int64) (assess.Round, error) {
	r, err := scanRound(db.R.QueryRowContext(ctx, db.Q(`SELECT `+roundCols+` FROM assess_rounds r
		JOIN assess_schemes s ON s.id = r.scheme_id WHERE r.id = ?`), id))
	if err == sql.ErrNoRows {
		return r, assessNotFound("round", id)
	}
	return r, err
}

// Rounds lists the rounds of a period ("" for all), oldest first.
func (db *DB) Rounds(ctx context.Context, period string) ([]assess.Round, error) {
	q, args := `SELECT `+roundCols+` FROM assess_rounds r JOIN assess_schemes s ON s.id = r.scheme_id`, []any{}
	if period != "" {
		q += ` WHERE r.period = ?`
		args = append(args, period)
	}
	rows, err := db.R.QueryContext(ctx, db.Q(q+` ORDER BY r.id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []assess.Round
	for rows.Next() {
		r, err := scanRound(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RoundPoints lists a round's points in order (drawn, then visits).
func (db *DB) RoundPoints(ctx context.Context, round int64) ([]assess.RoundPoint, error) {
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT point_code, unit, point_type, source, ord, inspected_at FROM assess_round_points
		WHERE round_id = ? ORDER BY ord`), round)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []assess.RoundPoint
	for rows.Next() {
		p := assess.RoundPoint{Round: round}
		var insp sql.NullInt64
		if err := rows.Scan(&p.Point, &p.Unit, &p.Type, &p.Source, &p.Ord, &insp); err != nil {
			return nil, err
		}
		if insp.Valid {
			t := time.UnixMilli(insp.Int64).UTC()
			p.InspectedAt = &t
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// AddRoundPoint adds a point to a round (an unannounced visit) after its
// others; adding one already there is a conflict.
func (db *DB) AddRoundPoint(ctx context.Context, p assess.RoundPoint) error {
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.Q(`INSERT INTO assess_round_points (round_id, point_code, unit, point_type, source, ord)
			VALUES (?, ?, ?, ?, ?, (SELECT COALESCE(MAX(ord), 0) + 1 FROM assess_round_points WHERE round_id = ?))`),
			p.Round, p.Point, p.Unit, p.Type, p.Source, p.Round)
		if err != nil {
			return err
		}
		return db.auditAssess(ctx, tx, 0, auditVisit, strconv.FormatInt(p.Round, 10),
			map[string]string{"point": p.Point, "unit": p.Unit, "type": p.Type, "source": p.Source})
	})
	if isUnique(err) {
		return xiuhua.Errorf(xiuhua.EConflict, "point %s is already in round %d", "点位 %s 已在第 %d 轮考核中", p.Point, p.Round)
	}
	return err
}

// MarkInspected records that a round's point was inspected (the first time
// counts: a later one changes nothing and is not logged).
func (db *DB) MarkInspected(ctx context.Context, round int64, point string, by int64, at time.Time) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.Q(`UPDATE assess_round_points SET inspected_at = ?, inspected_by = ?
			WHERE round_id = ? AND point_code = ? AND inspected_at IS NULL`), ms(at), nullID(by), round, point)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return db.auditAssess(ctx, tx, by, auditInspected, strconv.FormatInt(round, 10), map[string]any{"point": point, "by": by, "at": ms(at)})
	})
}

// AddFinding stores a finding (its case is linked afterwards).
func (db *DB) AddFinding(ctx context.Context, f *assess.Finding) error {
	photos, err := json.Marshal(f.Photos)
	if err != nil {
		return err
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO assess_findings (round_id, point_code, indicator, category, count, note, photos, case_id, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?) RETURNING id`), f.Round, f.Point, f.Indicator, f.Category, f.Count, f.Note, string(photos),
			nullID(f.CreatedBy), ms(f.CreatedAt)).Scan(&f.ID)
		if err != nil {
			return err
		}
		return db.auditAssess(ctx, tx, f.CreatedBy, auditFinding, strconv.FormatInt(f.ID, 10), map[string]any{"round": f.Round, "point": f.Point,
			"indicator": f.Indicator, "category": f.Category, "count": f.Count, "note": f.Note, "photos": json.RawMessage(photos),
			"created_by": f.CreatedBy, "created_at": ms(f.CreatedAt)})
	})
}

// LinkFinding records the case a finding opened.
func (db *DB) LinkFinding(ctx context.Context, id, caseID int64) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.Q(`UPDATE assess_findings SET case_id = ? WHERE id = ?`), caseID, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return db.auditAssess(ctx, tx, 0, auditFindingLink, strconv.FormatInt(id, 10), map[string]int64{"case": caseID})
	})
}

// DeleteFinding removes a finding whose case could not be opened.
func (db *DB) DeleteFinding(ctx context.Context, id int64) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.Q(`DELETE FROM assess_findings WHERE id = ? AND case_id IS NULL`), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return db.auditAssess(ctx, tx, 0, auditFindingDelete, strconv.FormatInt(id, 10), nil)
	})
}

// Findings lists a round's findings in order.
func (db *DB) Findings(ctx context.Context, round int64) ([]assess.Finding, error) {
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT id, point_code, indicator, category, count, note, photos, case_id, created_by, created_at
		FROM assess_findings WHERE round_id = ? ORDER BY id`), round)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []assess.Finding
	for rows.Next() {
		f := assess.Finding{Round: round}
		var photos string
		var caseID, by sql.NullInt64
		var created int64
		if err := rows.Scan(&f.ID, &f.Point, &f.Indicator, &f.Category, &f.Count, &f.Note, &photos, &caseID, &by, &created); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(photos), &f.Photos); err != nil {
			return nil, err
		}
		f.CaseID, f.CreatedBy, f.CreatedAt = caseID.Int64, by.Int64, time.UnixMilli(created).UTC()
		out = append(out, f)
	}
	return out, rows.Err()
}

// CaseSummaries replays a few cases from their events as they stood at a cutoff.
func (db *DB) CaseSummaries(ctx context.Context, ids []int64, cutoff int64) (map[int64]assess.Summary, error) {
	out := map[int64]assess.Summary{}
	for len(ids) > 0 {
		n := min(factsChunk, len(ids))
		chunk := ids[:n]
		ids = ids[n:]
		base, _, err := db.caseBase(ctx, chunk)
		if err != nil {
			return nil, err
		}
		steps, err := db.caseSteps(ctx, chunk, cutoff)
		if err != nil {
			return nil, err
		}
		for id, b := range base {
			out[id] = assess.Derive(b, steps[id], cutoff)
		}
	}
	return out, nil
}

// Publish stores a new version of a publication: the next after the
// latest of its kind, period and scope.
func (db *DB) Publish(ctx context.Context, p *assess.Publication) error {
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var v int
		if err := tx.QueryRowContext(ctx, db.Q(`SELECT COALESCE(MAX(version), 0) FROM assess_publications WHERE kind = ? AND period = ? AND scope = ?`),
			p.Kind, p.Period, p.Scope).Scan(&v); err != nil {
			return err
		}
		p.Version = v + 1
		body := string(p.Body)
		err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO assess_publications (kind, period, scope, version, reason, cutoff, body, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), p.Kind, p.Period, p.Scope, p.Version, p.Reason, ms(p.Cutoff), body,
			nullID(p.CreatedBy), ms(p.CreatedAt)).Scan(&p.ID)
		if err != nil {
			return err
		}
		// The entry covers every stored field and the body's sha256, so
		// VerifyAudit can tell published results edited afterwards.
		by := p.CreatedBy
		if by == 0 {
			by = audit.ActorFrom(ctx)
		}
		return db.appendAudit(ctx, tx, by, auditPublish, strconv.FormatInt(p.ID, 10),
			publicationPayload(p.ID, p.Kind, p.Period, p.Scope, p.Version, p.Reason, ms(p.Cutoff), p.CreatedBy, ms(p.CreatedAt), body), time.Now())
	})
	if isUnique(err) {
		return xiuhua.Errorf(xiuhua.EConflict, "someone published the same results meanwhile: reload and try again", "他人同时发布了同一结果，请刷新后重试")
	}
	return err
}

// Publications lists the versions of a kind, period and scope, oldest first.
func (db *DB) Publications(ctx context.Context, kind, period, scope string) ([]assess.Publication, error) {
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT id, version, reason, cutoff, body, created_by, created_at FROM assess_publications
		WHERE kind = ? AND period = ? AND scope = ? ORDER BY version`), kind, period, scope)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []assess.Publication
	for rows.Next() {
		p := assess.Publication{Kind: kind, Period: period, Scope: scope}
		var cutoff, created int64
		var by sql.NullInt64
		var body string
		if err := rows.Scan(&p.ID, &p.Version, &p.Reason, &cutoff, &body, &by, &created); err != nil {
			return nil, err
		}
		p.Body, p.Cutoff, p.CreatedBy, p.CreatedAt = []byte(body), time.UnixMilli(cutoff).UTC(), by.Int64, time.UnixMilli(created).UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}
