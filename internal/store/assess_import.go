package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/xiuhua/xiuhua/internal/assess"
)

// PutPoints adds or changes inspection points by code in one transaction:
// an import is all or nothing.
func (db *DB) PutPoints(ctx context.Context, ps []assess.Point) error {
	now := ms(time.Now())
	return db.Tx(ctx, func(tx *sql.Tx) error {
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
		return nil
	})
}
