-- When an administrator last lifted a login's lock: failures before it no longer count.
-- Keep in step with ../postgres/0018_login_unlocks.sql.

CREATE TABLE login_unlocks (
    login TEXT PRIMARY KEY NOT NULL,
    unlocked_by BLOB REFERENCES users (id) ON DELETE SET NULL,
    unlocked_at TEXT NOT NULL
);

-- Successful sign-ins are looked up per login and address (a known address is not throttled).
CREATE INDEX login_attempts_login_addr_idx ON login_attempts (login, remote_addr, succeeded);
