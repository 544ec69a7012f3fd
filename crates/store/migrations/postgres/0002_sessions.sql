-- Sign-in sessions of the console and the login attempts that rate-limit it (PostgreSQL).
-- Keep in step with ../sqlite/0002_sessions.sql.

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE login_attempts (
    id UUID PRIMARY KEY NOT NULL,
    login TEXT NOT NULL,
    remote_addr TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_attempts_login_idx ON login_attempts (login, attempted_at);
CREATE INDEX login_attempts_addr_idx ON login_attempts (remote_addr, attempted_at);
