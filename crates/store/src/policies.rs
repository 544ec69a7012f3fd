//! Each merchant's policies, versioned (every save is a new version; the highest is in force),
//! and the decisions the desk took by them.

use chrono::{DateTime, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::audit::NewAuditEvent;
use madoguchi_core::decision::{Choice, Decision};
use madoguchi_core::enums::{AuditAction, SubjectType};
use madoguchi_core::ids::{ConversationId, MerchantId, OrderId, UserId};
use madoguchi_core::policy::Policies;
use madoguchi_core::time::now;
use serde::Serialize;
use sqlx::types::Json;
use uuid::Uuid;

use crate::rows::parse;
use crate::{Result, Store, StoreError, audit, on_db, on_pool};

/// The policies in force and their version; version 0 is the defaults, never saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PolicyVersion {
    pub version: i32,
    pub policies: Policies,
    pub created_at: Option<DateTime<Utc>>,
}

/// A decision as recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordedDecision {
    pub id: Uuid,
    pub order_id: OrderId,
    pub conversation_id: Option<ConversationId>,
    pub policy_version: i32,
    pub decision: Decision,
    pub choice: Choice,
    pub offer_code: Option<String>,
    pub note: Option<String>,
    pub decided_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// What is recorded with a decision.
#[derive(Debug, Clone)]
pub struct NewDecision<'a> {
    pub order: OrderId,
    pub conversation: Option<ConversationId>,
    pub policy_version: i32,
    pub decision: &'a Decision,
    pub choice: Choice,
    pub offer_code: Option<String>,
    pub note: Option<String>,
}

#[derive(sqlx::FromRow)]
struct DecisionRow {
    id: Uuid,
    order_id: Uuid,
    conversation_id: Option<Uuid>,
    policy_version: i32,
    decision: Json<serde_json::Value>,
    choice: String,
    offer_code: Option<String>,
    note: Option<String>,
    decided_by: Option<Uuid>,
    created_at: DateTime<Utc>,
}

impl Store {
    /// The merchant's policies in force.
    pub async fn current_policies(&self, scope: &Scope, merchant: MerchantId) -> Result<PolicyVersion> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let row: Option<(i32, Json<Policies>, DateTime<Utc>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT version, policies, created_at FROM merchant_policies WHERE merchant_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(merchant.0)
        .fetch_optional(p)
        .await)?;
        Ok(match row {
            Some((version, p, at)) => PolicyVersion { version, policies: p.0, created_at: Some(at) },
            None => PolicyVersion { version: 0, policies: Policies::default(), created_at: None },
        })
    }

    /// Saves validated policies as the merchant's next version and returns it.
    pub async fn save_policies(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        merchant: MerchantId,
        policies: &Policies,
    ) -> Result<PolicyVersion> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin().await?;
        let last: Option<i32> = on_db!(&mut tx, c => sqlx::query_scalar(
            "SELECT MAX(version) FROM merchant_policies WHERE merchant_id = $1",
        )
        .bind(merchant.0)
        .fetch_one(&mut *c)
        .await)?;
        let version = last.unwrap_or(0) + 1;
        let at = now();
        // Two saves at once: the second's insert hits the primary key and fails whole.
        on_db!(&mut tx, c => sqlx::query(
            "INSERT INTO merchant_policies (merchant_id, version, policies, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(merchant.0)
        .bind(version)
        .bind(Json(policies))
        .bind(actor.map(|u| u.0))
        .bind(at)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
        audit::merchant_setting(&mut tx, merchant, actor, serde_json::json!({ "policies_version": version })).await?;
        tx.commit().await?;
        Ok(PolicyVersion { version, policies: policies.clone(), created_at: Some(at) })
    }

    /// Records a decision and the agent's choice on one of the merchant's orders (audited).
    pub async fn record_decision(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        merchant: MerchantId,
        d: &NewDecision<'_>,
    ) -> Result<RecordedDecision> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let id = Uuid::now_v7();
        let at = now();
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query(
            "INSERT INTO decisions (id, merchant_id, order_id, conversation_id, request, eligible, policy_version, decision, choice, offer_code, note, decided_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(id)
        .bind(merchant.0)
        .bind(d.order.0)
        .bind(d.conversation.map(|c| c.0))
        .bind(d.decision.request.as_str())
        .bind(d.decision.eligible)
        .bind(d.policy_version)
        .bind(Json(d.decision))
        .bind(d.choice.as_str())
        .bind(&d.offer_code)
        .bind(&d.note)
        .bind(actor.map(|u| u.0))
        .bind(at)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: Some(merchant),
                actor_user_id: actor,
                action: AuditAction::Create,
                subject_type: SubjectType::Order,
                subject_id: d.order.to_string(),
                details: serde_json::json!({
                    "decision": id, "request": d.decision.request.as_str(), "eligible": d.decision.eligible,
                    "policy_version": d.policy_version, "choice": d.choice.as_str(), "offer_code": d.offer_code,
                }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(RecordedDecision {
            id,
            order_id: d.order,
            conversation_id: d.conversation,
            policy_version: d.policy_version,
            decision: d.decision.clone(),
            choice: d.choice,
            offer_code: d.offer_code.clone(),
            note: d.note.clone(),
            decided_by: actor,
            created_at: at,
        })
    }

    /// The decisions taken on an order, oldest first.
    pub async fn order_decisions(&self, scope: &Scope, order: OrderId) -> Result<Vec<RecordedDecision>> {
        let o = self.get_order(scope, order).await?;
        let rows: Vec<DecisionRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, order_id, conversation_id, policy_version, decision, choice, offer_code, note, decided_by, created_at
               FROM decisions WHERE merchant_id = $1 AND order_id = $2 ORDER BY created_at, id",
        )
        .bind(o.merchant_id.0)
        .bind(order.0)
        .fetch_all(p)
        .await)?;
        rows.into_iter()
            .map(|r| {
                Ok(RecordedDecision {
                    id: r.id,
                    order_id: OrderId(r.order_id),
                    conversation_id: r.conversation_id.map(ConversationId),
                    policy_version: r.policy_version,
                    decision: serde_json::from_value(r.decision.0)
                        .map_err(|_| StoreError::Corrupt("decisions.decision"))?,
                    choice: parse("decisions.choice", &r.choice)?,
                    offer_code: r.offer_code,
                    note: r.note,
                    decided_by: r.decided_by.map(UserId),
                    created_at: r.created_at,
                })
            })
            .collect()
    }
}
