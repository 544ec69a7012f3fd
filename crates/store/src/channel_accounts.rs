//! Each merchant's channel accounts: the mail inbox, the LINE channel, the web-chat and
//! web-form settings. The inbound token in an endpoint's path names the account (and so the
//! merchant) without a login; secrets verify what arrives.

use chrono::{DateTime, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::enums::Channel;
use madoguchi_core::ids::MerchantId;
use madoguchi_core::time::now;
use sqlx::types::Json;
use uuid::Uuid;

use crate::rows::parse;
use crate::{Result, Store, StoreError, on_pool};

#[derive(Debug, Clone, PartialEq)]
pub struct ChannelAccount {
    pub id: Uuid,
    pub merchant_id: MerchantId,
    pub kind: Channel,
    pub address: Option<String>,
    pub inbound_token: String,
    pub secret: Option<String>,
    pub access_token: Option<String>,
    pub settings: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What an account is set to; `None` keeps a field of an existing account.
#[derive(Debug, Clone, Default)]
pub struct AccountSettings {
    pub address: Option<String>,
    pub secret: Option<String>,
    pub access_token: Option<String>,
    pub settings: Option<serde_json::Value>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    merchant_id: Uuid,
    kind: String,
    address: Option<String>,
    inbound_token: String,
    secret: Option<String>,
    access_token: Option<String>,
    settings: Json<serde_json::Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl Row {
    fn into_account(self) -> Result<ChannelAccount> {
        Ok(ChannelAccount {
            id: self.id,
            merchant_id: MerchantId(self.merchant_id),
            kind: parse("channel_accounts.kind", &self.kind)?,
            address: self.address,
            inbound_token: self.inbound_token,
            secret: self.secret,
            access_token: self.access_token,
            settings: self.settings.0,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

impl Store {
    /// Creates the merchant's account of this kind (with `new_token` as its inbound token) or
    /// updates the one there is, keeping its token.
    pub async fn upsert_channel_account(
        &self,
        scope: &Scope,
        merchant: MerchantId,
        kind: Channel,
        new_token: &str,
        s: &AccountSettings,
    ) -> Result<ChannelAccount> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let t = now();
        let existing = self.channel_account(scope, merchant, kind).await?;
        match existing {
            Some(a) => {
                on_pool!(self, p => sqlx::query(
                    "UPDATE channel_accounts SET address = $2, secret = $3, access_token = $4, settings = $5, updated_at = $6 WHERE id = $1",
                )
                .bind(a.id)
                .bind(s.address.clone().or(a.address))
                .bind(s.secret.clone().or(a.secret))
                .bind(s.access_token.clone().or(a.access_token))
                .bind(Json(s.settings.clone().unwrap_or(a.settings)))
                .bind(t)
                .execute(p).await.map(|r| r.rows_affected()))?;
            }
            None => {
                on_pool!(self, p => sqlx::query(
                    "INSERT INTO channel_accounts (id, merchant_id, kind, address, inbound_token, secret, access_token, settings, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
                )
                .bind(Uuid::now_v7())
                .bind(merchant.0)
                .bind(kind.as_str())
                .bind(&s.address)
                .bind(new_token)
                .bind(&s.secret)
                .bind(&s.access_token)
                .bind(Json(s.settings.clone().unwrap_or_else(|| serde_json::json!({}))))
                .bind(t)
                .execute(p).await.map(|r| r.rows_affected()))?;
            }
        }
        self.channel_account(scope, merchant, kind).await?.ok_or(StoreError::NotFound)
    }

    pub async fn channel_account(
        &self,
        scope: &Scope,
        merchant: MerchantId,
        kind: Channel,
    ) -> Result<Option<ChannelAccount>> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let row: Option<Row> = on_pool!(self, p => sqlx::query_as("SELECT * FROM channel_accounts WHERE merchant_id = $1 AND kind = $2")
            .bind(merchant.0)
            .bind(kind.as_str())
            .fetch_optional(p)
            .await)?;
        row.map(Row::into_account).transpose()
    }

    /// The account an inbound endpoint's token names. Unknown tokens are `None`: the caller
    /// answers 404 and learns nothing about which tokens exist.
    pub async fn channel_account_by_token(&self, kind: Channel, token: &str) -> Result<Option<ChannelAccount>> {
        let row: Option<Row> = on_pool!(self, p => sqlx::query_as("SELECT * FROM channel_accounts WHERE inbound_token = $1 AND kind = $2")
            .bind(token)
            .bind(kind.as_str())
            .fetch_optional(p)
            .await)?;
        row.map(Row::into_account).transpose()
    }

    /// Every account of a kind, across merchants, for background pollers.
    pub async fn channel_accounts_of_kind(&self, kind: Channel) -> Result<Vec<ChannelAccount>> {
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as("SELECT * FROM channel_accounts WHERE kind = $1 ORDER BY id")
            .bind(kind.as_str())
            .fetch_all(p)
            .await)?;
        rows.into_iter().map(Row::into_account).collect()
    }
}
