package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/paulmach/orb/geojson"

	"github.com/xiuhua/xiuhua/internal/territory"
)

// Areas loads the whole territory tree with its geometry.
func (db *DB) Areas(ctx context.Context) ([]territory.Area, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT code, name, level, parent_code, geometry FROM areas ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []territory.Area
	for rows.Next() {
		var a territory.Area
		var parent sql.NullString
		var geom string
		if err := rows.Scan(&a.Code, &a.Name, &a.Level, &parent, &geom); err != nil {
			return nil, err
		}
		a.ParentCode = parent.String
		g, err := geojson.UnmarshalGeometry([]byte(geom))
		if err != nil {
			return nil, fmt.Errorf("area %s: stored geometry: %w", a.Code, err)
		}
		a.Geometry = g.Geometry()
		out = append(out, a)
	}
	return out, rows.Err()
}

// CountAreas counts areas per level.
func (db *DB) CountAreas(ctx context.Context) (map[territory.Level]int, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT level, COUNT(*) FROM areas GROUP BY level`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[territory.Level]int{}
	for rows.Next() {
		var l territory.Level
		var n int
		if err := rows.Scan(&l, &n); err != nil {
			return nil, err
		}
		out[l] = n
	}
	return out, rows.Err()
}

// ImportAreas writes validated areas in one transaction, parents first; an
// existing code is replaced. Validation (territory.Validate) is the caller's.
func (db *DB) ImportAreas(ctx context.Context, areas []territory.Area) error {
	sorted := append([]territory.Area(nil), areas...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Level.Rank() < sorted[j].Level.Rank() })
	now := ms(time.Now())
	sum := sha256.New()
	return db.Tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, db.Q(`INSERT INTO areas (code, name, level, parent_code, geometry, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code,
			geometry = excluded.geometry, updated_at = excluded.updated_at`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, a := range sorted {
			g, err := geojson.NewGeometry(a.Geometry).MarshalJSON()
			if err != nil {
				return fmt.Errorf("area %s: %w", a.Code, err)
			}
			var parent any
			if a.ParentCode != "" {
				parent = a.ParentCode
			}
			if _, err := stmt.ExecContext(ctx, a.Code, a.Name, string(a.Level), parent, string(g), now); err != nil {
				return fmt.Errorf("area %s: %w", a.Code, err)
			}
			sum.Write(g)
		}
		// One entry per import: the codes and a hash of every geometry, not
		// the geometries themselves (megabytes for a city).
		codes := make([]string, len(sorted))
		for i, a := range sorted {
			codes[i] = a.Code
		}
		if err := db.bumpRef(ctx, tx, RefTerritory); err != nil {
			return err
		}
		return db.auditChange(ctx, tx, "territory.import", fmt.Sprintf("%d areas", len(sorted)),
			map[string]any{"codes": codes, "geometry_sha256": hex.EncodeToString(sum.Sum(nil))})
	})
}
