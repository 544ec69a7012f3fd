//! Orders, bulk upsert from shop systems, shipments and tracking events.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use madoguchi_core::ids::{OrderId, ShipmentId};
use madoguchi_core::order::{NewOrder, NewShipment, NewShipmentEvent, Order, OrderPatch, Shipment, ShipmentPatch};
use madoguchi_core::page::{Page, PageRequest};
use madoguchi_store::orders::OrderFilter;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, Json, created, id};
use madoguchi_app::usecases::orders::{BulkResponse, BulkResult, MAX_BULK};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// Merchant id or slug.
    pub merchant: Option<String>,
    pub customer: Option<String>,
    pub order_number: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkOrders {
    pub orders: Vec<NewOrder>,
}

#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(OrderQuery),
    responses((status = 200, body = Page<Order>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_orders(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> ApiResult<Json<Page<Order>>> {
    let scope = p.scope();
    let merchant = match &q.merchant {
        Some(m) => Some(st.store.resolve_merchant(&scope, m).await?),
        None => None,
    };
    let customer = match &q.customer {
        Some(c) => Some(st.store.get_customer(&scope, id(c)?).await?.id),
        None => None,
    };
    let order_number = q.order_number.as_deref().map(madoguchi_core::validation::nfkc);
    let f = OrderFilter { merchant, customer, order_number, tracking_number: None };
    Ok(Json(st.store.list_orders(&scope, &f, PageRequest::parse(q.cursor.as_deref(), q.limit)?).await?))
}

#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = NewOrder,
    responses((status = 201, body = Order), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn create_order(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewOrder>,
) -> ApiResult<(StatusCode, Json<Order>)> {
    let scope = p.scope();
    let merchant = st.store.resolve_merchant(&scope, &req.merchant).await?;
    let o = req.validate()?;
    Ok(created(st.store.create_order(&scope, Some(p.user_id), merchant, &o).await?))
}

/// Creates or updates orders by merchant and order number, all in one transaction: either
/// every order is stored or none is.
#[utoipa::path(post, path = "/api/v1/orders/bulk", tag = "orders", request_body = BulkOrders,
    responses((status = 200, body = BulkResponse), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn bulk_upsert_orders(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<BulkOrders>,
) -> ApiResult<Json<BulkResponse>> {
    if req.orders.len() > MAX_BULK {
        return Err(madoguchi_core::ValidationError::new(
            "orders",
            "too_many",
            format!("at most {MAX_BULK} orders per request"),
        )
        .into());
    }
    let scope = p.scope();
    let mut batch = Vec::with_capacity(req.orders.len());
    for (i, o) in req.orders.iter().enumerate() {
        let merchant = st.store.resolve_merchant(&scope, &o.merchant).await?;
        let v = o.validate().map_err(|mut e| {
            e.field = format!("orders[{i}].{}", e.field);
            e
        })?;
        batch.push((merchant, v));
    }
    let out = st.store.upsert_orders(&scope, Some(p.user_id), &batch).await?;
    let results = batch
        .iter()
        .zip(out)
        .map(|((_, o), (id, outcome))| BulkResult { order_number: o.order_number.clone(), id, outcome })
        .collect();
    Ok(Json(BulkResponse { results }))
}

#[utoipa::path(get, path = "/api/v1/orders/{order}", tag = "orders", params(("order" = String, Path)),
    responses((status = 200, body = Order), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_order(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(order): Path<String>,
) -> ApiResult<Json<Order>> {
    Ok(Json(st.store.get_order(&p.scope(), id(&order)?).await?))
}

#[utoipa::path(patch, path = "/api/v1/orders/{order}", tag = "orders", params(("order" = String, Path)), request_body = OrderPatch,
    responses((status = 200, body = Order), (status = 404, body = crate::error::ErrorBody)))]
pub async fn update_order(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(order): Path<String>,
    ApiJson(req): ApiJson<OrderPatch>,
) -> ApiResult<Json<Order>> {
    Ok(Json(st.store.update_order(&p.scope(), Some(p.user_id), id(&order)?, &req).await?))
}

#[utoipa::path(delete, path = "/api/v1/orders/{order}", tag = "orders", params(("order" = String, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn delete_order(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(order): Path<String>,
) -> ApiResult<StatusCode> {
    let scope = p.scope();
    let o = st.store.get_order(&scope, id(&order)?).await?;
    if !p.can_delete_records() {
        return Err(ApiError::forbidden("only supervisors and admins delete orders"));
    }
    st.store.delete_order(&scope, Some(p.user_id), o.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/orders/{order}/shipments", tag = "orders", params(("order" = String, Path)), request_body = NewShipment,
    responses((status = 201, body = Shipment), (status = 404, body = crate::error::ErrorBody)))]
pub async fn add_shipment(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(order): Path<String>,
    ApiJson(req): ApiJson<NewShipment>,
) -> ApiResult<(StatusCode, Json<Shipment>)> {
    let oid: OrderId = id(&order)?;
    let scope = p.scope();
    st.store.get_order(&scope, oid).await?;
    let s = req.validate()?;
    Ok(created(st.store.add_shipment(&scope, Some(p.user_id), oid, &s).await?))
}

#[utoipa::path(get, path = "/api/v1/shipments/{shipment}", tag = "orders", params(("shipment" = String, Path)),
    responses((status = 200, body = Shipment), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_shipment(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(shipment): Path<String>,
) -> ApiResult<Json<Shipment>> {
    Ok(Json(st.store.get_shipment(&p.scope(), id(&shipment)?).await?))
}

#[utoipa::path(patch, path = "/api/v1/shipments/{shipment}", tag = "orders", params(("shipment" = String, Path)), request_body = ShipmentPatch,
    responses((status = 200, body = Shipment), (status = 404, body = crate::error::ErrorBody)))]
pub async fn update_shipment(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(shipment): Path<String>,
    ApiJson(req): ApiJson<ShipmentPatch>,
) -> ApiResult<Json<Shipment>> {
    Ok(Json(st.store.update_shipment(&p.scope(), Some(p.user_id), id(&shipment)?, &req).await?))
}

#[utoipa::path(delete, path = "/api/v1/shipments/{shipment}", tag = "orders", params(("shipment" = String, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete_shipment(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(shipment): Path<String>,
) -> ApiResult<StatusCode> {
    let scope = p.scope();
    let s: ShipmentId = id(&shipment)?;
    st.store.get_shipment(&scope, s).await?;
    if !p.can_delete_records() {
        return Err(ApiError::forbidden("only supervisors and admins delete shipments"));
    }
    st.store.delete_shipment(&scope, Some(p.user_id), s).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Appends a tracking event; the shipment takes the status of its latest event.
#[utoipa::path(post, path = "/api/v1/shipments/{shipment}/events", tag = "orders", params(("shipment" = String, Path)),
    request_body = NewShipmentEvent,
    responses((status = 200, body = Shipment), (status = 404, body = crate::error::ErrorBody)))]
pub async fn add_shipment_event(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(shipment): Path<String>,
    ApiJson(req): ApiJson<NewShipmentEvent>,
) -> ApiResult<Json<Shipment>> {
    let e = req.validate()?;
    Ok(Json(st.store.add_shipment_event(&p.scope(), Some(p.user_id), id(&shipment)?, &e).await?))
}
