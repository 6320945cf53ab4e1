package open311

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
)

// The SQL of this door lives here, written once for both stores with the
// store's placeholders (store.DB.Q) and times in Unix milliseconds.

// Times and territory columns are stored as the store does.
var (
	ms              = store.Millis
	nullMS          = store.NullMillis
	fromMS          = store.FromMillis
	territoryColumn = store.TerritoryColumn
)

func isUnique(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func placeholders(n int) string {
	return "?" + strings.Repeat(", ?", n-1)
}

// requestRow is what a client sent with a service request besides the case.
type requestRow struct {
	CaseID       int64
	KeyID        int64
	Token        string
	Jurisdiction string
	FirstName    string
	LastName     string
	Email        string
	Phone        string
	DeviceID     string
	AccountID    string
	AddressID    string
	MediaURLs    []string
	Attributes   map[string][]string
	Description  string
	CreatedAt    time.Time
}

func insertRequest(ctx context.Context, db *store.DB, r requestRow) error {
	media, _ := json.Marshal(r.MediaURLs)
	attrs, _ := json.Marshal(r.Attributes)
	_, err := db.W.ExecContext(ctx, db.Q(`INSERT INTO open311_requests (case_id, key_id, token, jurisdiction_id, first_name, last_name,
		email, phone, device_id, account_id, address_id, media_urls, attributes, description, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		r.CaseID, r.KeyID, r.Token, r.Jurisdiction, r.FirstName, r.LastName, r.Email, r.Phone, r.DeviceID, r.AccountID,
		r.AddressID, string(media), string(attrs), r.Description, ms(r.CreatedAt))
	return err
}

// caseByToken resolves a token to its case id.
func caseByToken(ctx context.Context, db *store.DB, token string) (int64, error) {
	var id int64
	err := db.R.QueryRowContext(ctx, db.Q(`SELECT case_id FROM open311_requests WHERE token = ?`), token).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, xiuhua.Errorf(xiuhua.ENotFound, "no service request for token %s", "令牌 %s 没有对应的服务请求", token)
	}
	return id, err
}

// publicCase is the part of a case an Open311 answer may show, with what
// the client sent that is public (media URLs, address id).
type publicCase struct {
	ID          int64
	State       casework.State
	Category    string
	Description string
	Address     string
	Lon, Lat    float64
	Grid        string
	Community   string
	Street      string
	District    string
	Source      casework.Source
	Urgency     string
	Unit        string
	Deadline    time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ClosedAt    time.Time
	MediaURLs   []string
	AddressID   string
}

// Code is the case number, the service_request_id.
func (c publicCase) Code() string {
	return casework.Case{ID: c.ID, CreatedAt: c.CreatedAt}.Code()
}

const publicCols = `c.id, c.state, c.category, c.description, c.address, c.lon, c.lat, c.grid, c.community, c.street, c.district,
	c.source, c.urgency, c.unit_code, c.deadline, c.created_at, c.updated_at, c.closed_at, r.media_urls, r.address_id`

func scanPublic(s interface{ Scan(...any) error }) (publicCase, error) {
	var c publicCase
	var unit, media, addrID sql.NullString
	var deadline, closed sql.NullInt64
	var created, updated int64
	err := s.Scan(&c.ID, &c.State, &c.Category, &c.Description, &c.Address, &c.Lon, &c.Lat, &c.Grid, &c.Community, &c.Street,
		&c.District, &c.Source, &c.Urgency, &unit, &deadline, &created, &updated, &closed, &media, &addrID)
	if err != nil {
		return c, err
	}
	c.Unit, c.AddressID = unit.String, addrID.String
	c.Deadline, c.ClosedAt = fromMS(deadline), fromMS(closed)
	c.CreatedAt, c.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	if media.Valid && media.String != "" {
		json.Unmarshal([]byte(media.String), &c.MediaURLs)
	}
	return c, nil
}

// caseQuery selects cases for GET requests.
type caseQuery struct {
	Scope         string
	IDs           []int64
	Categories    []string
	Start, End    time.Time // requested_datetime window (inclusive); zero is open
	UpdatedAfter  time.Time
	UpdatedBefore time.Time
	States        []casework.State
	Limit, Offset int
}

func listCases(ctx context.Context, db *store.DB, q caseQuery) ([]publicCase, error) {
	var where []string
	var args []any
	if q.Scope != "" {
		where = append(where, "c."+territoryColumn(q.Scope)+" = ?")
		args = append(args, q.Scope)
	}
	if len(q.IDs) > 0 {
		where = append(where, "c.id IN ("+placeholders(len(q.IDs))+")")
		for _, id := range q.IDs {
			args = append(args, id)
		}
	}
	if len(q.Categories) > 0 {
		where = append(where, "c.category IN ("+placeholders(len(q.Categories))+")")
		for _, c := range q.Categories {
			args = append(args, c)
		}
	}
	if len(q.States) > 0 {
		where = append(where, "c.state IN ("+placeholders(len(q.States))+")")
		for _, s := range q.States {
			args = append(args, string(s))
		}
	}
	for _, r := range []struct {
		t  time.Time
		op string
	}{{q.Start, "c.created_at >= ?"}, {q.End, "c.created_at <= ?"}, {q.UpdatedAfter, "c.updated_at > ?"}, {q.UpdatedBefore, "c.updated_at < ?"}} {
		if !r.t.IsZero() {
			where = append(where, r.op)
			args = append(args, ms(r.t))
		}
	}
	query := `SELECT ` + publicCols + ` FROM cases c LEFT JOIN open311_requests r ON r.case_id = c.id`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY c.created_at DESC, c.id DESC LIMIT ? OFFSET ?"
	args = append(args, q.Limit, q.Offset)
	rows, err := db.R.QueryContext(ctx, db.Q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []publicCase
	for rows.Next() {
		c, err := scanPublic(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func getCase(ctx context.Context, db *store.DB, id int64) (publicCase, error) {
	c, err := scanPublic(db.R.QueryRowContext(ctx, db.Q(`SELECT `+publicCols+` FROM cases c
		LEFT JOIN open311_requests r ON r.case_id = c.id WHERE c.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound(id)
	}
	return c, err
}

func notFound(id any) error {
	return xiuhua.Errorf(xiuhua.ENotFound, "no service request %v", "服务请求 %v 不存在", id)
}

// step is one event of a case as the public may see it: no actor, no note.
type step struct {
	ID     int64
	CaseID int64
	Event  casework.Event
}

func scanStep(rows *sql.Rows) (step, error) {
	var s step
	var at int64
	var data string
	if err := rows.Scan(&s.ID, &s.CaseID, &s.Event.Seq, &s.Event.Action, &s.Event.From, &s.Event.To, &at, &data); err != nil {
		return s, err
	}
	s.Event.ID, s.Event.CaseID, s.Event.At = s.ID, s.CaseID, time.UnixMilli(at).UTC()
	if err := json.Unmarshal([]byte(data), &s.Event.Data); err != nil {
		return s, err
	}
	return s, nil
}

const stepCols = `e.id, e.case_id, e.seq, e.action, e.from_state, e.to_state, e.at, e.data`

// caseSteps returns the steps of some cases in order.
func caseSteps(ctx context.Context, db *store.DB, ids []int64) ([]step, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT `+stepCols+` FROM events e WHERE e.case_id IN (`+placeholders(len(ids))+`)
		ORDER BY e.case_id, e.seq`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []step
	for rows.Next() {
		s, err := scanStep(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// stepsBetween returns the steps taken in [from, to], in time order, at
// most limit of them: on cases in the territory scope when caseIDs is nil,
// else on those cases (whatever their territory).
func stepsBetween(ctx context.Context, db *store.DB, scope string, caseIDs []int64, from, to time.Time, limit int) ([]step, error) {
	q := `SELECT ` + stepCols + ` FROM events e`
	var args []any
	if caseIDs == nil && scope != "" {
		q += ` JOIN cases c ON c.id = e.case_id AND c.` + territoryColumn(scope) + ` = ?`
		args = append(args, scope)
	}
	q += ` WHERE e.at >= ? AND e.at <= ?`
	args = append(args, ms(from), ms(to))
	if caseIDs != nil {
		if len(caseIDs) == 0 {
			return nil, nil
		}
		q += ` AND e.case_id IN (` + placeholders(len(caseIDs)) + `)`
		for _, id := range caseIDs {
			args = append(args, id)
		}
	}
	q += ` ORDER BY e.at, e.id LIMIT ?`
	args = append(args, limit)
	rows, err := db.R.QueryContext(ctx, db.Q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []step
	for rows.Next() {
		s, err := scanStep(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// linksInScope returns the links whose follower lies in the territory scope
// and which were live at some time in [from, to].
func linksInScope(ctx context.Context, db *store.DB, scope string, from, to time.Time) ([]link, error) {
	q := `SELECT l.id, l.case_id, l.target_id, l.kind, l.created_at, l.removed_at FROM case_links l`
	var args []any
	if scope != "" {
		q += ` JOIN cases f ON f.id = l.case_id AND f.` + territoryColumn(scope) + ` = ?`
		args = append(args, scope)
	}
	q += ` WHERE l.created_at <= ? AND (l.removed_at IS NULL OR l.removed_at >= ?) ORDER BY l.id`
	args = append(args, ms(to), ms(from))
	return queryLinks(ctx, db, q, args)
}

func queryLinks(ctx context.Context, db *store.DB, q string, args []any) ([]link, error) {
	rows, err := db.R.QueryContext(ctx, db.Q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []link
	for rows.Next() {
		var l link
		var created int64
		var removed sql.NullInt64
		if err := rows.Scan(&l.ID, &l.CaseID, &l.TargetID, &l.Kind, &created, &removed); err != nil {
			return nil, err
		}
		l.CreatedAt, l.RemovedAt = time.UnixMilli(created).UTC(), fromMS(removed)
		out = append(out, l)
	}
	return out, rows.Err()
}

// link is a case following another (case_links).
type link struct {
	ID        int64
	CaseID    int64
	TargetID  int64
	Kind      string
	CreatedAt time.Time
	RemovedAt time.Time
}

// linksOf returns the links (live and ended) whose follower or target is
// among ids.
func linksOf(ctx context.Context, db *store.DB, ids []int64) ([]link, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > linksByRange {
		return linksInRange(ctx, db, ids)
	}
	args := make([]any, 0, 2*len(ids))
	for _, id := range ids {
		args = append(args, id)
	}
	for _, id := range ids {
		args = append(args, id)
	}
	p := placeholders(len(ids))
	return queryLinks(ctx, db, `SELECT id, case_id, target_id, kind, created_at, removed_at FROM case_links
		WHERE case_id IN (`+p+`) OR target_id IN (`+p+`) ORDER BY id`, args)
}

// linksByRange is how many cases linksOf asks about by name; beyond it
// (a list of up to a thousand requests) it reads the links within the
// range of their ids and keeps those of the cases asked: binding two
// thousand parameters cost more than the few links there are.
const linksByRange = 64

// linksInRange is linksOf by the range of the ids: the same links, in the
// same order.
func linksInRange(ctx context.Context, db *store.DB, ids []int64) ([]link, error) {
	want := make(map[int64]bool, len(ids))
	lo, hi := ids[0], ids[0]
	for _, id := range ids {
		want[id] = true
		lo, hi = min(lo, id), max(hi, id)
	}
	all, err := queryLinks(ctx, db, `SELECT id, case_id, target_id, kind, created_at, removed_at FROM case_links
		WHERE case_id BETWEEN ? AND ? OR target_id BETWEEN ? AND ? ORDER BY id`, []any{lo, hi, lo, hi})
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, l := range all {
		if want[l.CaseID] || want[l.TargetID] {
			out = append(out, l)
		}
	}
	return out, nil
}

// updateRow is an update a client posted.
type updateRow struct {
	ID             int64
	CaseID         int64
	KeyID          int64
	ClientUpdateID string
	Status         string
	Description    string
	MediaURL       string
	FirstName      string
	LastName       string
	Email          string
	Phone          string
	ClientTime     time.Time
	FollowupCaseID int64
	CreatedAt      time.Time
}

// insertUpdate records a posted update and returns its id; the same client
// update id from the same key answers the first record's id (clients retry).
func insertUpdate(ctx context.Context, tx *sql.Tx, db *store.DB, u updateRow) (int64, error) {
	var follow any
	if u.FollowupCaseID != 0 {
		follow = u.FollowupCaseID
	}
	var id int64
	err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO open311_updates (case_id, key_id, client_update_id, status, description, media_url,
		first_name, last_name, email, phone, client_time, followup_case_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		u.CaseID, u.KeyID, u.ClientUpdateID, u.Status, u.Description, u.MediaURL, u.FirstName, u.LastName, u.Email, u.Phone,
		nullMS(u.ClientTime), follow, ms(u.CreatedAt)).Scan(&id)
	return id, err
}

// priorUpdate finds an update already recorded under the client's id.
func priorUpdate(ctx context.Context, db *store.DB, keyID int64, clientID string) (updateRow, bool, error) {
	if clientID == "" {
		return updateRow{}, false, nil
	}
	var u updateRow
	var follow sql.NullInt64
	err := db.W.QueryRowContext(ctx, db.Q(`SELECT id, case_id, followup_case_id FROM open311_updates WHERE key_id = ? AND client_update_id = ?`),
		keyID, clientID).Scan(&u.ID, &u.CaseID, &follow)
	if errors.Is(err, sql.ErrNoRows) {
		return u, false, nil
	}
	u.FollowupCaseID = follow.Int64
	return u, err == nil, err
}

// citizenUpdates returns the public part of the updates clients posted on
// some cases (status and time; the text and the contact stay private).
func citizenUpdates(ctx context.Context, db *store.DB, ids []int64) ([]updateRow, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT id, case_id, status, followup_case_id, created_at FROM open311_updates
		WHERE case_id IN (`+placeholders(len(ids))+`) ORDER BY id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []updateRow
	for rows.Next() {
		var u updateRow
		var follow sql.NullInt64
		var at int64
		if err := rows.Scan(&u.ID, &u.CaseID, &u.Status, &follow, &at); err != nil {
			return nil, err
		}
		u.FollowupCaseID, u.CreatedAt = follow.Int64, time.UnixMilli(at).UTC()
		out = append(out, u)
	}
	return out, rows.Err()
}

// caseIDsIn returns which of ids lie in the territory scope.
func caseIDsIn(ctx context.Context, db *store.DB, scope string, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(ids)+1)
	for _, id := range ids {
		args = append(args, id)
	}
	q := `SELECT id FROM cases WHERE id IN (` + placeholders(len(ids)) + `)`
	if scope != "" {
		q += ` AND ` + territoryColumn(scope) + ` = ?`
		args = append(args, scope)
	}
	rows, err := db.R.QueryContext(ctx, db.Q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}
