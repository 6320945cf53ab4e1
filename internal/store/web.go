package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
)

// WebSession is a signed-in browser of the web console.
type WebSession struct {
	// IDHash is the sha256 (hex) of the session id; the id itself is only in the cookie.
	IDHash string
	UserID int64
	// CSRF is the synchronizer token every form of the session carries.
	CSRF      string
	CreatedAt time.Time
	LastSeen  time.Time
	ExpiresAt time.Time
	// User and Lang are filled by WebSession: the live user and their language ("" when unset).
	User auth.User
	Lang string
}

// CreateWebSession stores a new session.
func (db *DB) CreateWebSession(ctx context.Context, s WebSession) error {
	_, err := db.W.ExecContext(ctx, db.Q(`INSERT INTO web_sessions (id_hash, user_id, csrf, created_at, last_seen, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`), s.IDHash, s.UserID, s.CSRF, ms(s.CreatedAt), ms(s.LastSeen), ms(s.ExpiresAt))
	return err
}

// WebSession returns a session with its user and the user's language. A
// session of a disabled or missing user answers unauthorized, as an unknown one does.
func (db *DB) WebSession(ctx context.Context, idHash string) (WebSession, error) {
	var s WebSession
	var created, seen, expires int64
	var lang sql.NullString
	var unit sql.NullString
	err := db.readRow(ctx, `SELECT s.id_hash, s.user_id, s.csrf, s.created_at, s.last_seen, s.expires_at,
		u.id, u.username, u.display_name, u.role, u.unit_code, u.scope, u.disabled, p.lang
		FROM web_sessions s JOIN users u ON u.id = s.user_id LEFT JOIN web_user_prefs p ON p.user_id = s.user_id
		WHERE s.id_hash = ? AND NOT u.disabled`, idHash).
		Scan(&s.IDHash, &s.UserID, &s.CSRF, &created, &seen, &expires,
			&s.User.ID, &s.User.Username, &s.User.DisplayName, &s.User.Role, &unit, &s.User.Scope, &s.User.Disabled, &lang)
	if errors.Is(err, sql.ErrNoRows) {
		return s, xiuhua.Errorf(xiuhua.EUnauthorized, "not signed in", "未登录")
	}
	s.CreatedAt, s.LastSeen, s.ExpiresAt = time.UnixMilli(created).UTC(), time.UnixMilli(seen).UTC(), time.UnixMilli(expires).UTC()
	s.User.Unit, s.Lang = unit.String, lang.String
	return s, err
}

// TouchWebSession records activity on a session (idle expiry counts from it).
func (db *DB) TouchWebSession(ctx context.Context, idHash string, at time.Time) error {
	_, err := db.W.ExecContext(ctx, db.Q(`UPDATE web_sessions SET last_seen = ? WHERE id_hash = ?`), ms(at), idHash)
	return err
}

// DeleteWebSession ends a session.
func (db *DB) DeleteWebSession(ctx context.Context, idHash string) error {
	_, err := db.W.ExecContext(ctx, db.Q(`DELETE FROM web_sessions WHERE id_hash = ?`), idHash)
	return err
}

// DeleteUserWebSessions ends every session of a user (after a password change).
func (db *DB) DeleteUserWebSessions(ctx context.Context, userID int64) error {
	_, err := db.W.ExecContext(ctx, db.Q(`DELETE FROM web_sessions WHERE user_id = ?`), userID)
	return err
}

// PurgeWebSessions deletes sessions past their absolute expiry (expires_at
// before now) or idle since before idleBefore, and returns how many.
func (db *DB) PurgeWebSessions(ctx context.Context, now, idleBefore time.Time) (int64, error) {
	res, err := db.W.ExecContext(ctx, db.Q(`DELETE FROM web_sessions WHERE expires_at < ? OR last_seen < ?`), ms(now), ms(idleBefore))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// UserPassword returns a user and their password hash ("" when the user has
// no password and can only use API tokens).
func (db *DB) UserPassword(ctx context.Context, username string) (auth.User, string, error) {
	var u auth.User
	var unit, hash sql.NullString
	err := db.R.QueryRowContext(ctx, db.Q(`SELECT id, username, display_name, role, unit_code, scope, disabled, password_hash
		FROM users WHERE username = ?`), username).
		Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &unit, &u.Scope, &u.Disabled, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return u, "", xiuhua.Errorf(xiuhua.ENotFound, "no user %s", "用户 %s 不存在", username)
	}
	u.Unit = unit.String
	return u, hash.String, err
}

// SetPassword stores a user's password hash.
func (db *DB) SetPassword(ctx context.Context, username, hash string) error {
	res, err := db.W.ExecContext(ctx, db.Q(`UPDATE users SET password_hash = ? WHERE username = ?`), hash, username)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return xiuhua.Errorf(xiuhua.ENotFound, "no user %s", "用户 %s 不存在", username)
	}
	return nil
}

// UserDisplayNames returns the display names of users by id (missing ids are left out).
func (db *DB) UserDisplayNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	return db.stringsByID(ctx, `SELECT id, display_name FROM users WHERE id IN (%s)`, ids)
}

// LoginFailures is the failed-sign-in record of one username.
type LoginFailures struct {
	Failures    int
	FirstAt     time.Time // start of the counting window
	LockedUntil time.Time // zero when not locked
}

// Locked reports whether sign-in is refused at now.
func (f LoginFailures) Locked(now time.Time) bool { return now.Before(f.LockedUntil) }

// LoginFailures returns the record of a username (zero when none).
func (db *DB) LoginFailures(ctx context.Context, username string) (LoginFailures, error) {
	var f LoginFailures
	var first, locked int64
	err := db.R.QueryRowContext(ctx, db.Q(`SELECT failures, first_at, locked_until FROM web_login_failures WHERE username = ?`), username).
		Scan(&f.Failures, &first, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return LoginFailures{}, nil
	}
	f.FirstAt = time.UnixMilli(first).UTC()
	if locked != 0 {
		f.LockedUntil = time.UnixMilli(locked).UTC()
	}
	return f, err
}

// RecordLoginFailure counts a failed sign-in in one statement, so that
// concurrent failures are all counted: the count restarts when the window
// has passed or a lock has run out, and the max-th failure inside a window
// locks the username for lock. A running lock is never extended, so nobody
// can keep someone else locked out for longer than lock at a time.
func (db *DB) RecordLoginFailure(ctx context.Context, username string, now time.Time, window time.Duration, max int, lock time.Duration) (LoginFailures, error) {
	n, start, until := ms(now), ms(now.Add(-window)), ms(now.Add(lock))
	firstLock := int64(0)
	if max <= 1 {
		firstLock = until
	}
	const reset = `(web_login_failures.first_at < ? OR (web_login_failures.locked_until <> 0 AND web_login_failures.locked_until <= ?))`
	var f LoginFailures
	var first, locked int64
	err := db.W.QueryRowContext(ctx, db.Q(`INSERT INTO web_login_failures (username, failures, first_at, locked_until) VALUES (?, 1, ?, ?)
		ON CONFLICT (username) DO UPDATE SET
		failures = CASE WHEN `+reset+` THEN 1 ELSE web_login_failures.failures + 1 END,
		first_at = CASE WHEN `+reset+` THEN ? ELSE web_login_failures.first_at END,
		locked_until = CASE WHEN `+reset+` THEN ?
			WHEN web_login_failures.locked_until > ? THEN web_login_failures.locked_until
			WHEN web_login_failures.failures + 1 >= ? THEN ?
			ELSE 0 END
		RETURNING failures, first_at, locked_until`),
		username, n, firstLock,
		start, n,
		start, n, n,
		start, n, firstLock,
		n,
		max, until).Scan(&f.Failures, &first, &locked)
	if err != nil {
		return f, err
	}
	f.FirstAt = time.UnixMilli(first).UTC()
	if locked != 0 {
		f.LockedUntil = time.UnixMilli(locked).UTC()
	}
	return f, nil
}

// ClearLoginFailures forgets the failures of a username (after a successful sign-in).
func (db *DB) ClearLoginFailures(ctx context.Context, username string) error {
	_, err := db.W.ExecContext(ctx, db.Q(`DELETE FROM web_login_failures WHERE username = ?`), username)
	return err
}

// PurgeLoginFailures deletes records whose window started before before and
// that hold no running lock at now, so guessed usernames do not pile up.
func (db *DB) PurgeLoginFailures(ctx context.Context, before, now time.Time) error {
	_, err := db.W.ExecContext(ctx, db.Q(`DELETE FROM web_login_failures WHERE first_at < ? AND locked_until <= ?`), ms(before), ms(now))
	return err
}

// SetUserLang stores a user's language for the console ("zh" or "en").
func (db *DB) SetUserLang(ctx context.Context, userID int64, lang string) error {
	_, err := db.W.ExecContext(ctx, db.Q(`INSERT INTO web_user_prefs (user_id, lang, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET lang = excluded.lang, updated_at = excluded.updated_at`), userID, lang, ms(time.Now()))
	return err
}

// DeskFilter selects cases for the console's case desk. Territory must
// already be narrowed to the actor's scope (auth.Actor.Narrow): the store
// does not know who asks.
type DeskFilter struct {
	Territory string
	States    []casework.State
	Category  string
	Unit      string
	Source    casework.Source
	// Reporter selects the cases one user reported (0 for all).
	Reporter int64
	// Overdue selects cases being handled past their deadline at Now (nil for all).
	Overdue *bool
	// Approx selects cases whose position was located from the address
	// (true: approx_area set) or came from coordinates (false); nil for all.
	Approx *bool
	Now    time.Time
	// From and To bound the report time: From ≤ created_at < To (zero for open).
	From, To time.Time
	// Box keeps the cases inside minLon, minLat, maxLon, maxLat (nil for all).
	Box *[4]float64
	// Sort is one of DeskSorts ("" is "-id": newest report first).
	Sort          string
	Offset, Limit int
}

// DeskSorts maps the desk's sort keys to ORDER BY clauses; a leading "-" is
// descending. Every order ends on id so that pages never overlap.
var DeskSorts = map[string]string{
	"id": "id", "-id": "id DESC",
	"created": "created_at, id", "-created": "created_at DESC, id DESC",
	"updated": "updated_at, id", "-updated": "updated_at DESC, id DESC",
	// Cases without a deadline go last either way.
	"deadline":  "CASE WHEN deadline IS NULL THEN 1 ELSE 0 END, deadline, id",
	"-deadline": "CASE WHEN deadline IS NULL THEN 1 ELSE 0 END, deadline DESC, id DESC",
	"state":     "state, id DESC", "-state": "state DESC, id DESC",
	"category": "category, id DESC", "-category": "category DESC, id DESC",
}

// deskWhere builds the WHERE clause of a desk filter; withState and
// withOverdue leave those conditions out for the per-state counts.
func deskWhere(f DeskFilter, withState, withOverdue bool) (string, []any) {
	var where []string
	var args []any
	if f.Territory != "" {
		where = append(where, territoryColumn(f.Territory)+" = ?")
		args = append(args, f.Territory)
	}
	if withState && len(f.States) > 0 {
		where = append(where, "state IN (?"+strings.Repeat(", ?", len(f.States)-1)+")")
		for _, s := range f.States {
			args = append(args, string(s))
		}
	}
	if f.Category != "" {
		where = append(where, "category = ?")
		args = append(args, f.Category)
	}
	if f.Unit != "" {
		where = append(where, "unit_code = ?")
		args = append(args, f.Unit)
	}
	if f.Source != "" {
		where = append(where, "source = ?")
		args = append(args, string(f.Source))
	}
	if f.Reporter != 0 {
		where = append(where, "reporter_id = ?")
		args = append(args, f.Reporter)
	}
	if withOverdue && f.Overdue != nil {
		if *f.Overdue {
			where = append(where, "state = 'dispatched' AND deadline < ?")
		} else {
			where = append(where, "NOT (state = 'dispatched' AND deadline IS NOT NULL AND deadline < ?)")
		}
		args = append(args, ms(f.Now))
	}
	if f.Approx != nil {
		if *f.Approx {
			where = append(where, "approx_area IS NOT NULL")
		} else {
			where = append(where, "approx_area IS NULL")
		}
	}
	if f.Box != nil {
		where = append(where, "lon >= ? AND lat >= ? AND lon <= ? AND lat <= ?")
		args = append(args, f.Box[0], f.Box[1], f.Box[2], f.Box[3])
	}
	if !f.From.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, ms(f.To))
	}
	if len(where) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// DeskCases returns one page of cases matching f in f.Sort order.
func (db *DB) DeskCases(ctx context.Context, f DeskFilter) ([]casework.Case, error) {
	order, ok := DeskSorts[f.Sort]
	if f.Sort == "" || !ok {
		order = DeskSorts["-id"]
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	where, args := deskWhere(f, true, true)
	args = append(args, f.Limit, max(f.Offset, 0))
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT `+caseCols+` FROM cases`+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []casework.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// DeskCount counts the cases matching f.
func (db *DB) DeskCount(ctx context.Context, f DeskFilter) (int, error) {
	where, args := deskWhere(f, true, true)
	var n int
	err := db.R.QueryRowContext(ctx, db.Q(`SELECT COUNT(*) FROM cases`+where), args...).Scan(&n)
	return n, err
}

// DeskCounts counts the cases matching f by state, ignoring f's state and
// overdue conditions, and how many of them are overdue at f.Now: the
// numbers on the desk's tabs, in one pass over the matching cases.
func (db *DB) DeskCounts(ctx context.Context, f DeskFilter) (map[casework.State]int, int, error) {
	return db.DeskCountsIn(ctx, f, nil)
}

// DeskCountsIn is DeskCounts over the given states only (all when none):
// counting the open states alone reads the index entries of open cases,
// not the territory's whole history.
func (db *DB) DeskCountsIn(ctx context.Context, f DeskFilter, states []casework.State) (map[casework.State]int, int, error) {
	f.States = states
	where, args := deskWhere(f, len(states) > 0, false)
	args = append([]any{ms(f.Now)}, args...)
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT state, COUNT(*), SUM(CASE WHEN state = 'dispatched' AND deadline < ? THEN 1 ELSE 0 END)
		FROM cases`+where+` GROUP BY state`), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := map[casework.State]int{}
	overdue := 0
	for rows.Next() {
		var s casework.State
		var n, over int
		if err := rows.Scan(&s, &n, &over); err != nil {
			return nil, 0, err
		}
		out[s] = n
		overdue += over
	}
	return out, overdue, rows.Err()
}

// NearbyCases returns cases in a state inside a territory (already narrowed
// to the actor's scope), nearest to the point first, at most limit. Distance
// is planar on degrees with longitude shrunk by cos(latitude): exact enough
// to order cases within a city.
func (db *DB) NearbyCases(ctx context.Context, territory string, state casework.State, lon, lat float64, limit int) ([]casework.Case, error) {
	f := DeskFilter{Territory: territory, States: []casework.State{state}}
	where, args := deskWhere(f, true, false)
	k := math.Cos(lat * math.Pi / 180)
	args = append(args, lat, lat, lon, lon, k*k, limit)
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT `+caseCols+` FROM cases`+where+`
		ORDER BY (lat - ?) * (lat - ?) + (lon - ?) * (lon - ?) * ?, id DESC LIMIT ?`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []casework.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
