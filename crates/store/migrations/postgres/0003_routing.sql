-- Routing: agents' presence, skills and live capacity; each merchant's queues (PostgreSQL).
-- Keep in step with ../sqlite/0003_routing.sql.

CREATE TABLE agent_states (
    user_id UUID PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    presence TEXT NOT NULL,
    max_messaging INTEGER NOT NULL,
    presence_since TIMESTAMPTZ NOT NULL,
    idle_since TIMESTAMPTZ NOT NULL
);

CREATE TABLE agent_skills (
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    skill TEXT NOT NULL,
    PRIMARY KEY (user_id, skill)
);

CREATE TABLE queues (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX queues_name_key ON queues (merchant_id, name);

-- What routing looks at: a merchant's unassigned conversations by status.
CREATE INDEX conversations_waiting_idx ON conversations (merchant_id, status, assignee_id);
