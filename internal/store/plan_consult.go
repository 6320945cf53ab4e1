package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/plan"
)

// SetProjectFlags sets whether a project is shown on the portal and open
// for suggestions there.
func (db *DB) SetProjectFlags(ctx context.Context, id int64, public, consult bool) error {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.Q(`UPDATE plan_projects SET public = ?, consult = ? WHERE id = ?`), b(public), b(consult), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return xiuhua.Errorf(xiuhua.ENotFound, "no project %d", "项目 %d 不存在", id)
		}
		return db.auditChange(ctx, tx, "plan.project.consult", strconv.FormatInt(id, 10), map[string]bool{"public": public, "consult": consult})
	})
}

// AddProjectPhoto stores a project's photo and sets its id.
func (db *DB) AddProjectPhoto(ctx context.Context, ph *plan.Photo) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO plan_project_photos (project_id, blob_id, kind, caption, taken_at, added_by, added_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`), ph.Project, ph.Blob, ph.Kind, ph.Caption, ms(ph.TakenAt), ph.AddedBy, ms(ph.AddedAt)).Scan(&ph.ID)
		if err != nil {
			if isForeignKey(err) {
				return xiuhua.Errorf(xiuhua.EInvalid, "no photo %s", "照片 %s 不存在", ph.Blob)
			}
			return err
		}
		return db.auditChange(ctx, tx, "plan.project.photo", strconv.FormatInt(ph.Project, 10), ph)
	})
}

// ProjectPhotos lists a project's photos by the time they were taken.
func (db *DB) ProjectPhotos(ctx context.Context, project int64) ([]plan.Photo, error) {
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT id, project_id, blob_id, kind, caption, taken_at, added_by, added_at
		FROM plan_project_photos WHERE project_id = ? ORDER BY taken_at, id`), project)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []plan.Photo{}
	for rows.Next() {
		var ph plan.Photo
		var taken, added int64
		if err := rows.Scan(&ph.ID, &ph.Project, &ph.Blob, &ph.Kind, &ph.Caption, &taken, &ph.AddedBy, &added); err != nil {
			return nil, err
		}
		ph.TakenAt, ph.AddedAt = time.UnixMilli(taken).UTC(), time.UnixMilli(added).UTC()
		out = append(out, ph)
	}
	return out, rows.Err()
}

const suggestionCols = `id, project_id, kind, body, contact, state, reason, moderated_by, moderated_at, created_at`

func scanSuggestion(s interface{ Scan(...any) error }) (plan.Suggestion, error) {
	var sg plan.Suggestion
	var by, at sql.NullInt64
	var created int64
	if err := s.Scan(&sg.ID, &sg.Project, &sg.Kind, &sg.Body, &sg.Contact, &sg.State, &sg.Reason, &by, &at, &created); err != nil {
		return sg, err
	}
	sg.ModeratedBy, sg.ModeratedAt, sg.CreatedAt = by.Int64, fromMS(at), time.UnixMilli(created).UTC()
	if !sg.ModeratedAt.IsZero() {
		sg.ModeratedAt = sg.ModeratedAt.UTC()
	}
	return sg, nil
}

// AddSuggestion stores a citizen's suggestion and sets its id. The audit
// log keeps what was said, not the private contact.
func (db *DB) AddSuggestion(ctx context.Context, sg *plan.Suggestion) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO plan_suggestions (project_id, kind, body, contact, state, reason, created_at)
			VALUES (?, ?, ?, ?, ?, '', ?) RETURNING id`), sg.Project, sg.Kind, sg.Body, sg.Contact, sg.State, ms(sg.CreatedAt)).Scan(&sg.ID); err != nil {
			return err
		}
		return db.auditChange(ctx, tx, "plan.suggestion", strconv.FormatInt(sg.ID, 10),
			map[string]any{"project": sg.Project, "kind": sg.Kind, "body": sg.Body, "has_contact": sg.Contact != ""})
	})
}

// Suggestion returns one suggestion.
func (db *DB) Suggestion(ctx context.Context, id int64) (plan.Suggestion, error) {
	sg, err := scanSuggestion(db.R.QueryRowContext(ctx, db.Q(`SELECT `+suggestionCols+` FROM plan_suggestions WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return sg, xiuhua.Errorf(xiuhua.ENotFound, "no suggestion %d", "意见 %d 不存在", id)
	}
	return sg, err
}

// Suggestions lists a project's suggestions in a state ("" all), oldest first.
func (db *DB) Suggestions(ctx context.Context, project int64, state string) ([]plan.Suggestion, error) {
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT `+suggestionCols+` FROM plan_suggestions
		WHERE project_id = ? AND (? = '' OR state = ?) ORDER BY created_at, id`), project, state, state)
	return suggestionRows(rows, err)
}

// AllSuggestions lists every project's suggestions in a state ("" all),
// oldest first.
func (db *DB) AllSuggestions(ctx context.Context, state string) ([]plan.Suggestion, error) {
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT `+suggestionCols+` FROM plan_suggestions
		WHERE (? = '' OR state = ?) ORDER BY created_at, id`), state, state)
	return suggestionRows(rows, err)
}

// suggestionRows reads the suggestions a query returned.
func suggestionRows(rows *sql.Rows, err error) ([]plan.Suggestion, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []plan.Suggestion{}
	for rows.Next() {
		sg, err := scanSuggestion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sg)
	}
	return out, rows.Err()
}

// ModerateSuggestion decides a pending suggestion; the update itself
// refuses one already decided, so that two moderators cannot race.
func (db *DB) ModerateSuggestion(ctx context.Context, id int64, state, reason string, by int64, at time.Time) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.Q(`UPDATE plan_suggestions SET state = ?, reason = ?, moderated_by = ?, moderated_at = ?
			WHERE id = ? AND state = 'pending'`), state, reason, by, ms(at), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if _, err := db.Suggestion(ctx, id); err != nil {
				return err
			}
			return xiuhua.Errorf(xiuhua.EConflict, "suggestion %d has already been moderated", "意见 %d 已审核", id)
		}
		return db.auditChange(ctx, tx, "plan.suggestion.moderate", strconv.FormatInt(id, 10), map[string]any{"state": state, "reason": reason, "at": ms(at)})
	})
}

// AddVote records a poll vote unless the voter already voted on the
// project or the address voted on it at or after since. The check and the
// insert are one transaction; the primary key settles a race of one voter
// (the later insert does nothing).
func (db *DB) AddVote(ctx context.Context, project int64, voter, ip, rating string, at, since time.Time) (bool, error) {
	ok := false
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		// Votes from one address on one project take turns, so that two
		// browsers behind it voting at once cannot both pass the check
		// below (SQLite's one writer already serialises them).
		if db.Dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
				fmt.Sprintf("plan_vote:%d:%s", project, ip)); err != nil {
				return err
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, db.Q(`SELECT COUNT(*) FROM plan_votes WHERE project_id = ? AND (voter = ? OR ip = ? AND at >= ?)`),
			project, voter, ip, ms(since)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		// A failed statement would abort a PostgreSQL transaction (and its
		// commit): a vote racing in is skipped, not caught as an error.
		res, err := tx.ExecContext(ctx, db.Q(`INSERT INTO plan_votes (project_id, voter, ip, rating, at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (project_id, voter) DO NOTHING`), project, voter, ip, rating, ms(at))
		if err != nil {
			return err
		}
		added, err := res.RowsAffected()
		ok = added == 1
		return err
	})
	return ok, err
}

// PollCounts counts a project's votes by answer.
func (db *DB) PollCounts(ctx context.Context, project int64) (map[string]int, error) {
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT rating, COUNT(*) FROM plan_votes WHERE project_id = ? GROUP BY rating`), project)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var r string
		var n int
		if err := rows.Scan(&r, &n); err != nil {
			return nil, err
		}
		out[r] = n
	}
	return out, rows.Err()
}
