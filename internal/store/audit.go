package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/audit"
)

// auditLockKey is the PostgreSQL advisory lock that serialises linking the
// chain; on SQLite the single writer already does.
const auditLockKey = 0x78697568 // "xiuh"

// appendAudit adds an entry to the log inside the caller's transaction, so
// the change and its entry commit together or not at all.
//
// On SQLite the entry is linked into the chain at once: the one writer
// connection serialises appends anyway. On PostgreSQL it goes to
// audit_queue and the sealer links it after the commit: linking at commit
// time meant a lock held through every commit's WAL flush, which queued all
// writers of all instances behind one another (p99 200 ms at 500 requests/s).
func (db *DB) appendAudit(ctx context.Context, tx *sql.Tx, actorID int64, kind, subject, payload string, at time.Time) error {
	at = time.UnixMilli(at.UnixMilli())
	if db.Dialect == Postgres {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit_queue (at, actor_id, kind, subject, payload) VALUES ($1, $2, $3, $4, $5)`,
			ms(at), actorID, kind, subject, payload)
		return err
	}
	e := audit.Entry{Seq: 1, Prev: audit.Genesis, At: at, ActorID: actorID, Kind: kind, Subject: subject, Payload: payload}
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

// auditEntries is every audit entry, linked or still queued: a change and
// its entry commit together, but the entry may not be linked yet. Both
// halves are read in one statement, so an entry linked meanwhile is seen
// once.
const auditEntries = `(SELECT seq, kind, subject, payload FROM audit_log UNION ALL SELECT NULL, kind, subject, payload FROM audit_queue)`

// sealBatch bounds one sealing transaction (8 parameters a row stays far
// below PostgreSQL's 65,535).
const sealBatch = 1000

// SealAudit links every queued audit entry it can see into the chain, in
// the order they were queued, and reports how many it linked. Sealers on
// several instances take turns under one advisory lock. On SQLite there is
// never a queue. Readers of audit_log that must see the latest entries
// (verification, tests) seal first; the server's sealer runs after every
// commit and every second.
func (db *DB) SealAudit(ctx context.Context) (int, error) {
	if db.Dialect != Postgres {
		return 0, nil
	}
	total := 0
	for {
		n, err := db.sealOnce(ctx)
		total += n
		if err != nil || n < sealBatch {
			return total, err
		}
	}
}

func (db *DB) sealOnce(ctx context.Context) (int, error) {
	// Most wake-ups find the queue empty: look before taking the lock.
	var one int64
	switch err := db.R.QueryRowContext(ctx, `SELECT id FROM audit_queue ORDER BY id LIMIT 1`).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows), isUndefinedTable(err):
		// No queue yet: the store opened before its migration ran.
		return 0, nil
	case err != nil:
		return 0, err
	}
	tx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	// A seal need not wait for its own WAL flush: it moves entries that are
	// already durable, in one transaction, so if a crash loses it the
	// entries are still queued and are linked again; and any later commit's
	// flush carries it to disk. Under READ COMMITTED each statement after the
	// lock sees what the previous holder committed, so the tail read here is
	// the true tail.
	if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(`+strconv.Itoa(auditLockKey)+`)`); err != nil {
		return 0, err
	}
	seq, prev := int64(0), audit.Genesis
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, at, actor_id, kind, subject, payload FROM audit_queue ORDER BY id LIMIT `+strconv.Itoa(sealBatch))
	if err != nil {
		return 0, err
	}
	var ids []int64
	var entries []audit.Entry
	for rows.Next() {
		var id, at int64
		e := audit.Entry{}
		if err := rows.Scan(&id, &at, &e.ActorID, &e.Kind, &e.Subject, &e.Payload); err != nil {
			rows.Close()
			return 0, err
		}
		seq++
		e.Seq, e.Prev, e.At = seq, prev, time.UnixMilli(at)
		e.Hash = audit.Sum(e)
		prev = e.Hash
		ids = append(ids, id)
		entries = append(entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(entries) == 0 {
		return 0, nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO audit_log (seq, at, actor_id, kind, subject, payload, prev, hash) VALUES `)
	args := make([]any, 0, 8*len(entries))
	for i, e := range entries {
		if i > 0 {
			q.WriteString(", ")
		}
		n := 8 * i
		fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8)
		args = append(args, e.Seq, ms(e.At), e.ActorID, e.Kind, e.Subject, e.Payload, e.Prev, e.Hash)
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM audit_queue WHERE id = ANY($1)`, ids); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return len(entries), nil
}

// sealPause is the least time between two seals of one instance: a busy
// server then links its commits in batches (one transaction for many
// entries) instead of one seal per commit, and the chain trails the
// ledger by a few tens of milliseconds at most.
const sealPause = 25 * time.Millisecond

// sealer links queued audit entries in the background on PostgreSQL: woken
// after each commit (wake-ups coalesce, and seals are at least sealPause
// apart, so a busy server seals in batches) and every second, which picks
// up what another instance or a crashed process left.
type sealer struct {
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

func (db *DB) startSealer() {
	s := &sealer{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	db.sealer = s
	go func() {
		defer close(s.done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-s.wake:
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if _, err := db.SealAudit(ctx); err != nil {
				db.sealErrors.Add(1)
			}
			cancel()
			select {
			case <-s.stop:
				return
			case <-time.After(sealPause):
			}
		}
	}()
}

// wakeSealer asks the sealer to run; it never blocks.
func (db *DB) wakeSealer() {
	if db.sealer == nil {
		return
	}
	select {
	case db.sealer.wake <- struct{}{}:
	default:
	}
}

// stopSealer stops the background sealer and links what is left, so that a
// clean shutdown leaves a complete chain.
func (db *DB) stopSealer() {
	if db.sealer == nil {
		return
	}
	close(db.sealer.stop)
	<-db.sealer.done
	db.sealer = nil
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db.SealAudit(ctx)
}

// AuditQueue reports how many audit entries wait to be linked into the
// chain: a queue that grows means the sealer cannot reach the database.
func (db *DB) AuditQueue(ctx context.Context) (int64, error) {
	if db.Dialect != Postgres {
		return 0, nil
	}
	var n int64
	err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_queue`).Scan(&n)
	return n, err
}

// AuditSealFailures counts this store's failed attempts to link the queue.
func (db *DB) AuditSealFailures() int64 { return db.sealErrors.Load() }

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

// AuditHead links what is queued and returns the last entry of the log as
// an anchor to keep outside the database (zero on an empty log).
func (db *DB) AuditHead(ctx context.Context) (audit.Anchor, error) {
	if _, err := db.SealAudit(ctx); err != nil {
		return audit.Anchor{}, err
	}
	var a audit.Anchor
	err := db.R.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&a.Seq, &a.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return audit.Anchor{}, nil
	}
	return a, err
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
//
// Anchors, heads printed earlier by AuditHead and kept outside the
// database, catch a log rewritten whole with every hash recomputed, which
// the chain alone cannot.
func (db *DB) VerifyAudit(ctx context.Context, anchors ...audit.Anchor) (AuditReport, error) {
	var rep AuditReport
	add := func(ps ...audit.Problem) {
		for _, p := range ps {
			if len(rep.Problems) < maxProblems {
				rep.Problems = append(rep.Problems, p)
			}
		}
	}
	// Link what is queued first, so that the walk covers every entry
	// committed before it began.
	if _, err := db.SealAudit(ctx); err != nil {
		return rep, fmt.Errorf("link queued audit entries: %w", err)
	}
	anchored := map[int64]string{}
	for _, a := range anchors {
		anchored[a.Seq] = ""
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
		for _, e := range page {
			if _, ok := anchored[e.Seq]; ok {
				anchored[e.Seq] = e.Hash
			}
		}
		want = page[len(page)-1].Seq + 1
		after = page[len(page)-1].Seq
		rep.Entries += int64(len(page))
	}

	add(audit.CheckAnchors(anchors, anchored)...)

	// Every event has its entry, with the same content; every entry of an
	// event has its event.
	rows, err := db.R.QueryContext(ctx, `SELECT e.id, e.case_id, e.seq, e.action, e.from_state, e.to_state, e.actor_id, e.actor_name,
		e.actor_unit, e.at, e.note, e.data, a.payload, a.seq
		FROM events e LEFT JOIN `+auditEntries+` a ON a.kind = 'case.event' AND a.subject = CAST(e.id AS TEXT) ORDER BY e.id`)
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
	// Only entries the walk saw: an event committed since has its entry
	// past the tail and was not in the event list read above.
	tail := after
	orphans, err := db.R.QueryContext(ctx, db.Q(`SELECT seq, subject FROM audit_log WHERE kind = 'case.event' AND seq <= ? ORDER BY seq`), tail)
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
	if rep.Publications, err = db.verifyPublications(ctx, tail, add); err != nil {
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
