//! A merchant's channel accounts: the mail inbox (address, IMAP polling), the LINE channel
//! (secret and access token) and the web chat (identity secret, allowed sites). Admins and the
//! shop's own admins set them up; secrets go in but never come out, except the chat identity
//! secret once, when it is made, because the shop's server needs it to sign its members.

use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use madoguchi_core::enums::Channel;
use madoguchi_store::channel_accounts::ChannelAccount;
use serde::Serialize;

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::extract::{ApiJson, Json};
use madoguchi_app::usecases::channel_settings::{self, allowed_origins};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImapView {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub mailbox: String,
    pub tls: bool,
    pub password_set: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChannelView {
    pub kind: Channel,
    /// The inbox address (mail).
    pub address: Option<String>,
    /// Where mail is piped in (mail), the webhook URL to enter in the LINE console (LINE), the
    /// script to embed (chat).
    pub endpoint: String,
    /// The shop's contact form (mail).
    pub form_url: Option<String>,
    pub secret_set: bool,
    pub access_token_set: bool,
    pub imap: Option<ImapView>,
    /// Sites allowed to open the chat; empty allows any.
    pub allowed_origins: Vec<String>,
    /// The chat identity secret, only in the answer that created or rotated it.
    pub identity_secret: Option<String>,
    /// Chat and LINE: new conversations start with the bot, which answers from the knowledge
    /// base and hands over to a person.
    pub bot: bool,
    /// Chat: the widget's colour (`#1f6f5c`).
    pub colour: Option<String>,
    pub updated_at: DateTime<Utc>,
}

pub use madoguchi_app::usecases::channel_settings::{ChannelUpdate, ImapInput};

fn view(st: &AppState, slug: &str, a: &ChannelAccount, identity_secret: Option<String>) -> ChannelView {
    let base = st.settings.public_base();
    let endpoint = match a.kind {
        Channel::Email => format!("{base}/api/v1/inbound/email/{}", a.inbound_token),
        Channel::Line => format!("{base}/api/v1/inbound/line/{}", a.inbound_token),
        _ => format!("{base}/chat/{slug}/widget.js"),
    };
    let imap = a.settings.get("imap").map(|i| ImapView {
        host: i["host"].as_str().unwrap_or_default().to_owned(),
        port: i["port"].as_u64().and_then(|p| u16::try_from(p).ok()).unwrap_or(993),
        username: i["username"].as_str().unwrap_or_default().to_owned(),
        mailbox: i["mailbox"].as_str().unwrap_or("INBOX").to_owned(),
        tls: i["tls"].as_bool().unwrap_or(true),
        password_set: i["password"].as_str().is_some_and(|p| !p.is_empty()),
    });
    ChannelView {
        kind: a.kind,
        address: a.address.clone(),
        endpoint,
        form_url: (a.kind == Channel::Email).then(|| format!("{base}/form/{slug}")),
        secret_set: a.secret.as_deref().is_some_and(|s| !s.is_empty()),
        access_token_set: a.access_token.as_deref().is_some_and(|s| !s.is_empty()),
        imap,
        allowed_origins: allowed_origins(a),
        identity_secret,
        bot: madoguchi_app::usecases::bot::channel_uses_bot(a.kind, &a.settings),
        colour: (a.kind == Channel::Chat).then(|| channel_settings::accent(a)),
        updated_at: a.updated_at,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChannelList {
    pub channels: Vec<ChannelView>,
}

/// The merchant's channel accounts, without their secrets.
#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/channels", tag = "channels",
    params(("merchant" = String, Path, description = "id or slug")),
    responses((status = 200, body = ChannelList), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_channels(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
) -> ApiResult<Json<ChannelList>> {
    let (id, slug) = channel_settings::shop_for_setup(&st, &p, &merchant).await?;
    let mut channels = Vec::new();
    for kind in [Channel::Email, Channel::Line, Channel::Chat] {
        if let Some(a) = st.store.channel_account(&p.scope(), id, kind).await? {
            channels.push(view(&st, &slug, &a, None));
        }
    }
    Ok(Json(ChannelList { channels }))
}

/// Sets up or changes one channel of the merchant: `email`, `line` or `chat`.
#[utoipa::path(put, path = "/api/v1/merchants/{merchant}/channels/{kind}", tag = "channels",
    params(("merchant" = String, Path, description = "id or slug"), ("kind" = String, Path, description = "email, line or chat")),
    request_body = ChannelUpdate,
    responses((status = 200, body = ChannelView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_channel(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((merchant, kind)): Path<(String, String)>,
    ApiJson(req): ApiJson<ChannelUpdate>,
) -> ApiResult<Json<ChannelView>> {
    let changed = channel_settings::change(&st, &p, &merchant, &kind, req).await?;
    Ok(Json(view(&st, &changed.slug, &changed.account, changed.new_secret)))
}
