package store

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/audit"
)

// The writes of the public face that the audit log must see: Open311 client
// keys (credentials), links between cases (merges, reopenings) and dismissed
// duplicates. Reads stay with their packages (internal/open311, internal/app).

// CreateOpen311Key stores the hash of a client system's new key and returns
// its id. Names are unique among live keys.
func (db *DB) CreateOpen311Key(ctx context.Context, name, hash, scope string, at time.Time) (int64, error) {
	var id int64
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO open311_keys (name, hash, scope, created_at) VALUES (?, ?, ?, ?) RETURNING id`),
			name, hash, scope, ms(at)).Scan(&id)
		if isUnique(err) {
			return xiuhua.Errorf(xiuhua.EConflict, "a live key named %s exists: revoke it first", "已有名为 %s 的有效密钥，请先吊销", name)
		}
		if err != nil {
			return err
		}
		return db.auditChange(ctx, tx, "open311.key.add", name, map[string]any{"key_id": id, "scope": scope})
	})
	return id, err
}

// RevokeOpen311Key revokes the live key of that name.
func (db *DB) RevokeOpen311Key(ctx context.Context, name string, at time.Time) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.Q(`UPDATE open311_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL`), ms(at), name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return xiuhua.Errorf(xiuhua.ENotFound, "no live key named %s", "没有名为 %s 的有效密钥", name)
		}
		return db.auditChange(ctx, tx, "open311.key.revoke", name, nil)
	})
}

// LinkCase makes a case follow another from at on, ending the link it
// followed before, and returns the new link's id.
func (db *DB) LinkCase(ctx context.Context, follower, target int64, kind string, actorID int64, actorName string, at time.Time) (int64, error) {
	var id int64
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.Q(`UPDATE case_links SET removed_at = ?, removed_by = ? WHERE case_id = ? AND removed_at IS NULL`),
			ms(at), nullID(actorID), follower); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO case_links (case_id, target_id, kind, actor_id, actor_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), follower, target, kind, nullID(actorID), actorName, ms(at)).Scan(&id); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, actorID, "case.link", strconv.FormatInt(follower, 10),
			audit.Payload(map[string]any{"link": id, "target": target, "kind": kind, "actor_name": actorName}), at)
	})
	return id, err
}

// DeleteCaseLink takes back a link whose action failed (a merge whose
// rejection did not go through), as if it had never been.
func (db *DB) DeleteCaseLink(ctx context.Context, id int64, actorID int64) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.Q(`DELETE FROM case_links WHERE id = ?`), id); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, actorID, "case.link.undo", strconv.FormatInt(id, 10), "{}", time.Now())
	})
}

// DismissDuplicate records that two cases are not duplicates of each other.
func (db *DB) DismissDuplicate(ctx context.Context, caseID, otherID, actorID int64, at time.Time) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.Q(`UPDATE duplicate_candidates SET dismissed_at = ?, dismissed_by = ?
			WHERE (case_id = ? AND candidate_id = ?) OR (case_id = ? AND candidate_id = ?)`), ms(at), nullID(actorID), caseID, otherID, otherID, caseID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if _, err := tx.ExecContext(ctx, db.Q(`INSERT INTO duplicate_candidates (case_id, candidate_id, distance_m, created_at, dismissed_at, dismissed_by)
				VALUES (?, ?, 0, ?, ?, ?)`), caseID, otherID, ms(at), ms(at), nullID(actorID)); err != nil {
				return err
			}
		}
		return db.appendAudit(ctx, tx, actorID, "duplicate.dismiss", strconv.FormatInt(caseID, 10),
			audit.Payload(map[string]any{"other": otherID}), at)
	})
}
