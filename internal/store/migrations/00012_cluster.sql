-- Several `xiuhua serve` processes on one PostgreSQL behave as one system
-- (internal/cluster, docs/deployment.md): background jobs run by one instance
-- at a time under a lease, rate-limit buckets shared by every instance, and
-- version counters that tell each instance when to reload its snapshots of
-- the reference data. On SQLite there is one process and the same tables
-- simply have one user.

-- One row per background job. An instance claims a run with one conditional
-- UPDATE (the period is not done yet and nobody's lease is running); while it
-- works it renews lease_until; a killed instance's lease runs out and another
-- instance takes the period over.
CREATE TABLE cluster_jobs (
    name        TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,   -- instance holding the lease ('' when none)
    period      TEXT NOT NULL,   -- the period being run ('' when none)
    lease_until BIGINT NOT NULL, -- nobody else may claim before this (ms)
    done        TEXT NOT NULL    -- the last period finished ('' never); periods of a job sort as text
);

-- Every attempt at a run: a claim inserts one, its end fills ended_at and,
-- when it succeeded, finished_at. An attempt of an instance that died stays
-- open. At most one attempt per job and period may finish: the index says so.
CREATE TABLE cluster_job_runs (
    id          {{id}},
    job         TEXT NOT NULL,
    period      TEXT NOT NULL,
    instance    TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    ended_at    BIGINT,
    finished_at BIGINT,
    result      TEXT NOT NULL,
    error       TEXT NOT NULL
);
CREATE UNIQUE INDEX cluster_job_runs_once ON cluster_job_runs(job, period) WHERE finished_at IS NOT NULL;
CREATE INDEX cluster_job_runs_job ON cluster_job_runs(job, id);

-- Cases the overdue scan found past their deadline: one row per case and
-- deadline (an extension gives a new deadline, and a new row if that passes too).
CREATE TABLE case_overdue (
    case_id    BIGINT NOT NULL REFERENCES cases(id),
    deadline   BIGINT NOT NULL,
    noticed_at BIGINT NOT NULL,
    run_id     BIGINT NOT NULL,
    PRIMARY KEY (case_id, deadline)
);

-- Token buckets of the public doors' rate limits when the store is
-- PostgreSQL (several instances share one budget per client); SQLite keeps
-- them in memory.
CREATE TABLE rate_buckets (
    name   TEXT NOT NULL,   -- the limit: open311.ip, open311.key, portal.post, portal.page
    client TEXT NOT NULL,   -- an address or a key id
    tokens DOUBLE PRECISION NOT NULL,
    at     BIGINT NOT NULL, -- when tokens was computed (ms)
    ok     INTEGER NOT NULL, -- whether the last request was let through
    PRIMARY KEY (name, client)
);
CREATE INDEX rate_buckets_at ON rate_buckets(name, at);

-- A counter per kind of reference data held in memory by every instance
-- (territory index, category catalogue, holiday calendar): a change bumps it,
-- and the other instances reload what they hold when they see it move.
CREATE TABLE ref_versions (
    kind    TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO ref_versions (kind, version) VALUES ('territory', 0);
INSERT INTO ref_versions (kind, version) VALUES ('catalog', 0);
INSERT INTO ref_versions (kind, version) VALUES ('calendar', 0);
