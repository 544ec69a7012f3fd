//! Web chat for shops' customers: the widget script a shop embeds with one `<script>` tag, its
//! WebSocket, the images sent in a chat, and a demo shop page per merchant that embeds it.
//!
//! The widget talks to `/chat/{slug}/ws` with the frames of [`madoguchi_channels::chat`].
//! No login: the visitor is who their signed visitor token says, and sees only their own
//! conversation.

pub mod socket;

use askama::Template;
use axum::extract::{Path, Query, State, WebSocketUpgrade};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use madoguchi_channels::chat;
use madoguchi_core::access::Scope;
use madoguchi_core::enums::Channel;
use madoguchi_core::identity::IdentityKind;
use madoguchi_core::merchant::Merchant;
use madoguchi_store::channel_accounts::ChannelAccount;
use madoguchi_store::merchants::MerchantKey;
use serde::Deserialize;

use crate::app::AppState;
use crate::error::ApiError;

/// The largest WebSocket frame: an image at its limit, base64-encoded, with room for JSON.
const MAX_FRAME_BYTES: usize = chat::MAX_IMAGE_BYTES / 3 * 4 + 64 * 1024;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/chat/widget.css", get(css))
        .route("/chat/{slug}/widget.js", get(widget))
        .route("/chat/{slug}/ws", get(ws))
        .route("/chat/{slug}/files/{id}", get(file))
        .route("/demo/shop/{slug}", get(demo_shop))
}

/// Where the widget fetches a file of the visitor's conversation (relative to Madoguchi's base).
pub(crate) fn file_url(slug: &str, storage_key: &str, token: &str) -> String {
    format!("/chat/{slug}/files/{storage_key}?t={token}")
}

/// The merchant and its chat account; 404 when either is missing, so a wrong embed code fails
/// visibly instead of opening a chat nobody reads.
async fn chat_of(st: &AppState, slug: &str) -> Result<(Merchant, ChannelAccount), ApiError> {
    let merchant = st.store.get_merchant(&Scope::All, MerchantKey::Slug(slug)).await?;
    let account =
        st.store.channel_account(&Scope::All, merchant.id, Channel::Chat).await?.ok_or_else(ApiError::not_found)?;
    Ok((merchant, account))
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")],
        include_str!("../../static/chat-widget.css"),
    )
}

/// The widget's script, with the shop's colour in it so that the button is drawn in it before
/// any connection (the colour was checked to be `#rrggbb` when it was stored).
async fn widget(State(st): State<AppState>, Path(slug): Path<String>) -> Result<Response, ApiError> {
    let (_, account) = chat_of(&st, &slug).await?;
    let colour = madoguchi_app::usecases::channel_settings::accent(&account);
    let colour = if colour.len() == 7 && colour[1..].chars().all(|c| c.is_ascii_hexdigit()) {
        colour
    } else {
        madoguchi_app::usecases::channel_settings::DEFAULT_ACCENT.to_owned()
    };
    Ok((
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")],
        include_str!("../../static/chat-widget.js").replacen("__MADOGUCHI_ACCENT__", &colour, 1),
    )
        .into_response())
}

/// Whether a browser on `origin` may open the shop's chat: any site when the shop lists none,
/// otherwise the listed sites and Madoguchi's own pages (the demo shop page). A request without
/// an Origin is not from a browser page, which is what the list guards against.
fn origin_allowed(allowed: &[String], origin: Option<&str>, host: Option<&str>) -> bool {
    let Some(origin) = origin else { return true };
    if allowed.is_empty() {
        return true;
    }
    let Ok(origin) = madoguchi_app::usecases::channel_settings::normalize_origin(origin) else { return false };
    let own = host.is_some_and(|h| origin.split_once("://").is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(h)));
    own || allowed.contains(&origin)
}

async fn ws(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    headers: axum::http::HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let (merchant, account) = chat_of(&st, &slug).await?;
    let header = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if !origin_allowed(
        &madoguchi_app::usecases::channel_settings::allowed_origins(&account),
        header(header::ORIGIN),
        header(header::HOST),
    ) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "this site is not allowed to open the shop's chat",
        ));
    }
    let options = socket::ChatOptions {
        bot: madoguchi_app::usecases::bot::channel_uses_bot(Channel::Chat, &account.settings),
        pre_chat: madoguchi_app::usecases::channel_settings::pre_chat(&account),
    };
    let secret = account.secret.filter(|s| !s.is_empty()).ok_or_else(ApiError::not_found)?;
    Ok(upgrade
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| socket::run(st, merchant, secret, options, socket)))
}

#[derive(Debug, Deserialize)]
pub struct FileQuery {
    t: String,
}

/// A file of the visitor's current conversation. The token says who the visitor is; the file
/// must be attached to a message they can see.
async fn file(
    State(st): State<AppState>,
    Path((slug, id)): Path<(String, uuid::Uuid)>,
    Query(q): Query<FileQuery>,
) -> Result<Response, ApiError> {
    let (merchant, account) = chat_of(&st, &slug).await?;
    let secret = account.secret.unwrap_or_default();
    let identity = chat::verify_visitor_token(&secret, &q.t).ok_or_else(ApiError::not_found)?;
    let scope = Scope::Merchants(vec![merchant.id]);
    let customer =
        st.store.find_customer_by_identity(&scope, merchant.id, IdentityKind::ChatVisitor, &identity).await?;
    let conv = st
        .store
        .ongoing_conversation(merchant.id, Channel::Chat, customer.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let key = id.to_string();
    let visible = st
        .store
        .public_messages_since(&scope, conv, None, 10_000)
        .await?
        .iter()
        .any(|m| m.attachments.iter().any(|a| a.storage_key.as_deref() == Some(key.as_str())));
    if !visible {
        return Err(ApiError::not_found());
    }
    let blob = st.store.get_blob(&scope, id).await?;
    Ok(crate::files::download(blob))
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    #[test]
    fn only_listed_sites_and_our_own_pages_open_a_restricted_chat() {
        let listed = vec!["https://shop.example.jp".to_owned()];
        assert!(origin_allowed(&[], Some("https://anyone.example"), Some("desk.example")));
        assert!(origin_allowed(&listed, Some("https://SHOP.example.jp/"), Some("desk.example")));
        assert!(origin_allowed(&listed, Some("http://desk.example:8080"), Some("desk.example:8080")));
        assert!(!origin_allowed(&listed, Some("https://evil.example"), Some("desk.example")));
        assert!(!origin_allowed(&listed, Some("null"), Some("desk.example")));
        assert!(origin_allowed(&listed, None, Some("desk.example")));
    }
}

#[derive(Template)]
#[template(path = "demo_shop.html")]
struct DemoShop<'a> {
    merchant: &'a Merchant,
    script: String,
    member: Option<(String, String)>,
}

#[derive(Debug, Deserialize)]
pub struct DemoQuery {
    /// Show the page as this logged-in shop member (signed here, as the shop's server would).
    member: Option<String>,
}

async fn demo_shop(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<DemoQuery>,
) -> Result<Response, ApiError> {
    let (merchant, account) = chat_of(&st, &slug).await?;
    let secret = account.secret.unwrap_or_default();
    let member = q.member.filter(|m| chat::member_identity(m).is_some()).map(|m| {
        let sig = chat::sign_customer(&secret, &m);
        (m, sig)
    });
    let page = DemoShop { merchant: &merchant, script: format!("/chat/{slug}/widget.js"), member };
    let mut resp = crate::render::render(StatusCode::OK, &page);
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}
