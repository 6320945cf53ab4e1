-- The core ledger. Written once for SQLite and PostgreSQL: {{id}} becomes
-- each one's auto-increment primary key; times are Unix milliseconds (UTC) so
-- comparisons and ranges behave the same on both.

CREATE TABLE areas (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_code TEXT REFERENCES areas(code),
    geometry    TEXT NOT NULL, -- GeoJSON geometry
    updated_at  BIGINT NOT NULL
);
CREATE INDEX areas_parent ON areas(parent_code);

CREATE TABLE categories (
    code         TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    name_zh      TEXT NOT NULL,
    name_en      TEXT NOT NULL,
    urgent_hours INTEGER NOT NULL,
    normal_hours INTEGER NOT NULL,
    clock        BOOLEAN NOT NULL,
    duty         TEXT NOT NULL,
    enabled      BOOLEAN NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE units (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    duty       TEXT NOT NULL,
    scope      TEXT NOT NULL REFERENCES areas(code),
    enabled    BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX units_scope ON units(scope);

CREATE TABLE users (
    id            {{id}},
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    unit_code     TEXT REFERENCES units(code),
    scope         TEXT NOT NULL, -- territory code; '' is the whole installation
    password_hash TEXT,
    disabled      BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE tokens (
    id           {{id}},
    user_id      BIGINT NOT NULL REFERENCES users(id),
    hash         TEXT NOT NULL UNIQUE, -- sha256 of the token; the token itself is never stored
    label        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX tokens_user ON tokens(user_id);

CREATE TABLE blobs (
    id           TEXT PRIMARY KEY, -- sha256 of the content, hex
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    created_by   BIGINT REFERENCES users(id),
    created_at   BIGINT NOT NULL
);

CREATE TABLE cases (
    id              {{id}},
    state           TEXT NOT NULL,
    version         INTEGER NOT NULL,
    category        TEXT NOT NULL REFERENCES categories(code),
    description     TEXT NOT NULL,
    address         TEXT NOT NULL,
    lon             DOUBLE PRECISION NOT NULL,
    lat             DOUBLE PRECISION NOT NULL,
    grid            TEXT NOT NULL REFERENCES areas(code),
    community       TEXT NOT NULL,
    street          TEXT NOT NULL,
    district        TEXT NOT NULL,
    source          TEXT NOT NULL,
    urgency         TEXT NOT NULL,
    reporter_id     BIGINT REFERENCES users(id),
    unit_code       TEXT REFERENCES units(code),
    deadline        BIGINT,
    rework_count    INTEGER NOT NULL,
    extension_hours DOUBLE PRECISION NOT NULL,
    suspended_from  TEXT NOT NULL,
    remaining_ms    BIGINT NOT NULL,
    handler_id      BIGINT,
    handled_at      BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    closed_at       BIGINT
);
CREATE INDEX cases_district ON cases(district, id);
CREATE INDEX cases_street ON cases(street, id);
CREATE INDEX cases_community ON cases(community, id);
CREATE INDEX cases_grid ON cases(grid, id);
CREATE INDEX cases_state ON cases(state, id);
CREATE INDEX cases_unit ON cases(unit_code, state);
CREATE INDEX cases_deadline ON cases(state, deadline);

CREATE TABLE events (
    id          {{id}},
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    seq         INTEGER NOT NULL,
    action      TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    actor_id    BIGINT REFERENCES users(id),
    actor_name  TEXT NOT NULL,
    actor_unit  TEXT NOT NULL,
    at          BIGINT NOT NULL,
    note        TEXT NOT NULL,
    data        TEXT NOT NULL, -- JSON: reason, unit, deadlines, decisions
    UNIQUE (case_id, seq)
);

CREATE TABLE event_blobs (
    event_id BIGINT NOT NULL REFERENCES events(id),
    blob_id  TEXT NOT NULL REFERENCES blobs(id),
    ord      INTEGER NOT NULL,
    PRIMARY KEY (event_id, ord)
);
CREATE INDEX event_blobs_blob ON event_blobs(blob_id);

-- Schedules imported after the embedded calendar (a new year's holidays).
CREATE TABLE calendar_days (
    date        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    name_zh     TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);
