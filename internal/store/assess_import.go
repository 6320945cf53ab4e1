package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/xiuhua/xiuhua/internal/assess"
)

// PutPoints adds or changes inspection points by code in one transaction:
// an import is all or nothing. It is logged as one entry with its counts
// and the sha256 of the list, not one per point.
func (db *DB) PutPoints(ctx context.Context, ps []assess.Point) error {
	if len(ps) == 0 {
		return nil
	}
	now := ms(time.Now())
	entry := pointsImportAudit{Points: len(ps)}
	for _, p := range ps {
		if p.Enabled {
			entry.Enabled++
		}
	}
	var err error
	if entry.SHA256, err = jsonSHA256(ps); err != nil {
		return err
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var before, after int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM assess_points`).Scan(&before); err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, db.Q(`INSERT INTO assess_points (code, name, type, address, lon, lat, grid, community, street, district, enabled, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (code) DO UPDATE SET name = excluded.name, type = excluded.type, address = excluded.address, lon = excluded.lon,
			lat = excluded.lat, grid = excluded.grid, community = excluded.community, street = excluded.street, district = excluded.district,
			enabled = excluded.enabled, updated_at = excluded.updated_at`))
		if err != nil {
			return err
		}
		defer st.Close()
		for _, p := range ps {
			if _, err := st.ExecContext(ctx, p.Code, p.Name, p.Type, p.Address, p.Lon, p.Lat, p.Grid, p.Community, p.Street, p.District, p.Enabled, now); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM assess_points`).Scan(&after); err != nil {
			return err
		}
		entry.Added = after - before
		entry.Changed = int64(len(ps)) - entry.Added
		return db.auditAssess(ctx, tx, 0, auditPointsImport, fmt.Sprintf("%d points", len(ps)), entry)
	})
}
