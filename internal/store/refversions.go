package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Kinds of reference data that serving processes hold in memory, each with
// a counter in ref_versions that a change bumps.
const (
	RefTerritory = "territory"
	RefCatalog   = "catalog"
	RefCalendar  = "calendar"
)

// bumpRef counts a change of a kind of reference data in the change's own
// transaction: a change that commits is always seen by the other processes,
// even if the process that made it fails right after.
func (db *DB) bumpRef(ctx context.Context, tx *sql.Tx, kind string) error {
	// An upsert, so that a store restored without the row still counts.
	if _, err := tx.ExecContext(ctx, db.Q(`INSERT INTO ref_versions (kind, version) VALUES (?, 1)
		ON CONFLICT (kind) DO UPDATE SET version = ref_versions.version + 1`), kind); err != nil {
		return fmt.Errorf("bump the %s version: %w", kind, err)
	}
	return nil
}

// RefVersion is a kind's change counter (0 before its first change).
func (db *DB) RefVersion(ctx context.Context, kind string) (int64, error) {
	var v int64
	err := db.R.QueryRowContext(ctx, db.Q(`SELECT version FROM ref_versions WHERE kind = ?`), kind).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}
