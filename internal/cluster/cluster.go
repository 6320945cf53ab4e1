// Package cluster lets several `xiuhua serve` processes on one PostgreSQL
// behave as one system: background jobs (the overdue scan, the monthly
// scoring, the planner's statistics) run by exactly one instance per period
// under a lease kept in the database, and every instance reloads its
// in-memory reference data when another one changes it. On SQLite there is
// one serving process and the same code simply never meets a rival.
//
// A job run is claimed with one conditional UPDATE of its row in
// cluster_jobs (the period is not done and nobody's lease is running), so two
// instances cannot both claim it. The holder renews its lease while it works;
// when it is killed, the lease runs out and the next instance to look takes
// the period over. Every attempt is a row of cluster_job_runs, and a unique
// index lets at most one attempt per job and period finish. Jobs are written
// to be idempotent, because an instance that stalls for longer than its
// lease (and so loses it) may have done part of the work already.
package cluster

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua/internal/store"
)

// Job is a piece of background work done once per period.
type Job struct {
	// Name identifies the job across instances.
	Name string
	// Period names the latest period due at now, "" when none is. The
	// periods of one job must sort as text in time order (fixed-width
	// timestamps do).
	Period func(now time.Time) string
	// Run does the work of a period and returns a short result (JSON) kept
	// with the run. It must be idempotent: a run taken over from an instance
	// that died may find part of the work done.
	Run func(ctx context.Context, period string, runID int64) (string, error)
}

// Runner runs jobs on one instance. Its zero values take the defaults.
type Runner struct {
	DB  *store.DB
	Log *slog.Logger
	// ID names this instance in leases and runs (default: host-pid-random).
	ID   string
	Jobs []Job
	// Lease is how long a claim holds without renewal (default 30 s): a
	// killed instance's job is taken over this long after its last renewal.
	Lease time.Duration
	// Tick is how often the instance looks for due work (default 10 s).
	Tick time.Duration
	// Retry is how long a failed run waits before the period is tried again
	// (default 1 min).
	Retry time.Duration
	// MinRun keeps each run's lease at least this long (tests use it to
	// catch an instance in the middle of a run; 0 in production).
	MinRun time.Duration
	// Refresh, when set, is called every RefreshEvery (default 2 s) to pick
	// up reference data changed by other instances (app.App.Refresh).
	Refresh      func(ctx context.Context) ([]string, error)
	RefreshEvery time.Duration
	// Now is the clock (tests move it).
	Now func() time.Time

	// Metrics counts this instance's runs (optional).
	Metrics *Metrics

	mu      sync.Mutex
	ensured bool // the jobs' rows exist
}

// InstanceID names this process: host, pid and a random suffix, so that a
// restarted process with a recycled pid is still a different instance.
func InstanceID() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "host"
	}
	b := make([]byte, 3)
	rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

func (r *Runner) defaults() {
	if r.ID == "" {
		r.ID = InstanceID()
	}
	if r.Lease <= 0 {
		r.Lease = 30 * time.Second
	}
	if r.Tick <= 0 {
		r.Tick = 10 * time.Second
	}
	if r.Retry <= 0 {
		r.Retry = time.Minute
	}
	if r.RefreshEvery <= 0 {
		r.RefreshEvery = 2 * time.Second
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Log == nil {
		r.Log = slog.Default()
	}
}

// Run looks for due work every Tick and, beside it, reloads changed
// reference data every RefreshEvery, until ctx ends. Jobs run one after the
// other on this instance; other instances run the rest.
func (r *Runner) Run(ctx context.Context) {
	r.defaults()
	if r.Refresh != nil {
		go r.refreshLoop(ctx)
	}
	tick := time.NewTicker(r.Tick)
	defer tick.Stop()
	for {
		if err := r.RunDue(ctx); err != nil && ctx.Err() == nil {
			r.Log.Warn("background jobs", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// refreshLoop polls the reference versions; a long job never delays it.
func (r *Runner) refreshLoop(ctx context.Context) {
	t := time.NewTicker(r.RefreshEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		kinds, err := r.Refresh(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			r.Log.Warn("reload reference data", "err", err)
		case len(kinds) > 0:
			r.Log.Info("reloaded reference data changed elsewhere", "kinds", strings.Join(kinds, ","))
		}
	}
}

// RunDue tries every job once: each whose period is due and free is claimed
// and run. It returns the first error that is not a job's own (a job's
// failure is recorded with its run).
func (r *Runner) RunDue(ctx context.Context) error {
	r.defaults()
	r.mu.Lock()
	if !r.ensured {
		if err := r.ensure(ctx); err != nil {
			r.mu.Unlock()
			return err // tried again next time
		}
		r.ensured = true
	}
	r.mu.Unlock()
	var first error
	for _, j := range r.Jobs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, err := r.runJob(ctx, j); err != nil && first == nil {
			first = fmt.Errorf("job %s: %w", j.Name, err)
		}
	}
	return first
}

// ensure creates the jobs' rows; concurrent instances may do it together.
func (r *Runner) ensure(ctx context.Context) error {
	for _, j := range r.Jobs {
		if _, err := r.DB.W.ExecContext(ctx, r.DB.Q(`INSERT INTO cluster_jobs (name, owner, period, lease_until, done)
			VALUES (?, '', '', 0, '') ON CONFLICT (name) DO NOTHING`), j.Name); err != nil {
			return err
		}
	}
	return nil
}

// errLost is a run whose lease another instance took over.
var errLost = errors.New("lease lost to another instance")

// runJob claims and runs job j's due period; ran is false when there was
// nothing to do or another instance holds it.
func (r *Runner) runJob(ctx context.Context, j Job) (ran bool, err error) {
	now := r.Now()
	period := j.Period(now)
	if period == "" {
		return false, nil
	}
	runID, ok, err := r.claim(ctx, j.Name, period, now)
	if err != nil || !ok {
		return false, err
	}
	start := r.Now()
	r.Log.Debug("job started", "job", j.Name, "period", period, "run", runID, "instance", r.ID)
	jctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		r.keepLease(jctx, cancel, j.Name, period)
	}()
	result, jerr := j.Run(jctx, period, runID)
	if jerr == nil && r.MinRun > 0 {
		select {
		case <-time.After(r.MinRun - r.Now().Sub(start)):
		case <-jctx.Done():
		}
	}
	if cause := context.Cause(jctx); jerr == nil && cause != nil && cause != context.Canceled {
		jerr = cause
	}
	cancel(nil)
	<-renewed
	if ctx.Err() != nil {
		// Shutting down: give the period back at once, so that another
		// instance redoes it without waiting for the lease to run out.
		r.release(j.Name, period, runID)
		return true, nil
	}
	if err := r.finish(ctx, j.Name, period, runID, result, jerr); err != nil {
		return true, err
	}
	if r.Metrics != nil {
		r.Metrics.ran(j.Name, jerr == nil, r.Now().Sub(start))
	}
	if jerr != nil {
		r.Log.Warn("job failed", "job", j.Name, "period", period, "run", runID, "err", jerr)
	} else {
		r.Log.Info("job finished", "job", j.Name, "period", period, "run", runID, "result", result, "took", r.Now().Sub(start).Round(time.Millisecond))
	}
	return true, nil
}

// claim takes the lease of job name for period, if the period is not done
// and no lease is running, and records the attempt, in one transaction.
func (r *Runner) claim(ctx context.Context, name, period string, now time.Time) (int64, bool, error) {
	var runID int64
	claimed := false
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, r.DB.Q(`UPDATE cluster_jobs SET owner = ?, period = ?, lease_until = ?
			WHERE name = ? AND done < ? AND lease_until < ?`),
			r.ID, period, store.Millis(now.Add(r.Lease)), name, period, store.Millis(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil
		}
		claimed = true
		return tx.QueryRowContext(ctx, r.DB.Q(`INSERT INTO cluster_job_runs (job, period, instance, started_at, result, error)
			VALUES (?, ?, ?, ?, '', '') RETURNING id`), name, period, r.ID, store.Millis(now)).Scan(&runID)
	})
	return runID, claimed && err == nil, err
}

// keepLease renews the lease every third of its length until ctx ends; when
// the lease is gone (another instance took it over after a stall) it cancels
// the run with errLost.
func (r *Runner) keepLease(ctx context.Context, cancel context.CancelCauseFunc, name, period string) {
	t := time.NewTicker(r.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := r.DB.W.ExecContext(ctx, r.DB.Q(`UPDATE cluster_jobs SET lease_until = ? WHERE name = ? AND owner = ? AND period = ?`),
			store.Millis(r.Now().Add(r.Lease)), name, r.ID, period)
		if err != nil {
			if ctx.Err() == nil {
				r.Log.Warn("renew job lease", "job", name, "err", err)
			}
			continue // the lease may still hold; the next renewal tries again
		}
		if n, _ := res.RowsAffected(); n != 1 {
			cancel(errLost)
			return
		}
	}
}

// finish records the end of an attempt. A success marks the period done and
// frees the job, but only while this instance still holds the lease; a
// failure frees it for a retry after Retry.
func (r *Runner) finish(ctx context.Context, name, period string, runID int64, result string, jerr error) error {
	now := r.Now()
	return r.DB.Tx(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if jerr == nil {
			res, err = tx.ExecContext(ctx, r.DB.Q(`UPDATE cluster_jobs SET owner = '', period = '', lease_until = 0, done = ?
				WHERE name = ? AND owner = ? AND period = ?`), period, name, r.ID, period)
		} else {
			res, err = tx.ExecContext(ctx, r.DB.Q(`UPDATE cluster_jobs SET owner = '', period = '', lease_until = ?
				WHERE name = ? AND owner = ? AND period = ?`), store.Millis(now.Add(r.Retry)), name, r.ID, period)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 && jerr == nil {
			jerr = errLost
		}
		if jerr != nil {
			_, err = tx.ExecContext(ctx, r.DB.Q(`UPDATE cluster_job_runs SET ended_at = ?, error = ? WHERE id = ?`),
				store.Millis(now), truncate(jerr.Error(), 2000), runID)
			return err
		}
		_, err = tx.ExecContext(ctx, r.DB.Q(`UPDATE cluster_job_runs SET ended_at = ?, finished_at = ?, result = ? WHERE id = ?`),
			store.Millis(now), store.Millis(now), truncate(result, 8000), runID)
		return err
	})
}

// release gives back a claim this instance will not finish (it is
// shutting down), recording why with the attempt.
func (r *Runner) release(name, period string, runID int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := store.Millis(r.Now())
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, r.DB.Q(`UPDATE cluster_jobs SET owner = '', period = '', lease_until = 0
			WHERE name = ? AND owner = ? AND period = ?`), name, r.ID, period); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, r.DB.Q(`UPDATE cluster_job_runs SET ended_at = ?, error = ? WHERE id = ?`), now, "instance shut down", runID)
		return err
	})
	if err != nil {
		r.Log.Warn("give back job lease", "job", name, "err", err)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// RunInfo is one attempt at a job's period, as cluster_job_runs keeps it.
type RunInfo struct {
	ID       int64     `json:"id"`
	Job      string    `json:"job"`
	Period   string    `json:"period"`
	Instance string    `json:"instance"`
	Started  time.Time `json:"started_at"`
	Ended    time.Time `json:"ended_at,omitzero"`
	Finished time.Time `json:"finished_at,omitzero"`
	Result   string    `json:"result,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// Runs lists the attempts of a job ("" for every job), newest first, at most limit.
func Runs(ctx context.Context, db *store.DB, job string, limit int) ([]RunInfo, error) {
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT id, job, period, instance, started_at, ended_at, finished_at, result, error
		FROM cluster_job_runs WHERE (? = '' OR job = ?) ORDER BY id DESC LIMIT ?`), job, job, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RunInfo
	for rows.Next() {
		var x RunInfo
		var st int64
		var en, fi sql.NullInt64
		if err := rows.Scan(&x.ID, &x.Job, &x.Period, &x.Instance, &st, &en, &fi, &x.Result, &x.Error); err != nil {
			return nil, err
		}
		x.Started, x.Ended, x.Finished = store.FromMillis(sql.NullInt64{Int64: st, Valid: true}), store.FromMillis(en), store.FromMillis(fi)
		out = append(out, x)
	}
	return out, rows.Err()
}
