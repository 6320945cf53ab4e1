package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/casework"
)

const caseCols = `id, state, version, category, description, address, lon, lat, grid, community, street, district,
	source, urgency, reporter_id, unit_code, deadline, rework_count, extension_hours, suspended_from, remaining_ms,
	handler_id, handled_at, created_at, updated_at, closed_at, external_ref, approx_area`

func scanCase(s interface{ Scan(...any) error }) (casework.Case, error) {
	var c casework.Case
	var reporter, handler, deadline, handledAt, closedAt sql.NullInt64
	var unit, ext, approx sql.NullString
	var created, updated, remaining int64
	err := s.Scan(&c.ID, &c.State, &c.Version, &c.Category, &c.Description, &c.Address, &c.Lon, &c.Lat,
		&c.Grid, &c.Community, &c.Street, &c.District, &c.Source, &c.Urgency, &reporter, &unit, &deadline,
		&c.ReworkCount, &c.ExtensionHours, &c.SuspendedFrom, &remaining, &handler, &handledAt, &created, &updated, &closedAt, &ext, &approx)
	c.ExternalRef, c.ApproxArea = ext.String, approx.String
	c.ReporterID, c.HandlerID, c.Unit = reporter.Int64, handler.Int64, unit.String
	c.Deadline, c.HandledAt, c.ClosedAt = fromMS(deadline), fromMS(handledAt), fromMS(closedAt)
	c.CreatedAt, c.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	c.Remaining = time.Duration(remaining) * time.Millisecond
	return c, err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateCases inserts cases and their first events in one transaction.
func (db *DB) CreateCases(ctx context.Context, cs []*casework.Case, evs []*casework.Event) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, db.Q(`INSERT INTO cases (state, version, category, description, address, lon, lat,
			grid, community, street, district, source, urgency, reporter_id, unit_code, deadline, rework_count, extension_hours,
			suspended_from, remaining_ms, handler_id, handled_at, created_at, updated_at, closed_at, external_ref, approx_area)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, c := range cs {
			err := stmt.QueryRowContext(ctx,
				string(c.State), c.Version, c.Category, c.Description, c.Address, c.Lon, c.Lat, c.Grid, c.Community, c.Street, c.District,
				string(c.Source), string(c.Urgency), nullID(c.ReporterID), nullStr(c.Unit), nullMS(c.Deadline), c.ReworkCount,
				c.ExtensionHours, string(c.SuspendedFrom), c.Remaining.Milliseconds(), nullID(c.HandlerID), nullMS(c.HandledAt),
				ms(c.CreatedAt), ms(c.UpdatedAt), nullMS(c.ClosedAt), nullStr(c.ExternalRef), nullStr(c.ApproxArea)).Scan(&c.ID)
			if isUnique(err) {
				return xiuhua.Errorf(xiuhua.EConflict, "%s was already reported", "%s 已经上报过", c.ExternalRef)
			}
			if err != nil {
				return err
			}
			ev := evs[i]
			ev.CaseID, ev.Seq = c.ID, c.Version
			if err := db.insertEvent(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
}

// ExistingRefs returns which of the external references are already in the ledger.
func (db *DB) ExistingRefs(ctx context.Context, refs []string) (map[string]int64, error) {
	out := map[string]int64{}
	for start := 0; start < len(refs); start += 500 {
		chunk := refs[start:min(start+500, len(refs))]
		args := make([]any, len(chunk))
		for i, r := range chunk {
			args[i] = r
		}
		rows, err := db.R.QueryContext(ctx, db.Q(`SELECT external_ref, id FROM cases WHERE external_ref IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var ref string
			var id int64
			if err := rows.Scan(&ref, &id); err != nil {
				rows.Close()
				return nil, err
			}
			out[ref] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (db *DB) insertEvent(ctx context.Context, tx *sql.Tx, ev *casework.Event) error {
	data, err := json.Marshal(ev.Data)
	if err != nil {
		return err
	}
	err = tx.QueryRowContext(ctx, db.Q(`INSERT INTO events (case_id, seq, action, from_state, to_state, actor_id, actor_name, actor_unit, at, note, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		ev.CaseID, ev.Seq, string(ev.Action), string(ev.From), string(ev.To), nullID(ev.ActorID), ev.ActorName, ev.ActorUnit,
		ms(ev.At), ev.Note, string(data)).Scan(&ev.ID)
	if err != nil {
		return err
	}
	for i, b := range ev.Attachments {
		if _, err := tx.ExecContext(ctx, db.Q(`INSERT INTO event_blobs (event_id, blob_id, ord) VALUES (?, ?, ?)`), ev.ID, b, i); err != nil {
			if isForeignKey(err) {
				return xiuhua.Errorf(xiuhua.EUnprocessable, "unknown attachment %s", "附件 %s 不存在", b)
			}
			return err
		}
	}
	payload := eventPayload(ev.CaseID, ev.ID, ev.Seq, string(ev.Action), string(ev.From), string(ev.To), ev.ActorID, ev.ActorName,
		ev.ActorUnit, ms(ev.At), ev.Note, string(data), ev.Attachments)
	return db.appendAudit(ctx, tx, ev.ActorID, "case.event", strconv.FormatInt(ev.ID, 10), payload, ev.At)
}

// UpdateCase runs fn on the stored case and writes its result, guarded by the
// version so that of two concurrent actions exactly one wins.
func (db *DB) UpdateCase(ctx context.Context, id int64, fn func(casework.Case) (casework.Case, casework.Event, error)) (casework.Case, error) {
	var out casework.Case
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := scanCase(tx.QueryRowContext(ctx, db.Q(`SELECT `+caseCols+` FROM cases WHERE id = ?`), id))
		if errors.Is(err, sql.ErrNoRows) {
			return xiuhua.Errorf(xiuhua.ENotFound, "no case %d", "案件 %d 不存在", id)
		}
		if err != nil {
			return err
		}
		next, ev, err := fn(c)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, db.Q(`UPDATE cases SET state = ?, version = ?, unit_code = ?, deadline = ?, rework_count = ?,
			extension_hours = ?, suspended_from = ?, remaining_ms = ?, handler_id = ?, handled_at = ?, updated_at = ?, closed_at = ?
			WHERE id = ? AND version = ?`),
			string(next.State), next.Version, nullStr(next.Unit), nullMS(next.Deadline), next.ReworkCount, next.ExtensionHours,
			string(next.SuspendedFrom), next.Remaining.Milliseconds(), nullID(next.HandlerID), nullMS(next.HandledAt),
			ms(next.UpdatedAt), nullMS(next.ClosedAt), id, c.Version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return staleErr()
		}
		ev.CaseID, ev.Seq = id, next.Version
		if err := db.insertEvent(ctx, tx, &ev); err != nil {
			if isUnique(err) {
				return staleErr()
			}
			return err
		}
		out = next
		return nil
	})
	return out, err
}

func staleErr() error {
	return xiuhua.Errorf(xiuhua.EConflict, "the case was changed by someone else meanwhile: reload it and try again", "案件已被他人同时更新，请刷新后重试")
}

// Case returns one case.
func (db *DB) Case(ctx context.Context, id int64) (casework.Case, error) {
	c, err := scanCase(db.readRow(ctx, `SELECT `+caseCols+` FROM cases WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, xiuhua.Errorf(xiuhua.ENotFound, "no case %d", "案件 %d 不存在", id)
	}
	return c, err
}

// Events returns a case's history in order, with attachments.
func (db *DB) Events(ctx context.Context, caseID int64) ([]casework.Event, error) {
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT e.id, e.seq, e.action, e.from_state, e.to_state, e.actor_id, e.actor_name,
		e.actor_unit, e.at, e.note, e.data, b.blob_id
		FROM events e LEFT JOIN event_blobs b ON b.event_id = e.id
		WHERE e.case_id = ? ORDER BY e.seq, b.ord`), caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []casework.Event
	for rows.Next() {
		var ev casework.Event
		var actor sql.NullInt64
		var at int64
		var data string
		var blob sql.NullString
		if err := rows.Scan(&ev.ID, &ev.Seq, &ev.Action, &ev.From, &ev.To, &actor, &ev.ActorName, &ev.ActorUnit, &at, &ev.Note, &data, &blob); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].ID == ev.ID {
			out[n-1].Attachments = append(out[n-1].Attachments, blob.String)
			continue
		}
		ev.CaseID, ev.ActorID, ev.At = caseID, actor.Int64, time.UnixMilli(at).UTC()
		if err := json.Unmarshal([]byte(data), &ev.Data); err != nil {
			return nil, err
		}
		ev.Attachments = []string{}
		if blob.Valid {
			ev.Attachments = append(ev.Attachments, blob.String)
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// territoryColumn picks the case column a territory code filters on: codes
// nest, so a code's length says its level.
func territoryColumn(code string) string {
	switch len(code) {
	case 6:
		return "district"
	case 9:
		return "street"
	case 12:
		return "community"
	}
	return "grid"
}

// Cases lists cases matching f, newest first, with the desk's filters.
func (db *DB) Cases(ctx context.Context, f casework.Filter) ([]casework.Case, error) {
	where, args := deskWhere(DeskFilter{Territory: f.Territory, States: f.States, Category: f.Category, Unit: f.Unit,
		Source: f.Source, Overdue: f.Overdue, Approx: f.Approx, Now: f.Now}, true, true)
	if f.Before > 0 {
		if where == "" {
			where = " WHERE id < ?"
		} else {
			where += " AND id < ?"
		}
		args = append(args, f.Before)
	}
	q := `SELECT ` + caseCols + ` FROM cases` + where + ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := db.R.QueryContext(ctx, db.Q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []casework.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
