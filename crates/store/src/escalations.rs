//! Escalations to the merchant and their answers. Escalating moves the conversation to
//! `escalated`; the answer moves it back to `open`; both are timeline events, so the agent
//! and the merchant see the same story.

use chrono::{DateTime, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::audit::NewAuditEvent;
use madoguchi_core::enums::{AuditAction, ConversationStatus, EscalationStatus, EventKind, SubjectType};
use madoguchi_core::escalation::Escalation;
use madoguchi_core::ids::{ConversationId, EscalationId, MerchantId, UserId};
use madoguchi_core::page::{Page, PageRequest};
use madoguchi_core::time::now;
use sqlx::types::Json;
use uuid::Uuid;

use crate::rows::{parse, push_scope};
use crate::{Result, Store, StoreError, Tx, audit, on_db, on_pool};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    merchant_id: Uuid,
    conversation_id: Uuid,
    question: String,
    due_at: DateTime<Utc>,
    status: String,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    answer: Option<String>,
    answered_by: Option<Uuid>,
    answered_at: Option<DateTime<Utc>>,
}

impl Row {
    fn into_escalation(self) -> Result<Escalation> {
        Ok(Escalation {
            id: self.id.into(),
            merchant_id: self.merchant_id.into(),
            conversation_id: self.conversation_id.into(),
            question: self.question,
            due_at: self.due_at,
            status: parse("escalations.status", &self.status)?,
            created_by: self.created_by.map(Into::into),
            created_at: self.created_at,
            answer: self.answer,
            answered_by: self.answered_by.map(Into::into),
            answered_at: self.answered_at,
        })
    }
}

/// Filters for listing escalations.
#[derive(Debug, Clone, Default)]
pub struct EscalationFilter {
    pub merchant: Option<MerchantId>,
    pub status: Option<EscalationStatus>,
    pub conversation: Option<ConversationId>,
}

async fn event(
    tx: &mut Tx,
    m: MerchantId,
    c: ConversationId,
    kind: EventKind,
    actor: UserId,
    data: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<()> {
    on_db!(tx, conn => sqlx::query(
        "INSERT INTO conversation_events (id, merchant_id, conversation_id, kind, actor_user_id, data, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7())
    .bind(m.0)
    .bind(c.0)
    .bind(kind.as_str())
    .bind(actor.0)
    .bind(Json(data))
    .bind(at)
    .execute(&mut *conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

impl Store {
    pub async fn create_escalation(
        &self,
        scope: &Scope,
        actor: UserId,
        conversation: ConversationId,
        question: &str,
        due_at: DateTime<Utc>,
    ) -> Result<Escalation> {
        let conv = self.get_conversation(scope, conversation).await?;
        let id = EscalationId::new();
        let t = now();
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query(
            "INSERT INTO escalations (id, merchant_id, conversation_id, question, due_at, status, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.0)
        .bind(conv.merchant_id.0)
        .bind(conversation.0)
        .bind(question)
        .bind(due_at)
        .bind(EscalationStatus::Open.as_str())
        .bind(actor.0)
        .bind(t)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        on_db!(&mut tx, c => sqlx::query("UPDATE conversations SET status = $2, updated_at = $3 WHERE id = $1")
            .bind(conversation.0)
            .bind(ConversationStatus::Escalated.as_str())
            .bind(t)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        crate::search_feed::enqueue(
            &mut tx,
            conv.merchant_id,
            crate::search_feed::FeedKind::Conversation,
            conversation.0,
        )
        .await?;
        let data =
            serde_json::json!({ "escalation_id": id, "question": question, "due_at": due_at, "from": conv.status });
        event(&mut tx, conv.merchant_id, conversation, EventKind::Escalated, actor, data, t).await?;
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: Some(conv.merchant_id),
                actor_user_id: Some(actor),
                action: AuditAction::Create,
                subject_type: SubjectType::Escalation,
                subject_id: id.to_string(),
                details: serde_json::json!({ "conversation_id": conversation }),
            },
        )
        .await?;
        tx.commit().await?;
        self.get_escalation(scope, id).await
    }

    pub async fn get_escalation(&self, scope: &Scope, id: EscalationId) -> Result<Escalation> {
        let row: Option<Row> = on_pool!(self, p => sqlx::query_as("SELECT * FROM escalations WHERE id = $1").bind(id.0).fetch_optional(p).await)?;
        row.filter(|r| scope.allows(MerchantId(r.merchant_id))).ok_or(StoreError::NotFound)?.into_escalation()
    }

    /// Newest first.
    pub async fn list_escalations(
        &self,
        scope: &Scope,
        f: &EscalationFilter,
        page: PageRequest,
    ) -> Result<Page<Escalation>> {
        let rows: Vec<Row> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT * FROM escalations WHERE 1 = 1");
            push_scope!(qb, "merchant_id", scope);
            if let Some(m) = f.merchant {
                qb.push(" AND merchant_id = ").push_bind(m.0);
            }
            if let Some(s) = f.status {
                qb.push(" AND status = ").push_bind(s.as_str());
            }
            if let Some(c) = f.conversation {
                qb.push(" AND conversation_id = ").push_bind(c.0);
            }
            if let Some(before) = page.before {
                qb.push(" AND id < ").push_bind(before);
            }
            qb.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(page.limit) + 1);
            qb.build_query_as().fetch_all(p).await
        })?;
        let mut items = rows.into_iter().map(Row::into_escalation).collect::<Result<Vec<_>>>()?;
        let page = Page::from_rows(std::mem::take(&mut items), page.limit, |e: &Escalation| e.id.0);
        Ok(page)
    }

    /// Records the merchant's answer; the conversation goes back to the desk as `open`.
    pub async fn answer_escalation(
        &self,
        scope: &Scope,
        actor: UserId,
        id: EscalationId,
        answer: &str,
    ) -> Result<Escalation> {
        let e = self.get_escalation(scope, id).await?;
        if e.status != EscalationStatus::Open {
            return Err(StoreError::conflict("already_answered", "this escalation has already been answered"));
        }
        let t = now();
        let mut tx = self.begin().await?;
        let n = on_db!(&mut tx, c => sqlx::query(
            "UPDATE escalations SET status = $2, answer = $3, answered_by = $4, answered_at = $5 WHERE id = $1 AND status = $6",
        )
        .bind(id.0)
        .bind(EscalationStatus::Answered.as_str())
        .bind(answer)
        .bind(actor.0)
        .bind(t)
        .bind(EscalationStatus::Open.as_str())
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::conflict("already_answered", "this escalation has already been answered"));
        }
        let reopened = on_db!(&mut tx, c => sqlx::query("UPDATE conversations SET status = $2, updated_at = $3 WHERE id = $1 AND status = $4")
            .bind(e.conversation_id.0)
            .bind(ConversationStatus::Open.as_str())
            .bind(t)
            .bind(ConversationStatus::Escalated.as_str())
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if reopened > 0 {
            crate::search_feed::enqueue(
                &mut tx,
                e.merchant_id,
                crate::search_feed::FeedKind::Conversation,
                e.conversation_id.0,
            )
            .await?;
        }
        // Touch the conversation even if someone changed its status meanwhile, so open consoles see the answer.
        on_db!(&mut tx, c => sqlx::query("UPDATE conversations SET updated_at = $2 WHERE id = $1")
            .bind(e.conversation_id.0)
            .bind(t)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        let data = serde_json::json!({ "escalation_id": id, "answer": answer });
        event(&mut tx, e.merchant_id, e.conversation_id, EventKind::EscalationAnswered, actor, data, t).await?;
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: Some(e.merchant_id),
                actor_user_id: Some(actor),
                action: AuditAction::Update,
                subject_type: SubjectType::Escalation,
                subject_id: id.to_string(),
                details: serde_json::json!({ "answered": true }),
            },
        )
        .await?;
        tx.commit().await?;
        self.get_escalation(scope, id).await
    }
}
