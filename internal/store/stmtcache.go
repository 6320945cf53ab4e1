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

// stmts holds the statements readRow prepared, by text. The set of texts
// is fixed by the code, so it stays small; Close closes them with the store.
type stmts struct {
	m sync.Map // string → *sql.Stmt
}

// close closes every statement prepared so far.
func (s *stmts) close() {
	s.m.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		s.m.Delete(k)
		return true
	})
}

// readRow is db.R.QueryRowContext(ctx, db.Q(q), args...) through a cached
// prepared statement on SQLite.
func (db *DB) readRow(ctx context.Context, q string, args ...any) *sql.Row {
	if db.Dialect != SQLite {
		return db.R.QueryRowContext(ctx, db.Q(q), args...)
	}
	if st, ok := db.stmts.m.Load(q); ok {
		return st.(*sql.Stmt).QueryRowContext(ctx, args...)
	}
	// Prepared outside the request's context: the statement outlives it.
	st, err := db.R.PrepareContext(context.Background(), q)
	if err != nil {
		// The query itself reports the error, as it would have.
		return db.R.QueryRowContext(ctx, q, args...)
	}
	if old, loaded := db.stmts.m.LoadOrStore(q, st); loaded {
		st.Close()
		st = old.(*sql.Stmt)
	}
	return st.QueryRowContext(ctx, args...)
}
