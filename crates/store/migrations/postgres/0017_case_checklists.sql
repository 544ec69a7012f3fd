-- A shop's own checklist per kind of case; without a row the built-in one applies.
-- Keep in step with sqlite/0017_case_checklists.sql.

CREATE TABLE case_checklists (
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    -- [{key, title, owner, due_hours}]
    tasks JSONB NOT NULL,
    updated_by UUID REFERENCES users (id) ON DELETE SET NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, kind)
);
