-- Plans, second part: targets computed from assessment rounds, a
-- project's territory as a polygon and its photos, and public consultation
-- (问情于民、问需于民、问计于民、问绩于民): suggestions moderated before they
-- are shown, and a satisfaction poll once the works are done.

-- scheme names the assessment scheme a score, excellence or clean target
-- reads; point_type narrows a clean target to one kind of point.
ALTER TABLE plan_targets ADD COLUMN scheme TEXT NOT NULL DEFAULT '';
ALTER TABLE plan_targets ADD COLUMN point_type TEXT NOT NULL DEFAULT '';

-- area is the project's territory as GeoJSON (Polygon or MultiPolygon),
-- '' for none. public: shown on the citizen portal; consult: open for
-- suggestions there.
ALTER TABLE plan_projects ADD COLUMN area TEXT NOT NULL DEFAULT '';
ALTER TABLE plan_projects ADD COLUMN public INTEGER NOT NULL DEFAULT 0;
ALTER TABLE plan_projects ADD COLUMN consult INTEGER NOT NULL DEFAULT 0;

-- Photos of a project: before, progress or after the works.
CREATE TABLE plan_project_photos (
    id         {{id}},
    project_id BIGINT NOT NULL REFERENCES plan_projects(id),
    blob_id    TEXT NOT NULL REFERENCES blobs(id),
    kind       TEXT NOT NULL,
    caption    TEXT NOT NULL,
    taken_at   BIGINT NOT NULL,
    added_by   BIGINT NOT NULL,
    added_at   BIGINT NOT NULL
);
CREATE INDEX plan_project_photos_project ON plan_project_photos(project_id, taken_at);

-- Citizens' suggestions (金点子) and comments on a project. contact is
-- private: never shown publicly. state: pending, approved or rejected
-- (with a reason); only approved ones are public.
CREATE TABLE plan_suggestions (
    id           {{id}},
    project_id   BIGINT NOT NULL REFERENCES plan_projects(id),
    kind         TEXT NOT NULL,
    body         TEXT NOT NULL,
    contact      TEXT NOT NULL,
    state        TEXT NOT NULL,
    reason       TEXT NOT NULL,
    moderated_by BIGINT,
    moderated_at BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX plan_suggestions_project ON plan_suggestions(project_id, state);

-- The satisfaction poll of a completed project: one vote per voter (a
-- hash of the browser's tracking cookie); ip is a hash of the address, to
-- refuse a second vote from it within a window.
CREATE TABLE plan_votes (
    project_id BIGINT NOT NULL REFERENCES plan_projects(id),
    voter      TEXT NOT NULL,
    ip         TEXT NOT NULL,
    rating     TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (project_id, voter)
);
CREATE INDEX plan_votes_ip ON plan_votes(project_id, ip, at);
