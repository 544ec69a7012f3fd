-- Service targets per merchant and SLA clocks per conversation (SQLite).
-- Keep in step with ../postgres/0004_sla.sql.

ALTER TABLE merchants ADD COLUMN sla_first_response_minutes INTEGER NOT NULL DEFAULT 60;
ALTER TABLE merchants ADD COLUMN sla_resolution_minutes INTEGER NOT NULL DEFAULT 1080;

-- Due times are computed in the merchant's business time when the conversation opens;
-- *_breached_at is the due time of a target that was missed, set once by the SLA job.
ALTER TABLE conversations ADD COLUMN first_response_due_at TEXT;
ALTER TABLE conversations ADD COLUMN resolution_due_at TEXT;
ALTER TABLE conversations ADD COLUMN first_response_breached_at TEXT;
ALTER TABLE conversations ADD COLUMN resolution_breached_at TEXT;
CREATE INDEX conversations_first_response_due_idx ON conversations (first_response_due_at);
CREATE INDEX conversations_resolution_due_idx ON conversations (resolution_due_at);
