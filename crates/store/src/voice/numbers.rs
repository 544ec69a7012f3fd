//! A shop's phone numbers and IVR flows. The dialled number decides the shop (a shared desk
//! answers many), so a number belongs to one shop only; its webhook URL carries an unguessable
//! token, and its requests are signed with the provider's secret kept here. Flows are versioned:
//! a save adds a version, and a call keeps the one it started on.

use chrono::{DateTime, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::ids::{MerchantId, PhoneNumberId, UserId};
use madoguchi_core::time::now;
use madoguchi_core::voice::flow::VoiceFlow;
use sqlx::types::Json;
use uuid::Uuid;

use crate::{Result, Store, StoreError, on_db, on_pool};

#[derive(Debug, Clone, PartialEq)]
pub struct PhoneNumber {
    pub id: PhoneNumberId,
    pub merchant_id: MerchantId,
    pub e164: String,
    pub label: String,
    pub flow_name: String,
    pub provider: String,
    pub inbound_token: String,
    pub account_sid: Option<String>,
    pub auth_token: Option<String>,
    /// This line's own hours, when they differ from the shop's.
    pub hours: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A number to add, already checked (E.164, a known provider).
#[derive(Debug, Clone)]
pub struct NewPhoneNumber {
    pub e164: String,
    pub label: String,
    pub flow_name: String,
    pub provider: String,
    pub inbound_token: String,
    pub account_sid: Option<String>,
    pub auth_token: Option<String>,
}

#[derive(sqlx::FromRow)]
struct NumberRow {
    id: Uuid,
    merchant_id: Uuid,
    e164: String,
    label: String,
    flow_name: String,
    provider: String,
    inbound_token: String,
    account_sid: Option<String>,
    auth_token: Option<String>,
    hours: Option<Json<serde_json::Value>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<NumberRow> for PhoneNumber {
    fn from(r: NumberRow) -> Self {
        PhoneNumber {
            id: PhoneNumberId(r.id),
            merchant_id: MerchantId(r.merchant_id),
            e164: r.e164,
            label: r.label,
            flow_name: r.flow_name,
            provider: r.provider,
            inbound_token: r.inbound_token,
            account_sid: r.account_sid,
            auth_token: r.auth_token,
            hours: r.hours.map(|h| h.0),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A stored version of a flow.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFlow {
    pub version: i32,
    pub flow: VoiceFlow,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// Adds a number to a shop. A number another shop (or this one) has is a conflict: one
    /// dialled number must lead to one shop.
    pub async fn add_phone_number(
        &self,
        scope: &Scope,
        merchant: MerchantId,
        n: &NewPhoneNumber,
    ) -> Result<PhoneNumber> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let t = now();
        let id = PhoneNumberId::new();
        let inserted = on_pool!(self, p => sqlx::query(
            "INSERT INTO phone_numbers (id, merchant_id, e164, label, flow_name, provider, inbound_token, account_sid, auth_token, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT DO NOTHING",
        )
        .bind(id.0)
        .bind(merchant.0)
        .bind(&n.e164)
        .bind(&n.label)
        .bind(&n.flow_name)
        .bind(&n.provider)
        .bind(&n.inbound_token)
        .bind(&n.account_sid)
        .bind(&n.auth_token)
        .bind(t)
        .execute(p).await.map(|r| r.rows_affected()))?;
        if inserted == 0 {
            return Err(StoreError::Conflict {
                code: "number_taken",
                message: format!("{} is already in use", n.e164),
            });
        }
        self.phone_numbers(scope, merchant).await?.into_iter().find(|p| p.id == id).ok_or(StoreError::NotFound)
    }

    /// A shop's numbers, in the order they were added.
    pub async fn phone_numbers(&self, scope: &Scope, merchant: MerchantId) -> Result<Vec<PhoneNumber>> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let rows: Vec<NumberRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT * FROM phone_numbers WHERE merchant_id = $1 ORDER BY id",
        )
        .bind(merchant.0)
        .fetch_all(p)
        .await)?;
        Ok(rows.into_iter().map(PhoneNumber::from).collect())
    }

    /// The number a webhook's token names; no scope, as the provider has no login (the
    /// request's signature is what proves it, checked by the caller with the number's secret).
    pub async fn phone_number_by_token(&self, token: &str) -> Result<Option<PhoneNumber>> {
        let row: Option<NumberRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT * FROM phone_numbers WHERE inbound_token = $1",
        )
        .bind(token)
        .fetch_optional(p)
        .await)?;
        Ok(row.map(PhoneNumber::from))
    }

    /// Stores a new version of a shop's flow (checked by the caller) and returns its number.
    pub async fn save_voice_flow(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        merchant: MerchantId,
        name: &str,
        flow: &VoiceFlow,
    ) -> Result<i32> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin().await?;
        let last: Option<i32> = on_db!(&mut tx, c => sqlx::query_scalar(
            "SELECT MAX(version) FROM voice_flows WHERE merchant_id = $1 AND name = $2",
        )
        .bind(merchant.0)
        .bind(name)
        .fetch_one(&mut *c)
        .await)?;
        let version = last.unwrap_or(0) + 1;
        on_db!(&mut tx, c => sqlx::query(
            "INSERT INTO voice_flows (id, merchant_id, name, version, definition, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Uuid::now_v7())
        .bind(merchant.0)
        .bind(name)
        .bind(version)
        .bind(Json(flow))
        .bind(actor.map(|a| a.0))
        .bind(now())
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(version)
    }

    /// A version of a shop's flow, the newest when `version` is `None`.
    pub async fn voice_flow(
        &self,
        scope: &Scope,
        merchant: MerchantId,
        name: &str,
        version: Option<i32>,
    ) -> Result<Option<StoredFlow>> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        type FlowRow = (i32, Json<serde_json::Value>, Option<Uuid>, DateTime<Utc>);
        let row: Option<FlowRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT version, definition, created_by, created_at FROM voice_flows
             WHERE merchant_id = $1 AND name = $2 AND ($3 IS NULL OR version = $3)
             ORDER BY version DESC LIMIT 1",
        )
        .bind(merchant.0)
        .bind(name)
        .bind(version)
        .fetch_optional(p)
        .await)?;
        row.map(|(version, def, by, at)| {
            let flow = serde_json::from_value(def.0).map_err(|_| StoreError::Corrupt("voice_flows.definition"))?;
            Ok(StoredFlow { version, flow, created_by: by.map(UserId), created_at: at })
        })
        .transpose()
    }
}
