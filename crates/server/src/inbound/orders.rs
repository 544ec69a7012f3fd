//! The order webhook shop systems push to: `POST /api/v1/inbound/orders/{merchant}` with the
//! orders as the bulk API takes them (`{"orders": [...]}`, the merchant implied by the path),
//! signed with the merchant's webhook secret (see `madoguchi_channels::shop_webhook`). The
//! signature is checked over the raw body before anything in it is read; the orders are stored
//! in one transaction before the answer.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use madoguchi_channels::shop_webhook::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use madoguchi_core::access::Scope;
use madoguchi_core::order::NewOrder;
use serde::Deserialize;

use crate::app::AppState;
use crate::error::ApiError;
use madoguchi_app::usecases::orders::{BulkResponse, BulkResult, MAX_BULK};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Push {
    orders: Vec<serde_json::Value>,
}

/// The largest push read (a thousand orders with their lines fit in a few megabytes).
pub const MAX_PUSH_BYTES: usize = 25 * 1024 * 1024;

pub async fn webhook(
    State(st): State<AppState>,
    Path(merchant): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<axum::Json<BulkResponse>, ApiError> {
    // An unknown shop is refused like a bad signature: the path does not tell which shops exist.
    let m = st.store.resolve_merchant(&Scope::All, &merchant).await.ok();
    let secret = match m {
        Some(m) => st.store.order_webhook_secret(m).await?,
        None => None,
    };
    // No body is read for a shop that takes no pushes (it fails the check below with any body).
    let body = match secret {
        Some(_) => crate::extract::read_body(body, MAX_PUSH_BYTES, "payload_too_large").await?,
        None => Bytes::new(),
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let checked = shop_webhook::verify(
        secret.as_deref().unwrap_or_default(),
        chrono::Utc::now().timestamp(),
        header(TIMESTAMP_HEADER),
        header(SIGNATURE_HEADER),
        &body,
    );
    let (Some(m), Ok(())) = (m, checked) else {
        metrics::counter!("madoguchi_webhook_rejected_total", "channel" => "orders").increment(1);
        let r = checked.err().unwrap_or(shop_webhook::Rejection::Mismatch);
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, r.code(), r.to_string()));
    };
    let push: Push =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request("malformed_json", e.to_string()))?;
    if push.orders.len() > MAX_BULK {
        return Err(madoguchi_core::ValidationError::new(
            "orders",
            "too_many",
            format!("at most {MAX_BULK} orders per call"),
        )
        .into());
    }
    let mut batch = Vec::with_capacity(push.orders.len());
    for (i, mut o) in push.orders.into_iter().enumerate() {
        let invalid = |code: &'static str, message: String| {
            ApiError::from(madoguchi_core::ValidationError::new(format!("orders[{i}]"), code, message))
        };
        let Some(fields) = o.as_object_mut() else {
            return Err(invalid("invalid_body", "each order is a JSON object".into()));
        };
        // The path names the shop; an order naming another is refused rather than moved.
        match fields.get("merchant").and_then(|v| v.as_str()) {
            None => {
                fields.insert("merchant".into(), serde_json::Value::String(merchant.clone()));
            }
            Some(named) if st.store.resolve_merchant(&Scope::Merchants(vec![m]), named).await.is_ok() => {}
            Some(named) => {
                return Err(invalid("merchant_mismatch", format!("this webhook is not for merchant {named}")));
            }
        }
        let order: NewOrder = serde_json::from_value(o).map_err(|e| invalid("invalid_body", e.to_string()))?;
        let order = order.validate().map_err(|mut e| {
            e.field = format!("orders[{i}].{}", e.field);
            e
        })?;
        batch.push((m, order));
    }
    let out = st.store.upsert_orders(&Scope::Merchants(vec![m]), None, &batch).await?;
    let results = batch
        .iter()
        .zip(out)
        .map(|((_, o), (id, outcome))| BulkResult { order_number: o.order_number.clone(), id, outcome })
        .collect();
    Ok(axum::Json(BulkResponse { results }))
}
