-- Photos a citizen sent without an account (through the portal or as
-- Open311 media) are marked anonymous: staff may attach one only to the case
-- it came with, so knowing its sha256 is not enough to reuse it elsewhere.
ALTER TABLE blobs ADD COLUMN anonymous BOOLEAN NOT NULL DEFAULT FALSE;
-- Those stored before: no uploader, attached by a system actor (no user).
UPDATE blobs SET anonymous = TRUE WHERE created_by IS NULL AND id IN (
    SELECT b.blob_id FROM event_blobs b JOIN events e ON e.id = b.event_id WHERE e.actor_id IS NULL);
