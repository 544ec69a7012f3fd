//! Entry points for what arrives without a login: mail piped over HTTP (IMAP polling is a job,
//! `jobs::mail_polling`), LINE webhooks, the web form, shop systems' order webhook, Twilio's
//! voice webhooks and a PBX's CTI events. Each verifies what it can, stores the contact in one
//! transaction, and only then acknowledges; routing runs after.

pub mod cti;
pub mod form;
pub mod line;
pub mod mail;
pub mod orders;
pub mod voice;

use axum::Router;
use axum::routing::post;

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/inbound/email/{token}", post(mail::receive_http))
        .route("/api/v1/inbound/line/{token}", post(line::webhook))
        .route("/api/v1/inbound/orders/{merchant}", post(orders::webhook))
        .route("/api/v1/inbound/voice/twilio/{token}", post(voice::twilio))
        .route("/api/v1/cti/{token}", post(cti::receive))
}

/// The public contact form; its body limit covers its attachments.
pub fn form_routes() -> Router<AppState> {
    Router::new()
        .route("/form/{slug}", axum::routing::get(form::show).post(form::submit))
        .layer(axum::extract::DefaultBodyLimit::max(form::MAX_FORM_BYTES))
}
