package store

import (
	"context"
	"time"

	"github.com/xiuhua/xiuhua/internal/assess"
)

// LatestPublications lists the newest version of every published result of
// a kind (each period and scope once), without bodies: what a public page
// picks the latest period from before reading the bodies it shows
// (DB.Publication). Order: period end (the cutoff) newest first, then id.
func (db *DB) LatestPublications(ctx context.Context, kind string) ([]assess.Publication, error) {
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT id, period, scope, version, cutoff, created_at FROM assess_publications p
		WHERE kind = ? AND version = (SELECT MAX(version) FROM assess_publications q WHERE q.kind = p.kind AND q.period = p.period AND q.scope = p.scope)
		ORDER BY cutoff DESC, id`), kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []assess.Publication
	for rows.Next() {
		p := assess.Publication{Kind: kind}
		var cutoff, created int64
		if err := rows.Scan(&p.ID, &p.Period, &p.Scope, &p.Version, &cutoff, &created); err != nil {
			return nil, err
		}
		p.Cutoff, p.CreatedAt = time.UnixMilli(cutoff).UTC(), time.UnixMilli(created).UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}
