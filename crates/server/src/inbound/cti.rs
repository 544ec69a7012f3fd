//! A centre's PBX reporting its calls: `POST /api/v1/cti/{token}` with Zammad's generic CTI
//! events, as JSON or a form, signed with `X-Madoguchi-Timestamp` and `X-Madoguchi-Signature`
//! (`usecases::voice::cti`). The answer is Zammad's: `{}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use madoguchi_app::usecases::voice::cti::{Answer, Request, event};
use madoguchi_channels::shop_webhook;

use crate::app::AppState;
use crate::error::ApiError;

/// A CTI event is a few hundred bytes.
const MAX_EVENT_BYTES: usize = 16 * 1024;

pub async fn receive(
    State(st): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let body = crate::extract::read_body(body, MAX_EVENT_BYTES, "payload_too_large").await?;
    let header_of = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let request = Request {
        token: &token,
        timestamp: header_of(shop_webhook::TIMESTAMP_HEADER),
        signature: header_of(shop_webhook::SIGNATURE_HEADER),
        json: header_of(header::CONTENT_TYPE.as_str()).is_some_and(|c| c.starts_with("application/json")),
        body: &body,
    };
    match event(&st, request).await? {
        Answer::Taken => Ok(Json(serde_json::json!({})).into_response()),
        Answer::NotFound => Err(ApiError::not_found()),
        Answer::Refused(r) => Err(ApiError::new(StatusCode::FORBIDDEN, r.code(), r.to_string())),
    }
}
