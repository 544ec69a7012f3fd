//! A merchant's channel accounts: the mail inbox (address, IMAP polling), the LINE channel
//! (secret and access token) and the web chat (identity secret, allowed sites). Admins and the
//! shop's own admins set them up; secrets go in but never come out, except the chat identity
//! secret once, when it is made, because the shop's server needs it to sign its members.

use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use madoguchi_core::enums::{AuditAction, Channel, SubjectType};
use madoguchi_core::identity::normalize_email;
use madoguchi_core::ids::MerchantId;
use madoguchi_core::validation::ValidationError;
use madoguchi_store::channel_accounts::{AccountSettings, ChannelAccount};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Json};
use madoguchi_app::usecases::channel_settings::{allowed_origins, normalize_origin};

/// At most this many sites may embed a shop's chat.
const MAX_ORIGINS: usize = 20;

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
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImapInput {
    pub host: String,
    pub port: u16,
    pub username: String,
    /// Omitted keeps the stored one.
    pub password: Option<String>,
    pub mailbox: Option<String>,
    /// Implicit TLS; on unless `false`.
    pub tls: Option<bool>,
}

/// What to change; omitted fields are kept.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelUpdate {
    /// Mail: the inbox address replies are sent from.
    pub address: Option<String>,
    /// Mail: IMAP polling; `null` stops it.
    #[serde(default, deserialize_with = "madoguchi_core::customer::double_option::deserialize")]
    #[schema(value_type = Option<ImapInput>)]
    pub imap: Option<Option<ImapInput>>,
    /// LINE: the channel secret webhooks are signed with.
    pub channel_secret: Option<String>,
    /// LINE: the channel access token replies are sent with.
    pub access_token: Option<String>,
    /// Chat: the sites (`https://shop.example.jp`) allowed to open the chat; empty allows any.
    pub allowed_origins: Option<Vec<String>>,
    /// Chat: make a new identity secret (members signed with the old one are no longer verified).
    #[serde(default)]
    pub rotate_secret: bool,
    /// Chat and LINE: start new conversations with the bot (off unless turned on).
    pub bot: Option<bool>,
}

fn kind_of(kind: &str) -> ApiResult<Channel> {
    match kind {
        "email" => Ok(Channel::Email),
        "line" => Ok(Channel::Line),
        "chat" => Ok(Channel::Chat),
        _ => Err(ApiError::not_found()),
    }
}

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
        updated_at: a.updated_at,
    }
}

async fn merchant_for_setup(
    st: &AppState,
    p: &madoguchi_core::access::Principal,
    key: &str,
) -> ApiResult<(MerchantId, String)> {
    let id = st.store.resolve_merchant(&p.scope(), key).await?;
    let m = st.store.get_merchant(&p.scope(), madoguchi_store::merchants::MerchantKey::Id(id)).await?;
    if !p.can_edit_merchant() {
        return Err(ApiError::forbidden("only an admin or the shop's admin sets up channels"));
    }
    Ok((id, m.slug))
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
    let (id, slug) = merchant_for_setup(&st, &p, &merchant).await?;
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
    let (id, slug) = merchant_for_setup(&st, &p, &merchant).await?;
    let kind = kind_of(&kind)?;
    let scope = p.scope();
    let existing = st.store.channel_account(&scope, id, kind).await?;
    let mut settings = existing.as_ref().map_or_else(|| json!({}), |a| a.settings.clone());
    let mut update = AccountSettings::default();
    let mut new_secret = None;
    let not_for = |field: &'static str| {
        Err::<(), _>(ValidationError::new(field, "not_for_channel", format!("{field} does not apply to this channel")))
    };
    match kind {
        Channel::Email => {
            if req.channel_secret.is_some() || req.access_token.is_some() {
                not_for("channel_secret")?;
            }
            if req.allowed_origins.is_some() || req.rotate_secret {
                not_for("allowed_origins")?;
            }
            if req.bot.is_some() {
                not_for("bot")?;
            }
            match &req.address {
                Some(a) => {
                    let address = normalize_email(a).map_err(|_| {
                        ValidationError::new("address", "invalid_email", "the inbox address is not a mail address")
                    })?;
                    update.address = Some(address);
                }
                None if existing.is_none() => {
                    return Err(ValidationError::new("address", "required", "the inbox address is required").into());
                }
                None => {}
            }
            match req.imap {
                Some(None) => {
                    settings.as_object_mut().map(|o| o.remove("imap"));
                }
                Some(Some(i)) => {
                    let old_password = settings["imap"]["password"].as_str().map(str::to_owned);
                    let password = i.password.filter(|p| !p.is_empty()).or(old_password).ok_or_else(|| {
                        ValidationError::new("imap.password", "required", "the mailbox password is required")
                    })?;
                    if i.host.trim().is_empty() || i.username.trim().is_empty() || i.port == 0 {
                        return Err(
                            ValidationError::new("imap", "incomplete", "host, port and username are required").into()
                        );
                    }
                    settings["imap"] = json!({
                        "host": i.host.trim(), "port": i.port, "username": i.username.trim(), "password": password,
                        "mailbox": i.mailbox.unwrap_or_else(|| "INBOX".into()), "tls": i.tls.unwrap_or(true),
                    });
                }
                None => {}
            }
        }
        Channel::Line => {
            if req.address.is_some() || req.imap.is_some() {
                not_for("address")?;
            }
            if req.allowed_origins.is_some() || req.rotate_secret {
                not_for("allowed_origins")?;
            }
            if let Some(on) = req.bot {
                settings["bot"] = json!(on);
            }
            update.secret = req.channel_secret.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
            update.access_token = req.access_token.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
            if existing.is_none() && (update.secret.is_none() || update.access_token.is_none()) {
                return Err(ValidationError::new(
                    "channel_secret",
                    "required",
                    "a new LINE channel needs its channel secret and access token",
                )
                .into());
            }
        }
        _ => {
            if req.address.is_some() || req.imap.is_some() {
                not_for("address")?;
            }
            if req.channel_secret.is_some() || req.access_token.is_some() {
                not_for("channel_secret")?;
            }
            if let Some(list) = &req.allowed_origins {
                if list.len() > MAX_ORIGINS {
                    return Err(ValidationError::new(
                        "allowed_origins",
                        "too_many",
                        format!("at most {MAX_ORIGINS} sites"),
                    )
                    .into());
                }
                let mut origins = list.iter().map(|o| normalize_origin(o)).collect::<Result<Vec<_>, _>>()?;
                origins.sort();
                origins.dedup();
                settings["allowed_origins"] = json!(origins);
            }
            if let Some(on) = req.bot {
                settings["bot"] = json!(on);
            }
            if existing.is_none() || req.rotate_secret {
                let secret = madoguchi_app::new_inbound_token();
                update.secret = Some(secret.clone());
                new_secret = Some(secret);
            }
        }
    }
    update.settings = Some(settings);
    let account =
        st.store.upsert_channel_account(&scope, id, kind, &madoguchi_app::new_inbound_token(), &update).await?;
    st.store
        .record_audit(madoguchi_core::audit::NewAuditEvent {
            merchant_id: Some(id),
            actor_user_id: Some(p.user_id),
            action: if existing.is_some() { AuditAction::Update } else { AuditAction::Create },
            subject_type: SubjectType::Merchant,
            subject_id: id.to_string(),
            // Which parts changed, never the secrets themselves.
            details: json!({ "channel": kind, "changed": changed(&req_summary(&update, new_secret.is_some())) }),
        })
        .await?;
    Ok(Json(view(&st, &slug, &account, new_secret)))
}

fn req_summary(u: &AccountSettings, secret_made: bool) -> Vec<(&'static str, bool)> {
    vec![
        ("address", u.address.is_some()),
        ("secret", u.secret.is_some() || secret_made),
        ("access_token", u.access_token.is_some()),
        ("settings", u.settings.is_some()),
    ]
}

fn changed(parts: &[(&'static str, bool)]) -> Value {
    json!(parts.iter().filter(|(_, c)| *c).map(|(n, _)| *n).collect::<Vec<_>>())
}
