-- Entries committed with their change but not yet linked into the chain
-- (PostgreSQL only; SQLite's single writer appends to audit_log directly).
-- Linking under one lock at commit time queued every writer behind the
-- previous one's WAL flush; a sealer now links the queue in batches, so
-- the chain is complete within a second and nothing is lost: a queued
-- entry commits or rolls back with its change.
CREATE TABLE audit_queue (
    id       {{id}},
    at       BIGINT NOT NULL,
    actor_id BIGINT NOT NULL,
    kind     TEXT NOT NULL,
    subject  TEXT NOT NULL,
    payload  TEXT NOT NULL
);
CREATE INDEX audit_queue_subject ON audit_queue(kind, subject);
