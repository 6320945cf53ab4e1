package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/xiuhua/xiuhua"
)

// HotlineMappings returns the stored hotline category texts → codes.
func (db *DB) HotlineMappings(ctx context.Context) (map[string]string, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT text, category FROM hotline_mappings`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return nil, err
		}
		m[t] = c
	}
	return m, rows.Err()
}

// PutHotlineMapping maps a hotline category text to a catalogue code.
func (db *DB) PutHotlineMapping(ctx context.Context, text, category string) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.Q(`INSERT INTO hotline_mappings (text, category, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (text) DO UPDATE SET category = excluded.category, updated_at = excluded.updated_at`), text, category, ms(time.Now()))
		if isForeignKey(err) {
			return xiuhua.Errorf(xiuhua.EUnprocessable, "unknown category %s", "分类 %s 不存在", category)
		}
		if err != nil {
			return err
		}
		return db.auditChange(ctx, tx, "hotline.mapping", text, category)
	})
}
