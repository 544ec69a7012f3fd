-- Digital channels: each merchant's channel accounts (mail inbox, LINE, web chat, web form),
-- stored files (attachments, scans, raw mail), the outbox of replies to deliver, and the
-- provider event ids already taken in (SQLite). Keep in step with postgres/0007_channels.sql.

CREATE TABLE channel_accounts (
    id BLOB PRIMARY KEY NOT NULL,
    merchant_id BLOB NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
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
    settings TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX channel_accounts_kind_key ON channel_accounts (merchant_id, kind);
CREATE UNIQUE INDEX channel_accounts_token_key ON channel_accounts (inbound_token);

CREATE TABLE blobs (
    id BLOB PRIMARY KEY NOT NULL,
    merchant_id BLOB NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX blobs_merchant_idx ON blobs (merchant_id, id);

CREATE TABLE outbox (
    id BLOB PRIMARY KEY NOT NULL,
    merchant_id BLOB NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    message_id BLOB NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    conversation_id BLOB NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    -- A worker holds a row it is sending until then; after a crash the row is taken again.
    locked_until TEXT,
    last_error TEXT,
    -- What the provider calls the delivery (SMTP Message-ID, LINE retry key).
    provider_ref TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE UNIQUE INDEX outbox_message_key ON outbox (message_id);
CREATE INDEX outbox_due_idx ON outbox (status, next_attempt_at);

-- Webhook events already stored, so a provider's redelivery is taken in once.
CREATE TABLE inbound_events (
    merchant_id BLOB NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    event_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (merchant_id, channel, event_id)
);

-- Channel details of a message: flags set while decoding, the raw mail, threading headers,
-- a LINE reply token, the sender's display name.
ALTER TABLE messages ADD COLUMN meta TEXT NOT NULL DEFAULT '{}';
ALTER TABLE messages ADD COLUMN delivery_error TEXT;
