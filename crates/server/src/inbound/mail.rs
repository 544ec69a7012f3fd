//! Inbound mail: `POST /api/v1/inbound/email/{inbox token}` with a raw RFC 5322 message
//! (`Content-Type: message/rfc822`), for mail-server pipes and providers' inbound routes. It
//! ends, like IMAP polling (`jobs::mail_polling`), in `usecases::intake::mail::take_in`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use madoguchi_store::inbound::InboundOutcome;

use crate::app::AppState;
use crate::error::ApiError;
pub use madoguchi_app::usecases::intake::mail::MAX_MESSAGE_BYTES;
use madoguchi_app::usecases::intake::mail::take_in;
use madoguchi_core::enums::Channel;

/// `POST /api/v1/inbound/email/{token}`: 200 once stored (also for a duplicate, so the sender
/// stops retrying), 4xx for what can never be stored, 404 for an unknown token.
pub async fn receive_http(
    State(st): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<impl IntoResponse, ApiError> {
    // The token is checked before a byte of the body is read.
    let account = st.store.channel_account_by_token(Channel::Email, &token).await?.ok_or_else(ApiError::not_found)?;
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence != "message/rfc822" {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the raw message with Content-Type: message/rfc822",
        ));
    }
    let body = crate::extract::read_body(body, MAX_MESSAGE_BYTES, "message_too_large").await?;
    let outcome = take_in(&st, &account, &body).await?;
    Ok(axum::Json(outcome_json(&outcome)))
}

pub(crate) fn outcome_json(o: &InboundOutcome) -> serde_json::Value {
    match o {
        InboundOutcome::Stored(r) => serde_json::json!({
            "status": "stored", "conversation_id": r.conversation, "message_id": r.message,
            "new_conversation": r.new_conversation,
        }),
        InboundOutcome::Duplicate { message } => serde_json::json!({ "status": "duplicate", "message_id": message }),
    }
}
