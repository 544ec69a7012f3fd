//! Staff users, their merchant memberships and API tokens (stored as SHA-256 hashes; the
//! secret itself is never kept).

use chrono::{DateTime, Duration, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::audit::NewAuditEvent;
use madoguchi_core::enums::{AuditAction, Role, SubjectType};
use madoguchi_core::ids::{MerchantId, TokenId, UserId};
use madoguchi_core::page::{Page, PageRequest};
use madoguchi_core::time::now;
use madoguchi_core::user::{ApiToken, User};
use uuid::Uuid;

use crate::rows::{parse, push_page};
use crate::{Result, Store, StoreError, Tx, audit, on_db, on_pool};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    login: String,
    display_name: String,
    public_name: String,
    role: String,
    password_hash: String,
    active: bool,
    email: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Uuid,
    user_id: Uuid,
    label: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> Self {
        ApiToken {
            id: r.id.into(),
            user_id: r.user_id.into(),
            label: r.label,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        }
    }
}

/// What a new user is made of, after validation and hashing.
#[derive(Debug, Clone)]
pub struct NewUserRecord {
    pub login: String,
    pub display_name: String,
    /// Empty: customers see the display name's first word.
    pub public_name: String,
    pub role: Role,
    /// Empty for someone invited by mail: no password matches it until they choose one.
    pub password_hash: String,
    pub email: Option<String>,
    pub merchants: Vec<MerchantId>,
}

/// A change to a user, after validation and hashing.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub display_name: Option<String>,
    pub public_name: Option<String>,
    pub role: Option<Role>,
    pub password_hash: Option<String>,
    /// `Some(None)` removes the address.
    pub email: Option<Option<String>>,
    pub merchants: Option<Vec<MerchantId>>,
    pub active: Option<bool>,
}

async fn write_memberships(tx: &mut Tx, user: UserId, merchants: &[MerchantId]) -> Result<()> {
    on_db!(tx, c => {
        sqlx::query("DELETE FROM user_merchants WHERE user_id = $1").bind(user.0).execute(&mut *c).await?;
        for m in merchants {
            sqlx::query("INSERT INTO user_merchants (user_id, merchant_id) VALUES ($1, $2)")
                .bind(user.0)
                .bind(m.0)
                .execute(&mut *c)
                .await?;
        }
    });
    Ok(())
}

/// The merchant a user record belongs to for the audit log: merchant staff belong to one;
/// desk users serving several shops are desk-wide records, read by admins only (so one shop's
/// admin never learns which other shops a desk user serves).
pub(crate) fn single(merchants: &[MerchantId]) -> Option<MerchantId> {
    match merchants {
        [one] => Some(*one),
        _ => None,
    }
}

/// How long a token's `last_used_at` may lag: writing it on every request would make every read
/// a write.
const LAST_USED_GRANULARITY: Duration = Duration::minutes(5);

impl Store {
    async fn memberships(&self, users: &[Uuid]) -> Result<Vec<(Uuid, Uuid)>> {
        if users.is_empty() {
            return Ok(vec![]);
        }
        Ok(on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT user_id, merchant_id FROM user_merchants WHERE user_id IN (");
            let mut sep = qb.separated(", ");
            for u in users {
                sep.push_bind(*u);
            }
            sep.push_unseparated(") ORDER BY merchant_id");
            qb.build_query_as().fetch_all(p).await
        })?)
    }

    async fn users_from_rows(&self, rows: Vec<Row>) -> Result<Vec<User>> {
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let members = self.memberships(&ids).await?;
        let mut invitations = self.open_invitations(&ids).await?;
        rows.into_iter()
            .map(|r| {
                Ok(User {
                    password_set: !r.password_hash.is_empty(),
                    invitation: invitations.remove(&r.id),
                    email: r.email,
                    id: r.id.into(),
                    role: parse("users.role", &r.role)?,
                    merchants: members.iter().filter(|(u, _)| *u == r.id).map(|(_, m)| MerchantId(*m)).collect(),
                    login: r.login,
                    display_name: r.display_name,
                    public_name: r.public_name,
                    active: r.active,
                    created_at: r.created_at,
                    updated_at: r.updated_at,
                })
            })
            .collect()
    }

    /// Whether any user exists (an empty install needs `user add` or the demo).
    pub async fn count_users(&self) -> Result<i64> {
        Ok(on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(p).await)?)
    }

    pub async fn create_user(&self, actor: Option<UserId>, u: NewUserRecord) -> Result<User> {
        let id = UserId::new();
        let t = now();
        let mut tx = self.begin().await?;
        let taken: Option<Uuid> = on_db!(&mut tx, c => sqlx::query_scalar("SELECT id FROM users WHERE login = $1")
            .bind(&u.login)
            .fetch_optional(&mut *c)
            .await)?;
        if taken.is_some() {
            return Err(StoreError::conflict("login_taken", format!("the login {:?} is already used", u.login)));
        }
        on_db!(&mut tx, c => sqlx::query(
            "INSERT INTO users (id, login, display_name, role, password_hash, active, created_at, updated_at, public_name, email)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9)",
        )
        .bind(id.0)
        .bind(&u.login)
        .bind(&u.display_name)
        .bind(u.role.as_str())
        .bind(&u.password_hash)
        .bind(true)
        .bind(t)
        .bind(&u.public_name)
        .bind(&u.email)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        write_memberships(&mut tx, id, &u.merchants).await?;
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: single(&u.merchants),
                actor_user_id: actor,
                action: AuditAction::Create,
                subject_type: SubjectType::User,
                subject_id: id.to_string(),
                details: serde_json::json!({
                    "login": u.login, "role": u.role, "merchants": u.merchants,
                    "email": u.email, "invited": u.password_hash.is_empty(),
                }),
            },
        )
        .await?;
        tx.commit().await?;
        self.get_user_unscoped(id).await
    }

    /// A user by id with no visibility check: for the authenticated caller themself.
    pub async fn get_user_unscoped(&self, id: UserId) -> Result<User> {
        let row: Option<Row> = on_pool!(self, p => sqlx::query_as("SELECT * FROM users WHERE id = $1").bind(id.0).fetch_optional(p).await)?;
        let row = row.ok_or(StoreError::NotFound)?;
        Ok(self.users_from_rows(vec![row]).await?.remove(0))
    }

    /// A user as seen by `me`: admins see everyone; others see themselves and the users who share
    /// a merchant with them.
    pub async fn get_user(&self, scope: &Scope, me: UserId, id: UserId) -> Result<User> {
        let user = self.get_user_unscoped(id).await?;
        if visible(scope, me, &user) { Ok(within(scope, me, user)) } else { Err(StoreError::NotFound) }
    }

    pub async fn list_users(&self, scope: &Scope, me: UserId, page: PageRequest) -> Result<Page<User>> {
        let rows: Vec<Row> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT * FROM users WHERE 1 = 1");
            if let Some(ids) = scope.merchant_ids() {
                qb.push(" AND (id = ").push_bind(me.0);
                if !ids.is_empty() {
                    qb.push(" OR id IN (SELECT user_id FROM user_merchants WHERE merchant_id IN (");
                    let mut sep = qb.separated(", ");
                    for m in ids {
                        sep.push_bind(m.0);
                    }
                    sep.push_unseparated("))");
                }
                qb.push(")");
            }
            push_page!(qb, "id", page);
            qb.build_query_as().fetch_all(p).await
        })?;
        let users = self.users_from_rows(rows).await?.into_iter().map(|u| within(scope, me, u)).collect();
        Ok(Page::from_rows(users, page.limit, |u: &User| u.id.0))
    }

    pub async fn update_user(&self, scope: &Scope, me: UserId, id: UserId, ch: UserChange) -> Result<User> {
        let before = self.get_user(scope, me, id).await?;
        let mut tx = self.begin().await?;
        let removes_an_admin = before.role == Role::Admin
            && before.active
            && (ch.active == Some(false) || ch.role.is_some_and(|r| r != Role::Admin));
        if removes_an_admin {
            // Two admins removing each other at once must not both pass the count below:
            // PostgreSQL locks the admins' rows; SQLite holds one writer at a time anyway.
            if let Tx::Postgres(c) = &mut tx {
                sqlx::query("SELECT id FROM users WHERE role = $1 AND active = $2 FOR UPDATE")
                    .bind(Role::Admin.as_str())
                    .bind(true)
                    .execute(&mut **c)
                    .await?;
            }
        }
        on_db!(&mut tx, c => sqlx::query(
            "UPDATE users SET display_name = $2, role = $3, active = $4, updated_at = $5, public_name = $6, email = $7
             WHERE id = $1",
        )
        .bind(id.0)
        .bind(ch.display_name.as_deref().unwrap_or(&before.display_name))
        .bind(ch.role.unwrap_or(before.role).as_str())
        .bind(ch.active.unwrap_or(before.active))
        .bind(now())
        .bind(ch.public_name.as_deref().unwrap_or(&before.public_name))
        .bind(ch.email.clone().unwrap_or(before.email.clone()))
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if removes_an_admin {
            let admins: i64 = on_db!(&mut tx, c => sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE role = $1 AND active = $2",
            )
            .bind(Role::Admin.as_str())
            .bind(true)
            .fetch_one(&mut *c).await)?;
            if admins == 0 {
                // Dropping the transaction undoes the update.
                return Err(StoreError::conflict(
                    "last_admin",
                    "this is the only active administrator: make another user an administrator first",
                ));
            }
        }
        if let Some(h) = &ch.password_hash {
            on_db!(&mut tx, c => sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                .bind(id.0)
                .bind(h)
                .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        }
        if let Some(ms) = &ch.merchants {
            write_memberships(&mut tx, id, ms).await?;
        }
        if ch.active == Some(false) {
            // A deactivated user's tokens stop working at once.
            on_db!(&mut tx, c => sqlx::query("DELETE FROM api_tokens WHERE user_id = $1").bind(id.0).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        }
        if ch.active == Some(false) || ch.password_hash.is_some() {
            // Signed-in consoles end too: a changed password logs out every other browser.
            on_db!(&mut tx, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.0).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        }
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: single(&before.merchants),
                actor_user_id: Some(me),
                action: AuditAction::Update,
                subject_type: SubjectType::User,
                subject_id: id.to_string(),
                details: serde_json::json!({
                    "display_name": ch.display_name,
                    "public_name": ch.public_name,
                    "email": ch.email,
                    "role": ch.role,
                    "password_changed": ch.password_hash.is_some(),
                    "merchants": ch.merchants,
                    "active": ch.active,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        self.get_user_unscoped(id).await
    }

    /// The active user with this login and their password hash, for sign-in.
    pub async fn user_for_login(&self, login: &str) -> Result<Option<(User, String)>> {
        let row: Option<Row> = on_pool!(self, p => sqlx::query_as("SELECT * FROM users WHERE login = $1 AND active = $2")
            .bind(login)
            .bind(true)
            .fetch_optional(p)
            .await)?;
        let Some(row) = row else { return Ok(None) };
        let hash = row.password_hash.clone();
        Ok(Some((self.users_from_rows(vec![row]).await?.remove(0), hash)))
    }

    pub async fn create_token(&self, actor: UserId, user: UserId, label: &str, token_hash: &str) -> Result<ApiToken> {
        let id = TokenId::new();
        let mut tx = self.begin().await?;
        let row: TokenRow = on_db!(&mut tx, c => sqlx::query_as(
            "INSERT INTO api_tokens (id, user_id, label, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)
             RETURNING id, user_id, label, created_at, last_used_at",
        )
        .bind(id.0)
        .bind(user.0)
        .bind(label)
        .bind(token_hash)
        .bind(now())
        .fetch_one(&mut *c)
        .await)?;
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: None,
                actor_user_id: Some(actor),
                action: AuditAction::Create,
                subject_type: SubjectType::ApiToken,
                subject_id: id.to_string(),
                details: serde_json::json!({ "user_id": user, "label": label }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    pub async fn list_tokens(&self, user: UserId, page: PageRequest) -> Result<Page<ApiToken>> {
        let rows: Vec<TokenRow> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id, user_id, label, created_at, last_used_at FROM api_tokens WHERE user_id = ",
            );
            qb.push_bind(user.0);
            push_page!(qb, "id", page);
            qb.build_query_as().fetch_all(p).await
        })?;
        Ok(Page::from_rows(rows.into_iter().map(ApiToken::from).collect(), page.limit, |t: &ApiToken| t.id.0))
    }

    pub async fn delete_token(&self, actor: UserId, user: UserId, token: TokenId) -> Result<()> {
        let mut tx = self.begin().await?;
        let n = on_db!(&mut tx, c => sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
            .bind(token.0)
            .bind(user.0)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: None,
                actor_user_id: Some(actor),
                action: AuditAction::Delete,
                subject_type: SubjectType::ApiToken,
                subject_id: token.to_string(),
                details: serde_json::json!({ "user_id": user }),
            },
        )
        .await?;
        tx.commit().await
    }

    /// The active user owning the token with this hash; marks the token as used.
    pub async fn user_for_token(&self, token_hash: &str) -> Result<Option<User>> {
        #[derive(sqlx::FromRow)]
        struct Hit {
            id: Uuid,
            user_id: Uuid,
            last_used_at: Option<DateTime<Utc>>,
        }
        let hit: Option<Hit> = on_pool!(self, p => sqlx::query_as(
            "SELECT t.id, t.user_id, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND u.active = $2",
        )
        .bind(token_hash)
        .bind(true)
        .fetch_optional(p)
        .await)?;
        let Some(hit) = hit else { return Ok(None) };
        let t = now();
        if hit.last_used_at.is_none_or(|l| t - l > LAST_USED_GRANULARITY) {
            on_pool!(self, p => sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(hit.id)
                .bind(t)
                .execute(p).await.map(|r| r.rows_affected()))?;
        }
        Ok(Some(self.get_user_unscoped(UserId(hit.user_id)).await?))
    }
}

/// Another user's memberships are shown only as far as the caller's own merchants reach: an
/// agent who also serves shop B must not reveal shop B to shop A's staff.
fn within(scope: &Scope, me: UserId, mut user: User) -> User {
    if user.id != me {
        user.merchants.retain(|m| scope.allows(*m));
    }
    user
}

/// Admins see everyone; others see themselves and users sharing one of their merchants.
fn visible(scope: &Scope, me: UserId, user: &User) -> bool {
    user.id == me
        || match scope.merchant_ids() {
            None => true,
            Some(ms) => user.merchants.iter().any(|m| ms.contains(m)),
        }
}
