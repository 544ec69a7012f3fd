//! Console sign-in sessions (only a hash of the cookie's secret is stored) and the login
//! attempts that rate-limit sign-in.

use chrono::{DateTime, Duration, Utc};
use madoguchi_core::ids::UserId;
use madoguchi_core::time::now;
use madoguchi_core::user::User;
use uuid::Uuid;

use crate::{Result, Store, on_pool};

/// A live session: whose it is and the token its forms must echo.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// How long sessions live: `idle` without a request, `absolute` at most (a long shift).
#[derive(Debug, Clone, Copy)]
pub struct SessionLifetime {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Store {
    pub async fn create_session(
        &self,
        id_hash: &str,
        user: UserId,
        csrf_token: &str,
        life: SessionLifetime,
    ) -> Result<()> {
        let t = now();
        on_pool!(self, p => sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(id_hash)
        .bind(user.0)
        .bind(csrf_token)
        .bind(t)
        .bind(t + life.idle.min(life.absolute))
        .execute(p)
        .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The session with this hash if it has not expired and its user is active; slides its
    /// idle expiry forward, never past the absolute limit.
    pub async fn session(&self, id_hash: &str, life: SessionLifetime) -> Result<Option<Session>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            user_id: Uuid,
            csrf_token: String,
            created_at: DateTime<Utc>,
            last_seen_at: DateTime<Utc>,
            expires_at: DateTime<Utc>,
        }
        let t = now();
        let row: Option<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT s.user_id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.active = $3",
        )
        .bind(id_hash)
        .bind(t)
        .bind(true)
        .fetch_optional(p)
        .await)?;
        let Some(row) = row else { return Ok(None) };
        let expires_at = (t + life.idle).min(row.created_at + life.absolute);
        // Writing on every request would turn reads into writes; a minute of slack is plenty.
        if t - row.last_seen_at > Duration::minutes(1) {
            on_pool!(self, p => sqlx::query("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id_hash = $1")
                .bind(id_hash)
                .bind(t)
                .bind(expires_at)
                .execute(p)
                .await.map(|r| r.rows_affected()))?;
        }
        let user = self.get_user_unscoped(UserId(row.user_id)).await?;
        Ok(Some(Session { user, csrf_token: row.csrf_token, expires_at: row.expires_at.max(expires_at) }))
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        on_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Ends every session of a user (password change, deactivation).
    pub async fn delete_sessions_of(&self, user: UserId) -> Result<()> {
        on_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.0).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn record_login_attempt(&self, login: &str, remote_addr: &str, succeeded: bool) -> Result<()> {
        on_pool!(self, p => sqlx::query(
            "INSERT INTO login_attempts (id, login, remote_addr, succeeded, attempted_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(Uuid::now_v7())
        .bind(login)
        .bind(remote_addr)
        .bind(succeeded)
        .bind(now())
        .execute(p)
        .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Failed attempts since `since` for this login and for this address, and the oldest of
    /// the login's (from which its lock runs).
    pub async fn recent_login_failures(
        &self,
        login: &str,
        remote_addr: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, i64, Option<DateTime<Utc>>)> {
        let (by_login, oldest, by_addr): (i64, Option<DateTime<Utc>>, i64) = on_pool!(self, p => {
            let (n, oldest): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
                "SELECT COUNT(*), MIN(attempted_at) FROM login_attempts WHERE login = $1 AND succeeded = $2 AND attempted_at > $3",
            )
            .bind(login)
            .bind(false)
            .bind(since)
            .fetch_one(p)
            .await?;
            let by_addr: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM login_attempts WHERE remote_addr = $1 AND succeeded = $2 AND attempted_at > $3",
            )
            .bind(remote_addr)
            .bind(false)
            .bind(since)
            .fetch_one(p)
            .await?;
            Ok::<_, sqlx::Error>((n, oldest, by_addr))
        })?;
        Ok((by_login, by_addr, oldest))
    }

    /// Forgets expired sessions and old login attempts.
    pub async fn prune_sessions(&self, attempts_before: DateTime<Utc>) -> Result<()> {
        let t = now();
        on_pool!(self, p => {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(t).execute(p).await?;
            sqlx::query("DELETE FROM login_attempts WHERE attempted_at < $1").bind(attempts_before).execute(p).await?;
            Ok::<_, sqlx::Error>(())
        })?;
        Ok(())
    }
}
