package web

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
)

// endedTTL is how long the desk reuses its counts of ended cases (不予立案,
// 结案) for one filter. Counting them reads every case the territory ever
// had (a district's whole ledger, growing by the day) on every desk load,
// while the open work the desk is for stays small and is counted fresh
// each time. Ended counts only grow, by what was closed meanwhile; a
// console that closes or rejects a case forgets them at once, so only
// other instances' and the API's closures show up up to endedTTL late.
const endedTTL = 30 * time.Second

// endedMax bounds the filters remembered (a filter is a territory and the
// desk's other choices).
const endedMax = 2000

// endedStates are the states a case ends in.
var endedStates = func() []casework.State {
	var out []casework.State
	for _, s := range casework.States {
		if !s.Open() {
			out = append(out, s)
		}
	}
	return out
}()

type endedCounts struct {
	mu      sync.Mutex
	entries map[string]endedEntry
	// gen counts forget calls: counts computed across one are not kept,
	// since they may predate the closure that called it.
	gen uint64
}

type endedEntry struct {
	at     time.Time // by the server's clock
	counts map[casework.State]int
}

// endedKey is everything in f the counts depend on: not the state (they
// are counted per state), nor overdue and Now (only dispatched cases are
// overdue), nor sorting and paging.
func endedKey(f store.DeskFilter) string {
	opt := func(b *bool) string {
		if b == nil {
			return "-"
		}
		return fmt.Sprint(*b)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%s|%s|%d|%s|%d|%d", f.Territory, f.Category, f.Unit, f.Source, f.Reporter, opt(f.Approx),
		f.From.UnixMilli(), f.To.UnixMilli())
	if f.Box != nil {
		fmt.Fprintf(&b, "|%v", *f.Box)
	}
	return b.String()
}

// forget drops every remembered count: this console just ended a case.
func (c *endedCounts) forget() {
	c.mu.Lock()
	c.entries = nil
	c.gen++
	c.mu.Unlock()
}

// deskCounts counts the cases matching f by state (f's state ignored), and
// those overdue: open states fresh, ended states through the cache.
func (s *Server) deskCounts(ctx context.Context, f store.DeskFilter, now time.Time) (map[casework.State]int, int, error) {
	counts, overdue, err := s.App.DB.DeskCountsIn(ctx, f, openStates)
	if err != nil {
		return nil, 0, err
	}
	key := endedKey(f)
	c := &s.ended
	c.mu.Lock()
	e, ok := c.entries[key]
	gen := c.gen
	c.mu.Unlock()
	if !ok || now.Sub(e.at) >= endedTTL || now.Before(e.at) {
		ended, _, err := s.App.DB.DeskCountsIn(ctx, f, endedStates)
		if err != nil {
			return nil, 0, err
		}
		e = endedEntry{at: now, counts: ended}
		c.mu.Lock()
		if c.gen == gen {
			if c.entries == nil || len(c.entries) >= endedMax {
				c.entries = map[string]endedEntry{}
			}
			c.entries[key] = e
		}
		c.mu.Unlock()
	}
	for st, n := range e.counts {
		counts[st] = n
	}
	return counts, overdue, nil
}
