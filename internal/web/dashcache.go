package web

import (
	"context"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/internal/auth"
)

// dashTTL is how long the dashboard's figures are reused. A leader's
// dashboard polled by many screens would otherwise run its five aggregate
// queries over the whole ledger on every load; figures a few seconds old
// are what a dashboard is, and the page states the time they are as of
// ("数据更新于 HH:MM:SS"). Nothing invalidates them but time.
const dashTTL = 15 * time.Second

// dashCache keeps the latest dashboard of each scope and language, with
// its chart data encoded: every actor with the same scope sees the same
// figures (dashboardFor depends on nothing else).
type dashCache struct {
	mu      sync.Mutex
	entries map[string]*dashEntry
}

type dashEntry struct {
	mu   sync.Mutex // held while computing, so a burst computes once
	wall time.Time  // when computed, by the wall clock
	d    *dashboard
	json []byte // dashboardData's answer for d, built on first use
}

// encoded returns the chart data kept for d, or nil.
func (e *dashEntry) encoded(d *dashboard) []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.d != d {
		return nil
	}
	return e.json
}

// keep keeps the chart data of d, unless newer figures replaced d meanwhile.
func (e *dashEntry) keep(d *dashboard, b []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.d == d {
		e.json = b
	}
}

// cachedDashboard is dashboardFor through the cache. An entry is reused
// while it is younger than dashTTL by the wall clock and its "now" is
// within dashTTL of the server clock's (tests move the clock).
func (s *Server) cachedDashboard(ctx context.Context, a auth.Actor, lang string) (*dashEntry, *dashboard, error) {
	scope, err := a.Narrow("")
	if err != nil {
		return nil, nil, err
	}
	key := scope + "|" + lang
	c := &s.dash
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*dashEntry{}
	}
	e := c.entries[key]
	if e == nil {
		// A new scope: first forget the figures gone stale, so that the
		// cache holds only scopes looked at lately.
		for k, old := range c.entries {
			if old.mu.TryLock() {
				if time.Since(old.wall) >= dashTTL {
					delete(c.entries, k)
				}
				old.mu.Unlock()
			}
		}
		e = &dashEntry{}
		c.entries[key] = e
	}
	c.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := s.Now()
	if e.d != nil && time.Since(e.wall) < dashTTL && now.Sub(e.d.To).Abs() < dashTTL {
		return e, e.d, nil
	}
	d, err := s.dashboardFor(ctx, a, lang, now)
	if err != nil {
		return nil, nil, err
	}
	e.wall, e.d, e.json = time.Now(), d, nil
	return e, d, nil
}
