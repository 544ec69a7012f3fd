//! Merchants and their closed days.

use chrono::{DateTime, NaiveDate, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::audit::NewAuditEvent;
use madoguchi_core::calendar::BusinessHours;
use madoguchi_core::enums::{AuditAction, SubjectType};
use madoguchi_core::ids::{MerchantId, UserId};
use madoguchi_core::merchant::{ClosedDay, Merchant, ValidatedMerchant};
use madoguchi_core::page::{Page, PageRequest};
use madoguchi_core::sla::SlaPolicy;
use madoguchi_core::time::now;
use sqlx::types::Json;
use uuid::Uuid;

use crate::rows::{push_page, push_scope};
use crate::{Result, Store, StoreError, Tx, audit, on_db, on_pool};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    slug: String,
    /// Empty for shops made before codes existed: derived from the slug then.
    code: Option<String>,
    name: String,
    greeting: String,
    timezone: String,
    business_hours: Json<BusinessHours>,
    sla_first_response_minutes: i64,
    sla_resolution_minutes: i64,
    greetings: Json<madoguchi_core::merchant::ChannelGreetings>,
    staff_may_reply: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ClosedRow {
    merchant_id: Uuid,
    day: NaiveDate,
    label: String,
}

impl Row {
    fn into_merchant(self, closed: &[ClosedRow]) -> Merchant {
        Merchant {
            id: self.id.into(),
            code: self.code.unwrap_or_else(|| madoguchi_core::merchant::default_code(&self.slug)),
            slug: self.slug,
            name: self.name,
            greeting: self.greeting,
            timezone: self.timezone,
            business_hours: self.business_hours.0,
            closed_days: closed
                .iter()
                .filter(|c| c.merchant_id == self.id)
                .map(|c| ClosedDay { date: c.day, label: c.label.clone() })
                .collect(),
            sla: SlaPolicy {
                first_response_minutes: u32::try_from(self.sla_first_response_minutes).unwrap_or(60),
                resolution_minutes: u32::try_from(self.sla_resolution_minutes).unwrap_or(1080),
            },
            greetings: self.greetings.0,
            staff_may_reply: self.staff_may_reply,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

async fn write_closed_days(tx: &mut Tx, id: MerchantId, days: &[ClosedDay]) -> Result<()> {
    on_db!(tx, c => {
        sqlx::query("DELETE FROM merchant_closed_days WHERE merchant_id = $1").bind(id.0).execute(&mut *c).await?;
        for d in days {
            sqlx::query("INSERT INTO merchant_closed_days (merchant_id, day, label) VALUES ($1, $2, $3)")
                .bind(id.0)
                .bind(d.date)
                .bind(&d.label)
                .execute(&mut *c)
                .await?;
        }
    });
    Ok(())
}

/// A ticket code no other shop uses: the one asked for, else the slug's, with a digit added
/// when another shop has it (HG, HG2, HG3, …).
async fn free_code(tx: &mut Tx, me: Option<MerchantId>, wanted: Option<&str>, slug: &str) -> Result<String> {
    let rows: Vec<(Uuid, String, Option<String>)> =
        on_db!(tx, c => sqlx::query_as("SELECT id, slug, code FROM merchants").fetch_all(&mut *c).await)?;
    let used: Vec<String> = rows
        .into_iter()
        .filter(|(id, _, _)| Some(MerchantId(*id)) != me)
        .map(|(_, slug, code)| code.unwrap_or_else(|| madoguchi_core::merchant::default_code(&slug)))
        .collect();
    let base = wanted.map_or_else(|| madoguchi_core::merchant::default_code(slug), str::to_owned);
    if !used.contains(&base) {
        return Ok(base);
    }
    Ok((2..).map(|n| format!("{base}{n}")).find(|c| !used.contains(c)).expect("a free code exists"))
}

/// How a client names a merchant: by id or by slug.
pub fn parse_key(key: &str) -> MerchantKey<'_> {
    match Uuid::parse_str(key) {
        Ok(u) => MerchantKey::Id(MerchantId(u)),
        Err(_) => MerchantKey::Slug(key),
    }
}

#[derive(Debug, Clone, Copy)]
pub enum MerchantKey<'a> {
    Id(MerchantId),
    Slug(&'a str),
}

impl Store {
    pub async fn create_merchant(&self, actor: Option<UserId>, m: ValidatedMerchant) -> Result<Merchant> {
        let id = MerchantId::new();
        let t = now();
        let mut tx = self.begin().await?;
        let taken: Option<Uuid> = on_db!(&mut tx, c => sqlx::query_scalar("SELECT id FROM merchants WHERE slug = $1")
            .bind(&m.slug)
            .fetch_optional(&mut *c)
            .await)?;
        if taken.is_some() {
            return Err(StoreError::conflict("slug_taken", format!("the slug {:?} is already used", m.slug)));
        }
        let code = free_code(&mut tx, None, m.code.as_deref(), &m.slug).await?;
        on_db!(&mut tx, c => sqlx::query(
            "INSERT INTO merchants (id, slug, name, greeting, timezone, business_hours, conversation_counter, created_at, updated_at,
                                    sla_first_response_minutes, sla_resolution_minutes, code, greetings, staff_may_reply)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7, $8, $9, $10, $11, $12)",
        )
        .bind(id.0)
        .bind(&m.slug)
        .bind(&m.name)
        .bind(&m.greeting)
        .bind(&m.timezone)
        .bind(Json(&m.business_hours))
        .bind(t)
        .bind(i64::from(m.sla.first_response_minutes))
        .bind(i64::from(m.sla.resolution_minutes))
        .bind(&code)
        .bind(Json(&m.greetings))
        .bind(m.staff_may_reply)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        write_closed_days(&mut tx, id, &m.closed_days).await?;
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: Some(id),
                actor_user_id: actor,
                action: AuditAction::Create,
                subject_type: SubjectType::Merchant,
                subject_id: id.to_string(),
                details: serde_json::json!({ "slug": m.slug, "name": m.name }),
            },
        )
        .await?;
        tx.commit().await?;
        self.get_merchant(&Scope::All, MerchantKey::Id(id)).await
    }

    /// The merchant by id or slug, if the scope allows it.
    pub async fn get_merchant(&self, scope: &Scope, key: MerchantKey<'_>) -> Result<Merchant> {
        let row: Option<Row> = on_pool!(self, p => match key {
            MerchantKey::Id(id) => sqlx::query_as("SELECT * FROM merchants WHERE id = $1").bind(id.0).fetch_optional(p).await,
            MerchantKey::Slug(s) => sqlx::query_as("SELECT * FROM merchants WHERE slug = $1").bind(s).fetch_optional(p).await,
        })?;
        let row = row.filter(|r| scope.allows(MerchantId(r.id))).ok_or(StoreError::NotFound)?;
        let closed: Vec<ClosedRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT merchant_id, day, label FROM merchant_closed_days WHERE merchant_id = $1 ORDER BY day",
        )
        .bind(row.id)
        .fetch_all(p)
        .await)?;
        Ok(row.into_merchant(&closed))
    }

    /// Resolves an id-or-slug to an id within the scope.
    pub async fn resolve_merchant(&self, scope: &Scope, key: &str) -> Result<MerchantId> {
        let key = parse_key(key);
        if let MerchantKey::Id(id) = key
            && !scope.allows(id)
        {
            return Err(StoreError::NotFound);
        }
        let id: Option<Uuid> = on_pool!(self, p => match key {
            MerchantKey::Id(id) => sqlx::query_scalar("SELECT id FROM merchants WHERE id = $1").bind(id.0).fetch_optional(p).await,
            MerchantKey::Slug(s) => sqlx::query_scalar("SELECT id FROM merchants WHERE slug = $1").bind(s).fetch_optional(p).await,
        })?;
        id.map(MerchantId).filter(|m| scope.allows(*m)).ok_or(StoreError::NotFound)
    }

    pub async fn list_merchants(&self, scope: &Scope, page: PageRequest) -> Result<Page<Merchant>> {
        let rows: Vec<Row> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT * FROM merchants WHERE 1 = 1");
            push_scope!(qb, "id", scope);
            push_page!(qb, "id", page);
            qb.build_query_as().fetch_all(p).await
        })?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let closed: Vec<ClosedRow> = if ids.is_empty() {
            vec![]
        } else {
            on_pool!(self, p => {
                let mut qb = sqlx::QueryBuilder::new("SELECT merchant_id, day, label FROM merchant_closed_days WHERE merchant_id IN (");
                let mut sep = qb.separated(", ");
                for id in &ids {
                    sep.push_bind(*id);
                }
                sep.push_unseparated(") ORDER BY day");
                qb.build_query_as().fetch_all(p).await
            })?
        };
        let merchants = rows.into_iter().map(|r| r.into_merchant(&closed)).collect();
        Ok(Page::from_rows(merchants, page.limit, |m: &Merchant| m.id.0))
    }

    /// Every merchant id, for jobs that walk all merchants.
    pub async fn all_merchant_ids(&self) -> Result<Vec<MerchantId>> {
        let ids: Vec<Uuid> =
            on_pool!(self, p => sqlx::query_scalar("SELECT id FROM merchants ORDER BY id").fetch_all(p).await)?;
        Ok(ids.into_iter().map(MerchantId).collect())
    }

    pub async fn update_merchant(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        id: MerchantId,
        m: ValidatedMerchant,
    ) -> Result<Merchant> {
        let before = self.get_merchant(scope, MerchantKey::Id(id)).await?;
        let mut tx = self.begin().await?;
        let code = match m.code.as_deref() {
            Some(c) if c != before.code => {
                let chosen = free_code(&mut tx, Some(id), Some(c), &before.slug).await?;
                if chosen != c {
                    return Err(StoreError::conflict("code_taken", format!("another shop already uses the code {c}")));
                }
                chosen
            }
            _ => before.code.clone(),
        };
        on_db!(&mut tx, c => sqlx::query(
            "UPDATE merchants SET name = $2, greeting = $3, timezone = $4, business_hours = $5, updated_at = $6,
                    sla_first_response_minutes = $7, sla_resolution_minutes = $8, code = $9,
                    greetings = $10, staff_may_reply = $11 WHERE id = $1",
        )
        .bind(id.0)
        .bind(&m.name)
        .bind(&m.greeting)
        .bind(&m.timezone)
        .bind(Json(&m.business_hours))
        .bind(now())
        .bind(i64::from(m.sla.first_response_minutes))
        .bind(i64::from(m.sla.resolution_minutes))
        .bind(&code)
        .bind(Json(&m.greetings))
        .bind(m.staff_may_reply)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        write_closed_days(&mut tx, id, &m.closed_days).await?;
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: Some(id),
                actor_user_id: actor,
                action: AuditAction::Update,
                subject_type: SubjectType::Merchant,
                subject_id: id.to_string(),
                details: serde_json::json!({
                    "name": [before.name, m.name],
                    "greeting_changed": before.greeting != m.greeting,
                    "timezone": [before.timezone, m.timezone],
                    "business_hours_changed": before.business_hours != m.business_hours,
                    "closed_days_changed": before.closed_days != m.closed_days,
                    "sla": [before.sla, m.sla],
                    "greetings_changed": before.greetings != m.greetings,
                    "staff_may_reply": [before.staff_may_reply, m.staff_may_reply],
                }),
            },
        )
        .await?;
        tx.commit().await?;
        self.get_merchant(scope, MerchantKey::Id(id)).await
    }

    /// Takes the next human conversation number of a merchant, inside the caller's transaction.
    pub(crate) async fn next_conversation_number(tx: &mut Tx, merchant: MerchantId) -> Result<i64> {
        let n: Option<i64> = on_db!(tx, c => sqlx::query_scalar(
            "UPDATE merchants SET conversation_counter = conversation_counter + 1 WHERE id = $1 RETURNING conversation_counter",
        )
        .bind(merchant.0)
        .fetch_optional(&mut *c)
        .await)?;
        n.ok_or(StoreError::NotFound)
    }
}
