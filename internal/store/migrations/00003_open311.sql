-- The public face: Open311 GeoReport v2 client systems and what they send,
-- and the links between cases (merged duplicates, reopened cases).

-- API keys of client systems (FixMyStreet, a hotline bridge…). Only the
-- sha256 of a key is stored. A revoked key stays for the history of what it
-- sent; a name may be reused once its key is revoked.
CREATE TABLE open311_keys (
    id         {{id}},
    name       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    scope      TEXT NOT NULL, -- territory code the key may report and read in; '' is the whole installation
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX open311_keys_live_name ON open311_keys(name) WHERE revoked_at IS NULL;

-- What a client sent with a service request besides the case itself. The
-- contact fields are private: no Open311 answer ever returns them.
CREATE TABLE open311_requests (
    case_id         BIGINT PRIMARY KEY REFERENCES cases(id),
    key_id          BIGINT NOT NULL REFERENCES open311_keys(id),
    token           TEXT NOT NULL UNIQUE,
    jurisdiction_id TEXT NOT NULL,
    first_name      TEXT NOT NULL,
    last_name       TEXT NOT NULL,
    email           TEXT NOT NULL,
    phone           TEXT NOT NULL,
    device_id       TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    address_id      TEXT NOT NULL,
    media_urls      TEXT NOT NULL, -- JSON array of the media_url values sent
    attributes      TEXT NOT NULL, -- JSON object: attribute code -> list of values
    description     TEXT NOT NULL, -- the description as sent (up to 4000 characters)
    created_at      BIGINT NOT NULL
);
CREATE INDEX open311_requests_key ON open311_requests(key_id);

-- Updates a client posted on a request (FixMyStreet's servicerequestupdates):
-- a citizen's comment, a claim that it is fixed, a request to reopen.
CREATE TABLE open311_updates (
    id               {{id}},
    case_id          BIGINT NOT NULL REFERENCES cases(id),
    key_id           BIGINT NOT NULL REFERENCES open311_keys(id),
    client_update_id TEXT NOT NULL, -- the client's own id of the update ('' when none)
    status           TEXT NOT NULL, -- as sent, upper case (OPEN, FIXED, REOPEN…)
    description      TEXT NOT NULL,
    media_url        TEXT NOT NULL,
    first_name       TEXT NOT NULL,
    last_name        TEXT NOT NULL,
    email            TEXT NOT NULL,
    phone            TEXT NOT NULL,
    client_time      BIGINT, -- updated_datetime as sent
    followup_case_id BIGINT REFERENCES cases(id), -- the case a REOPEN of a closed case created
    created_at       BIGINT NOT NULL
);
CREATE INDEX open311_updates_case ON open311_updates(case_id, id);
CREATE UNIQUE INDEX open311_updates_client ON open311_updates(key_id, client_update_id) WHERE client_update_id <> '';

-- A case that follows another: a duplicate merged into its master, a closed
-- case a citizen reopened (followed by the new case), a merged duplicate
-- restored by an unmerge (followed by the restored case). The public sees the
-- followed case's progress under the follower's number. removed_at ends a link.
CREATE TABLE case_links (
    id         {{id}},
    case_id    BIGINT NOT NULL REFERENCES cases(id), -- the follower
    target_id  BIGINT NOT NULL REFERENCES cases(id), -- the case it follows
    kind       TEXT NOT NULL, -- duplicate | reopen | restored
    actor_id   BIGINT REFERENCES users(id),
    actor_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    removed_at BIGINT,
    removed_by BIGINT REFERENCES users(id)
);
CREATE INDEX case_links_case ON case_links(case_id);
CREATE INDEX case_links_target ON case_links(target_id);

-- Likely duplicates found when a case was reported: open cases of the same
-- category close by in space and time. A dispatcher merges or dismisses them.
CREATE TABLE duplicate_candidates (
    case_id      BIGINT NOT NULL REFERENCES cases(id), -- the newer report
    candidate_id BIGINT NOT NULL REFERENCES cases(id), -- the open case it may repeat
    distance_m   DOUBLE PRECISION NOT NULL,
    created_at   BIGINT NOT NULL,
    dismissed_at BIGINT,
    dismissed_by BIGINT REFERENCES users(id),
    PRIMARY KEY (case_id, candidate_id)
);
CREATE INDEX duplicate_candidates_candidate ON duplicate_candidates(candidate_id);

-- The duplicate search looks cases up by category and a band of latitude
-- (then longitude, time and state); the Open311 date windows by time.
CREATE INDEX cases_category_lat ON cases(category, lat);
CREATE INDEX cases_created ON cases(created_at);
CREATE INDEX cases_updated ON cases(updated_at);
CREATE INDEX events_at ON events(at);
