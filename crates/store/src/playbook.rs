//! Merchants' playbooks (scripts, canned responses, disposition codes) and wrap-ups.

use chrono::{DateTime, Utc};
use madoguchi_core::ValidationError;
use madoguchi_core::access::Scope;
use madoguchi_core::audit::NewAuditEvent;
use madoguchi_core::enums::{AuditAction, SubjectType};
use madoguchi_core::ids::{
    CannedResponseId, ConversationId, DispositionCodeId, MerchantId, ScriptId, UserId, WrapUpId,
};
use madoguchi_core::playbook::{CannedResponse, DispositionCode, Script, WrapUp};
use madoguchi_core::time::now;
use uuid::Uuid;

use crate::{Result, Store, StoreError, Tx, audit, on_db, on_pool};

fn settings_audit(
    merchant: MerchantId,
    actor: UserId,
    action: AuditAction,
    details: serde_json::Value,
) -> NewAuditEvent {
    NewAuditEvent {
        merchant_id: Some(merchant),
        actor_user_id: Some(actor),
        action,
        subject_type: SubjectType::Merchant,
        subject_id: merchant.to_string(),
        details,
    }
}

/// Whether a wrap-up was recorded for the conversation (inside the caller's transaction).
pub(crate) async fn has_wrap_up(tx: &mut Tx, conversation: ConversationId) -> Result<bool> {
    let n: i64 = on_db!(tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM wrap_ups WHERE conversation_id = $1")
        .bind(conversation.0)
        .fetch_one(&mut *c)
        .await)?;
    Ok(n > 0)
}

impl Store {
    /// Creates or replaces the script of a category.
    pub async fn put_script(
        &self,
        scope: &Scope,
        actor: UserId,
        merchant: MerchantId,
        category: &str,
        body: &str,
    ) -> Result<Script> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let t = now();
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query(
            "INSERT INTO scripts (id, merchant_id, category, body, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (merchant_id, category) DO UPDATE SET body = $4, updated_at = $5",
        )
        .bind(ScriptId::new().0)
        .bind(merchant.0)
        .bind(category)
        .bind(body)
        .bind(t)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        audit::record(
            &mut tx,
            settings_audit(merchant, actor, AuditAction::Update, serde_json::json!({ "script": category })),
        )
        .await?;
        tx.commit().await?;
        self.script_for(scope, merchant, category).await?.ok_or(StoreError::NotFound)
    }

    pub async fn list_scripts(&self, scope: &Scope, merchant: MerchantId) -> Result<Vec<Script>> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let rows: Vec<(Uuid, String, String, DateTime<Utc>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, category, body, updated_at FROM scripts WHERE merchant_id = $1 ORDER BY category",
        )
        .bind(merchant.0)
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(id, category, body, updated_at)| Script {
                id: ScriptId(id),
                merchant_id: merchant,
                category,
                body,
                updated_at,
            })
            .collect())
    }

    pub async fn script_for(&self, scope: &Scope, merchant: MerchantId, category: &str) -> Result<Option<Script>> {
        Ok(self.list_scripts(scope, merchant).await?.into_iter().find(|s| s.category == category))
    }

    pub async fn create_canned_response(
        &self,
        scope: &Scope,
        actor: UserId,
        merchant: MerchantId,
        title: &str,
        body: &str,
    ) -> Result<CannedResponse> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let id = CannedResponseId::new();
        let t = now();
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query("INSERT INTO canned_responses (id, merchant_id, title, body, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.0)
            .bind(merchant.0)
            .bind(title)
            .bind(body)
            .bind(t)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        audit::record(
            &mut tx,
            settings_audit(merchant, actor, AuditAction::Create, serde_json::json!({ "canned_response": title })),
        )
        .await?;
        tx.commit().await?;
        Ok(CannedResponse { id, merchant_id: merchant, title: title.into(), body: body.into(), created_at: t })
    }

    pub async fn list_canned_responses(&self, scope: &Scope, merchant: MerchantId) -> Result<Vec<CannedResponse>> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let rows: Vec<(Uuid, String, String, DateTime<Utc>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, title, body, created_at FROM canned_responses WHERE merchant_id = $1 ORDER BY title, id",
        )
        .bind(merchant.0)
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(id, title, body, created_at)| CannedResponse {
                id: CannedResponseId(id),
                merchant_id: merchant,
                title,
                body,
                created_at,
            })
            .collect())
    }

    pub async fn delete_canned_response(&self, scope: &Scope, actor: UserId, id: CannedResponseId) -> Result<()> {
        let mut tx = self.begin().await?;
        let m: Option<Uuid> = on_db!(&mut tx, c => sqlx::query_scalar("SELECT merchant_id FROM canned_responses WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await)?;
        let m = m.map(MerchantId).filter(|m| scope.allows(*m)).ok_or(StoreError::NotFound)?;
        on_db!(&mut tx, c => sqlx::query("DELETE FROM canned_responses WHERE id = $1").bind(id.0).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        audit::record(
            &mut tx,
            settings_audit(m, actor, AuditAction::Delete, serde_json::json!({ "canned_response": id })),
        )
        .await?;
        tx.commit().await
    }

    /// The merchant a canned response belongs to, within the scope.
    pub async fn canned_response_merchant(&self, scope: &Scope, id: CannedResponseId) -> Result<MerchantId> {
        let m: Option<Uuid> = on_pool!(self, p => sqlx::query_scalar("SELECT merchant_id FROM canned_responses WHERE id = $1")
            .bind(id.0)
            .fetch_optional(p)
            .await)?;
        m.map(MerchantId).filter(|m| scope.allows(*m)).ok_or(StoreError::NotFound)
    }

    pub async fn create_disposition_code(
        &self,
        scope: &Scope,
        actor: UserId,
        merchant: MerchantId,
        code: &str,
        label: &str,
    ) -> Result<DispositionCode> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let id = DispositionCodeId::new();
        let t = now();
        let mut tx = self.begin().await?;
        let taken: i64 = on_db!(&mut tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM disposition_codes WHERE merchant_id = $1 AND code = $2")
            .bind(merchant.0)
            .bind(code)
            .fetch_one(&mut *c)
            .await)?;
        if taken > 0 {
            return Err(StoreError::conflict("code_exists", format!("the disposition code {code} already exists")));
        }
        on_db!(&mut tx, c => sqlx::query("INSERT INTO disposition_codes (id, merchant_id, code, label, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.0)
            .bind(merchant.0)
            .bind(code)
            .bind(label)
            .bind(t)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        audit::record(
            &mut tx,
            settings_audit(merchant, actor, AuditAction::Create, serde_json::json!({ "disposition_code": code })),
        )
        .await?;
        tx.commit().await?;
        Ok(DispositionCode { id, merchant_id: merchant, code: code.into(), label: label.into(), created_at: t })
    }

    pub async fn list_disposition_codes(&self, scope: &Scope, merchant: MerchantId) -> Result<Vec<DispositionCode>> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let rows: Vec<(Uuid, String, String, DateTime<Utc>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, code, label, created_at FROM disposition_codes WHERE merchant_id = $1 ORDER BY code",
        )
        .bind(merchant.0)
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(id, code, label, created_at)| DispositionCode {
                id: DispositionCodeId(id),
                merchant_id: merchant,
                code,
                label,
                created_at,
            })
            .collect())
    }

    /// Records an agent's wrap-up with one of the merchant's disposition codes.
    /// The user's own last message on a conversation (notes aside): a reply, or a contact they
    /// typed in. Where their after-contact work starts on mail and typed-in contacts.
    pub async fn own_last_word(
        &self,
        conversation: ConversationId,
        user: UserId,
    ) -> Result<Option<madoguchi_core::presence::OwnLast>> {
        let row: Option<(DateTime<Utc>, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT created_at, direction FROM messages
             WHERE conversation_id = $1 AND author_user_id = $2 AND internal = $3
             ORDER BY created_at DESC LIMIT 1",
        )
        .bind(conversation.0)
        .bind(user.0)
        .bind(false)
        .fetch_optional(p)
        .await)?;
        Ok(row.map(|(at, direction)| madoguchi_core::presence::OwnLast {
            at,
            typed_in: direction == madoguchi_core::enums::Direction::Inbound.as_str(),
        }))
    }

    pub async fn record_wrap_up(
        &self,
        scope: &Scope,
        actor: UserId,
        conversation: ConversationId,
        code: &str,
        note: Option<&str>,
    ) -> Result<WrapUp> {
        let conv = self.get_conversation(scope, conversation).await?;
        if !self.list_disposition_codes(scope, conv.merchant_id).await?.iter().any(|d| d.code == code) {
            return Err(ValidationError::new(
                "disposition_code",
                "unknown_disposition",
                format!("{code} is not a disposition code of this shop"),
            )
            .into());
        }
        let id = WrapUpId::new();
        let t = now();
        // Measured here, from what is stored: a reload of the page or a client's clock changes
        // nothing.
        let own = self.own_last_word(conversation, actor).await?;
        let start = madoguchi_core::presence::acw_start(&conv, actor, own);
        let acw_seconds = madoguchi_core::presence::acw_seconds(start, t);
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query(
            "INSERT INTO wrap_ups (id, merchant_id, conversation_id, user_id, disposition_code, note, acw_seconds, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.0)
        .bind(conv.merchant_id.0)
        .bind(conversation.0)
        .bind(actor.0)
        .bind(code)
        .bind(note)
        .bind(acw_seconds)
        .bind(t)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        on_db!(&mut tx, c => sqlx::query("UPDATE conversations SET updated_at = $2 WHERE id = $1")
            .bind(conversation.0)
            .bind(t)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: Some(conv.merchant_id),
                actor_user_id: Some(actor),
                action: AuditAction::Create,
                subject_type: SubjectType::Conversation,
                subject_id: conversation.to_string(),
                details: serde_json::json!({ "wrap_up": code, "acw_seconds": acw_seconds }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(WrapUp {
            id,
            conversation_id: conversation,
            user_id: Some(actor),
            disposition_code: code.into(),
            note: note.map(Into::into),
            acw_seconds,
            created_at: t,
        })
    }

    pub async fn list_wrap_ups(&self, scope: &Scope, conversation: ConversationId) -> Result<Vec<WrapUp>> {
        self.get_conversation(scope, conversation).await?;
        #[allow(clippy::type_complexity)]
        let rows: Vec<(Uuid, Option<Uuid>, String, Option<String>, i64, DateTime<Utc>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, user_id, disposition_code, note, acw_seconds, created_at FROM wrap_ups WHERE conversation_id = $1 ORDER BY id",
        )
        .bind(conversation.0)
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(id, user, code, note, acw, created_at)| WrapUp {
                id: WrapUpId(id),
                conversation_id: conversation,
                user_id: user.map(UserId),
                disposition_code: code,
                note,
                acw_seconds: acw,
                created_at,
            })
            .collect())
    }

    /// Changes a canned response's title and text (already validated).
    pub async fn update_canned_response(
        &self,
        scope: &Scope,
        actor: UserId,
        id: CannedResponseId,
        title: &str,
        body: &str,
    ) -> Result<()> {
        let merchant = self.canned_response_merchant(scope, id).await?;
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query("UPDATE canned_responses SET title = $2, body = $3 WHERE id = $1")
            .bind(id.0)
            .bind(title)
            .bind(body)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        audit::record(
            &mut tx,
            settings_audit(merchant, actor, AuditAction::Update, serde_json::json!({ "canned_response": id })),
        )
        .await?;
        tx.commit().await
    }

    /// Removes a category's talk script; conversations of that category then show none.
    pub async fn delete_script(
        &self,
        scope: &Scope,
        actor: UserId,
        merchant: MerchantId,
        category: &str,
    ) -> Result<()> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin().await?;
        let gone = on_db!(&mut tx, c => sqlx::query("DELETE FROM scripts WHERE merchant_id = $1 AND category = $2")
            .bind(merchant.0)
            .bind(category)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if gone == 0 {
            return Err(StoreError::NotFound);
        }
        audit::record(
            &mut tx,
            settings_audit(merchant, actor, AuditAction::Delete, serde_json::json!({ "script": category })),
        )
        .await?;
        tx.commit().await
    }

    /// Renames what agents see of a disposition code; the code itself stays, so reports and
    /// past wrap-ups keep counting it as one.
    pub async fn relabel_disposition_code(
        &self,
        scope: &Scope,
        actor: UserId,
        merchant: MerchantId,
        code: &str,
        label: &str,
    ) -> Result<()> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin().await?;
        let changed = on_db!(&mut tx, c => sqlx::query("UPDATE disposition_codes SET label = $3 WHERE merchant_id = $1 AND code = $2")
            .bind(merchant.0)
            .bind(code)
            .bind(label)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        audit::record(
            &mut tx,
            settings_audit(merchant, actor, AuditAction::Update, serde_json::json!({ "disposition_code": code })),
        )
        .await?;
        tx.commit().await
    }
}
