package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
)

// Blob is the record of a stored file; the bytes live in the blob folder.
type Blob struct {
	ID          string    `json:"id"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	CreatedBy   int64     `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
}

// PutBlob records a blob; the same content uploaded twice is one record.
func (db *DB) PutBlob(ctx context.Context, b Blob) error {
	_, err := db.W.ExecContext(ctx, db.Q(`INSERT INTO blobs (id, content_type, size, created_by, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`), b.ID, b.ContentType, b.Size, nullID(b.CreatedBy), ms(b.CreatedAt))
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

// MissingBlobs returns the ids that are not stored.
func (db *DB) MissingBlobs(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT id FROM blobs WHERE id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		have[id] = true
	}
	var missing []string
	for _, id := range ids {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	return missing, rows.Err()
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
