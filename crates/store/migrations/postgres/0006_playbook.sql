-- Each merchant's playbook — talk scripts per category, canned responses, disposition codes —
-- and the wrap-up an agent records after a contact (PostgreSQL).
-- Keep in step with the other dialect's 0006_playbook.sql.

CREATE TABLE scripts (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX scripts_category_key ON scripts (merchant_id, category);

CREATE TABLE canned_responses (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX canned_responses_merchant_idx ON canned_responses (merchant_id, title);

CREATE TABLE disposition_codes (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX disposition_codes_code_key ON disposition_codes (merchant_id, code);

CREATE TABLE wrap_ups (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL,
    conversation_id UUID NOT NULL,
    user_id UUID REFERENCES users (id) ON DELETE SET NULL,
    disposition_code TEXT NOT NULL,
    note TEXT,
    acw_seconds BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (merchant_id, conversation_id) REFERENCES conversations (merchant_id, id) ON DELETE CASCADE
);
CREATE INDEX wrap_ups_conversation_idx ON wrap_ups (conversation_id);
