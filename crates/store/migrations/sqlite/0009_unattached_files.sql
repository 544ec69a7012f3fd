-- Uploaded files never attached to a message are removed after a day. Keep in step with
-- postgres/0009_unattached_files.sql.

-- When a message first referred to the file; NULL while it is only uploaded.
ALTER TABLE blobs ADD COLUMN attached_at TEXT;
-- Files stored before this column existed were stored with their message.
UPDATE blobs SET attached_at = created_at;
CREATE INDEX blobs_unattached_idx ON blobs (created_at) WHERE attached_at IS NULL;
