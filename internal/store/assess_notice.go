package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/xiuhua/xiuhua/internal/assess"
)

// Publication returns one published version by its id, with its body.
func (db *DB) Publication(ctx context.Context, id int64) (assess.Publication, error) {
	p := assess.Publication{ID: id}
	var cutoff, created int64
	var by sql.NullInt64
	var body string
	err := db.R.QueryRowContext(ctx, db.Q(`SELECT kind, period, scope, version, reason, cutoff, body, created_by, created_at
		FROM assess_publications WHERE id = ?`), id).Scan(&p.Kind, &p.Period, &p.Scope, &p.Version, &p.Reason, &cutoff, &body, &by, &created)
	if err == sql.ErrNoRows {
		return p, assessNotFound("publication", id)
	}
	if err != nil {
		return p, err
	}
	p.Body, p.Cutoff, p.CreatedBy, p.CreatedAt = []byte(body), time.UnixMilli(cutoff).UTC(), by.Int64, time.UnixMilli(created).UTC()
	return p, nil
}
