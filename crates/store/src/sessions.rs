//! Console sign-in sessions (only a hash of the cookie's secret is stored) and the login
//! attempts that rate-limit sign-in.

use chrono::{DateTime, Duration, Utc};
use madoguchi_core::ids::UserId;
use madoguchi_core::time::now;
use madoguchi_core::user::User;
use uuid::Uuid;

use madoguchi_core::audit::NewAuditEvent;
use madoguchi_core::enums::{AuditAction, SubjectType};

use crate::{Result, Store, audit, on_db, on_pool};

/// A login's and an address's recent sign-in history, for the sign-in policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInRecord {
    /// Failures of the login since its last success or unlock.
    pub login_failures: i64,
    pub login_last_failure: Option<DateTime<Utc>>,
    /// Failures from the address, whatever the login.
    pub address_failures: i64,
    pub address_last_failure: Option<DateTime<Utc>>,
    /// The login has signed in from this address before.
    pub known_address: bool,
}

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

    /// What the sign-in policy needs to know about `login` signing in from `remote_addr`.
    /// The login's failures are counted since its last success or unlock, and at most
    /// `since_login`; the address's since `since_addr`.
    pub async fn sign_in_record(
        &self,
        login: &str,
        remote_addr: &str,
        since_login: DateTime<Utc>,
        since_addr: DateTime<Utc>,
    ) -> Result<SignInRecord> {
        let record = on_pool!(self, p => {
            let last_success: Option<DateTime<Utc>> = sqlx::query_scalar(
                "SELECT MAX(attempted_at) FROM login_attempts WHERE login = $1 AND succeeded = $2",
            )
            .bind(login)
            .bind(true)
            .fetch_one(p)
            .await?;
            let unlocked: Option<DateTime<Utc>> =
                sqlx::query_scalar("SELECT unlocked_at FROM login_unlocks WHERE login = $1")
                    .bind(login)
                    .fetch_optional(p)
                    .await?;
            let from = [Some(since_login), last_success, unlocked].into_iter().flatten().max().unwrap_or(since_login);
            let (login_failures, login_last_failure): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
                "SELECT COUNT(*), MAX(attempted_at) FROM login_attempts WHERE login = $1 AND succeeded = $2 AND attempted_at > $3",
            )
            .bind(login)
            .bind(false)
            .bind(from)
            .fetch_one(p)
            .await?;
            let (address_failures, address_last_failure): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
                "SELECT COUNT(*), MAX(attempted_at) FROM login_attempts WHERE remote_addr = $1 AND succeeded = $2 AND attempted_at > $3",
            )
            .bind(remote_addr)
            .bind(false)
            .bind(since_addr)
            .fetch_one(p)
            .await?;
            let known: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM login_attempts WHERE login = $1 AND remote_addr = $2 AND succeeded = $3",
            )
            .bind(login)
            .bind(remote_addr)
            .bind(true)
            .fetch_one(p)
            .await?;
            Ok::<_, sqlx::Error>(SignInRecord {
                login_failures,
                login_last_failure,
                address_failures,
                address_last_failure,
                known_address: known > 0,
            })
        })?;
        Ok(record)
    }

    /// Lifts the lock of `user`'s login: failures before now stop counting. Audited, with `me`
    /// as the actor (none from the command line).
    pub async fn unlock_login(&self, me: Option<UserId>, user: &User) -> Result<()> {
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query(
            "INSERT INTO login_unlocks (login, unlocked_by, unlocked_at) VALUES ($1, $2, $3)
             ON CONFLICT (login) DO UPDATE SET unlocked_by = excluded.unlocked_by, unlocked_at = excluded.unlocked_at",
        )
        .bind(&user.login)
        .bind(me.map(|u| u.0))
        .bind(now())
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: if user.merchants.len() == 1 { user.merchants.first().copied() } else { None },
                actor_user_id: me,
                action: AuditAction::Update,
                subject_type: SubjectType::User,
                subject_id: user.id.to_string(),
                details: serde_json::json!({ "sign_in_unlocked": true }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets expired sessions, failed sign-ins before `failures_before` and successful ones
    /// before `successes_before` (kept longer: they make an address known to a login).
    pub async fn prune_sessions(&self, failures_before: DateTime<Utc>, successes_before: DateTime<Utc>) -> Result<()> {
        let t = now();
        on_pool!(self, p => {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(t).execute(p).await?;
            sqlx::query("DELETE FROM login_attempts WHERE succeeded = $1 AND attempted_at < $2")
                .bind(false)
                .bind(failures_before)
                .execute(p)
                .await?;
            sqlx::query("DELETE FROM login_attempts WHERE succeeded = $1 AND attempted_at < $2")
                .bind(true)
                .bind(successes_before)
                .execute(p)
                .await?;
            Ok::<_, sqlx::Error>(())
        })?;
        Ok(())
    }
}
