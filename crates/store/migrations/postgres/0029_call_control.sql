-- Calls reaching agents: the legs a call has besides the caller's (an agent's phone, a
-- transfer target), and the commands Madoguchi sends the provider to move calls (ring an
-- agent, bridge the caller, cancel a ring), kept like the outbox: claimed with a lease, retried
-- with backoff, never lost in a crash. Keep in step with ../sqlite/0029_call_control.sql.

CREATE TABLE call_legs (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    call_id UUID NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    -- agent (an agent's phone or browser) or transfer (an outside number).
    kind TEXT NOT NULL,
    agent_id UUID REFERENCES users (id),
    -- The provider's id of this leg (Twilio's CallSid of the call it placed).
    provider_leg_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX call_legs_provider_key ON call_legs (call_id, provider_leg_id);
CREATE INDEX call_legs_agent_idx ON call_legs (call_id, agent_id);

CREATE TABLE call_commands (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    call_id UUID NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    command JSONB NOT NULL,
    -- queued, sending, sent, failed.
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ,
    last_error TEXT,
    provider_ref TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ
);
CREATE INDEX call_commands_due_idx ON call_commands (status, next_attempt_at);
CREATE INDEX call_commands_call_idx ON call_commands (call_id);
