-- The console's 12345 hotline imports (internal/web/hotline.go) as jobs in
-- the database, so that every `xiuhua serve` instance shows the progress and
-- the report of an import another instance runs. The uploaded file stays
-- with the instance that received it; that instance writes the progress and
-- renews heartbeat_at while it works. A running job whose heartbeat is older
-- than the lease (30 s) belongs to an instance that died and reads as failed.
CREATE TABLE hotline_jobs (
    id             TEXT PRIMARY KEY,              -- random, in the page's URL
    user_id        BIGINT NOT NULL REFERENCES users(id),
    file_name      TEXT NOT NULL,
    dry_run        BOOLEAN NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    progress_done  INTEGER NOT NULL,              -- orders processed of progress_total
    progress_total INTEGER NOT NULL,              -- orders parsed from the file (0 until parsed)
    rows_total     INTEGER NOT NULL,              -- the report, once done: data rows of the file
    rows_imported  INTEGER NOT NULL,
    rows_skipped   INTEGER NOT NULL,              -- already imported (same order number)
    rows_failed    INTEGER NOT NULL,
    errors         TEXT NOT NULL,                 -- JSON array of the row errors (hotline.RowError)
    error_en       TEXT NOT NULL,                 -- why a failed job stopped
    error_zh       TEXT NOT NULL,
    started_at     BIGINT NOT NULL,
    finished_at    BIGINT,
    instance       TEXT NOT NULL,                 -- the instance running it
    heartbeat_at   BIGINT NOT NULL                -- its last sign of life (ms)
);
CREATE INDEX hotline_jobs_user ON hotline_jobs(user_id, started_at);
CREATE INDEX hotline_jobs_state ON hotline_jobs(state, heartbeat_at);
-- One import at a time per user, whichever instance runs it.
CREATE UNIQUE INDEX hotline_jobs_one_per_user ON hotline_jobs(user_id) WHERE state IN ('queued', 'running');

-- One row that a claim updates first: on PostgreSQL its row lock makes
-- concurrent claims from several instances take turns, so the count of
-- running imports a claim reads is the one it adds to.
CREATE TABLE hotline_job_gate (
    id     INTEGER PRIMARY KEY,
    claims BIGINT NOT NULL
);
INSERT INTO hotline_job_gate (id, claims) VALUES (1, 0);
