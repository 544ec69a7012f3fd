//! LINE Messaging API webhook: `POST /api/v1/inbound/line/{token}`. The signature is checked
//! over the raw body before anything in it is read; each event is stored once (webhook event id
//! and message id), with the sender's profile name and, for images, the picture itself.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use madoguchi_channels::line::{self, LineEvent, MessageContent, Profile};
use madoguchi_channels::line_api::LineApi;
use madoguchi_core::conversation::MessageMeta;
use madoguchi_core::enums::{AuthorKind, Channel, Direction};
use madoguchi_core::identity::{IdentityKind, normalize};
use madoguchi_store::blobs::NewBlob;
use madoguchi_store::channel_accounts::ChannelAccount;
use madoguchi_store::conversations::MessageRecord;
use madoguchi_store::inbound::{InboundContact, InboundOutcome, Thread};

use crate::app::AppState;
use crate::error::ApiError;

/// The largest image taken from LINE's content API.
const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// The largest webhook body read. LINE sends a few events of a few hundred bytes each.
pub const MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

pub async fn webhook(
    State(st): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let account = st.store.channel_account_by_token(Channel::Line, &token).await?.ok_or_else(ApiError::not_found)?;
    let body = crate::extract::read_body(body, MAX_WEBHOOK_BYTES, "payload_too_large").await?;
    let secret = account.secret.clone().unwrap_or_default();
    let signature = headers.get("x-line-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if secret.is_empty() || !line::verify_signature(&secret, &body, signature) {
        metrics::counter!("madoguchi_webhook_rejected_total", "channel" => "line").increment(1);
        return Err(ApiError::unauthorized("X-Line-Signature does not match the body"));
    }
    let hook = line::parse_webhook(&body).map_err(|e| ApiError::bad_request("malformed_webhook", e.to_string()))?;
    let mut stored = 0;
    let mut ignored = Vec::new();
    for event in hook.events {
        match handle(&st, &account, event).await? {
            Handled::Stored => stored += 1,
            Handled::Duplicate => {}
            Handled::Ignored(kind) => ignored.push(kind),
        }
    }
    if !ignored.is_empty() {
        tracing::info!(merchant = %account.merchant_id, ?ignored, "LINE events of kinds this desk does not handle");
    }
    Ok(axum::Json(serde_json::json!({ "stored": stored, "ignored": ignored })))
}

enum Handled {
    Stored,
    Duplicate,
    Ignored(String),
}

async fn handle(st: &AppState, account: &ChannelAccount, event: line::Event) -> Result<Handled, ApiError> {
    let Some(user) = event.user_id.clone() else {
        return Ok(Handled::Ignored("no user source".to_owned()));
    };
    let identity = normalize(IdentityKind::Line, &user)?;
    let token = account.access_token.clone().unwrap_or_default();
    match event.kind {
        LineEvent::Follow | LineEvent::Unfollow => {
            let followed = event.kind == LineEvent::Follow;
            // An unfollowed account cannot read the profile any more.
            let name = if followed { profile(st, &token, &user).await.map(|p| p.display_name) } else { None };
            let done = st
                .store
                .line_follow(
                    account.merchant_id,
                    &identity,
                    name.as_deref(),
                    event.webhook_event_id.as_deref(),
                    followed,
                )
                .await?;
            Ok(if done.is_some() { Handled::Stored } else { Handled::Duplicate })
        }
        LineEvent::Message { id, content } => {
            let mut meta = MessageMeta { line_reply_token: event.reply_token.clone(), ..MessageMeta::default() };
            let mut files = Vec::new();
            if content == MessageContent::Image {
                match image(st, &token, &id).await {
                    Ok(f) => files.push(f),
                    Err(e) => meta.flags.push(format!("image_not_fetched: {e}")),
                }
            }
            let name = profile(st, &token, &user).await.map(|p| p.display_name);
            meta.sender_name = name.clone();
            let bot = madoguchi_app::usecases::bot::channel_uses_bot(Channel::Line, &account.settings);
            let said = content.summary();
            let contact = InboundContact {
                merchant: account.merchant_id,
                channel: Channel::Line,
                identity: Some(identity),
                customer_name: name,
                subject: Some("LINE".to_owned()),
                category: None,
                order_number: None,
                thread: Thread::Ongoing,
                message: MessageRecord {
                    channel: Some(Channel::Line),
                    direction: Direction::Inbound,
                    internal: false,
                    author_kind: AuthorKind::Customer,
                    author_user_id: None,
                    body_text: content.summary(),
                    body_html: None,
                    attachments: vec![],
                    provider_message_id: Some(id),
                    meta,
                    // Stored at arrival: ids and the timeline stay in the order the desk saw them.
                    created_at: None,
                },
                files,
                raw: None,
                event_id: event.webhook_event_id.clone(),
                entered_by: None,
                bot,
            };
            match st.store.receive(contact).await? {
                InboundOutcome::Stored(r) => {
                    metrics::counter!("madoguchi_inbound_total", "channel" => "line").increment(1);
                    if r.new_conversation && !bot {
                        madoguchi_app::usecases::routing::route_soon(&st.store, account.merchant_id);
                    }
                    // The bot answers only a conversation it holds; it looks that up itself.
                    madoguchi_app::usecases::bot::take_turn_soon(st, account.merchant_id, r.conversation, said);
                    Ok(Handled::Stored)
                }
                InboundOutcome::Duplicate { .. } => Ok(Handled::Duplicate),
            }
        }
        LineEvent::Other(kind) => Ok(Handled::Ignored(kind)),
    }
}

/// LINE's API with this server's client and addresses.
fn api(st: &AppState) -> LineApi {
    LineApi::new(st.http.clone(), &st.settings.line_api_base, &st.settings.line_data_api_base())
}

async fn profile(st: &AppState, token: &str, user: &str) -> Option<Profile> {
    api(st).profile(token, user).await
}

/// An image message's bytes, from the content API, as a file to store.
async fn image(st: &AppState, token: &str, message_id: &str) -> Result<NewBlob, String> {
    let (content_type, data) = api(st).content(token, message_id, MAX_IMAGE_BYTES).await?;
    let ext = if content_type.contains("png") { "png" } else { "jpg" };
    Ok(NewBlob { filename: format!("line-{message_id}.{ext}"), content_type, data })
}
