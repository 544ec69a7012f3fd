//! Orders with their lines, shipments and shipment events; bulk upsert by order number.

use chrono::{DateTime, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::audit::NewAuditEvent;
use madoguchi_core::enums::{AuditAction, SubjectType};
use madoguchi_core::ids::{CustomerId, MerchantId, OrderId, OrderLineId, ShipmentEventId, ShipmentId, UserId};
use madoguchi_core::order::{
    NewOrder, NewOrderLine, NewShipment, NewShipmentEvent, Order, OrderLine, OrderPatch, Shipment, ShipmentEvent,
    ShipmentPatch,
};
use madoguchi_core::page::{Page, PageRequest};
use madoguchi_core::time::now;
use uuid::Uuid;

use crate::customers::merchant_of_customer;
use crate::rows::{parse, parse_opt, push_page, push_scope};
use crate::{Result, Store, StoreError, Tx, audit, on_db, on_pool};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    merchant_id: Uuid,
    order_number: String,
    customer_id: Option<Uuid>,
    status: String,
    ordered_at: DateTime<Utc>,
    total_amount: i64,
    payment_method: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct LineRow {
    id: Uuid,
    order_id: Uuid,
    sku: String,
    name: String,
    quantity: i32,
    unit_price: i64,
    category: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ShipmentRow {
    id: Uuid,
    merchant_id: Uuid,
    order_id: Uuid,
    carrier: String,
    tracking_number: Option<String>,
    status: String,
    shipped_at: Option<DateTime<Utc>>,
    delivered_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: Uuid,
    shipment_id: Uuid,
    status: String,
    occurred_at: DateTime<Utc>,
    location: Option<String>,
    note: Option<String>,
}

/// Filters for listing orders.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub merchant: Option<MerchantId>,
    pub customer: Option<CustomerId>,
    pub order_number: Option<String>,
    /// Orders with a parcel of this tracking number.
    pub tracking_number: Option<String>,
}

/// Whether an upsert created or updated the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpsertOutcome {
    Created,
    Updated,
}

fn push_ids<DB: sqlx::Database>(qb: &mut sqlx::QueryBuilder<DB>, ids: &[Uuid])
where
    for<'a> Uuid: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let mut sep = qb.separated(", ");
    for id in ids {
        sep.push_bind(*id);
    }
    sep.push_unseparated(")");
}

async fn write_lines(tx: &mut Tx, merchant: MerchantId, order: OrderId, lines: &[NewOrderLine]) -> Result<()> {
    // Lines are rewritten position by position, keeping each position's id: sending an order
    // again leaves its lines as they were, ids included (cases and decisions point at lines).
    on_db!(tx, c => {
        let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM order_lines WHERE order_id = $1 ORDER BY position")
            .bind(order.0)
            .fetch_all(&mut *c)
            .await?;
        for (pos, l) in lines.iter().enumerate() {
            let sql = if pos < ids.len() {
                "UPDATE order_lines SET merchant_id = $2, order_id = $3, position = $4, sku = $5, name = $6, quantity = $7, unit_price = $8, category = $9 WHERE id = $1"
            } else {
                "INSERT INTO order_lines (id, merchant_id, order_id, position, sku, name, quantity, unit_price, category)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            };
            sqlx::query(sql)
                .bind(ids.get(pos).copied().unwrap_or_else(|| OrderLineId::new().0))
                .bind(merchant.0)
                .bind(order.0)
                .bind(pos as i32)
                .bind(&l.sku)
                .bind(&l.name)
                .bind(l.quantity)
                .bind(l.unit_price)
                .bind(&l.category)
                .execute(&mut *c)
                .await?;
        }
        sqlx::query("DELETE FROM order_lines WHERE order_id = $1 AND position >= $2")
            .bind(order.0)
            .bind(lines.len() as i32)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

async fn insert_event(tx: &mut Tx, merchant: MerchantId, shipment: ShipmentId, e: &NewShipmentEvent) -> Result<()> {
    // The same status at the same instant is the same event: re-imports add nothing twice.
    let dup: i64 = on_db!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM shipment_events WHERE shipment_id = $1 AND status = $2 AND occurred_at = $3",
    )
    .bind(shipment.0)
    .bind(e.status.as_str())
    .bind(e.occurred_at)
    .fetch_one(&mut *c)
    .await)?;
    if dup > 0 {
        return Ok(());
    }
    on_db!(tx, c => sqlx::query(
        "INSERT INTO shipment_events (id, merchant_id, shipment_id, status, occurred_at, location, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(ShipmentEventId::new().0)
    .bind(merchant.0)
    .bind(shipment.0)
    .bind(e.status.as_str())
    .bind(e.occurred_at)
    .bind(&e.location)
    .bind(&e.note)
    .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Inserts a shipment, or updates the order's shipment with the same tracking number.
async fn upsert_shipment(tx: &mut Tx, merchant: MerchantId, order: OrderId, s: &NewShipment) -> Result<ShipmentId> {
    // A parcel is its tracking number; one not yet numbered is the order's parcel of that
    // carrier without a number, so sending the same order twice stores it once.
    let existing: Option<Uuid> = match &s.tracking_number {
        Some(tn) => on_db!(tx, c => sqlx::query_scalar(
            "SELECT id FROM shipments WHERE order_id = $1 AND tracking_number = $2",
        )
        .bind(order.0)
        .bind(tn)
        .fetch_optional(&mut *c)
        .await)?,
        None => on_db!(tx, c => sqlx::query_scalar(
            "SELECT id FROM shipments WHERE order_id = $1 AND carrier = $2 AND tracking_number IS NULL ORDER BY id LIMIT 1",
        )
        .bind(order.0)
        .bind(s.carrier.as_str())
        .fetch_optional(&mut *c)
        .await)?,
    };
    let t = now();
    let id = match existing {
        Some(id) => {
            on_db!(tx, c => sqlx::query(
                "UPDATE shipments SET carrier = $2, status = $3, shipped_at = $4, delivered_at = $5, updated_at = $6 WHERE id = $1",
            )
            .bind(id)
            .bind(s.carrier.as_str())
            .bind(s.status.as_str())
            .bind(s.shipped_at)
            .bind(s.delivered_at)
            .bind(t)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
            ShipmentId(id)
        }
        None => {
            let id = ShipmentId::new();
            on_db!(tx, c => sqlx::query(
                "INSERT INTO shipments (id, merchant_id, order_id, carrier, tracking_number, status, shipped_at, delivered_at, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
            )
            .bind(id.0)
            .bind(merchant.0)
            .bind(order.0)
            .bind(s.carrier.as_str())
            .bind(&s.tracking_number)
            .bind(s.status.as_str())
            .bind(s.shipped_at)
            .bind(s.delivered_at)
            .bind(t)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
            id
        }
    };
    for e in &s.events {
        insert_event(tx, merchant, id, e).await?;
    }
    Ok(id)
}

fn order_audit(
    merchant: MerchantId,
    actor: Option<UserId>,
    action: AuditAction,
    id: OrderId,
    details: serde_json::Value,
) -> NewAuditEvent {
    NewAuditEvent {
        merchant_id: Some(merchant),
        actor_user_id: actor,
        action,
        subject_type: SubjectType::Order,
        subject_id: id.to_string(),
        details,
    }
}

/// Creates or updates (by order number) one order inside the caller's transaction.
async fn upsert_order_tx(
    tx: &mut Tx,
    scope: &Scope,
    actor: Option<UserId>,
    merchant: MerchantId,
    o: &NewOrder,
) -> Result<(OrderId, UpsertOutcome)> {
    if let Some(c) = o.customer_id
        && merchant_of_customer(tx, scope, c).await? != merchant
    {
        return Err(StoreError::NotFound);
    }
    let total = o.total_amount.unwrap_or(0);
    let t = now();
    let existing: Option<Uuid> = on_db!(tx, c => sqlx::query_scalar(
        "SELECT id FROM orders WHERE merchant_id = $1 AND order_number = $2",
    )
    .bind(merchant.0)
    .bind(&o.order_number)
    .fetch_optional(&mut *c)
    .await)?;
    let (id, outcome) = match existing {
        Some(id) => {
            on_db!(tx, c => sqlx::query(
                "UPDATE orders SET customer_id = $2, status = $3, ordered_at = $4, total_amount = $5, payment_method = $6, updated_at = $7 WHERE id = $1",
            )
            .bind(id)
            .bind(o.customer_id.map(|c| c.0))
            .bind(o.status.as_str())
            .bind(o.ordered_at)
            .bind(total)
            .bind(&o.payment_method)
            .bind(t)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
            (OrderId(id), UpsertOutcome::Updated)
        }
        None => {
            let id = OrderId::new();
            on_db!(tx, c => sqlx::query(
                "INSERT INTO orders (id, merchant_id, order_number, customer_id, status, ordered_at, total_amount, payment_method, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
            )
            .bind(id.0)
            .bind(merchant.0)
            .bind(&o.order_number)
            .bind(o.customer_id.map(|c| c.0))
            .bind(o.status.as_str())
            .bind(o.ordered_at)
            .bind(total)
            .bind(&o.payment_method)
            .bind(t)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
            (id, UpsertOutcome::Created)
        }
    };
    write_lines(tx, merchant, id, &o.lines).await?;
    for s in &o.shipments {
        upsert_shipment(tx, merchant, id, s).await?;
    }
    let action = if outcome == UpsertOutcome::Created { AuditAction::Create } else { AuditAction::Update };
    audit::record(tx, order_audit(merchant, actor, action, id, serde_json::json!({ "order_number": o.order_number })))
        .await?;
    Ok((id, outcome))
}

impl Store {
    async fn orders_from_rows(&self, rows: Vec<Row>) -> Result<Vec<Order>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let (lines, shipments): (Vec<LineRow>, Vec<ShipmentRow>) = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id, order_id, sku, name, quantity, unit_price, category FROM order_lines WHERE order_id IN (",
            );
            push_ids(&mut qb, &ids);
            qb.push(" ORDER BY order_id, position");
            let lines = qb.build_query_as().fetch_all(p).await?;
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id, merchant_id, order_id, carrier, tracking_number, status, shipped_at, delivered_at FROM shipments WHERE order_id IN (",
            );
            push_ids(&mut qb, &ids);
            qb.push(" ORDER BY id");
            let shipments = qb.build_query_as().fetch_all(p).await?;
            Ok::<_, sqlx::Error>((lines, shipments))
        })?;
        let shipments = self.shipments_from_rows(shipments).await?;
        rows.into_iter()
            .map(|r| {
                Ok(Order {
                    id: r.id.into(),
                    merchant_id: r.merchant_id.into(),
                    order_number: r.order_number,
                    customer_id: r.customer_id.map(Into::into),
                    status: parse("orders.status", &r.status)?,
                    ordered_at: r.ordered_at,
                    total_amount: r.total_amount,
                    payment_method: r.payment_method,
                    lines: lines
                        .iter()
                        .filter(|l| l.order_id == r.id)
                        .map(|l| OrderLine {
                            id: l.id.into(),
                            sku: l.sku.clone(),
                            name: l.name.clone(),
                            quantity: l.quantity,
                            unit_price: l.unit_price,
                            category: l.category.clone(),
                        })
                        .collect(),
                    shipments: shipments.iter().filter(|s| s.order_id.0 == r.id).cloned().collect(),
                    created_at: r.created_at,
                    updated_at: r.updated_at,
                })
            })
            .collect()
    }

    async fn shipments_from_rows(&self, rows: Vec<ShipmentRow>) -> Result<Vec<Shipment>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let events: Vec<EventRow> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id, shipment_id, status, occurred_at, location, note FROM shipment_events WHERE shipment_id IN (",
            );
            push_ids(&mut qb, &ids);
            qb.push(" ORDER BY occurred_at, id");
            qb.build_query_as().fetch_all(p).await
        })?;
        rows.into_iter()
            .map(|r| {
                Ok(Shipment {
                    id: r.id.into(),
                    merchant_id: r.merchant_id.into(),
                    order_id: r.order_id.into(),
                    carrier: parse("shipments.carrier", &r.carrier)?,
                    tracking_number: r.tracking_number,
                    status: parse("shipments.status", &r.status)?,
                    shipped_at: r.shipped_at,
                    delivered_at: r.delivered_at,
                    events: events
                        .iter()
                        .filter(|e| e.shipment_id == r.id)
                        .map(|e| {
                            Ok(ShipmentEvent {
                                id: e.id.into(),
                                status: parse("shipment_events.status", &e.status)?,
                                occurred_at: e.occurred_at,
                                location: e.location.clone(),
                                note: e.note.clone(),
                            })
                        })
                        .collect::<Result<_>>()?,
                })
            })
            .collect()
    }

    /// Creates an order; a duplicate order number of the merchant is a conflict.
    pub async fn create_order(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        merchant: MerchantId,
        o: &NewOrder,
    ) -> Result<Order> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.begin().await?;
        let taken: Option<Uuid> = on_db!(&mut tx, c => sqlx::query_scalar(
            "SELECT id FROM orders WHERE merchant_id = $1 AND order_number = $2",
        )
        .bind(merchant.0)
        .bind(&o.order_number)
        .fetch_optional(&mut *c)
        .await)?;
        if taken.is_some() {
            return Err(StoreError::conflict(
                "order_number_taken",
                format!("order {} already exists; update it or use the bulk upsert", o.order_number),
            ));
        }
        let (id, _) = upsert_order_tx(&mut tx, scope, actor, merchant, o).await?;
        tx.commit().await?;
        self.get_order(scope, id).await
    }

    /// Creates or updates many orders (matched by merchant and order number) in one
    /// transaction: all of them are stored, or none.
    pub async fn upsert_orders(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        orders: &[(MerchantId, NewOrder)],
    ) -> Result<Vec<(OrderId, UpsertOutcome)>> {
        let mut tx = self.begin().await?;
        let mut out = Vec::with_capacity(orders.len());
        for (merchant, o) in orders {
            if !scope.allows(*merchant) {
                return Err(StoreError::NotFound);
            }
            out.push(upsert_order_tx(&mut tx, scope, actor, *merchant, o).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    pub async fn get_order(&self, scope: &Scope, id: OrderId) -> Result<Order> {
        let row: Option<Row> = on_pool!(self, p => sqlx::query_as("SELECT * FROM orders WHERE id = $1").bind(id.0).fetch_optional(p).await)?;
        let row = row.filter(|r| scope.allows(MerchantId(r.merchant_id))).ok_or(StoreError::NotFound)?;
        Ok(self.orders_from_rows(vec![row]).await?.remove(0))
    }

    pub async fn list_orders(&self, scope: &Scope, f: &OrderFilter, page: PageRequest) -> Result<Page<Order>> {
        let rows: Vec<Row> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT * FROM orders WHERE 1 = 1");
            push_scope!(qb, "merchant_id", scope);
            if let Some(m) = f.merchant {
                qb.push(" AND merchant_id = ").push_bind(m.0);
            }
            if let Some(c) = f.customer {
                qb.push(" AND customer_id = ").push_bind(c.0);
            }
            if let Some(n) = &f.order_number {
                qb.push(" AND order_number = ").push_bind(n.clone());
            }
            if let Some(n) = &f.tracking_number {
                qb.push(" AND id IN (SELECT order_id FROM shipments WHERE tracking_number = ").push_bind(n.clone());
                qb.push(")");
            }
            push_page!(qb, "id", page);
            qb.build_query_as().fetch_all(p).await
        })?;
        let orders = self.orders_from_rows(rows).await?;
        Ok(Page::from_rows(orders, page.limit, |o: &Order| o.id.0))
    }

    pub async fn update_order(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        id: OrderId,
        patch: &OrderPatch,
    ) -> Result<Order> {
        let before = self.get_order(scope, id).await?;
        let mut tx = self.begin().await?;
        let customer = match patch.customer_id {
            Some(Some(c)) => {
                if merchant_of_customer(&mut tx, scope, c).await? != before.merchant_id {
                    return Err(StoreError::NotFound);
                }
                Some(c)
            }
            Some(None) => None,
            None => before.customer_id,
        };
        let lines = patch
            .lines
            .as_ref()
            .map(|ls| ls.iter().map(NewOrderLine::validate).collect::<Result<Vec<_>, _>>())
            .transpose()?;
        let payment = match &patch.payment_method {
            Some(p) => madoguchi_core::validation::optional("payment_method", Some(p), 200)?,
            None => before.payment_method.clone(),
        };
        let total = match (patch.total_amount, &lines) {
            (Some(t), _) if t < 0 => {
                return Err(madoguchi_core::ValidationError::new(
                    "total_amount",
                    "out_of_range",
                    "total_amount must not be negative",
                )
                .into());
            }
            (Some(t), _) => t,
            (None, Some(ls)) => ls.iter().map(|l| l.unit_price * i64::from(l.quantity)).sum(),
            (None, None) => before.total_amount,
        };
        on_db!(&mut tx, c => sqlx::query(
            "UPDATE orders SET customer_id = $2, status = $3, total_amount = $4, payment_method = $5, updated_at = $6 WHERE id = $1",
        )
        .bind(id.0)
        .bind(customer.map(|c| c.0))
        .bind(patch.status.unwrap_or(before.status).as_str())
        .bind(total)
        .bind(&payment)
        .bind(now())
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if let Some(ls) = &lines {
            write_lines(&mut tx, before.merchant_id, id, ls).await?;
        }
        audit::record(
            &mut tx,
            order_audit(before.merchant_id, actor, AuditAction::Update, id, serde_json::json!({
                "status": patch.status, "lines_replaced": lines.is_some(), "customer_changed": patch.customer_id.is_some(),
            })),
        )
        .await?;
        tx.commit().await?;
        self.get_order(scope, id).await
    }

    /// Deletes an order no conversation refers to.
    pub async fn delete_order(&self, scope: &Scope, actor: Option<UserId>, id: OrderId) -> Result<()> {
        let before = self.get_order(scope, id).await?;
        let mut tx = self.begin().await?;
        let refs: i64 = on_db!(&mut tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM conversations WHERE order_id = $1")
            .bind(id.0)
            .fetch_one(&mut *c)
            .await)?;
        if refs > 0 {
            return Err(StoreError::conflict(
                "order_has_conversations",
                "conversations refer to this order; unlink them first",
            ));
        }
        on_db!(&mut tx, c => sqlx::query("DELETE FROM orders WHERE id = $1").bind(id.0).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        audit::record(
            &mut tx,
            order_audit(
                before.merchant_id,
                actor,
                AuditAction::Delete,
                id,
                serde_json::json!({ "order_number": before.order_number }),
            ),
        )
        .await?;
        tx.commit().await
    }

    pub async fn add_shipment(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        order: OrderId,
        s: &NewShipment,
    ) -> Result<Shipment> {
        let o = self.get_order(scope, order).await?;
        let mut tx = self.begin().await?;
        let id = upsert_shipment(&mut tx, o.merchant_id, order, s).await?;
        audit::record(&mut tx, shipment_audit(o.merchant_id, actor, AuditAction::Create, id)).await?;
        tx.commit().await?;
        self.get_shipment(scope, id).await
    }

    pub async fn get_shipment(&self, scope: &Scope, id: ShipmentId) -> Result<Shipment> {
        let row: Option<ShipmentRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, merchant_id, order_id, carrier, tracking_number, status, shipped_at, delivered_at FROM shipments WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(p)
        .await)?;
        let row = row.filter(|r| scope.allows(MerchantId(r.merchant_id))).ok_or(StoreError::NotFound)?;
        Ok(self.shipments_from_rows(vec![row]).await?.remove(0))
    }

    pub async fn update_shipment(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        id: ShipmentId,
        p: &ShipmentPatch,
    ) -> Result<Shipment> {
        let before = self.get_shipment(scope, id).await?;
        let tracking = match &p.tracking_number {
            Some(t) if t.trim().is_empty() => None,
            Some(t) => Some(madoguchi_core::order::normalize_tracking_number(t)?),
            None => before.tracking_number.clone(),
        };
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query(
            "UPDATE shipments SET carrier = $2, tracking_number = $3, status = $4, shipped_at = $5, delivered_at = $6, updated_at = $7 WHERE id = $1",
        )
        .bind(id.0)
        .bind(p.carrier.unwrap_or(before.carrier).as_str())
        .bind(&tracking)
        .bind(p.status.unwrap_or(before.status).as_str())
        .bind(p.shipped_at.or(before.shipped_at))
        .bind(p.delivered_at.or(before.delivered_at))
        .bind(now())
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        audit::record(&mut tx, shipment_audit(before.merchant_id, actor, AuditAction::Update, id)).await?;
        tx.commit().await?;
        self.get_shipment(scope, id).await
    }

    /// Appends a status event; the shipment takes the status of its latest event.
    pub async fn add_shipment_event(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        id: ShipmentId,
        e: &NewShipmentEvent,
    ) -> Result<Shipment> {
        let before = self.get_shipment(scope, id).await?;
        let mut tx = self.begin().await?;
        insert_event(&mut tx, before.merchant_id, id, e).await?;
        let latest: Option<String> = on_db!(&mut tx, c => sqlx::query_scalar(
            "SELECT status FROM shipment_events WHERE shipment_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT 1",
        )
        .bind(id.0)
        .fetch_optional(&mut *c)
        .await)?;
        let status: Option<madoguchi_core::enums::ShipmentStatus> =
            parse_opt("shipment_events.status", latest.as_deref())?;
        let delivered_at = match status {
            Some(madoguchi_core::enums::ShipmentStatus::Delivered) => before.delivered_at.or(Some(e.occurred_at)),
            _ => before.delivered_at,
        };
        on_db!(&mut tx, c => sqlx::query("UPDATE shipments SET status = $2, delivered_at = $3, updated_at = $4 WHERE id = $1")
            .bind(id.0)
            .bind(status.unwrap_or(before.status).as_str())
            .bind(delivered_at)
            .bind(now())
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        audit::record(&mut tx, shipment_audit(before.merchant_id, actor, AuditAction::Update, id)).await?;
        tx.commit().await?;
        self.get_shipment(scope, id).await
    }

    pub async fn delete_shipment(&self, scope: &Scope, actor: Option<UserId>, id: ShipmentId) -> Result<()> {
        let before = self.get_shipment(scope, id).await?;
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query("DELETE FROM shipments WHERE id = $1").bind(id.0).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        audit::record(&mut tx, shipment_audit(before.merchant_id, actor, AuditAction::Delete, id)).await?;
        tx.commit().await
    }
}

fn shipment_audit(merchant: MerchantId, actor: Option<UserId>, action: AuditAction, id: ShipmentId) -> NewAuditEvent {
    NewAuditEvent {
        merchant_id: Some(merchant),
        actor_user_id: actor,
        action,
        subject_type: SubjectType::Shipment,
        subject_id: id.to_string(),
        details: serde_json::json!({}),
    }
}
