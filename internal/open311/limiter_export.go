package open311

import (
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/store"
)

// Limiter is the per-client token-bucket rate limit of this door, exported
// for the other public doors (the citizen portal) so that every public
// endpoint limits the same way.
type Limiter struct{ l *limiter }

// NewLimiter builds a limiter of shape l on the clock now.
func NewLimiter(l Limit, now func() time.Time) *Limiter {
	return &Limiter{l: newLimiter(l, now)}
}

// Shared makes the limiter keep its buckets in db under name (one name per
// limit) when db is PostgreSQL, so that every instance serving the database
// draws on one budget per client; on SQLite it stays in memory. It returns x.
func (x *Limiter) Shared(db *store.DB, name string) *Limiter {
	x.l.sharedOn(db, name)
	return x
}

// Allow takes a token from client's bucket; when there is none it says how
// long until there is.
func (x *Limiter) Allow(client string) (bool, time.Duration) { return x.l.allow(client) }

// ClientIP is the address a public door's limits count against: the last
// X-Forwarded-For hop when the server sits behind a trusted proxy (the one the
// proxy itself added), else the peer address.
func ClientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(ip) != nil {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
