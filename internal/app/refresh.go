package app

import (
	"context"
	"fmt"
	"sync"

	"github.com/xiuhua/xiuhua/internal/store"
)

// Kinds of reference data held in memory, as counted in ref_versions.
const (
	RefTerritory = store.RefTerritory
	RefCatalog   = store.RefCatalog
	RefCalendar  = store.RefCalendar
)

// refState is what version of each kind this process has loaded. Several
// processes may serve one database (docs/deployment.md): a change made by
// one bumps the kind's counter, and the others reload when Refresh sees the
// counter move past what they hold.
type refState struct {
	mu   sync.Mutex
	seen map[string]int64
}

func (a *App) reloadKind(ctx context.Context, kind string) error {
	switch kind {
	case RefTerritory:
		return a.reloadTerritory(ctx)
	case RefCatalog:
		return a.reloadCatalog(ctx)
	case RefCalendar:
		return a.reloadCalendar(ctx)
	}
	return fmt.Errorf("unknown reference data %q", kind)
}

func (a *App) refVersions(ctx context.Context) (map[string]int64, error) {
	rows, err := a.DB.R.QueryContext(ctx, `SELECT kind, version FROM ref_versions`)
	if err != nil {
		return nil, fmt.Errorf("read reference versions: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// loadAll loads every snapshot, noting the versions read before loading: a
// change committed meanwhile is reloaded once more by the next Refresh,
// never missed.
func (a *App) loadAll(ctx context.Context) error {
	vs, err := a.refVersions(ctx)
	if err != nil {
		return err
	}
	if err := a.Reload(ctx); err != nil {
		return err
	}
	a.ref.mu.Lock()
	a.ref.seen = vs
	a.ref.mu.Unlock()
	return nil
}

// changed is called after this process changed a kind of reference data
// (the change bumped the kind's counter in its own transaction, so other
// processes reload it): it reloads its own snapshot. Should that fail, the
// next Refresh sees the counter ahead of this process and reloads then.
func (a *App) changed(ctx context.Context, kind string) error {
	v, err := a.DB.RefVersion(ctx, kind)
	if err != nil {
		return fmt.Errorf("read the %s version: %w", kind, err)
	}
	if err := a.reloadKind(ctx, kind); err != nil {
		return err
	}
	// The reload started after reading v, so it holds version v at least.
	a.ref.mu.Lock()
	if a.ref.seen == nil {
		a.ref.seen = map[string]int64{}
	}
	if v > a.ref.seen[kind] {
		a.ref.seen[kind] = v
	}
	a.ref.mu.Unlock()
	return nil
}

// Refresh reloads the kinds of reference data another process changed since
// this one last loaded them, and says which it reloaded. Serving instances
// call it every few seconds (internal/cluster).
func (a *App) Refresh(ctx context.Context) ([]string, error) {
	vs, err := a.refVersions(ctx)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, kind := range []string{RefTerritory, RefCatalog, RefCalendar} {
		v, ok := vs[kind]
		a.ref.mu.Lock()
		stale := ok && v > a.ref.seen[kind]
		a.ref.mu.Unlock()
		if !stale {
			continue
		}
		if err := a.reloadKind(ctx, kind); err != nil {
			return done, err
		}
		a.ref.mu.Lock()
		if a.ref.seen == nil {
			a.ref.seen = map[string]int64{}
		}
		if v > a.ref.seen[kind] {
			a.ref.seen[kind] = v
		}
		a.ref.mu.Unlock()
		done = append(done, kind)
	}
	return done, nil
}
