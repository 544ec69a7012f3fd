-- A shop's own checklist per kind of case; without a row the built-in one applies.
-- Keep in step with postgres/0017_case_checklists.sql.

CREATE TABLE case_checklists (
    merchant_id BLOB NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    -- JSON array of {key, title, owner, due_hours}.
    tasks TEXT NOT NULL,
    updated_by BLOB REFERENCES users (id) ON DELETE SET NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (merchant_id, kind)
);
