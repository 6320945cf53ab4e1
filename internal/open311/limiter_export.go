package open311

import "time"

// Limiter is the per-client token-bucket rate limit of this door, exported
// for the other public doors (the citizen portal) so that every public
// endpoint limits the same way.
type Limiter struct{ l *limiter }

// NewLimiter builds a limiter of shape l on the clock now.
func NewLimiter(l Limit, now func() time.Time) *Limiter {
	return &Limiter{l: newLimiter(l, now)}
}

// Allow takes a token from client's bucket; when there is none it says how
// long until there is.
func (x *Limiter) Allow(client string) (bool, time.Duration) { return x.l.allow(client) }
