-- Calls reaching agents: the legs a call has besides the caller's (an agent's phone, a
-- transfer target), and the commands Madoguchi sends the provider to move calls (ring an
-- agent, bridge the caller, cancel a ring), kept like the outbox: claimed with a lease, retried
-- with backoff, never lost in a crash. Keep in step with ../postgres/0029_call_control.sql.

CREATE TABLE call_legs (
    id BLOB PRIMARY KEY NOT NULL,
    merchant_id BLOB NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    call_id BLOB NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    -- agent (an agent's phone or browser) or transfer (an outside number).
    kind TEXT NOT NULL,
    agent_id BLOB REFERENCES users (id),
    -- The provider's id of this leg (Twilio's CallSid of the call it placed).
    provider_leg_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX call_legs_provider_key ON call_legs (call_id, provider_leg_id);
CREATE INDEX call_legs_agent_idx ON call_legs (call_id, agent_id);

CREATE TABLE call_commands (
    id BLOB PRIMARY KEY NOT NULL,
    merchant_id BLOB NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    call_id BLOB NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    command TEXT NOT NULL,
    -- queued, sending, sent, failed.
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    locked_until TEXT,
    last_error TEXT,
    provider_ref TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX call_commands_due_idx ON call_commands (status, next_attempt_at);
CREATE INDEX call_commands_call_idx ON call_commands (call_id);
