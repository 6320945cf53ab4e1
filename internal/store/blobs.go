package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/casework"
)

// Blob is the record of a stored file; the bytes live in the blob folder.
type Blob struct {
	ID          string    `json:"id"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	CreatedBy   int64     `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	// Anonymous: sent by a citizen without an account (the portal, Open311
	// media). Staff may attach it only to the case it came with.
	Anonymous bool `json:"-"`
}

// PutBlob records a blob; the same content uploaded twice is one record.
// A staff user who uploads the very bytes a citizen sent anonymously holds
// them: the record becomes theirs.
func (db *DB) PutBlob(ctx context.Context, b Blob) error {
	_, err := db.W.ExecContext(ctx, db.Q(`INSERT INTO blobs (id, content_type, size, created_by, created_at, anonymous) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET created_by = excluded.created_by, anonymous = FALSE
		WHERE blobs.anonymous AND excluded.created_by IS NOT NULL`), b.ID, b.ContentType, b.Size, nullID(b.CreatedBy), ms(b.CreatedAt), b.Anonymous)
	return err
}

// Blob returns a blob record.
func (db *DB) Blob(ctx context.Context, id string) (Blob, error) {
	var b Blob
	var by sql.NullInt64
	var at int64
	err := db.R.QueryRowContext(ctx, db.Q(`SELECT id, content_type, size, created_by, created_at FROM blobs WHERE id = ?`), id).
		Scan(&b.ID, &b.ContentType, &b.Size, &by, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return b, xiuhua.Errorf(xiuhua.ENotFound, "no file %s", "文件 %s 不存在", id)
	}
	b.CreatedBy, b.CreatedAt = by.Int64, time.UnixMilli(at).UTC()
	return b, err
}

// UnusableBlobs returns the ids among ids that use may not attach: not
// stored; or, for a photo uploaded by staff (or the system), neither uploaded
// by the user (nor by the system) nor already attached to a case inside the
// scope; or, for a photo a citizen sent anonymously, attached by anyone but
// the portal or Open311 receiving it (use.System) to any case but the one it
// came with. Knowing a photo's hash is not enough to reuse it.
func (db *DB) UnusableBlobs(ctx context.Context, use casework.BlobUse, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(ids)+3)
	for _, id := range ids {
		args = append(args, id)
	}
	q := `SELECT id FROM blobs WHERE id IN (?` + strings.Repeat(", ?", len(ids)-1) + `) AND (NOT anonymous AND (created_by IS NULL OR created_by = ?`
	args = append(args, use.UserID)
	if use.Scope == "" {
		q += ` OR EXISTS (SELECT 1 FROM event_blobs b WHERE b.blob_id = blobs.id)`
	} else {
		q += ` OR EXISTS (SELECT 1 FROM event_blobs b JOIN events e ON e.id = b.event_id JOIN cases c ON c.id = e.case_id
			WHERE b.blob_id = blobs.id AND c.` + territoryColumn(use.Scope) + ` = ?)`
		args = append(args, use.Scope)
	}
	q += `)`
	if use.System {
		q += ` OR anonymous`
	} else if use.Case != 0 {
		q += ` OR anonymous AND EXISTS (SELECT 1 FROM event_blobs b JOIN events e ON e.id = b.event_id WHERE b.blob_id = blobs.id AND e.case_id = ?)`
		args = append(args, use.Case)
	}
	q += `)`
	rows, err := db.R.QueryContext(ctx, db.Q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ok := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ok[id] = true
	}
	var bad []string
	for _, id := range ids {
		if !ok[id] {
			bad = append(bad, id)
		}
	}
	return bad, rows.Err()
}

// BlobVisible reports whether a blob is attached to some case in the given
// territory ("" is everywhere), or was uploaded by the user: who may download it.
func (db *DB) BlobVisible(ctx context.Context, id string, userID int64, scope string) (bool, error) {
	var n int
	err := db.R.QueryRowContext(ctx, db.Q(`SELECT COUNT(*) FROM blobs WHERE id = ? AND created_by = ?`), id, userID).Scan(&n)
	if err != nil || n > 0 {
		return n > 0, err
	}
	q := `SELECT COUNT(*) FROM event_blobs b JOIN events e ON e.id = b.event_id JOIN cases c ON c.id = e.case_id WHERE b.blob_id = ?`
	args := []any{id}
	if scope != "" {
		q += " AND c." + territoryColumn(scope) + " = ?"
		args = append(args, scope)
	}
	err = db.R.QueryRowContext(ctx, db.Q(q), args...).Scan(&n)
	return n > 0, err
}
