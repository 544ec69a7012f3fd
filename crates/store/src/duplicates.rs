//! Likely duplicate customers. One person often reaches a shop on several channels (a LINE
//! account, a mail address, a phone number typed into the web form) and becomes several
//! customers; the store suggests which ones to merge and why, and remembers pairs staff have
//! judged to be different people. Suggestions never cross merchants.
//!
//! Two signals: a contact detail one customer gave that another already owns (kept as an
//! identity claim rather than attached, because anyone can type any address into a chat), and
//! the same name once width, kana, spacing and honorifics are folded.

use std::collections::BTreeMap;

use madoguchi_core::access::Scope;
use madoguchi_core::customer::{Customer, name_key};
use madoguchi_core::enums::Channel;
use madoguchi_core::identity::{IdentityKind, NormalizedIdentity};
use madoguchi_core::ids::{CustomerId, MerchantId, UserId};
use madoguchi_core::time::now;
use madoguchi_core::validation::ValidationError;
use serde::Serialize;
use uuid::Uuid;

use crate::customers::merchant_of_customer;
use crate::rows::parse;
use crate::{Result, Store, StoreError, Tx, on_db, on_pool};

/// Why two customers look like one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum DuplicateReason {
    /// One of them gave a phone number, address or id that belongs to the other.
    SharedContact { kind: IdentityKind, display: String },
    /// Their names (or a name and a kana reading) are the same once folded.
    SameName,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DuplicateSuggestion {
    pub customer: Customer,
    pub reasons: Vec<DuplicateReason>,
}

/// The stored comparison key of a name: `None` without a name, `""` when the name is too short
/// to compare (so start-up knows it was computed).
pub(crate) fn stored_key(name: Option<&str>) -> Option<String> {
    name.map(|n| name_key(n).unwrap_or_default())
}

/// Records that `customer` gave `identity` on `channel` although another customer owns it.
async fn record_claim(
    tx: &mut Tx,
    merchant: MerchantId,
    customer: CustomerId,
    identity: &NormalizedIdentity,
    channel: Channel,
) -> Result<()> {
    on_db!(tx, c => sqlx::query(
        "INSERT INTO identity_claims (merchant_id, customer_id, kind, value, display, channel, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(merchant.0)
    .bind(customer.0)
    .bind(identity.kind.as_str())
    .bind(&identity.value)
    .bind(&identity.display)
    .bind(channel.as_str())
    .bind(now())
    .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// After `from` was merged into `into`: its claims move over, and claims `into` now owns itself
/// are dropped.
pub(crate) async fn merge_claims(tx: &mut Tx, into: CustomerId, from: CustomerId) -> Result<()> {
    on_db!(tx, c => {
        sqlx::query(
            "UPDATE identity_claims SET customer_id = $1 WHERE customer_id = $2 AND NOT EXISTS
               (SELECT 1 FROM identity_claims o WHERE o.customer_id = $1 AND o.kind = identity_claims.kind AND o.value = identity_claims.value)",
        )
        .bind(into.0)
        .bind(from.0)
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "DELETE FROM identity_claims WHERE customer_id = $1 AND EXISTS
               (SELECT 1 FROM customer_identities i WHERE i.customer_id = $1 AND i.kind = identity_claims.kind AND i.value = identity_claims.value)",
        )
        .bind(into.0)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// [`Store::attach_or_claim_identity`] inside the caller's transaction.
pub(crate) async fn attach_or_claim(
    tx: &mut Tx,
    merchant: MerchantId,
    customer: CustomerId,
    identity: &NormalizedIdentity,
    channel: Channel,
) -> Result<bool> {
    Ok(match crate::customers::identity_owner(tx, merchant, identity).await? {
        Some(o) if o == customer => true,
        Some(_) => {
            record_claim(tx, merchant, customer, identity, channel).await?;
            false
        }
        None => {
            crate::customers::insert_identity(tx, merchant, customer, identity).await?;
            true
        }
    })
}

impl Store {
    /// Attaches a contact detail the customer gave on a channel, or, when another customer of
    /// the merchant already owns it, keeps it as a claim that suggests a merge. Returns whether
    /// it was attached.
    pub async fn attach_or_claim_identity(
        &self,
        customer: CustomerId,
        identity: &NormalizedIdentity,
        channel: Channel,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let merchant = merchant_of_customer(&mut tx, &Scope::All, customer).await?;
        let attached = attach_or_claim(&mut tx, merchant, customer, identity, channel).await?;
        tx.commit().await?;
        Ok(attached)
    }

    /// Customers of the same merchant who are likely the same person as `customer`, strongest
    /// first: a shared contact detail outranks a shared name.
    pub async fn duplicate_suggestions(
        &self,
        scope: &Scope,
        customer: CustomerId,
        limit: usize,
    ) -> Result<Vec<DuplicateSuggestion>> {
        let me = self.get_customer(scope, customer).await?;
        let shared: Vec<(Uuid, String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT i.customer_id, c.kind, c.display FROM identity_claims c
               JOIN customer_identities i ON i.merchant_id = c.merchant_id AND i.kind = c.kind AND i.value = c.value
              WHERE c.customer_id = $1 AND i.customer_id <> $1
             UNION
             SELECT c.customer_id, i.kind, i.display FROM customer_identities i
               JOIN identity_claims c ON c.merchant_id = i.merchant_id AND c.kind = i.kind AND c.value = i.value
              WHERE i.customer_id = $1 AND c.customer_id <> $1",
        )
        .bind(customer.0)
        .fetch_all(p)
        .await)?;
        let keys: Vec<String> =
            [me.name.as_deref(), me.name_kana.as_deref()].into_iter().flatten().filter_map(name_key).collect();
        let same_name: Vec<Uuid> = if keys.is_empty() {
            vec![]
        } else {
            let first = keys[0].clone();
            let second = keys.get(1).cloned().unwrap_or_else(|| first.clone());
            on_pool!(self, p => sqlx::query_scalar(
                "SELECT id FROM customers WHERE merchant_id = $1 AND id <> $2
                   AND (name_key IN ($3, $4) OR kana_key IN ($3, $4))
                 ORDER BY id DESC LIMIT 50",
            )
            .bind(me.merchant_id.0)
            .bind(customer.0)
            .bind(first)
            .bind(second)
            .fetch_all(p)
            .await)?
        };
        let distinct: Vec<Uuid> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT second_id FROM distinct_customers WHERE first_id = $1
             UNION SELECT first_id FROM distinct_customers WHERE second_id = $1",
        )
        .bind(customer.0)
        .fetch_all(p)
        .await)?;

        let mut reasons: BTreeMap<Uuid, Vec<DuplicateReason>> = BTreeMap::new();
        for (other, kind, display) in shared {
            let kind = parse("identity_claims.kind", &kind)?;
            let r = DuplicateReason::SharedContact { kind, display };
            let list = reasons.entry(other).or_default();
            if !list.contains(&r) {
                list.push(r);
            }
        }
        for other in same_name {
            reasons.entry(other).or_default().push(DuplicateReason::SameName);
        }
        let mut found = Vec::new();
        for (other, why) in reasons.into_iter().filter(|(o, _)| !distinct.contains(o)) {
            // Another merchant's customer can never appear (every query is bound to this
            // customer's merchant), but the scope check stays as the single rule for reads.
            match self.get_customer(scope, CustomerId(other)).await {
                Ok(c) if c.merchant_id == me.merchant_id => {
                    found.push(DuplicateSuggestion { customer: c, reasons: why })
                }
                Ok(_) | Err(StoreError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        let strength = |s: &DuplicateSuggestion| {
            let contacts = s.reasons.iter().filter(|r| matches!(r, DuplicateReason::SharedContact { .. })).count();
            (std::cmp::Reverse(contacts), std::cmp::Reverse(s.reasons.len()), std::cmp::Reverse(s.customer.updated_at))
        };
        found.sort_by_key(strength);
        found.truncate(limit);
        Ok(found)
    }

    /// Records that staff judged two customers to be different people: they are no longer
    /// suggested as duplicates of each other.
    pub async fn mark_distinct(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        a: CustomerId,
        b: CustomerId,
    ) -> Result<()> {
        if a == b {
            return Err(
                ValidationError::new("other", "same_customer", "a customer cannot be distinct from itself").into()
            );
        }
        let mut tx = self.begin().await?;
        let ma = merchant_of_customer(&mut tx, scope, a).await?;
        let mb = merchant_of_customer(&mut tx, scope, b).await?;
        if ma != mb {
            return Err(StoreError::NotFound);
        }
        let (first, second) = if a.0 < b.0 { (a, b) } else { (b, a) };
        on_db!(&mut tx, c => sqlx::query(
            "INSERT INTO distinct_customers (merchant_id, first_id, second_id, decided_by, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(ma.0)
        .bind(first.0)
        .bind(second.0)
        .bind(actor.map(|u| u.0))
        .bind(now())
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        crate::audit::record(
            &mut tx,
            madoguchi_core::audit::NewAuditEvent {
                merchant_id: Some(ma),
                actor_user_id: actor,
                action: madoguchi_core::enums::AuditAction::Update,
                subject_type: madoguchi_core::enums::SubjectType::Customer,
                subject_id: a.to_string(),
                details: serde_json::json!({ "distinct_from": b }),
            },
        )
        .await?;
        tx.commit().await
    }

    /// Computes the name keys of customers written before the keys existed.
    pub(crate) async fn backfill_name_keys(&self) -> Result<()> {
        loop {
            let rows: Vec<(Uuid, Option<String>, Option<String>)> = on_pool!(self, p => sqlx::query_as(
                "SELECT id, name, name_kana FROM customers
                  WHERE (name IS NOT NULL AND name_key IS NULL) OR (name_kana IS NOT NULL AND kana_key IS NULL) LIMIT 500",
            )
            .fetch_all(p)
            .await)?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut tx = self.begin().await?;
            for (id, name, kana) in rows {
                on_db!(&mut tx, c => sqlx::query("UPDATE customers SET name_key = $2, kana_key = $3 WHERE id = $1")
                    .bind(id)
                    .bind(stored_key(name.as_deref()))
                    .bind(stored_key(kana.as_deref()))
                    .execute(&mut *c).await.map(|r| r.rows_affected()))?;
            }
            tx.commit().await?;
        }
    }
}
