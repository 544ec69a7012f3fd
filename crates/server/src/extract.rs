//! Request extractors whose rejections speak the API's error format.

use axum::extract::{FromRequest, FromRequestParts};
use serde::Serialize;
use std::str::FromStr;

use crate::error::ApiError;

/// A JSON body; malformed JSON, wrong types, unknown fields and oversized bodies become
/// `ApiError`s with their own codes.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// Query parameters, rejected as `invalid_query`.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

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
