package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
)

// CalendarDays returns the imported calendar days (beyond the embedded data).
func (db *DB) CalendarDays(ctx context.Context) (calendar.Schedule, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT date, kind, name_en, name_zh FROM calendar_days ORDER BY date`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out calendar.Schedule
	for rows.Next() {
		var d calendar.Day
		if err := rows.Scan(&d.Date, &d.Kind, &d.NameEn, &d.NameZh); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// ImportCalendar stores a schedule; a date already there is replaced.
func (db *DB) ImportCalendar(ctx context.Context, days calendar.Schedule) error {
	now := ms(time.Now())
	return db.Tx(ctx, func(tx *sql.Tx) error {
		for _, d := range days {
			if _, err := tx.ExecContext(ctx, db.Q(`INSERT INTO calendar_days (date, kind, name_en, name_zh, imported_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (date) DO UPDATE SET kind = excluded.kind, name_en = excluded.name_en, name_zh = excluded.name_zh, imported_at = excluded.imported_at`),
				d.Date, string(d.Kind), d.NameEn, d.NameZh, now); err != nil {
				return err
			}
		}
		if err := db.bumpRef(ctx, tx, RefCalendar); err != nil {
			return err
		}
		return db.auditChange(ctx, tx, "calendar.import", fmt.Sprintf("%d days", len(days)), days)
	})
}
