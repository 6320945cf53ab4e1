package store

import (
	"context"
	"database/sql"
	"sync"
)

// SQLite compiles a statement's text on every query, and for the one-row
// lookups every request makes (the API token, the console session, a case
// by id) compiling costs more than running. readRow runs those through a
// statement prepared once (database/sql then prepares it once on each
// connection of the read pool and reuses it). PostgreSQL needs none of
// this: pgx keeps its own cache of prepared statements.

// stmtKey names a prepared statement: the pool and the statement's text.
type stmtKey struct {
	pool *sql.DB
	q    string
}

// prepared holds the statements readRow prepared, by pool and text. The
// set of texts is fixed by the code, so it stays small.
var prepared sync.Map // stmtKey → *sql.Stmt

// readRow is db.R.QueryRowContext(ctx, db.Q(q), args...) through a cached
// prepared statement on SQLite.
func (db *DB) readRow(ctx context.Context, q string, args ...any) *sql.Row {
	if db.Dialect != SQLite {
		return db.R.QueryRowContext(ctx, db.Q(q), args...)
	}
	k := stmtKey{db.R, q}
	if st, ok := prepared.Load(k); ok {
		return st.(*sql.Stmt).QueryRowContext(ctx, args...)
	}
	// Prepared outside the request's context: the statement outlives it.
	st, err := db.R.PrepareContext(context.Background(), q)
	if err != nil {
		// The query itself reports the error, as it would have.
		return db.R.QueryRowContext(ctx, q, args...)
	}
	if old, loaded := prepared.LoadOrStore(k, st); loaded {
		st.Close()
		st = old.(*sql.Stmt)
	}
	return st.QueryRowContext(ctx, args...)
}
