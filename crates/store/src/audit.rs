//! The append-only audit log.

use chrono::{DateTime, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::audit::{AuditEvent, NewAuditEvent};
use madoguchi_core::enums::{AuditAction, SubjectType};
use madoguchi_core::ids::{AuditEventId, MerchantId, UserId};
use madoguchi_core::page::{Page, PageRequest};
use madoguchi_core::time::now;
use sqlx::types::Json;
use uuid::Uuid;

use crate::rows::{parse, push_page, push_scope};
use crate::{Result, Store, Tx, on_db, on_pool};

/// Appends an entry inside the caller's transaction, so the record and its audit trail commit
/// together or not at all.
pub async fn record(tx: &mut Tx, ev: NewAuditEvent) -> Result<()> {
    let id = AuditEventId::new();
    on_db!(tx, c => sqlx::query(
        "INSERT INTO audit_events (id, merchant_id, actor_user_id, action, subject_type, subject_id, details, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.0)
    .bind(ev.merchant_id.map(|m| m.0))
    .bind(ev.actor_user_id.map(|u| u.0))
    .bind(ev.action.as_str())
    .bind(ev.subject_type.as_str())
    .bind(&ev.subject_id)
    .bind(Json(&ev.details))
    .bind(now())
    .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records a change to a merchant's settings (policies, file mappings, secrets) by `actor`.
pub async fn merchant_setting(
    tx: &mut Tx,
    merchant: MerchantId,
    actor: Option<UserId>,
    details: serde_json::Value,
) -> Result<()> {
    record(
        tx,
        NewAuditEvent {
            merchant_id: Some(merchant),
            actor_user_id: actor,
            action: AuditAction::Update,
            subject_type: SubjectType::Merchant,
            subject_id: merchant.to_string(),
            details,
        },
    )
    .await
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    merchant_id: Option<Uuid>,
    actor_user_id: Option<Uuid>,
    action: String,
    subject_type: String,
    subject_id: String,
    details: Json<serde_json::Value>,
    created_at: DateTime<Utc>,
}

impl Row {
    fn into_event(self) -> Result<AuditEvent> {
        Ok(AuditEvent {
            id: self.id.into(),
            merchant_id: self.merchant_id.map(Into::into),
            actor_user_id: self.actor_user_id.map(Into::into),
            action: parse("audit_events.action", &self.action)?,
            subject_type: parse("audit_events.subject_type", &self.subject_type)?,
            subject_id: self.subject_id,
            details: self.details.0,
            created_at: self.created_at,
        })
    }
}

/// Filters for the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub merchant: Option<MerchantId>,
    pub subject_type: Option<SubjectType>,
    pub subject_id: Option<String>,
    /// Who did it.
    pub actor: Option<UserId>,
    /// From this time (inclusive) to that one (exclusive).
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Store {
    /// Appends one entry on its own (for reads, which have no transaction of their own).
    pub async fn record_audit(&self, ev: NewAuditEvent) -> Result<()> {
        let mut tx = self.begin().await?;
        record(&mut tx, ev).await?;
        tx.commit().await
    }

    /// Newest first. A limited scope sees only entries of its merchants (desk-wide entries
    /// without a merchant are for admins).
    pub async fn list_audit_events(
        &self,
        scope: &Scope,
        f: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditEvent>> {
        let rows: Vec<Row> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT * FROM audit_events WHERE 1 = 1");
            push_scope!(qb, "merchant_id", scope);
            if let Some(m) = f.merchant {
                qb.push(" AND merchant_id = ").push_bind(m.0);
            }
            if let Some(t) = f.subject_type {
                qb.push(" AND subject_type = ").push_bind(t.as_str());
            }
            if let Some(s) = &f.subject_id {
                qb.push(" AND subject_id = ").push_bind(s.clone());
            }
            if let Some(u) = f.actor {
                qb.push(" AND actor_user_id = ").push_bind(u.0);
            }
            if let Some(t) = f.since {
                qb.push(" AND created_at >= ").push_bind(t);
            }
            if let Some(t) = f.until {
                qb.push(" AND created_at < ").push_bind(t);
            }
            push_page!(qb, "id", page);
            qb.build_query_as().fetch_all(p).await
        })?;
        let events = rows.into_iter().map(Row::into_event).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(events, page.limit, |e| e.id.0))
    }
}
