-- A case's reference in the system it came from (a 12345 hotline work order
-- number, say). Unique, so that importing the same file twice creates nothing
-- twice: the database, not the importer, keeps that promise.
ALTER TABLE cases ADD COLUMN external_ref TEXT;
CREATE UNIQUE INDEX cases_external_ref ON cases(external_ref);

-- How the 12345 hotline's own category texts map to catalogue codes; the
-- admin edits it when an import reports a text it does not know.
CREATE TABLE hotline_mappings (
    text       TEXT PRIMARY KEY,
    category   TEXT NOT NULL REFERENCES categories(code),
    updated_at BIGINT NOT NULL
);
