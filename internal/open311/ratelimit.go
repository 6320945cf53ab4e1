package open311

import (
	"math"
	"sync"
	"time"
)

// Limit is a token bucket's shape: Rate tokens a second refill a bucket of
// Burst tokens; each request takes one. A zero Rate turns the limit off.
type Limit struct {
	Rate  float64
	Burst float64
}

// limiter keeps one bucket per client (an IP address or a key id) in memory.
// Buckets that have refilled are forgotten, so memory follows the number of
// clients active in the last Burst/Rate seconds; past maxBuckets some are
// dropped (a dropped client starts again with a full bucket, which errs
// on the side of letting people through).
type limiter struct {
	limit Limit
	now   func() time.Time

	// shared, when set, keeps the buckets in PostgreSQL so that every
	// instance serving the database draws on one budget per client; the
	// in-memory buckets then only stand in while the database cannot answer.
	shared *sharedBuckets

	mu      sync.Mutex
	buckets map[string]*bucket
	calls   int
}

type bucket struct {
	tokens float64
	at     time.Time
}

const maxBuckets = 100_000

func newLimiter(l Limit, now func() time.Time) *limiter {
	return &limiter{limit: l, now: now, buckets: map[string]*bucket{}}
}

// allow takes a token from the client's bucket. When there is none it says
// how long until there is.
func (l *limiter) allow(client string) (bool, time.Duration) {
	if l == nil || l.limit.Rate <= 0 {
		return true, 0
	}
	now := l.now()
	if l.shared != nil {
		if ok, wait, err := l.shared.take(client, l.limit, now); err == nil {
			return ok, wait
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.calls%1024 == 0 || len(l.buckets) >= maxBuckets {
		l.sweep(now)
	}
	b, ok := l.buckets[client]
	if !ok {
		b = &bucket{tokens: l.limit.Burst, at: now}
		l.buckets[client] = b
	}
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = math.Min(l.limit.Burst, b.tokens+el*l.limit.Rate)
	}
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.limit.Rate * float64(time.Second))
	return false, wait
}

// sweep forgets full buckets and, if still too many, some others.
func (l *limiter) sweep(now time.Time) {
	full := time.Duration(l.limit.Burst / l.limit.Rate * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.at) >= full {
			delete(l.buckets, k)
		}
	}
	// Still full (a flood of distinct clients): drop a tenth, arbitrary ones
	// (map order is random), so that one request never pays for a full scan
	// per eviction.
	if len(l.buckets) >= maxBuckets {
		n := len(l.buckets) / 10
		for k := range l.buckets {
			if n == 0 {
				break
			}
			delete(l.buckets, k)
			n--
		}
	}
}
