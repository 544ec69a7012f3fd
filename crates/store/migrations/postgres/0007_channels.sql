-- Digital channels: each merchant's channel accounts (mail inbox, LINE, web chat, web form),
-- stored files (attachments, scans, raw mail), the outbox of replies to deliver, and the
-- provider event ids already taken in (PostgreSQL). Keep in step with sqlite/0007_channels.sql.

CREATE TABLE channel_accounts (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    -- The inbox address (mail) or the bot's user id (LINE).
    address TEXT,
    -- The unguessable path segment of the inbound endpoint.
    inbound_token TEXT NOT NULL,
    -- LINE channel secret, web-chat identity secret.
    secret TEXT,
    -- LINE channel access token.
    access_token TEXT,
    -- IMAP polling: host, port, user, password, mailbox.
    settings JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX channel_accounts_kind_key ON channel_accounts (merchant_id, kind);
CREATE UNIQUE INDEX channel_accounts_token_key ON channel_accounts (inbound_token);

CREATE TABLE blobs (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX blobs_merchant_idx ON blobs (merchant_id, id);

CREATE TABLE outbox (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    message_id UUID NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    conversation_id UUID NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    -- A worker holds a row it is sending until then; after a crash the row is taken again.
    locked_until TIMESTAMPTZ,
    last_error TEXT,
    -- What the provider calls the delivery (SMTP Message-ID, LINE retry key).
    provider_ref TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX outbox_message_key ON outbox (message_id);
CREATE INDEX outbox_due_idx ON outbox (status, next_attempt_at);

-- Webhook events already stored, so a provider's redelivery is taken in once.
CREATE TABLE inbound_events (
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    event_id TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, channel, event_id)
);

-- Channel details of a message: flags set while decoding, the raw mail, threading headers,
-- a LINE reply token, the sender's display name.
ALTER TABLE messages ADD COLUMN meta JSONB NOT NULL DEFAULT '{}';
ALTER TABLE messages ADD COLUMN delivery_error TEXT;
