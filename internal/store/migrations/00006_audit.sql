-- The tamper-evident log (internal/audit): append-only, each entry's hash
-- covers the entry and the hash before it. seq is assigned by the appender
-- under a lock, never by a sequence, so that the chain has no holes.
CREATE TABLE audit_log (
    seq      BIGINT PRIMARY KEY,
    at       BIGINT NOT NULL,
    actor_id BIGINT NOT NULL,
    kind     TEXT NOT NULL,
    subject  TEXT NOT NULL,
    payload  TEXT NOT NULL,
    prev     TEXT NOT NULL,
    hash     TEXT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log(kind, subject);
