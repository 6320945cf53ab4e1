-- Assessment (考核): per-case facts for the metrics, schemes, inspection
-- points, rounds with their recorded sample, findings and published results.
-- Times are Unix milliseconds (UTC).

-- One row per case: the case as the metrics see it (assess.Summary, encoded
-- in summary), derived from its events and refreshed when its version moves.
-- A case can matter to a period only if it was reported before the period's
-- end and was last changed, or is due, after its start: active_until is
-- max(last event, deadline), so one index range finds a period's cases.
CREATE TABLE assess_case_facts (
    case_id      BIGINT PRIMARY KEY REFERENCES cases(id),
    version      INTEGER NOT NULL,
    reported_at  BIGINT NOT NULL,
    active_until BIGINT NOT NULL,
    summary      TEXT NOT NULL
);
CREATE INDEX assess_facts_active ON assess_case_facts(active_until, reported_at, summary);

-- Where the facts refresh left off: the newest case update and case id seen.
CREATE TABLE assess_meta (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

-- Finding the cases changed since the last refresh (00003 may have made the
-- same index), and the verifications of a period.
CREATE INDEX IF NOT EXISTS cases_updated ON cases(updated_at);
CREATE INDEX events_action_at ON events(action, at);

-- 考核办法: a scheme's versions; body is the JSON indicator tree and rules.
-- A version is frozen once a round uses it: changes make a new version.
CREATE TABLE assess_schemes (
    id         {{id}},
    code       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    name       TEXT NOT NULL,
    body       TEXT NOT NULL,
    frozen     BOOLEAN NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    UNIQUE (code, version)
);

-- 点位: inspection points, located in the territory when created.
CREATE TABLE assess_points (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    address    TEXT NOT NULL,
    lon        DOUBLE PRECISION NOT NULL,
    lat        DOUBLE PRECISION NOT NULL,
    grid       TEXT NOT NULL REFERENCES areas(code),
    community  TEXT NOT NULL,
    street     TEXT NOT NULL,
    district   TEXT NOT NULL,
    enabled    BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX assess_points_community ON assess_points(community, type);
CREATE INDEX assess_points_street ON assess_points(street, type);

-- Rounds: a scheme version applied to a period and a territory, with the
-- seed, the algorithm and the sizes of its sample, so anyone can redraw it.
CREATE TABLE assess_rounds (
    id         {{id}},
    scheme_id  BIGINT NOT NULL REFERENCES assess_schemes(id),
    kind       TEXT NOT NULL,
    period     TEXT NOT NULL,
    name       TEXT NOT NULL,
    territory  TEXT NOT NULL,
    seed       TEXT NOT NULL,
    algorithm  TEXT NOT NULL,
    sample     TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX assess_rounds_period ON assess_rounds(period);

-- The points of a round: drawn (source 'sample', in draw order) or added by
-- hand for an unannounced visit (source 'visit', 四不两直).
CREATE TABLE assess_round_points (
    round_id     BIGINT NOT NULL REFERENCES assess_rounds(id),
    point_code   TEXT NOT NULL REFERENCES assess_points(code),
    unit         TEXT NOT NULL,
    point_type   TEXT NOT NULL,
    source       TEXT NOT NULL,
    ord          INTEGER NOT NULL,
    inspected_at BIGINT,
    inspected_by BIGINT REFERENCES users(id),
    PRIMARY KEY (round_id, point_code)
);

-- Findings: problems found at a point under an indicator; each opened a case.
CREATE TABLE assess_findings (
    id         {{id}},
    round_id   BIGINT NOT NULL REFERENCES assess_rounds(id),
    point_code TEXT NOT NULL REFERENCES assess_points(code),
    indicator  TEXT NOT NULL,
    category   TEXT NOT NULL REFERENCES categories(code),
    count      INTEGER NOT NULL,
    note       TEXT NOT NULL,
    photos     TEXT NOT NULL,
    case_id    BIGINT REFERENCES cases(id),
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX assess_findings_round ON assess_findings(round_id, point_code);
CREATE INDEX assess_findings_case ON assess_findings(case_id);

-- Published results (通报): frozen JSON snapshots; a correction is a new
-- version with a reason, and every version is kept.
CREATE TABLE assess_publications (
    id         {{id}},
    kind       TEXT NOT NULL,
    period     TEXT NOT NULL,
    scope      TEXT NOT NULL,
    version    INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    cutoff     BIGINT NOT NULL,
    body       TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    UNIQUE (kind, period, scope, version)
);
