package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
)

// MgmtUnits lists every management unit by code, with its grids sorted.
func (db *DB) MgmtUnits(ctx context.Context) ([]assess.MgmtUnit, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT u.code, u.name, u.parent, u.updated_at, g.grid FROM assess_mgmt_units u
		LEFT JOIN assess_mgmt_unit_grids g ON g.unit_code = u.code ORDER BY u.code, g.grid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []assess.MgmtUnit
	for rows.Next() {
		var u assess.MgmtUnit
		var upd int64
		var grid sql.NullString
		if err := rows.Scan(&u.Code, &u.Name, &u.Parent, &upd, &grid); err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].Code != u.Code {
			u.UpdatedAt, u.Grids = time.UnixMilli(upd).UTC(), []string{}
			out = append(out, u)
		}
		if grid.Valid {
			last := &out[len(out)-1]
			last.Grids = append(last.Grids, grid.String)
		}
	}
	return out, rows.Err()
}

// PutMgmtUnits adds or replaces management units, each with its whole grid
// list, in one transaction: an import is all or nothing. A grid already in
// another unit is a conflict. One unit is logged whole; an import of more is
// logged as one entry with its counts and the sha256 of the list.
func (db *DB) PutMgmtUnits(ctx context.Context, us []assess.MgmtUnit) error {
	if len(us) == 0 {
		return nil
	}
	kind, subject, entry := auditMgmtUnit, "", any(nil)
	if len(us) == 1 {
		subject, entry = us[0].Code, us[0]
	} else {
		sum, err := jsonSHA256(us)
		if err != nil {
			return err
		}
		grids := 0
		for _, u := range us {
			grids += len(u.Grids)
		}
		kind, subject, entry = auditMgmtUnitsImport, fmt.Sprintf("%d units", len(us)), mgmtUnitsImportAudit{len(us), grids, sum}
	}
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		// Free every grid of the units given first, so grids may move between them.
		for _, u := range us {
			if _, err := tx.ExecContext(ctx, db.Q(`DELETE FROM assess_mgmt_unit_grids WHERE unit_code = ?`), u.Code); err != nil {
				return err
			}
		}
		for _, u := range us {
			if _, err := tx.ExecContext(ctx, db.Q(`INSERT INTO assess_mgmt_units (code, name, parent, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent = excluded.parent, updated_at = excluded.updated_at`),
				u.Code, u.Name, u.Parent, ms(u.UpdatedAt)); err != nil {
				return err
			}
			for _, g := range u.Grids {
				if _, err := tx.ExecContext(ctx, db.Q(`INSERT INTO assess_mgmt_unit_grids (grid, unit_code) VALUES (?, ?)`), g, u.Code); err != nil {
					return err
				}
			}
		}
		return db.auditAssess(ctx, tx, 0, kind, subject, entry)
	})
	if isUnique(err) {
		return xiuhua.Errorf(xiuhua.EConflict, "a grid is already in another management unit (changed meanwhile?): reload and try again",
			"有网格已属于其他管理单元（可能刚被他人修改），请刷新后重试")
	}
	return err
}

// MarkInspectedMany records inspections of a round's points, each at its
// time, in one transaction (the first time counts), for bulk loading. It is
// logged as one entry: how many were marked and the sha256 of the list
// ("code\tmillis\n" by code).
func (db *DB) MarkInspectedMany(ctx context.Context, round int64, at map[string]time.Time, by int64) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var marked int64
		st, err := tx.PrepareContext(ctx, db.Q(`UPDATE assess_round_points SET inspected_at = ?, inspected_by = ?
			WHERE round_id = ? AND point_code = ? AND inspected_at IS NULL`))
		if err != nil {
			return err
		}
		defer st.Close()
		for p, t := range at {
			res, err := st.ExecContext(ctx, ms(t), nullID(by), round, p)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			marked += n
		}
		if marked == 0 {
			return nil
		}
		return db.auditAssess(ctx, tx, by, auditInspectedMany, strconv.FormatInt(round, 10),
			map[string]any{"given": len(at), "marked": marked, "by": by, "sha256": inspectedManySHA256(at)})
	})
}
