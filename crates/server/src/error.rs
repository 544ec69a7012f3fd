//! The API's one error type and its wire format: `{"code": "snake_case", "message": "…"}`.
//! Client mistakes get a 4xx with a stable code; internal failures get an opaque 500 and are
//! logged with their cause.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use madoguchi_core::ValidationError;
use madoguchi_store::StoreError;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable: clients match on this.
    pub code: String,
    /// For people; may change.
    pub message: String,
    /// The input field the error is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Client { status: StatusCode, code: &'static str, message: String, field: Option<String> },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Client { status, code, message: message.into(), field: None }
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(e.into())
    }
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Client { status, .. } => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        ApiError::Client {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: e.code,
            message: e.message,
            field: Some(e.field),
        }
    }
}

impl From<madoguchi_app::usecases::error::UseCaseError> for ApiError {
    fn from(e: madoguchi_app::usecases::error::UseCaseError) -> Self {
        use madoguchi_app::usecases::error::UseCaseError as E;
        match e {
            E::Invalid(v) => v.into(),
            E::Store(s) => s.into(),
            E::Forbidden(m) => ApiError::forbidden(m),
            E::Malformed { code, message } => ApiError::bad_request(code, message),
            E::TooLarge { code, message } => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, code, message),
            E::Internal(e) => ApiError::internal(e),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Conflict { code, message } => ApiError::new(StatusCode::CONFLICT, code, message),
            StoreError::Invalid(v) => v.into(),
            other => ApiError::internal(other),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let (status, code) = match &r {
            JsonRejection::JsonDataError(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
            JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "malformed_json"),
            JsonRejection::MissingJsonContentType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            _ => (StatusCode::BAD_REQUEST, "invalid_body"),
        };
        // serde's message names the field and what was expected; it never contains server state.
        ApiError::new(status, code, r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::bad_request("invalid_query", r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        ApiError::not_found()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Client { status, code, message, field } => {
                with_error(status, ErrorBody { code: code.into(), message, field })
            }
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                internal_error_response()
            }
        }
    }
}

pub fn internal_error_response() -> Response {
    let body = ErrorBody {
        code: "internal_error".into(),
        message: "something went wrong on our side; it has been logged".into(),
        field: None,
    };
    with_error(StatusCode::INTERNAL_SERVER_ERROR, body)
}

/// The JSON answer, with the error itself beside it in the response's extensions: the console
/// makes its error page from that, without reading the body back.
fn with_error(status: StatusCode, body: ErrorBody) -> Response {
    let mut resp = (status, Json(body.clone())).into_response();
    resp.extensions_mut().insert(body);
    resp
}

pub type ApiResult<T> = Result<T, ApiError>;
