// Package store is the one storage seam: SQL written once for SQLite (the
// embedded default, modernc.org/sqlite) and PostgreSQL (pgx), with the few
// differences kept in Dialect. Migrations are in migrations/ (goose).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/xiuhua/xiuhua"
)

// Dialect names the SQL flavour of a database.
type Dialect string

// Dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open store.
type DB struct {
	// W takes writes. On SQLite it is a single connection: SQLite has one
	// writer at a time, and queueing in Go is cheaper than busy-waiting.
	W *sql.DB
	// R takes reads; on PostgreSQL it is the same pool as W.
	R       *sql.DB
	Dialect Dialect
	// DataDir holds the SQLite file and the blobs.
	DataDir string

	// stmts are readRow's prepared statements on SQLite (stmtcache.go).
	stmts stmts
	// sealer links queued audit entries on PostgreSQL (audit.go).
	sealer     *sealer
	sealErrors atomic.Int64
}

// IsPostgresURL reports whether a database URL names PostgreSQL.
func IsPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// Open opens the store: PostgreSQL when databaseURL is a postgres:// URL, else
// SQLite at dataDir/xiuhua.db. It does not migrate; call Migrate.
func Open(ctx context.Context, dataDir, databaseURL string) (*DB, error) {
	if dataDir == "" {
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "no data folder given (--data or XIUHUA_DATA)", "未指定数据目录（--data 或 XIUHUA_DATA）")
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	db := &DB{DataDir: dataDir}
	switch {
	case IsPostgresURL(databaseURL):
		p, err := sql.Open("pgx", databaseURL)
		if err != nil {
			return nil, err
		}
		p.SetMaxOpenConns(24)
		p.SetMaxIdleConns(24)
		p.SetConnMaxIdleTime(5 * time.Minute)
		db.W, db.R, db.Dialect = p, p, Postgres
	case databaseURL == "" || strings.HasPrefix(databaseURL, "sqlite:"):
		path := filepath.Join(dataDir, "xiuhua.db")
		if rest, ok := strings.CutPrefix(databaseURL, "sqlite:"); ok && rest != "" {
			path = rest
		}
		// WAL lets readers run beside the writer; synchronous=NORMAL in WAL
		// mode survives a process crash (SIGKILL) without losing a commit,
		// which is the durability the product promises; foreign keys are off
		// by default in SQLite.
		dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
		w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
		if err != nil {
			return nil, err
		}
		w.SetMaxOpenConns(1)
		r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, err
		}
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8)
		db.W, db.R, db.Dialect = w, r, SQLite
	default:
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "unsupported database URL (want postgres://… or sqlite:PATH)", "不支持的数据库地址（应为 postgres://… 或 sqlite:路径）")
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.W.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", db.Dialect, err)
	}
	if db.Dialect == Postgres {
		db.startSealer()
	}
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	db.stopSealer()
	db.stmts.close()
	err := db.W.Close()
	if db.R != db.W {
		if e := db.R.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Q rewrites a query written with ? placeholders for the dialect.
func (db *DB) Q(query string) string {
	if db.Dialect != Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// Tx runs fn in a write transaction, committing when fn returns nil.
func (db *DB) Tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.wakeSealer()
	return nil
}

// Millis converts a time to the stored Unix milliseconds; NullMillis stores
// a zero time as NULL and FromMillis converts back. Doors that keep their own
// SQL (open311, assess) use them so that times are stored one way.
func Millis(t time.Time) int64 { return t.UnixMilli() }

// NullMillis is Millis with NULL for the zero time.
func NullMillis(t time.Time) any { return nullMS(t) }

// FromMillis converts stored milliseconds back (NULL → zero time).
func FromMillis(v sql.NullInt64) time.Time { return fromMS(v) }

// TerritoryColumn is the case column a territory code filters on.
func TerritoryColumn(code string) string { return territoryColumn(code) }

func ms(t time.Time) int64 { return t.UnixMilli() }

// nullMS stores a zero time as NULL.
func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMS converts stored milliseconds back (NULL → zero time).
func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// isUnique reports whether err is a unique-constraint violation.
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

// isForeignKey reports whether err is a foreign-key violation.
func isForeignKey(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// stringsByID runs query, whose single %s is replaced by the placeholders of
// an IN list of ids, and returns its (id, text) rows as a map.
func (db *DB) stringsByID(ctx context.Context, query string, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.R.QueryContext(ctx, db.Q(fmt.Sprintf(query, "?"+strings.Repeat(", ?", len(ids)-1))), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var v string
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		out[id] = v
	}
	return out, rows.Err()
}

// isUndefinedTable reports whether err is PostgreSQL's "relation does not exist".
func isUndefinedTable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42P01"
}
