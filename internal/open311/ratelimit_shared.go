package open311

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/xiuhua/xiuhua/internal/store"
)

// sharedBuckets keeps the token buckets of one limit in the rate_buckets
// table, so that several instances behind a load balancer limit a client
// together (docs/deployment.md). Each request is one UPSERT that refills,
// takes a token and says whether it could, so concurrent requests on
// different instances never both take the last token.
type sharedBuckets struct {
	db    *store.DB
	name  string
	calls atomic.Int64
	// sweeping is set while a sweep runs, so that at most one does.
	sweeping atomic.Bool
	// Errors counts requests decided in memory because the database did not answer.
	errors atomic.Int64
}

// sharedOn makes l keep its buckets in db under name when db is PostgreSQL.
// SQLite has one serving process: its in-memory buckets are already the
// whole budget.
func (l *limiter) sharedOn(db *store.DB, name string) *limiter {
	if db != nil && db.Dialect == store.Postgres && l.limit.Rate > 0 {
		l.shared = &sharedBuckets{db: db, name: name}
	}
	return l
}

// refill is a bucket's tokens now: what it held plus the rate times the
// seconds since it was last touched, never beyond the burst. $3 is the
// burst, $4 the time in ms and $5 the rate per second; the arithmetic is
// limiter.allow's, in the same order.
const refill = `LEAST($3::double precision, rate_buckets.tokens +
	(GREATEST(0, $4::bigint - rate_buckets.at))::double precision / 1000.0::double precision * $5::double precision)`

// takeSQL is limiter.allow in one statement: refill, take a token when there
// is a whole one, remember the time and whether the request may pass.
const takeSQL = `INSERT INTO rate_buckets (name, client, tokens, at, ok) VALUES ($1, $2, $3::double precision - 1, $4::bigint, 1)
	ON CONFLICT (name, client) DO UPDATE SET
	tokens = CASE WHEN ` + refill + ` >= 1 THEN ` + refill + ` - 1 ELSE ` + refill + ` END,
	ok = CASE WHEN ` + refill + ` >= 1 THEN 1 ELSE 0 END,
	at = GREATEST(rate_buckets.at, $4::bigint)
	RETURNING tokens, ok`

// take runs the bucket of client in the database. A slow or failing
// database must not hold up the public doors: after a second the caller
// falls back to its in-memory bucket.
func (s *sharedBuckets) take(client string, l Limit, now time.Time) (bool, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var tokens float64
	var ok int
	if err := s.db.W.QueryRowContext(ctx, takeSQL, s.name, client, l.Burst, now.UnixMilli(), l.Rate).Scan(&tokens, &ok); err != nil {
		s.errors.Add(1)
		return false, 0, err
	}
	if s.calls.Add(1)%1024 == 0 {
		s.sweep(l, now)
	}
	if ok == 1 {
		return true, 0, nil
	}
	return false, time.Duration((1 - tokens) / l.Rate * float64(time.Second)), nil
}

// sweep deletes, in the background, the buckets that have refilled: a
// missing bucket starts full, so they say nothing a new one would not.
func (s *sharedBuckets) sweep(l Limit, now time.Time) {
	if !s.sweeping.CompareAndSwap(false, true) {
		return
	}
	full := time.Duration(l.Burst / l.Rate * float64(time.Second))
	go func() {
		defer s.sweeping.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s.db.W.ExecContext(ctx, `DELETE FROM rate_buckets WHERE name = $1 AND at < $2`, s.name, now.Add(-full).UnixMilli())
	}()
}
