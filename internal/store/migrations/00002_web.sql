-- The web console: sign-in sessions, failed-login counters for lockout, each
-- user's language, and the index of "my reports".

-- A session is known by the sha256 of its id: the id itself lives only in the
-- browser's cookie, so a copy of this table signs nobody in.
CREATE TABLE web_sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    csrf       TEXT NOT NULL, -- the synchronizer token of every form in this session
    created_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL, -- idle expiry counts from here
    expires_at BIGINT NOT NULL  -- absolute expiry
);
CREATE INDEX web_sessions_user ON web_sessions(user_id);
CREATE INDEX web_sessions_expires ON web_sessions(expires_at);

-- Failed sign-ins per username as typed (lower-cased), whether or not such a
-- user exists, so that the lockout says nothing about who has an account.
CREATE TABLE web_login_failures (
    username     TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    first_at     BIGINT NOT NULL, -- start of the counting window
    locked_until BIGINT NOT NULL  -- 0 when not locked
);

CREATE TABLE web_user_prefs (
    user_id    BIGINT PRIMARY KEY REFERENCES users(id),
    lang       TEXT NOT NULL, -- 'zh' or 'en'
    updated_at BIGINT NOT NULL
);

-- "My reports", newest first. (Covering indexes for the desk's counts by
-- state, e.g. (district, state, deadline, category), make the desk 2–4 times
-- faster at 100,000 cases but cost a quarter of SQLite's insert rate; the
-- desk is well inside 200 ms without them: see BenchmarkPages.)
CREATE INDEX cases_reporter ON cases(reporter_id, id);
