package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/catalog"
)

const upsertCategory = `INSERT INTO categories (code, kind, name_zh, name_en, urgent_hours, normal_hours, clock, duty, enabled, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// SeedCategories adds the categories that are not there yet; it never
// overwrites a city's own changes.
func (db *DB) SeedCategories(ctx context.Context, cs []catalog.Category) error {
	now := ms(time.Now())
	return db.Tx(ctx, func(tx *sql.Tx) error {
		for _, c := range cs {
			res, err := tx.ExecContext(ctx, db.Q(upsertCategory+` ON CONFLICT (code) DO NOTHING`),
				c.Code, string(c.Kind), c.NameZh, c.NameEn, c.UrgentHours, c.NormalHours, c.Clock, c.Duty, c.Enabled, now)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				if err := db.auditChange(ctx, tx, "category.seed", c.Code, c); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// PutCategory adds or changes a category (an admin's edit, including enabling and disabling).
func (db *DB) PutCategory(ctx context.Context, c catalog.Category) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.Q(upsertCategory+` ON CONFLICT (code) DO UPDATE SET kind = excluded.kind,
		name_zh = excluded.name_zh, name_en = excluded.name_en, urgent_hours = excluded.urgent_hours,
		normal_hours = excluded.normal_hours, clock = excluded.clock, duty = excluded.duty, enabled = excluded.enabled,
		updated_at = excluded.updated_at`),
			c.Code, string(c.Kind), c.NameZh, c.NameEn, c.UrgentHours, c.NormalHours, c.Clock, c.Duty, c.Enabled, ms(time.Now()))
		if err != nil {
			return err
		}
		if err := db.bumpRef(ctx, tx, RefCatalog); err != nil {
			return err
		}
		return db.auditChange(ctx, tx, "category.put", c.Code, c)
	})
}

// DeleteCategory removes a category nobody has used; one in use answers conflict
// (disable it instead).
func (db *DB) DeleteCategory(ctx context.Context, code string) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.Q(`DELETE FROM categories WHERE code = ?`), code)
		if isForeignKey(err) {
			return xiuhua.Errorf(xiuhua.EConflict, "category %s is used by cases: disable it instead", "分类 %s 已有案件使用，不能删除，请改为停用", code)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return xiuhua.Errorf(xiuhua.ENotFound, "no category %s", "分类 %s 不存在", code)
		}
		if err := db.bumpRef(ctx, tx, RefCatalog); err != nil {
			return err
		}
		return db.auditChange(ctx, tx, "category.delete", code, nil)
	})
}

// Categories lists the whole catalogue, enabled or not, by code.
func (db *DB) Categories(ctx context.Context) ([]catalog.Category, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT code, kind, name_zh, name_en, urgent_hours, normal_hours, clock, duty, enabled FROM categories ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Category
	for rows.Next() {
		var c catalog.Category
		if err := rows.Scan(&c.Code, &c.Kind, &c.NameZh, &c.NameEn, &c.UrgentHours, &c.NormalHours, &c.Clock, &c.Duty, &c.Enabled); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
