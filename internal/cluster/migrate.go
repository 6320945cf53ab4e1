package cluster

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/xiuhua/xiuhua/internal/store"
)

// Migrate brings the schema up to date with the instances that start at the
// same moment queued behind one another: on PostgreSQL an advisory lock,
// keyed by the schema, is held on a connection of its own while the
// migrations run, so a rolling start never runs a migration twice. SQLite
// has one process and migrates directly.
func Migrate(ctx context.Context, db *store.DB) error {
	if db.Dialect != store.Postgres {
		return db.Migrate(ctx)
	}
	conn, err := db.W.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var schema string
	if err := conn.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	h := fnv.New64a()
	fmt.Fprint(h, "xiuhua migrate ", schema)
	key := int64(h.Sum64())
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("wait for the migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	// The shared rate-limit buckets are written on every public request and
	// worth nothing after a crash: unlogged, their writes skip the WAL and
	// its flush (about half the cost of a request's bucket), and a crash
	// merely refills every bucket. The migrations are shared with SQLite,
	// which has no such thing, so it is done here, once.
	var persistence string
	if err := conn.QueryRowContext(ctx, `SELECT relpersistence FROM pg_class WHERE oid = 'rate_buckets'::regclass`).Scan(&persistence); err != nil {
		return err
	}
	if persistence == "p" {
		if _, err := conn.ExecContext(ctx, `ALTER TABLE rate_buckets SET UNLOGGED`); err != nil {
			return fmt.Errorf("make rate_buckets unlogged: %w", err)
		}
	}
	return nil
}
