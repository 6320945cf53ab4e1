-- Plans (internal/plan): target task books (目标任务书), responsibility
-- statements (责任状) and renovation projects. Times are Unix milliseconds
-- (UTC); money is whole yuan.

-- A target of a unit's task book for a year. source says where its value
-- comes from: manual (reports below), cases (a case count of category in
-- territory) or on_time (the owner unit's on-time handling rate).
CREATE TABLE plan_targets (
    id         {{id}},
    year       INTEGER NOT NULL,
    unit_code  TEXT NOT NULL REFERENCES units(code),
    territory  TEXT NOT NULL,
    name       TEXT NOT NULL,
    measure    TEXT NOT NULL,
    direction  TEXT NOT NULL,
    baseline   DOUBLE PRECISION NOT NULL,
    goal       DOUBLE PRECISION NOT NULL,
    due_at     BIGINT NOT NULL,
    source     TEXT NOT NULL,
    category   TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX plan_targets_year ON plan_targets(year, unit_code);

-- Values reported by hand, kept as a history; blobs is a JSON array of ids.
CREATE TABLE plan_reports (
    id        {{id}},
    target_id BIGINT NOT NULL REFERENCES plan_targets(id),
    value     DOUBLE PRECISION NOT NULL,
    note      TEXT NOT NULL,
    blobs     TEXT NOT NULL,
    actor_id  BIGINT NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX plan_reports_target ON plan_reports(target_id, at);

-- 责任状: issued to a unit with its targets (JSON array of ids), signed once.
CREATE TABLE plan_statements (
    id          {{id}},
    year        INTEGER NOT NULL,
    unit_code   TEXT NOT NULL REFERENCES units(code),
    territory   TEXT NOT NULL,
    title       TEXT NOT NULL,
    targets     TEXT NOT NULL,
    issued_by   BIGINT NOT NULL,
    issued_at   BIGINT NOT NULL,
    signed_by   BIGINT,
    signer_name TEXT NOT NULL,
    signed_at   BIGINT
);
CREATE INDEX plan_statements_unit ON plan_statements(unit_code, year);

-- Renovation projects of a block; milestones, outputs and case ids are JSON.
CREATE TABLE plan_projects (
    id         {{id}},
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    territory  TEXT NOT NULL,
    district   TEXT NOT NULL,
    budget     BIGINT NOT NULL,
    spent      BIGINT NOT NULL,
    milestones TEXT NOT NULL,
    outputs    TEXT NOT NULL,
    case_ids   TEXT NOT NULL,
    version    INTEGER NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX plan_projects_territory ON plan_projects(territory);
