-- The citizen portal (/public/): what a citizen sent besides the case, and
-- the satisfaction rating given once the case is closed. The contact fields
-- are private: no public page ever shows them. code is the tracking code a
-- citizen follows the case with (random, not the case number, so that cases
-- cannot be enumerated).
CREATE TABLE portal_reports (
    case_id          BIGINT PRIMARY KEY REFERENCES cases(id),
    code             TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    phone            TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    rating           TEXT,
    rating_comment   TEXT,
    rated_at         BIGINT,
    followup_case_id BIGINT REFERENCES cases(id)
);
