-- Escalations to the merchant: a question from the desk with a due time, and the answer (SQLite).
-- Keep in step with ../postgres/0005_escalations.sql.

CREATE TABLE escalations (
    id BLOB PRIMARY KEY NOT NULL,
    merchant_id BLOB NOT NULL,
    conversation_id BLOB NOT NULL,
    question TEXT NOT NULL,
    due_at TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by BLOB REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    answer TEXT,
    answered_by BLOB REFERENCES users (id) ON DELETE SET NULL,
    answered_at TEXT,
    FOREIGN KEY (merchant_id, conversation_id) REFERENCES conversations (merchant_id, id) ON DELETE CASCADE
);
CREATE INDEX escalations_merchant_idx ON escalations (merchant_id, status, due_at);
CREATE INDEX escalations_conversation_idx ON escalations (conversation_id);
