//! Request extractors whose rejections speak the API's error format.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use serde::Serialize;
use std::str::FromStr;

use crate::error::ApiError;

/// A JSON body; malformed JSON, wrong types, unknown fields and oversized bodies become
/// `ApiError`s with their own codes. A string holding NUL (`\u0000`) anywhere in the body is
/// refused as `invalid_text` naming where it is, whatever the route: PostgreSQL cannot store
/// it, and one check here covers fields no validator looks at (tags, metadata, settings).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
        if let Some(path) = nul_at(&value, "") {
            let field = if path.is_empty() { "body".to_owned() } else { path };
            let message = format!("{field} must not contain NUL characters");
            return Err(madoguchi_core::ValidationError::new(field, "invalid_text", message).into());
        }
        serde_json::from_value(value).map(ApiJson).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("Failed to deserialize the JSON body into the target type: {e}"),
            )
        })
    }
}

/// Where the first string (or key) holding NUL is, as `a.b[2]`.
fn nul_at(v: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) => s.contains('\0').then(|| at.to_owned()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, x)| nul_at(x, &format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, x)| {
            let here = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
            if k.contains('\0') { Some(here) } else { nul_at(x, &here) }
        }),
        _ => None,
    }
}

/// Query parameters, rejected as `invalid_query`.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// A raw body (files, CSV, JSON Lines) whose rejections speak the API's error format: a body
/// over the route's limit is a JSON `413 payload_too_large`, not the framework's plain text.
/// Put it after the extractor that authenticates, so nobody is read before they are known.
#[derive(Debug)]
pub struct ApiBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(req, state).await.map(ApiBytes).map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the body is larger than this route takes",
                )
            } else {
                ApiError::bad_request("unreadable_body", r.body_text())
            }
        })
    }
}

/// Reads a body of at most `limit` bytes, for handlers that must first find out who is sending
/// (an inbound token, a merchant) before spending memory on what they send. `code` names the
/// error for a body over the limit.
pub async fn read_body(body: Body, limit: usize, code: &'static str) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        if e.into_inner().downcast_ref::<http_body_util::LengthLimitError>().is_some() {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, code, format!("the body is larger than {limit} bytes"))
        } else {
            ApiError::bad_request("unreadable_body", "the body could not be read to its end")
        }
    })
}

/// A JSON response (re-exported so handlers read `Json(x)` either way).
pub use axum::Json;

/// Parses an id from the path. Something that is not an id names no resource: 404.
pub fn id<T: FromStr>(raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// `201 Created` with a JSON body.
pub fn created<T: Serialize>(body: T) -> (axum::http::StatusCode, Json<T>) {
    (axum::http::StatusCode::CREATED, Json(body))
}
