package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Maintenance is what Maintain did.
type Maintenance struct {
	// Autovacuum is whether the PostgreSQL server runs autovacuum: then
	// Maintain leaves its tables to it and does nothing.
	Autovacuum bool     `json:"autovacuum"`
	Vacuumed   []string `json:"vacuumed,omitempty"`
	Analyzed   []string `json:"analyzed,omitempty"`
}

// Autovacuum reports whether the PostgreSQL server runs autovacuum (true on
// SQLite, which has nothing of the kind to miss).
func (db *DB) Autovacuum(ctx context.Context) (bool, error) {
	if db.Dialect != Postgres {
		return true, nil
	}
	var v string
	if err := db.R.QueryRowContext(ctx, `SHOW autovacuum`).Scan(&v); err != nil {
		return false, err
	}
	return v == "on", nil
}

// needsVacuum and needsAnalyze are autovacuum's own rules with its default
// settings: vacuum past 50 + 20 % of the live rows dead, analyze past
// 50 + 10 % of them changed since the last analysis.
func needsVacuum(live, dead int64) bool     { return dead > 50+live/5 }
func needsAnalyze(live, changed int64) bool { return changed > 50+live/10 }

// Maintain does for xiuhua's tables what autovacuum would, when the
// PostgreSQL server runs without it (some CI and test servers do): a case
// is updated five times on its way to closure, and without VACUUM the dead
// versions pile up in every scan, and without ANALYZE the planner keeps
// the row counts of an empty database and picks plans that read whole
// tables. Serving instances run it every minute (the "vacuum" job); with
// autovacuum on it does nothing.
func (db *DB) Maintain(ctx context.Context) (Maintenance, error) {
	on, err := db.Autovacuum(ctx)
	if err != nil || on {
		return Maintenance{Autovacuum: on}, err
	}
	return db.maintain(ctx, needsVacuum, needsAnalyze)
}

func (db *DB) maintain(ctx context.Context, vacuum, analyze func(live, n int64) bool) (Maintenance, error) {
	var m Maintenance
	rows, err := db.R.QueryContext(ctx, `SELECT relname, n_live_tup, n_dead_tup, n_mod_since_analyze
		FROM pg_stat_user_tables WHERE schemaname = current_schema() ORDER BY relname`)
	if err != nil {
		return m, err
	}
	type table struct {
		name                 string
		live, dead, modified int64
	}
	var tables []table
	for rows.Next() {
		var t table
		if err := rows.Scan(&t.name, &t.live, &t.dead, &t.modified); err != nil {
			rows.Close()
			return m, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, err
	}
	for _, t := range tables {
		name := pgx.Identifier{t.name}.Sanitize()
		switch {
		case vacuum(t.live, t.dead):
			// VACUUM runs outside a transaction: the pool's connection is
			// in autocommit.
			if _, err := db.W.ExecContext(ctx, `VACUUM (ANALYZE) `+name); err != nil {
				return m, fmt.Errorf("vacuum %s: %w", t.name, err)
			}
			m.Vacuumed = append(m.Vacuumed, t.name)
		case analyze(t.live, t.modified):
			if _, err := db.W.ExecContext(ctx, `ANALYZE `+name); err != nil {
				return m, fmt.Errorf("analyze %s: %w", t.name, err)
			}
			m.Analyzed = append(m.Analyzed, t.name)
		}
	}
	return m, nil
}
