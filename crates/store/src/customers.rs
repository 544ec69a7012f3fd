//! Customers, their identities and tags; lookup by identity; merging two customers.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::audit::NewAuditEvent;
use madoguchi_core::customer::{Address, Customer, CustomerProfile, Identity};
use madoguchi_core::enums::{AuditAction, EventKind, SubjectType};
use madoguchi_core::identity::{IdentityKind, NormalizedIdentity};
use madoguchi_core::ids::{CustomerId, EventId, IdentityId, MerchantId, UserId};
use madoguchi_core::page::{Page, PageRequest};
use madoguchi_core::time::now;
use madoguchi_core::validation::ValidationError;
use sqlx::types::Json;
use uuid::Uuid;

use crate::duplicates::stored_key;
use crate::rows::{parse, push_page, push_scope};
use crate::search_feed::FeedKind;
use crate::{Result, Store, StoreError, Tx, audit, on_db, on_pool};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    merchant_id: Uuid,
    name: Option<String>,
    name_kana: Option<String>,
    address: Option<Json<Address>>,
    rank: Option<String>,
    notes: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct IdentityRow {
    id: Uuid,
    customer_id: Uuid,
    kind: String,
    value: String,
    display: String,
}

fn customer_audit(
    merchant: MerchantId,
    actor: Option<UserId>,
    action: AuditAction,
    id: CustomerId,
    details: serde_json::Value,
) -> NewAuditEvent {
    NewAuditEvent {
        merchant_id: Some(merchant),
        actor_user_id: actor,
        action,
        subject_type: SubjectType::Customer,
        subject_id: id.to_string(),
        details,
    }
}

/// Filters for listing customers.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    pub merchant: Option<MerchantId>,
    pub tag: Option<String>,
    pub rank: Option<String>,
}

/// The merchant's customer who has this identity, if any (inside a transaction).
pub(crate) async fn identity_owner(
    tx: &mut Tx,
    merchant: MerchantId,
    i: &NormalizedIdentity,
) -> Result<Option<CustomerId>> {
    let owner: Option<Uuid> = on_db!(tx, c => sqlx::query_scalar(
        "SELECT customer_id FROM customer_identities WHERE merchant_id = $1 AND kind = $2 AND value = $3",
    )
    .bind(merchant.0)
    .bind(i.kind.as_str())
    .bind(&i.value)
    .fetch_optional(&mut *c)
    .await)?;
    Ok(owner.map(CustomerId))
}

/// Gives a customer the name a channel knows them by, if they have none yet.
pub(crate) async fn name_if_missing(tx: &mut Tx, merchant: MerchantId, customer: CustomerId, name: &str) -> Result<()> {
    let named = on_db!(tx, x => sqlx::query("UPDATE customers SET name = $2, name_key = $3 WHERE id = $1 AND name IS NULL")
        .bind(customer.0)
        .bind(name)
        .bind(stored_key(Some(name)))
        .execute(&mut *x).await.map(|r| r.rows_affected()))?;
    if named > 0 {
        crate::search_feed::enqueue(tx, merchant, FeedKind::Customer, customer.0).await?;
    }
    Ok(())
}

pub(crate) async fn insert_identity(
    tx: &mut Tx,
    merchant: MerchantId,
    customer: CustomerId,
    i: &NormalizedIdentity,
) -> Result<()> {
    match identity_owner(tx, merchant, i).await?.map(|c| c.0) {
        Some(owner) if owner == customer.0 => return Ok(()),
        Some(owner) => {
            return Err(StoreError::conflict(
                "identity_taken",
                format!("{} {} already belongs to customer {owner}", i.kind.as_str(), i.display),
            ));
        }
        None => {}
    }
    on_db!(tx, c => sqlx::query(
        "INSERT INTO customer_identities (id, merchant_id, customer_id, kind, value, display, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(IdentityId::new().0)
    .bind(merchant.0)
    .bind(customer.0)
    .bind(i.kind.as_str())
    .bind(&i.value)
    .bind(&i.display)
    .bind(now())
    .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    crate::search_feed::enqueue(tx, merchant, FeedKind::Customer, customer.0).await?;
    Ok(())
}

async fn write_tags(tx: &mut Tx, customer: CustomerId, tags: &[String]) -> Result<()> {
    on_db!(tx, c => {
        sqlx::query("DELETE FROM customer_tags WHERE customer_id = $1").bind(customer.0).execute(&mut *c).await?;
        for t in tags {
            sqlx::query("INSERT INTO customer_tags (customer_id, tag) VALUES ($1, $2)")
                .bind(customer.0)
                .bind(t)
                .execute(&mut *c)
                .await?;
        }
    });
    Ok(())
}

/// Creates a customer inside the caller's transaction.
pub(crate) async fn insert_customer(
    tx: &mut Tx,
    actor: Option<UserId>,
    merchant: MerchantId,
    p: &CustomerProfile,
    identities: &[NormalizedIdentity],
) -> Result<CustomerId> {
    let id = CustomerId::new();
    let t = now();
    on_db!(tx, c => sqlx::query(
        "INSERT INTO customers (id, merchant_id, name, name_kana, address, rank, notes, created_at, updated_at, name_key, kana_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10)",
    )
    .bind(id.0)
    .bind(merchant.0)
    .bind(&p.name)
    .bind(&p.name_kana)
    .bind(p.address.as_ref().map(Json))
    .bind(&p.rank)
    .bind(&p.notes)
    .bind(t)
    .bind(stored_key(p.name.as_deref()))
    .bind(stored_key(p.name_kana.as_deref()))
    .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    for i in identities {
        insert_identity(tx, merchant, id, i).await?;
    }
    write_tags(tx, id, &p.tags).await?;
    audit::record(
        tx,
        customer_audit(merchant, actor, AuditAction::Create, id, serde_json::json!({ "identities": identities.len() })),
    )
    .await?;
    crate::search_feed::enqueue(tx, merchant, FeedKind::Customer, id.0).await?;
    Ok(id)
}

/// The merchant's customer with this identity, or a new one with only that identity.
pub(crate) async fn find_or_create_by_identity(
    tx: &mut Tx,
    actor: Option<UserId>,
    merchant: MerchantId,
    identity: &NormalizedIdentity,
) -> Result<CustomerId> {
    if let Some(id) = identity_owner(tx, merchant, identity).await? {
        return Ok(id);
    }
    let profile = CustomerProfile { name: None, name_kana: None, address: None, tags: vec![], rank: None, notes: None };
    insert_customer(tx, actor, merchant, &profile, std::slice::from_ref(identity)).await
}

/// The customer's merchant, if the customer exists within the scope (inside a transaction).
pub(crate) async fn merchant_of_customer(tx: &mut Tx, scope: &Scope, id: CustomerId) -> Result<MerchantId> {
    let m: Option<Uuid> = on_db!(tx, c => sqlx::query_scalar("SELECT merchant_id FROM customers WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await)?;
    m.map(MerchantId).filter(|m| scope.allows(*m)).ok_or(StoreError::NotFound)
}

impl Store {
    async fn customers_from_rows(&self, rows: Vec<Row>) -> Result<Vec<Customer>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let (identities, tags): (Vec<IdentityRow>, Vec<(Uuid, String)>) = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id, customer_id, kind, value, display FROM customer_identities WHERE customer_id IN (",
            );
            let mut sep = qb.separated(", ");
            for id in &ids {
                sep.push_bind(*id);
            }
            sep.push_unseparated(") ORDER BY id");
            let identities = qb.build_query_as().fetch_all(p).await?;
            let mut qb = sqlx::QueryBuilder::new("SELECT customer_id, tag FROM customer_tags WHERE customer_id IN (");
            let mut sep = qb.separated(", ");
            for id in &ids {
                sep.push_bind(*id);
            }
            sep.push_unseparated(") ORDER BY tag");
            let tags = qb.build_query_as().fetch_all(p).await?;
            Ok::<_, sqlx::Error>((identities, tags))
        })?;
        // Grouped by customer first: a page holds thousands of customers (the index rebuild).
        let mut identities_of: HashMap<Uuid, Vec<IdentityRow>> = HashMap::new();
        for i in identities {
            identities_of.entry(i.customer_id).or_default().push(i);
        }
        let mut tags_of: HashMap<Uuid, Vec<String>> = HashMap::new();
        for (customer, tag) in tags {
            tags_of.entry(customer).or_default().push(tag);
        }
        rows.into_iter()
            .map(|r| {
                Ok(Customer {
                    id: r.id.into(),
                    merchant_id: r.merchant_id.into(),
                    name: r.name,
                    name_kana: r.name_kana,
                    identities: identities_of
                        .remove(&r.id)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|i| {
                            Ok(Identity {
                                id: i.id.into(),
                                kind: parse("customer_identities.kind", &i.kind)?,
                                value: i.value,
                                display: i.display,
                            })
                        })
                        .collect::<Result<_>>()?,
                    address: r.address.map(|a| a.0),
                    tags: tags_of.remove(&r.id).unwrap_or_default(),
                    rank: r.rank,
                    notes: r.notes,
                    created_at: r.created_at,
                    updated_at: r.updated_at,
                })
            })
            .collect()
    }

    pub async fn create_customer(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        merchant: MerchantId,
        profile: &CustomerProfile,
        identities: &[NormalizedIdentity],
    ) -> Result<Customer> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin().await?;
        let id = insert_customer(&mut tx, actor, merchant, profile, identities).await?;
        tx.commit().await?;
        self.get_customer(scope, id).await
    }

    /// Every merchant's customers in id order, a page at a time, with their contact details and
    /// tags loaded in two queries per page (rebuilding the search index).
    pub async fn customer_page_for_index(&self, after: Option<Uuid>, limit: i64) -> Result<Vec<Customer>> {
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as("SELECT * FROM customers WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after.unwrap_or(Uuid::nil()))
            .bind(limit)
            .fetch_all(p)
            .await)?;
        self.customers_from_rows(rows).await
    }

    pub async fn get_customer(&self, scope: &Scope, id: CustomerId) -> Result<Customer> {
        let row: Option<Row> = on_pool!(self, p => sqlx::query_as("SELECT * FROM customers WHERE id = $1").bind(id.0).fetch_optional(p).await)?;
        let row = row.filter(|r| scope.allows(MerchantId(r.merchant_id))).ok_or(StoreError::NotFound)?;
        Ok(self.customers_from_rows(vec![row]).await?.remove(0))
    }

    pub async fn list_customers(&self, scope: &Scope, f: &CustomerFilter, page: PageRequest) -> Result<Page<Customer>> {
        let rows: Vec<Row> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT * FROM customers WHERE 1 = 1");
            push_scope!(qb, "merchant_id", scope);
            if let Some(m) = f.merchant {
                qb.push(" AND merchant_id = ").push_bind(m.0);
            }
            if let Some(t) = &f.tag {
                qb.push(" AND id IN (SELECT customer_id FROM customer_tags WHERE tag = ").push_bind(t.clone()).push(")");
            }
            if let Some(r) = &f.rank {
                qb.push(" AND rank = ").push_bind(r.clone());
            }
            push_page!(qb, "id", page);
            qb.build_query_as().fetch_all(p).await
        })?;
        let customers = self.customers_from_rows(rows).await?;
        Ok(Page::from_rows(customers, page.limit, |c: &Customer| c.id.0))
    }

    /// The merchant's customer with this (normalised) identity.
    pub async fn find_customer_by_identity(
        &self,
        scope: &Scope,
        merchant: MerchantId,
        kind: IdentityKind,
        value: &str,
    ) -> Result<Customer> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let id: Option<Uuid> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT customer_id FROM customer_identities WHERE merchant_id = $1 AND kind = $2 AND value = $3",
        )
        .bind(merchant.0)
        .bind(kind.as_str())
        .bind(value)
        .fetch_optional(p)
        .await)?;
        self.get_customer(scope, CustomerId(id.ok_or(StoreError::NotFound)?)).await
    }

    pub async fn update_customer(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        id: CustomerId,
        p: &CustomerProfile,
    ) -> Result<Customer> {
        let before = self.get_customer(scope, id).await?;
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query(
            "UPDATE customers SET name = $2, name_kana = $3, address = $4, rank = $5, notes = $6, updated_at = $7, name_key = $8, kana_key = $9
             WHERE id = $1",
        )
        .bind(id.0)
        .bind(&p.name)
        .bind(&p.name_kana)
        .bind(p.address.as_ref().map(Json))
        .bind(&p.rank)
        .bind(&p.notes)
        .bind(now())
        .bind(stored_key(p.name.as_deref()))
        .bind(stored_key(p.name_kana.as_deref()))
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        write_tags(&mut tx, id, &p.tags).await?;
        let changed: Vec<&str> = [
            ("name", before.name != p.name),
            ("name_kana", before.name_kana != p.name_kana),
            ("address", before.address != p.address),
            ("tags", before.tags != p.tags),
            ("rank", before.rank != p.rank),
            ("notes", before.notes != p.notes),
        ]
        .into_iter()
        .filter_map(|(f, c)| c.then_some(f))
        .collect();
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: Some(before.merchant_id),
                actor_user_id: actor,
                action: AuditAction::Update,
                subject_type: SubjectType::Customer,
                subject_id: id.to_string(),
                // Which fields changed, not their values: the log must not become a second copy of
                // personal data.
                details: serde_json::json!({ "changed": changed }),
            },
        )
        .await?;
        crate::search_feed::enqueue(&mut tx, before.merchant_id, FeedKind::Customer, id.0).await?;
        tx.commit().await?;
        self.get_customer(scope, id).await
    }

    pub async fn add_identity(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        id: CustomerId,
        identity: &NormalizedIdentity,
    ) -> Result<Customer> {
        let mut tx = self.begin().await?;
        let merchant = merchant_of_customer(&mut tx, scope, id).await?;
        insert_identity(&mut tx, merchant, id, identity).await?;
        audit::record(
            &mut tx,
            customer_audit(
                merchant,
                actor,
                AuditAction::Update,
                id,
                serde_json::json!({ "identity_added": identity.kind }),
            ),
        )
        .await?;
        tx.commit().await?;
        self.get_customer(scope, id).await
    }

    pub async fn remove_identity(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        id: CustomerId,
        identity: IdentityId,
    ) -> Result<Customer> {
        let mut tx = self.begin().await?;
        let merchant = merchant_of_customer(&mut tx, scope, id).await?;
        let kind: Option<String> = on_db!(&mut tx, c => sqlx::query_scalar(
            "DELETE FROM customer_identities WHERE id = $1 AND customer_id = $2 RETURNING kind",
        )
        .bind(identity.0)
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await)?;
        let kind = kind.ok_or(StoreError::NotFound)?;
        audit::record(
            &mut tx,
            customer_audit(merchant, actor, AuditAction::Update, id, serde_json::json!({ "identity_removed": kind })),
        )
        .await?;
        crate::search_feed::enqueue(&mut tx, merchant, FeedKind::Customer, id.0).await?;
        tx.commit().await?;
        self.get_customer(scope, id).await
    }

    /// Deletes a customer who has no conversations or orders; one with history must be merged
    /// instead, so no contact is ever orphaned.
    pub async fn delete_customer(&self, scope: &Scope, actor: Option<UserId>, id: CustomerId) -> Result<()> {
        let mut tx = self.begin().await?;
        let merchant = merchant_of_customer(&mut tx, scope, id).await?;
        let history: i64 = on_db!(&mut tx, c => sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM conversations WHERE customer_id = $1) + (SELECT COUNT(*) FROM orders WHERE customer_id = $1)",
        )
        .bind(id.0)
        .fetch_one(&mut *c)
        .await)?;
        if history > 0 {
            return Err(StoreError::conflict(
                "customer_has_history",
                "this customer has conversations or orders; merge the customer instead of deleting it",
            ));
        }
        on_db!(&mut tx, c => sqlx::query("DELETE FROM customers WHERE id = $1").bind(id.0).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        audit::record(&mut tx, customer_audit(merchant, actor, AuditAction::Delete, id, serde_json::json!({}))).await?;
        crate::search_feed::enqueue(&mut tx, merchant, FeedKind::Customer, id.0).await?;
        tx.commit().await
    }

    /// Merges `from` into `into`: identities, tags, orders and conversations move over, empty
    /// profile fields are filled, notes are joined, and `from` is deleted — all in one transaction.
    pub async fn merge_customers(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        into: CustomerId,
        from: CustomerId,
    ) -> Result<Customer> {
        if into == from {
            return Err(ValidationError::new("from", "same_customer", "a customer cannot be merged into itself").into());
        }
        let a = self.get_customer(scope, into).await?;
        let b = self.get_customer(scope, from).await?;
        if a.merchant_id != b.merchant_id {
            // Both are visible to the caller but belong to different shops: never mix them.
            return Err(ValidationError::new(
                "from",
                "different_merchants",
                "customers of different merchants cannot be merged",
            )
            .into());
        }
        let notes = match (&a.notes, &b.notes) {
            (Some(x), Some(y)) => Some(format!("{x}\n---\n{y}")),
            (x, y) => x.clone().or_else(|| y.clone()),
        };
        let mut tags = a.tags.clone();
        tags.extend(b.tags.iter().cloned());
        tags.sort();
        tags.dedup();
        let name = a.name.clone().or(b.name.clone());
        let name_kana = a.name_kana.clone().or(b.name_kana.clone());
        let t = now();
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => {
            sqlx::query("UPDATE customer_identities SET customer_id = $1 WHERE customer_id = $2")
                .bind(into.0).bind(from.0).execute(&mut *c).await?;
            sqlx::query("UPDATE orders SET customer_id = $1 WHERE customer_id = $2")
                .bind(into.0).bind(from.0).execute(&mut *c).await?;
            let moved: Vec<Uuid> = sqlx::query_scalar("UPDATE conversations SET customer_id = $1, updated_at = $3 WHERE customer_id = $2 RETURNING id")
                .bind(into.0).bind(from.0).bind(t).fetch_all(&mut *c).await?;
            for conv in &moved {
                sqlx::query(
                    "INSERT INTO conversation_events (id, merchant_id, conversation_id, kind, actor_user_id, data, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(EventId::new().0)
                .bind(a.merchant_id.0)
                .bind(*conv)
                .bind(EventKind::Merged.as_str())
                .bind(actor.map(|u| u.0))
                .bind(Json(serde_json::json!({ "customer_merged": { "from": from, "into": into } })))
                .bind(t)
                .execute(&mut *c)
                .await?;
            }
            sqlx::query(
                "UPDATE customers SET name = $2, name_kana = $3, address = $4, rank = $5, notes = $6, updated_at = $7, name_key = $8, kana_key = $9
                 WHERE id = $1",
            )
                .bind(into.0)
                .bind(&name)
                .bind(&name_kana)
                .bind(a.address.clone().or(b.address.clone()).map(Json))
                .bind(a.rank.clone().or(b.rank.clone()))
                .bind(&notes)
                .bind(t)
                .bind(stored_key(name.as_deref()))
                .bind(stored_key(name_kana.as_deref()))
                .execute(&mut *c)
                .await?;
            sqlx::query("DELETE FROM customers WHERE id = $1").bind(from.0).execute(&mut *c).await?;
        });
        write_tags(&mut tx, into, &tags).await?;
        crate::duplicates::merge_claims(&mut tx, into, from).await?;
        crate::search_feed::enqueue(&mut tx, a.merchant_id, FeedKind::Customer, into.0).await?;
        crate::search_feed::enqueue(&mut tx, a.merchant_id, FeedKind::Customer, from.0).await?;
        audit::record(
            &mut tx,
            customer_audit(a.merchant_id, actor, AuditAction::Merge, into, serde_json::json!({ "merged_from": from })),
        )
        .await?;
        tx.commit().await?;
        self.get_customer(scope, into).await
    }
}
