package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/xiuhua/xiuhua"
)

// The console's hotline imports as jobs in the database (hotline_jobs), so
// that any instance serves the progress and the report of an import that
// another instance runs. The instance that received the file runs the
// import, writes its progress and renews the job's heartbeat; a job whose
// heartbeat is older than HotlineJobLease belongs to an instance that died,
// and reads as failed. The limits (one import per user, a few at once in
// all) are counted in the table under a row lock, so they hold across
// instances.

// Hotline job states.
const (
	HotlineQueued  = "queued"
	HotlineRunning = "running"
	HotlineDone    = "done"
	HotlineFailed  = "failed"
)

const (
	// HotlineJobLease is how long a running job stays alive without a
	// heartbeat; its instance renews it well within (HotlineJobBeat).
	HotlineJobLease = 30 * time.Second
	// HotlineJobBeat is how often a running job's instance renews it.
	HotlineJobBeat = 5 * time.Second
	// HotlineJobKeep is how long a finished job and its report are kept.
	HotlineJobKeep = 7 * 24 * time.Hour
)

// HotlineJob is one hotline import, running or finished.
type HotlineJob struct {
	ID       string
	UserID   int64
	File     string
	DryRun   bool
	State    string
	Instance string
	// Done of Total orders processed (Total is 0 until the file is parsed).
	Done, Total int
	// The report, once done: the data rows of the file, imported, skipped as
	// already imported, failed.
	Rows, Imported, Skipped, Failed int
	// Errors is the row errors as a JSON array (HotlineJob only; the list
	// of HotlineJobs leaves it empty).
	Errors string
	// ErrorEn, ErrorZh: why a failed job stopped.
	ErrorEn, ErrorZh  string
	Started, Finished time.Time
	Heartbeat         time.Time
}

// HotlineJobResult is how a job ended: its report (with the row errors as
// JSON) or why it failed.
type HotlineJobResult struct {
	Rows, Imported, Skipped, Failed int
	Errors                          string
	// Err, when set, fails the job.
	Err *xiuhua.Error
}

// HotlineJobDied is why a job whose instance stopped renewing it failed.
func HotlineJobDied() *xiuhua.Error {
	return xiuhua.Errorf(xiuhua.EConflict,
		"the import stopped: the server instance running it stopped answering, so the import did not finish. Orders imported before are kept; importing the same file again is safe, as orders already imported are skipped by their order number",
		"导入已中断：执行导入的服务器实例已停止响应，导入未完成。此前已导入的工单会保留；重新导入同一文件是安全的，已导入的工单会按工单编号跳过")
}

// HotlineJobInterrupted is why a job failed when its server was stopped
// (a restart or a deployment) before the import finished.
func HotlineJobInterrupted() *xiuhua.Error {
	return xiuhua.Errorf(xiuhua.EConflict,
		"the import stopped: the server was stopped (restarted or updated) before the import finished. Orders imported before are kept; importing the same file again is safe, as orders already imported are skipped by their order number",
		"导入已中断：导入完成前服务器已停止（重启或升级）。此前已导入的工单会保留；重新导入同一文件是安全的，已导入的工单会按工单编号跳过")
}

// stale applies the lease to a job read at now: a queued or running job not
// renewed within HotlineJobLease reads as failed, its instance having died.
func (j *HotlineJob) stale(now time.Time) {
	if (j.State == HotlineQueued || j.State == HotlineRunning) && now.Sub(j.Heartbeat) > HotlineJobLease {
		e := HotlineJobDied()
		j.State, j.ErrorEn, j.ErrorZh = HotlineFailed, e.Message, e.MessageZh
	}
}

// StartHotlineJob records job j as running on its instance (j.ID, UserID,
// File, DryRun, Instance and Started are used) unless its user already runs
// an import (EConflict) or maxRunning imports run in all (ETooMany). Jobs
// whose instance died are marked failed first, and finished jobs older than
// HotlineJobKeep are forgotten.
func (db *DB) StartHotlineJob(ctx context.Context, j HotlineJob, maxRunning int) error {
	now := j.Started
	return db.Tx(ctx, func(tx *sql.Tx) error {
		// The gate's row lock: claims of every instance take turns from here.
		if _, err := tx.ExecContext(ctx, `UPDATE hotline_job_gate SET claims = claims + 1 WHERE id = 1`); err != nil {
			return err
		}
		died := HotlineJobDied()
		if _, err := tx.ExecContext(ctx, db.Q(`UPDATE hotline_jobs SET state = 'failed', error_en = ?, error_zh = ?, finished_at = ?
			WHERE state IN ('queued', 'running') AND heartbeat_at < ?`),
			died.Message, died.MessageZh, ms(now), ms(now.Add(-HotlineJobLease))); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.Q(`DELETE FROM hotline_jobs WHERE finished_at < ?`), ms(now.Add(-HotlineJobKeep))); err != nil {
			return err
		}
		var running, mine int
		if err := tx.QueryRowContext(ctx, db.Q(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN user_id = ? THEN 1 ELSE 0 END), 0)
			FROM hotline_jobs WHERE state IN ('queued', 'running')`), j.UserID).Scan(&running, &mine); err != nil {
			return err
		}
		if mine > 0 {
			return errHotlineBusy()
		}
		if running >= maxRunning {
			return xiuhua.Errorf(xiuhua.ETooMany, "too many imports are running: try again in a minute", "正在进行的导入过多，请稍后再试")
		}
		_, err := tx.ExecContext(ctx, db.Q(`INSERT INTO hotline_jobs (id, user_id, file_name, dry_run, state,
			progress_done, progress_total, rows_total, rows_imported, rows_skipped, rows_failed, errors, error_en, error_zh,
			started_at, finished_at, instance, heartbeat_at)
			VALUES (?, ?, ?, ?, 'running', 0, 0, 0, 0, 0, 0, '[]', '', '', ?, NULL, ?, ?)`),
			j.ID, j.UserID, j.File, j.DryRun, ms(now), j.Instance, ms(now))
		if isUnique(err) {
			// Only reached without the gate's lock (it cannot be): the
			// index still keeps one import per user.
			return errHotlineBusy()
		}
		return err
	})
}

func errHotlineBusy() error {
	return xiuhua.Errorf(xiuhua.EConflict, "your previous import is still running: wait for it to finish", "您的上一次导入仍在进行，请等待完成")
}

// HotlineJobProgress records a running job's progress, renewing its
// heartbeat. It returns false when the job no longer runs here (it was
// taken for dead).
func (db *DB) HotlineJobProgress(ctx context.Context, id, instance string, done, total int, now time.Time) (bool, error) {
	res, err := db.W.ExecContext(ctx, db.Q(`UPDATE hotline_jobs SET progress_done = ?, progress_total = ?, heartbeat_at = ?
		WHERE id = ? AND instance = ? AND state IN ('queued', 'running')`), done, total, ms(now), id, instance)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// HotlineJobBeat renews a running job's heartbeat (false: it no longer runs here).
func (db *DB) HotlineJobBeat(ctx context.Context, id, instance string, now time.Time) (bool, error) {
	res, err := db.W.ExecContext(ctx, db.Q(`UPDATE hotline_jobs SET heartbeat_at = ?
		WHERE id = ? AND instance = ? AND state IN ('queued', 'running')`), ms(now), id, instance)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// FinishHotlineJob records how a job ended. An instance that was taken for
// dead but finished after all still records its report: it is the truth.
func (db *DB) FinishHotlineJob(ctx context.Context, id, instance string, r HotlineJobResult, now time.Time) error {
	state, en, zh := HotlineDone, "", ""
	if r.Err != nil {
		state, en, zh = HotlineFailed, r.Err.Message, r.Err.MessageZh
	}
	if r.Errors == "" {
		r.Errors = "[]"
	}
	res, err := db.W.ExecContext(ctx, db.Q(`UPDATE hotline_jobs SET state = ?, progress_done = progress_total,
		rows_total = ?, rows_imported = ?, rows_skipped = ?, rows_failed = ?, errors = ?, error_en = ?, error_zh = ?,
		finished_at = ?, heartbeat_at = ? WHERE id = ? AND instance = ?`),
		state, r.Rows, r.Imported, r.Skipped, r.Failed, r.Errors, en, zh, ms(now), ms(now), id, instance)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errors.New("hotline job " + id + " is gone")
	}
	return nil
}

const hotlineJobColumns = `id, user_id, file_name, dry_run, state, progress_done, progress_total,
	rows_total, rows_imported, rows_skipped, rows_failed, error_en, error_zh, started_at, finished_at, instance, heartbeat_at`

func scanHotlineJob(sc interface{ Scan(...any) error }, extra ...any) (HotlineJob, error) {
	var j HotlineJob
	var started, beat int64
	var finished sql.NullInt64
	err := sc.Scan(append([]any{&j.ID, &j.UserID, &j.File, &j.DryRun, &j.State, &j.Done, &j.Total,
		&j.Rows, &j.Imported, &j.Skipped, &j.Failed, &j.ErrorEn, &j.ErrorZh, &started, &finished, &j.Instance, &beat}, extra...)...)
	j.Started, j.Finished = time.UnixMilli(started), fromMS(finished)
	j.Heartbeat = time.UnixMilli(beat)
	return j, err
}

// HotlineJob reads a job with its row errors, as seen at now (a job whose
// instance died reads as failed). A job of another user reads as absent.
func (db *DB) HotlineJob(ctx context.Context, id string, userID int64, now time.Time) (HotlineJob, error) {
	var errs string
	j, err := scanHotlineJob(db.R.QueryRowContext(ctx, db.Q(`SELECT `+hotlineJobColumns+`, errors
		FROM hotline_jobs WHERE id = ? AND user_id = ?`), id, userID), &errs)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !j.Finished.IsZero() && now.Sub(j.Finished) > HotlineJobKeep) {
		return HotlineJob{}, xiuhua.Errorf(xiuhua.ENotFound, "no such import (finished imports are kept for 7 days)", "导入任务不存在（已完成的导入保留 7 天）")
	}
	if err != nil {
		return HotlineJob{}, err
	}
	j.Errors = errs
	j.stale(now)
	return j, nil
}

// HotlineJobs lists a user's jobs kept at now, newest first, at most limit,
// without their row errors.
func (db *DB) HotlineJobs(ctx context.Context, userID int64, now time.Time, limit int) ([]HotlineJob, error) {
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT `+hotlineJobColumns+` FROM hotline_jobs
		WHERE user_id = ? AND (finished_at IS NULL OR finished_at >= ?) ORDER BY started_at DESC, id LIMIT ?`),
		userID, ms(now.Add(-HotlineJobKeep)), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HotlineJob
	for rows.Next() {
		j, err := scanHotlineJob(rows)
		if err != nil {
			return nil, err
		}
		j.stale(now)
		out = append(out, j)
	}
	return out, rows.Err()
}
