-- What the desk answered a provider's webhook, by the provider's delivery token (Twilio's
-- I-Twilio-Idempotency-Token): a retried delivery gets the same answer instead of moving the
-- call on a second time. Kept a day. Keep in step with ../postgres/0028_webhook_replies.sql.

CREATE TABLE webhook_replies (
    provider TEXT NOT NULL,
    token TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (provider, token)
);
CREATE INDEX webhook_replies_created_idx ON webhook_replies (created_at);
