package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/xiuhua/xiuhua/internal/audit"
)

// auditLockKey is the PostgreSQL advisory lock that serialises appends; on
// SQLite the single writer already does.
const auditLockKey = 0x78697568 // "xiuh"

// appendAudit adds an entry to the log inside the caller's transaction, so
// the change and its entry commit together or not at all.
func (db *DB) appendAudit(ctx context.Context, tx *sql.Tx, actorID int64, kind, subject, payload string, at time.Time) error {
	if db.Dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(`+strconv.Itoa(auditLockKey)+`)`); err != nil {
			return err
		}
	}
	e := audit.Entry{Seq: 1, Prev: audit.Genesis, At: time.UnixMilli(at.UnixMilli()), ActorID: actorID, Kind: kind, Subject: subject, Payload: payload}
	var last int64
	var prev string
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&last, &prev)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	default:
		e.Seq, e.Prev = last+1, prev
	}
	e.Hash = audit.Sum(e)
	_, err = tx.ExecContext(ctx, db.Q(`INSERT INTO audit_log (seq, at, actor_id, kind, subject, payload, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		e.Seq, ms(e.At), e.ActorID, e.Kind, e.Subject, e.Payload, e.Prev, e.Hash)
	return err
}

// auditChange appends an admin change, made by the actor recorded in ctx
// (audit.WithActor; 0 for the command line and the system).
func (db *DB) auditChange(ctx context.Context, tx *sql.Tx, kind, subject string, v any) error {
	return db.appendAudit(ctx, tx, audit.ActorFrom(ctx), kind, subject, audit.Payload(v), time.Now())
}

// eventPayload is what the log keeps of a case event: every stored field, so
// that Verify can tell an edited event row from its entry.
func eventPayload(caseID, eventID int64, seq int, action, from, to string, actorID int64, actorName, actorUnit string, at int64, note, data string, blobs []string) string {
	if blobs == nil {
		blobs = []string{}
	}
	return audit.Payload(struct {
		Case      int64    `json:"case"`
		Event     int64    `json:"event"`
		Seq       int      `json:"seq"`
		Action    string   `json:"action"`
		From      string   `json:"from"`
		To        string   `json:"to"`
		Actor     int64    `json:"actor"`
		ActorName string   `json:"actor_name"`
		ActorUnit string   `json:"actor_unit"`
		At        int64    `json:"at"`
		Note      string   `json:"note"`
		Data      string   `json:"data"`
		Blobs     []string `json:"blobs"`
	}{caseID, eventID, seq, action, from, to, actorID, actorName, actorUnit, at, note, data, blobs})
}

// AuditReport is what VerifyAudit found.
type AuditReport struct {
	Entries      int64           `json:"entries"`
	Events       int64           `json:"events"`
	Publications int64           `json:"publications"`
	Problems     []audit.Problem `json:"problems"`
}

// maxProblems bounds a report: past that, the store is plainly not to be trusted.
const maxProblems = 200

// VerifyAudit walks the whole log and checks the chain, then checks every
// case event against its entry, every assessment publication against its
// entry (fields and body sha256), and every case against its last event.
// Entries are negative Seq when a problem concerns an event, a publication
// or a case with no entry (its id, negated) rather than a log entry.
func (db *DB) VerifyAudit(ctx context.Context) (AuditReport, error) {
	var rep AuditReport
	add := func(ps ...audit.Problem) {
		for _, p := range ps {
			if len(rep.Problems) < maxProblems {
				rep.Problems = append(rep.Problems, p)
			}
		}
	}
	prev, want := audit.Genesis, int64(1)
	after := int64(0)
	for {
		rows, err := db.R.QueryContext(ctx, db.Q(`SELECT seq, at, actor_id, kind, subject, payload, prev, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 5000`), after)
		if err != nil {
			return rep, err
		}
		var page []audit.Entry
		for rows.Next() {
			var e audit.Entry
			var at int64
			if err := rows.Scan(&e.Seq, &at, &e.ActorID, &e.Kind, &e.Subject, &e.Payload, &e.Prev, &e.Hash); err != nil {
				rows.Close()
				return rep, err
			}
			e.At = time.UnixMilli(at)
			page = append(page, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return rep, err
		}
		if len(page) == 0 {
			break
		}
		var ps []audit.Problem
		ps, prev = audit.Chain(page, prev, want)
		add(ps...)
		want = page[len(page)-1].Seq + 1
		after = page[len(page)-1].Seq
		rep.Entries += int64(len(page))
	}

	// Every event has its entry, with the same content; every entry of an
	// event has its event.
	rows, err := db.R.QueryContext(ctx, `SELECT e.id, e.case_id, e.seq, e.action, e.from_state, e.to_state, e.actor_id, e.actor_name,
		e.actor_unit, e.at, e.note, e.data, a.payload, a.seq
		FROM events e LEFT JOIN audit_log a ON a.kind = 'case.event' AND a.subject = CAST(e.id AS TEXT) ORDER BY e.id`)
	if err != nil {
		return rep, err
	}
	type evRow struct {
		id, caseID, actor, at int64
		seq                   int
		action, from, to      string
		name, unit, note      string
		data                  string
		payload               sql.NullString
		auditSeq              sql.NullInt64
	}
	var evs []evRow
	for rows.Next() {
		var r evRow
		var actor sql.NullInt64
		if err := rows.Scan(&r.id, &r.caseID, &r.seq, &r.action, &r.from, &r.to, &actor, &r.name, &r.unit, &r.at, &r.note, &r.data, &r.payload, &r.auditSeq); err != nil {
			rows.Close()
			return rep, err
		}
		r.actor = actor.Int64
		evs = append(evs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, err
	}
	blobs, err := db.eventBlobs(ctx)
	if err != nil {
		return rep, err
	}
	seen := map[string]bool{}
	for _, r := range evs {
		rep.Events++
		seen[strconv.FormatInt(r.id, 10)] = true
		if !r.payload.Valid {
			add(audit.Problem{Seq: -r.id, Reason: fmt.Sprintf("event %d of case %d has no audit entry: it was inserted behind the product's back", r.id, r.caseID)})
			continue
		}
		if eventPayload(r.caseID, r.id, r.seq, r.action, r.from, r.to, r.actor, r.name, r.unit, r.at, r.note, r.data, blobs[r.id]) != r.payload.String {
			add(audit.Problem{Seq: r.auditSeq.Int64, Reason: fmt.Sprintf("event %d of case %d differs from its audit entry: the event was edited", r.id, r.caseID)})
		}
	}
	orphans, err := db.R.QueryContext(ctx, `SELECT seq, subject FROM audit_log WHERE kind = 'case.event' ORDER BY seq`)
	if err != nil {
		return rep, err
	}
	for orphans.Next() {
		var seq int64
		var subject string
		if err := orphans.Scan(&seq, &subject); err != nil {
			orphans.Close()
			return rep, err
		}
		if !seen[subject] {
			add(audit.Problem{Seq: seq, Reason: fmt.Sprintf("event %s is in the log but not in the ledger: it was deleted", subject)})
		}
	}
	orphans.Close()

	// Every publication has its entry, with the same fields and body hash.
	if rep.Publications, err = db.verifyPublications(ctx, add); err != nil {
		return rep, err
	}

	// A case's state and version are those its last event left.
	bad, err := db.R.QueryContext(ctx, `SELECT c.id FROM cases c WHERE c.version <> (SELECT MAX(e.seq) FROM events e WHERE e.case_id = c.id)
		OR c.state <> (SELECT e.to_state FROM events e WHERE e.case_id = c.id AND e.seq = c.version) ORDER BY c.id`)
	if err != nil {
		return rep, err
	}
	defer bad.Close()
	for bad.Next() {
		var id int64
		if err := bad.Scan(&id); err != nil {
			return rep, err
		}
		add(audit.Problem{Seq: -id, Reason: fmt.Sprintf("case %d does not stand where its history leaves it: the case row was edited", id)})
	}
	return rep, bad.Err()
}

func (db *DB) eventBlobs(ctx context.Context) (map[int64][]string, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT event_id, blob_id FROM event_blobs ORDER BY event_id, ord`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[int64][]string{}
	for rows.Next() {
		var id int64
		var b string
		if err := rows.Scan(&id, &b); err != nil {
			return nil, err
		}
		m[id] = append(m[id], b)
	}
	return m, rows.Err()
}
