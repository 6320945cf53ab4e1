package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Job names.
const (
	JobOptimize = "optimize"
	JobOverdue  = "overdue"
	JobScoring  = "scoring"
	JobVacuum   = "vacuum"
)

// Jobs names every job, in the order they are listed.
var Jobs = []string{JobOptimize, JobOverdue, JobScoring, JobVacuum}

// Options are the knobs of an instance's background work, read from the
// environment by OptionsFromEnv.
type Options struct {
	Instance     string        // XIUHUA_INSTANCE (default host-pid-random)
	Tick         time.Duration // XIUHUA_JOBS_TICK: how often to look for due work (10s)
	Lease        time.Duration // XIUHUA_JOBS_LEASE: how long a claim holds unrenewed (30s)
	OverdueEvery time.Duration // XIUHUA_OVERDUE_EVERY: the overdue scan's period (1m)
	RefreshEvery time.Duration // XIUHUA_REFRESH_EVERY: how often to look for changed reference data (2s)
	MinRun       time.Duration // XIUHUA_JOBS_MIN_RUN: hold each run's lease this long at least (tests; 0)
}

// OptionsFromEnv reads the options; unreadable values keep their default and
// are reported.
func OptionsFromEnv(getenv func(string) string) (Options, []string) {
	o := Options{Instance: getenv("XIUHUA_INSTANCE"), Tick: 10 * time.Second, Lease: 30 * time.Second,
		OverdueEvery: time.Minute, RefreshEvery: 2 * time.Second}
	var probs []string
	for name, dst := range map[string]*time.Duration{"XIUHUA_JOBS_TICK": &o.Tick, "XIUHUA_JOBS_LEASE": &o.Lease,
		"XIUHUA_OVERDUE_EVERY": &o.OverdueEvery, "XIUHUA_REFRESH_EVERY": &o.RefreshEvery, "XIUHUA_JOBS_MIN_RUN": &o.MinRun} {
		v := getenv(name)
		if v == "" {
			continue
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || (d < 100*time.Millisecond && name != "XIUHUA_JOBS_MIN_RUN") {
			probs = append(probs, fmt.Sprintf("%s=%q is not a duration of at least 100ms", name, v))
			continue
		}
		*dst = d
	}
	return o, probs
}

// New builds the runner of a serving instance with the standard jobs: the
// planner statistics every hour, the overdue scan every OverdueEvery, the
// scoring of the month just ended, and on PostgreSQL the vacuum job (which
// works only when the server's autovacuum is off).
func New(a *app.App, log *slog.Logger, o Options, m *Metrics) *Runner {
	jobs := []Job{OptimizeJob(a.DB), OverdueJob(a.DB, o.OverdueEvery), ScoringJob(a)}
	if a.DB.Dialect == store.Postgres {
		jobs = append(jobs, VacuumJob(a.DB))
	}
	return &Runner{DB: a.DB, Log: log, ID: o.Instance, Lease: o.Lease, Tick: o.Tick, MinRun: o.MinRun,
		Refresh: a.Refresh, RefreshEvery: o.RefreshEvery, Metrics: m, Jobs: jobs}
}

// VacuumJob keeps xiuhua's PostgreSQL tables vacuumed and analyzed every
// minute when the server runs without autovacuum (store.DB.Maintain); with
// autovacuum on, each run only notes that.
func VacuumJob(db *store.DB) Job {
	const layout = "2006-01-02T15:04"
	return Job{Name: JobVacuum,
		Period: func(now time.Time) string { return now.UTC().Format(layout) },
		Run: func(ctx context.Context, _ string, _ int64) (string, error) {
			m, err := db.Maintain(ctx)
			if err != nil {
				return "", err
			}
			b, _ := json.Marshal(m)
			return string(b), nil
		}}
}

// KeepRuns is how long the record of a job run is kept.
const KeepRuns = 90 * 24 * time.Hour

// OptimizeJob is the hourly housekeeping: it forgets job runs older than
// KeepRuns and refreshes SQLite's planner statistics (PostgreSQL's
// autovacuum keeps its own).
func OptimizeJob(db *store.DB) Job {
	const layout = "2006-01-02T15"
	return Job{Name: JobOptimize,
		Period: func(now time.Time) string { return now.UTC().Format(layout) },
		Run: func(ctx context.Context, period string, _ int64) (string, error) {
			at, err := time.Parse(layout, period)
			if err != nil {
				return "", err
			}
			res, err := db.W.ExecContext(ctx, db.Q(`DELETE FROM cluster_job_runs WHERE started_at < ?`), store.Millis(at.Add(-KeepRuns)))
			if err != nil {
				return "", err
			}
			n, _ := res.RowsAffected()
			return fmt.Sprintf(`{"runs_forgotten":%d}`, n), db.Optimize(ctx)
		}}
}

// OverdueResult is what a run of the overdue scan found.
type OverdueResult struct {
	// Overdue counts the cases being handled past their deadline at the
	// period's start (casework.Case.Overdue).
	Overdue int64 `json:"overdue"`
	// New counts those marked in case_overdue by this run: past their
	// deadline for the first time.
	New int64 `json:"new"`
}

// OverdueJob scans for cases past their deadline once per period of every
// (periods start on multiples of every, UTC): each case and deadline is marked
// once in case_overdue, with the run that noticed it, and the count is kept
// with the run and shown as the gauge xiuhua_cases_overdue.
func OverdueJob(db *store.DB, every time.Duration) Job {
	if every <= 0 {
		every = time.Minute
	}
	const layout = "2006-01-02T15:04:05.000"
	return Job{Name: JobOverdue,
		Period: func(now time.Time) string { return now.UTC().Truncate(every).Format(layout) },
		Run: func(ctx context.Context, period string, runID int64) (string, error) {
			at, err := time.Parse(layout, period)
			if err != nil {
				return "", err
			}
			var r OverdueResult
			cut := store.Millis(at)
			// Overdue exactly as casework.Case.Overdue: dispatched and past
			// the deadline (suspended cases have their clock stopped).
			res, err := db.W.ExecContext(ctx, db.Q(`INSERT INTO case_overdue (case_id, deadline, noticed_at, run_id)
				SELECT id, deadline, ?, ? FROM cases WHERE state = ? AND deadline IS NOT NULL AND deadline < ?
				ON CONFLICT (case_id, deadline) DO NOTHING`), cut, runID, string(casework.Dispatched), cut)
			if err != nil {
				return "", err
			}
			r.New, _ = res.RowsAffected()
			if err := db.R.QueryRowContext(ctx, db.Q(`SELECT COUNT(*) FROM cases WHERE state = ? AND deadline IS NOT NULL AND deadline < ?`),
				string(casework.Dispatched), cut).Scan(&r.Overdue); err != nil {
				return "", err
			}
			b, _ := json.Marshal(r)
			return string(b), nil
		}}
}

// ScoringResult is the scoring of one round, computed and not published.
type ScoringResult struct {
	Round          int64  `json:"round"`
	Period         string `json:"period"`
	Scored         int    `json:"scored"`
	ExcellentUnits int    `json:"excellent_units"`
	ExcellenceRate string `json:"excellence_rate,omitempty"`
}

// ScoringJob computes, once a month has ended (Asia/Shanghai), the scores of
// every assessment round of that month (and of the quarter or year ending with
// it), as of the period's end, and keeps them with the run so that whoever
// publishes finds them checked. It publishes nothing: publishing is a
// person's decision.
func ScoringJob(a *app.App) Job {
	return Job{Name: JobScoring,
		Period: func(now time.Time) string {
			t := now.In(calendar.Shanghai())
			return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location()).AddDate(0, -1, 0).Format("2006-01")
		},
		Run: func(ctx context.Context, period string, _ int64) (string, error) {
			month, err := assess.ParsePeriod(period)
			if err != nil {
				return "", err
			}
			periods := []string{month.String()}
			if q := (assess.Period{Kind: assess.Quarter, Start: month.Start}).Containing(month.Start); q.End.Equal(month.End) {
				periods = append(periods, q.String())
			}
			if y := (assess.Period{Kind: assess.Year, Start: month.Start}).Containing(month.Start); y.End.Equal(month.End) {
				periods = append(periods, y.String())
			}
			svc := a.AssessService()
			actor := auth.Actor{Username: "jobs", Role: auth.Admin}
			out := []ScoringResult{}
			for _, p := range periods {
				rounds, err := svc.Rounds(ctx, actor, p)
				if err != nil {
					return "", err
				}
				per, _ := assess.ParsePeriod(p)
				for _, r := range rounds {
					sc, err := svc.Scores(ctx, actor, assess.ScoreQuery{Round: r.ID, Period: p, Cutoff: per.End})
					if err != nil {
						return "", fmt.Errorf("round %d: %w", r.ID, err)
					}
					sr := ScoringResult{Round: r.ID, Period: p, Scored: sc.Scored, ExcellentUnits: sc.ExcellentUnits}
					if sc.ExcellenceRate != nil {
						sr.ExcellenceRate = fmt.Sprint(*sc.ExcellenceRate)
					}
					out = append(out, sr)
				}
			}
			b, _ := json.Marshal(out)
			return string(b), nil
		}}
}
