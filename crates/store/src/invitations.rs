//! One-time password links sent by mail: a new colleague's invitation, or a reset an
//! administrator sends. Only the SHA-256 of a link's secret is stored; a new link for a user
//! replaces their unused ones, and using one sets the password, ends the user's sessions and
//! is written to the audit log.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use madoguchi_core::audit::NewAuditEvent;
use madoguchi_core::enums::{AuditAction, SubjectType};
use madoguchi_core::ids::UserId;
use madoguchi_core::time::now;
use madoguchi_core::user::{Invitation, User};
use uuid::Uuid;

use crate::{Result, Store, StoreError, audit, on_db, on_pool};

#[derive(sqlx::FromRow)]
struct Row {
    user_id: Uuid,
    email: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
    send_error: Option<String>,
    used_at: Option<DateTime<Utc>>,
}

impl From<Row> for Invitation {
    fn from(r: Row) -> Self {
        Invitation {
            sent_to: r.email,
            created_at: r.created_at,
            expires_at: r.expires_at,
            sent_at: r.sent_at,
            send_error: r.send_error,
        }
    }
}

/// What a link opened in the browser turned out to be.
#[derive(Debug)]
pub enum LinkState {
    /// Good: the user it is for.
    Open(Box<User>),
    Used,
    Expired,
    /// Not a link of ours, or the user was switched off, or a newer link replaced it.
    Unknown,
}

/// The link written for a user, to be mailed.
#[derive(Debug, Clone, Copy)]
pub struct InvitationId(pub Uuid);

impl Store {
    /// The open (unused, unexpired) link of each user, for the staff list.
    pub(crate) async fn open_invitations(&self, users: &[Uuid]) -> Result<HashMap<Uuid, Invitation>> {
        if users.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<Row> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT * FROM user_invitations WHERE used_at IS NULL AND expires_at > ");
            qb.push_bind(now()).push(" AND user_id IN (");
            let mut sep = qb.separated(", ");
            for u in users {
                sep.push_bind(*u);
            }
            sep.push_unseparated(") ORDER BY created_at");
            qb.build_query_as().fetch_all(p).await
        })?;
        // Ordered oldest first, so the newest of a user's links is the one kept.
        Ok(rows.into_iter().map(|r| (r.user_id, r.into())).collect())
    }

    /// Writes a new link for `user` to `email` (also kept as their address), replacing their
    /// unused ones.
    pub async fn create_invitation(
        &self,
        actor: UserId,
        user: &User,
        email: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<InvitationId> {
        let id = Uuid::now_v7();
        let t = now();
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query("DELETE FROM user_invitations WHERE user_id = $1 AND used_at IS NULL")
            .bind(user.id.0)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        on_db!(&mut tx, c => sqlx::query("UPDATE users SET email = $2 WHERE id = $1")
            .bind(user.id.0)
            .bind(email)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        on_db!(&mut tx, c => sqlx::query(
            "INSERT INTO user_invitations (id, user_id, email, token_hash, created_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(user.id.0)
        .bind(email)
        .bind(token_hash)
        .bind(actor.0)
        .bind(t)
        .bind(expires_at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: crate::users::single(&user.merchants),
                actor_user_id: Some(actor),
                action: AuditAction::Create,
                subject_type: SubjectType::User,
                subject_id: user.id.to_string(),
                details: serde_json::json!({
                    "password_link_to": email,
                    "expires_at": expires_at,
                    "invitation": !user.password_set,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(InvitationId(id))
    }

    /// Records what the mail server said: taken, or why not.
    pub async fn invitation_mailed(&self, id: InvitationId, error: Option<&str>) -> Result<()> {
        let sent_at = error.is_none().then(now);
        on_pool!(self, p => sqlx::query("UPDATE user_invitations SET sent_at = $2, send_error = $3 WHERE id = $1")
            .bind(id.0)
            .bind(sent_at)
            .bind(error)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    async fn link_row(&self, token_hash: &str) -> Result<Option<Row>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT * FROM user_invitations WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(p)
            .await)?)
    }

    /// What the link with this hash is now.
    pub async fn password_link(&self, token_hash: &str) -> Result<LinkState> {
        let Some(row) = self.link_row(token_hash).await? else { return Ok(LinkState::Unknown) };
        if row.used_at.is_some() {
            return Ok(LinkState::Used);
        }
        if row.expires_at <= now() {
            return Ok(LinkState::Expired);
        }
        let user = self.get_user_unscoped(UserId(row.user_id)).await?;
        Ok(if user.active { LinkState::Open(Box::new(user)) } else { LinkState::Unknown })
    }

    /// Sets the password through an open link and uses the link up; the same link twice, or
    /// two tabs at once, set it once.
    pub async fn use_password_link(&self, token_hash: &str, password_hash: &str) -> Result<User> {
        let user = match self.password_link(token_hash).await? {
            LinkState::Open(user) => *user,
            _ => return Err(StoreError::NotFound),
        };
        let t = now();
        let mut tx = self.begin().await?;
        let taken = on_db!(&mut tx, c => sqlx::query(
            "UPDATE user_invitations SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(t)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if taken == 0 {
            return Err(StoreError::NotFound);
        }
        on_db!(&mut tx, c => sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(user.id.0)
            .bind(password_hash)
            .bind(t)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        // Anyone signed in with the old password is signed out, as with any password change.
        on_db!(&mut tx, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.id.0)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: crate::users::single(&user.merchants),
                actor_user_id: Some(user.id),
                action: AuditAction::Update,
                subject_type: SubjectType::User,
                subject_id: user.id.to_string(),
                details: serde_json::json!({ "password_changed": true, "by_link": true }),
            },
        )
        .await?;
        tx.commit().await?;
        self.get_user_unscoped(user.id).await
    }
}
