//! Twilio's voice webhooks: `POST /api/v1/inbound/voice/twilio/{token}` (`?e=` names the
//! callback). The signature is checked over the public URL and the form before anything is
//! stored (`usecases::voice::twilio`); the answer is TwiML, in well under Twilio's 15 seconds.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use madoguchi_app::usecases::voice::twilio::{Answer, Request, webhook};
use serde::Deserialize;

use crate::app::AppState;
use crate::error::ApiError;

/// Twilio's form posts are a few kilobytes.
const MAX_FORM_BYTES: usize = 64 * 1024;

#[derive(Debug, Deserialize)]
pub struct Which {
    e: Option<String>,
    call: Option<String>,
    agent: Option<String>,
}

pub async fn twilio(
    State(st): State<AppState>,
    Path(token): Path<String>,
    Query(which): Query<Which>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let body = crate::extract::read_body(body, MAX_FORM_BYTES, "payload_too_large").await?;
    let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    // The URL Twilio signed is the public one it was given, never what `Host` says here.
    let path = uri.path_and_query().map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    let request = Request {
        token,
        url: format!("{}{path}", st.settings.public_base()),
        event: which.e,
        params,
        signature: headers.get("x-twilio-signature").and_then(|v| v.to_str().ok()).map(str::to_owned),
        delivery: headers.get("i-twilio-idempotency-token").and_then(|v| v.to_str().ok()).map(str::to_owned),
        call: which.call,
        agent: which.agent,
    };
    match webhook(&st, request).await? {
        Answer::TwiML(xml) => Ok(([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], xml).into_response()),
        Answer::NotFound => Err(ApiError::not_found()),
        Answer::Forbidden => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "invalid_signature",
            "X-Twilio-Signature does not match the request",
        )),
    }
}
