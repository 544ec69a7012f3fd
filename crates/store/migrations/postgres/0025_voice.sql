-- The phone channel: a shop's IVR flows (each edit a new version; a call keeps the version it
-- started on), its phone numbers (the dialled number decides the shop), calls on phone
-- conversations and their events, each stored once by the provider's delivery key.
-- Keep in step with ../sqlite/0025_voice.sql.

CREATE TABLE voice_flows (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    definition JSONB NOT NULL,
    created_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX voice_flows_version_key ON voice_flows (merchant_id, name, version);

CREATE TABLE phone_numbers (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    -- E.164, as the provider sends it in `To`.
    e164 TEXT NOT NULL,
    label TEXT NOT NULL,
    flow_name TEXT NOT NULL,
    -- `twilio` (webhooks in Twilio's format) or `cti` (a PBX's events).
    provider TEXT NOT NULL,
    -- The unguessable path segment of the number's webhook URL.
    inbound_token TEXT NOT NULL,
    -- The provider's account and the secret its requests are signed with.
    account_sid TEXT,
    auth_token TEXT,
    -- Hours of this line when they differ from the shop's; NULL follows the shop.
    hours JSONB,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX phone_numbers_e164_key ON phone_numbers (e164);
CREATE UNIQUE INDEX phone_numbers_token_key ON phone_numbers (inbound_token);

CREATE TABLE calls (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    conversation_id UUID NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    phone_number_id UUID REFERENCES phone_numbers (id) ON DELETE SET NULL,
    provider TEXT NOT NULL,
    provider_call_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    -- Who called: a number, or why none came (非通知, 公衆電話).
    caller JSONB NOT NULL,
    to_e164 TEXT NOT NULL,
    -- ivr, queued, ringing, connected, ended.
    state TEXT NOT NULL,
    flow_name TEXT,
    flow_version INTEGER,
    position JSONB,
    vars JSONB NOT NULL,
    skill TEXT,
    -- Whose phone rings now, and who holds the call.
    offered_to UUID REFERENCES users (id),
    agent_id UUID REFERENCES users (id),
    -- The contact record, derived from the events at each one.
    record JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX calls_provider_key ON calls (provider, provider_call_id);
CREATE INDEX calls_conversation_idx ON calls (conversation_id);
CREATE INDEX calls_live_idx ON calls (merchant_id, state);

CREATE TABLE call_events (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    call_id UUID NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    agent_id UUID REFERENCES users (id),
    data JSONB NOT NULL,
    -- The provider's delivery (call sid + status + sequence): a repeated callback is one event.
    dedupe_key TEXT
);
CREATE UNIQUE INDEX call_events_dedupe_key ON call_events (call_id, dedupe_key);
CREATE INDEX call_events_call_idx ON call_events (call_id, at);
