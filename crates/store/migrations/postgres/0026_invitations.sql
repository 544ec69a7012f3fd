-- Staff invited by mail: a user's address, and the one-time links that let them choose their
-- own password (an invitation, or a reset an administrator sends). Only the SHA-256 of a
-- link's secret is kept. Keep in step with ../sqlite/0026_invitations.sql.

ALTER TABLE users ADD COLUMN email TEXT;

CREATE TABLE user_invitations (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_by UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    -- When the mail server took the mail, or why it did not.
    sent_at TIMESTAMPTZ,
    send_error TEXT,
    used_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX user_invitations_token_key ON user_invitations (token_hash);
CREATE INDEX user_invitations_user_idx ON user_invitations (user_id);
