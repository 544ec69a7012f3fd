-- Escalations to the merchant: a question from the desk with a due time, and the answer (PostgreSQL).
-- Keep in step with ../sqlite/0005_escalations.sql.

CREATE TABLE escalations (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL,
    conversation_id UUID NOT NULL,
    question TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL,
    created_by UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL,
    answer TEXT,
    answered_by UUID REFERENCES users (id) ON DELETE SET NULL,
    answered_at TIMESTAMPTZ,
    FOREIGN KEY (merchant_id, conversation_id) REFERENCES conversations (merchant_id, id) ON DELETE CASCADE
);
CREATE INDEX escalations_merchant_idx ON escalations (merchant_id, status, due_at);
CREATE INDEX escalations_conversation_idx ON escalations (conversation_id);
