//! LINE Messaging API webhook: `POST /api/v1/inbound/line/{token}`. The signature is checked
//! over the raw body before anything in it is read; each event is then taken in
//! (`usecases::intake::line`), stored once (webhook event id and message id).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use madoguchi_app::usecases::intake::line::{Handled, take_in};
use madoguchi_channels::line;
use madoguchi_core::enums::Channel;

use crate::app::AppState;
use crate::error::ApiError;

/// The largest webhook body read. LINE sends a few events of a few hundred bytes each.
pub const MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

pub async fn webhook(
    State(st): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let account = st.store.channel_account_by_token(Channel::Line, &token).await?.ok_or_else(ApiError::not_found)?;
    let body = crate::extract::read_body(body, MAX_WEBHOOK_BYTES, "payload_too_large").await?;
    let secret = account.secret.clone().unwrap_or_default();
    let signature = headers.get("x-line-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if secret.is_empty() || !line::verify_signature(&secret, &body, signature) {
        metrics::counter!("madoguchi_webhook_rejected_total", "channel" => "line").increment(1);
        return Err(ApiError::unauthorized("X-Line-Signature does not match the body"));
    }
    let hook = line::parse_webhook(&body).map_err(|e| ApiError::bad_request("malformed_webhook", e.to_string()))?;
    let mut stored = 0;
    let mut ignored = Vec::new();
    for event in hook.events {
        match take_in(&st, &account, event).await? {
            Handled::Stored => stored += 1,
            Handled::Duplicate => {}
            Handled::Ignored(kind) => ignored.push(kind),
        }
    }
    if !ignored.is_empty() {
        tracing::info!(merchant = %account.merchant_id, ?ignored, "LINE events of kinds this desk does not handle");
    }
    Ok(axum::Json(serde_json::json!({ "stored": stored, "ignored": ignored })))
}
