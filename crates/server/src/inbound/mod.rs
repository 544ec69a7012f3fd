//! Entry points for what arrives without a login: mail (HTTP pipe and IMAP polling), LINE
//! webhooks, the web form, and shop systems' order webhook. Each verifies what it can, stores the contact in one transaction, and only
//! then acknowledges; routing runs after.

pub mod form;
pub mod line;
pub mod mail;
pub mod orders;

use axum::Router;
use axum::routing::post;
use madoguchi_core::ids::MerchantId;
use madoguchi_store::Store;

use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/inbound/email/{token}", post(mail::receive_http))
        .route("/api/v1/inbound/line/{token}", post(line::webhook))
        .route("/api/v1/inbound/orders/{merchant}", post(orders::webhook))
}

/// The public contact form; its body limit covers its attachments.
pub fn form_routes() -> Router<AppState> {
    Router::new()
        .route("/form/{slug}", axum::routing::get(form::show).post(form::submit))
        .layer(axum::extract::DefaultBodyLimit::max(form::MAX_FORM_BYTES))
}

/// Offers the merchant's new contacts to agents, off the request path.
pub(crate) fn route_soon(store: &Store, merchant: MerchantId) {
    let store = store.clone();
    tokio::spawn(async move { crate::services::routing::route_merchants(&store, &[merchant]).await });
}

/// A new unguessable path token for an inbound endpoint (256 random bits).
pub fn new_inbound_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
