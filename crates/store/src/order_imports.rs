//! How orders come in, besides the orders themselves: each merchant's column mapping for order
//! files, which order numbers already exist (so a dry run can say what it would create and what
//! it would update), and the secret their shop system signs webhook calls with.

use std::collections::{BTreeMap, HashSet};

use madoguchi_core::access::Scope;
use madoguchi_core::ids::{MerchantId, UserId};
use madoguchi_core::time::now;
use sqlx::types::Json;

use crate::{Result, Store, StoreError, audit, on_db, on_pool};

/// Order numbers looked up per statement (well under either database's parameter limit).
const LOOKUP_CHUNK: usize = 500;

impl Store {
    /// The merchant's saved column mapping (column → header); empty when none was saved.
    pub async fn order_import_mapping(&self, scope: &Scope, merchant: MerchantId) -> Result<BTreeMap<String, String>> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let row: Option<Json<BTreeMap<String, String>>> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT columns FROM order_import_mappings WHERE merchant_id = $1",
        )
        .bind(merchant.0)
        .fetch_optional(p)
        .await)?;
        Ok(row.map(|j| j.0).unwrap_or_default())
    }

    /// Saves the merchant's column mapping, replacing the last one (audited).
    pub async fn save_order_import_mapping(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        merchant: MerchantId,
        columns: &BTreeMap<String, String>,
    ) -> Result<()> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query(
            "INSERT INTO order_import_mappings (merchant_id, columns, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (merchant_id) DO UPDATE SET columns = excluded.columns, updated_at = excluded.updated_at",
        )
        .bind(merchant.0)
        .bind(Json(columns))
        .bind(now())
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
        audit::merchant_setting(&mut tx, merchant, actor, serde_json::json!({ "order_import_mapping": columns }))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Which of these order numbers the merchant already has.
    pub async fn existing_order_numbers(
        &self,
        scope: &Scope,
        merchant: MerchantId,
        numbers: &[String],
    ) -> Result<HashSet<String>> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let mut found = HashSet::new();
        for chunk in numbers.chunks(LOOKUP_CHUNK) {
            let rows: Vec<String> = on_pool!(self, p => {
                let mut qb = sqlx::QueryBuilder::new("SELECT order_number FROM orders WHERE merchant_id = ");
                qb.push_bind(merchant.0);
                qb.push(" AND order_number IN (");
                let mut sep = qb.separated(", ");
                for n in chunk {
                    sep.push_bind(n.clone());
                }
                sep.push_unseparated(")");
                qb.build_query_scalar().fetch_all(p).await
            })?;
            found.extend(rows);
        }
        Ok(found)
    }

    /// The secret the merchant's order webhook calls are signed with, if one was made. Read
    /// without a scope: the caller is the shop system, proven by the signature.
    pub async fn order_webhook_secret(&self, merchant: MerchantId) -> Result<Option<String>> {
        Ok(on_pool!(self, p => sqlx::query_scalar("SELECT secret FROM order_webhooks WHERE merchant_id = $1")
            .bind(merchant.0)
            .fetch_optional(p)
            .await)?)
    }

    /// Sets (or replaces) the merchant's webhook secret; the old one stops working at once.
    pub async fn set_order_webhook_secret(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        merchant: MerchantId,
        secret: &str,
    ) -> Result<()> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query(
            "INSERT INTO order_webhooks (merchant_id, secret, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (merchant_id) DO UPDATE SET secret = excluded.secret, updated_at = excluded.updated_at",
        )
        .bind(merchant.0)
        .bind(secret)
        .bind(now())
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
        // The secret itself never goes into the log.
        audit::merchant_setting(&mut tx, merchant, actor, serde_json::json!({ "order_webhook_secret": "replaced" }))
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
