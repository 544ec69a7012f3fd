//! LINE Messaging API: webhook signature, webhook events, and the request bodies for replies.
//!
//! The webhook body is verified (`X-Line-Signature`: base64 of the HMAC-SHA256 of the raw body
//! under the channel secret) before anything in it is believed. Event types this desk does not
//! handle are kept as [`LineEvent::Other`] so a new type from LINE never fails a delivery.

pub mod api;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::signature::{hmac_sha256, verify_hmac_sha256};

/// How long a reply token may be used: LINE lets it expire; a reply sent after this goes by
/// push instead.
pub const REPLY_TOKEN_TTL_SECS: i64 = 50;

pub fn verify_signature(channel_secret: &str, body: &[u8], header: &str) -> bool {
    match STANDARD.decode(header.trim()) {
        Ok(sig) => verify_hmac_sha256(channel_secret.as_bytes(), body, &sig),
        Err(_) => false,
    }
}

/// The header value LINE would send for `body`; used by tests and the demo's sample requests.
pub fn sign(channel_secret: &str, body: &[u8]) -> String {
    STANDARD.encode(hmac_sha256(channel_secret.as_bytes(), body))
}

#[derive(Debug, thiserror::Error)]
#[error("the webhook body is not a LINE webhook: {0}")]
pub struct WebhookError(#[from] serde_json::Error);

#[derive(Debug, Deserialize)]
struct RawWebhook {
    #[serde(default)]
    destination: String,
    events: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEvent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    webhook_event_id: Option<String>,
    #[serde(default)]
    timestamp: i64,
    #[serde(default)]
    source: Option<RawSource>,
    #[serde(default)]
    reply_token: Option<String>,
    #[serde(default)]
    message: Option<serde_json::Value>,
    #[serde(default)]
    delivery_context: Option<DeliveryContext>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSource {
    #[serde(default)]
    user_id: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DeliveryContext {
    #[serde(default)]
    is_redelivery: bool,
}

#[derive(Debug)]
pub struct Webhook {
    pub destination: String,
    pub events: Vec<Event>,
}

/// One webhook event with what every kind shares.
#[derive(Debug, Clone)]
pub struct Event {
    /// Unique per event, the same on redelivery: the idempotency key.
    pub webhook_event_id: Option<String>,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    pub user_id: Option<String>,
    pub reply_token: Option<String>,
    pub is_redelivery: bool,
    pub kind: LineEvent,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LineEvent {
    Message {
        id: String,
        content: MessageContent,
    },
    Follow,
    Unfollow,
    /// An event type not handled here, kept by name.
    Other(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum MessageContent {
    Text(String),
    /// The bytes are fetched from the content API by message id.
    Image,
    Sticker {
        package_id: String,
        sticker_id: String,
        keywords: Vec<String>,
    },
    Location {
        title: Option<String>,
        address: Option<String>,
        latitude: f64,
        longitude: f64,
    },
    /// Video, audio, file: kept by type name.
    Other(String),
}

impl MessageContent {
    /// What the agent reads in the timeline.
    pub fn summary(&self) -> String {
        match self {
            MessageContent::Text(t) => t.clone(),
            MessageContent::Image => "[画像 / image]".to_owned(),
            MessageContent::Sticker { keywords, package_id, sticker_id } => {
                if keywords.is_empty() {
                    format!("[スタンプ / sticker {package_id}/{sticker_id}]")
                } else {
                    format!("[スタンプ / sticker: {}]", keywords.join(", "))
                }
            }
            MessageContent::Location { title, address, latitude, longitude } => {
                let place = [title.as_deref(), address.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
                format!("[位置情報 / location] {place} ({latitude:.6}, {longitude:.6})").replace("]  (", "] (")
            }
            MessageContent::Other(t) => format!("[{t}]"),
        }
    }
}

/// Parses a verified webhook body. Events that are not objects with a `type` are reported as
/// [`LineEvent::Other`] rather than failing the whole delivery.
pub fn parse_webhook(body: &[u8]) -> Result<Webhook, WebhookError> {
    let raw: RawWebhook = serde_json::from_slice(body)?;
    let events = raw.events.into_iter().map(parse_event).collect();
    Ok(Webhook { destination: raw.destination, events })
}

fn parse_event(v: serde_json::Value) -> Event {
    let raw: RawEvent = match serde_json::from_value(v) {
        Ok(r) => r,
        Err(e) => {
            return Event {
                webhook_event_id: None,
                timestamp: 0,
                user_id: None,
                reply_token: None,
                is_redelivery: false,
                kind: LineEvent::Other(format!("unreadable: {e}")),
            };
        }
    };
    let kind = match raw.kind.as_str() {
        "message" => message_event(raw.message.as_ref()),
        "follow" => LineEvent::Follow,
        "unfollow" => LineEvent::Unfollow,
        other => LineEvent::Other(other.to_owned()),
    };
    Event {
        webhook_event_id: raw.webhook_event_id,
        timestamp: raw.timestamp,
        user_id: raw.source.and_then(|s| s.user_id),
        reply_token: raw.reply_token,
        is_redelivery: raw.delivery_context.unwrap_or_default().is_redelivery,
        kind,
    }
}

fn message_event(m: Option<&serde_json::Value>) -> LineEvent {
    let Some(m) = m else { return LineEvent::Other("message without body".to_owned()) };
    let s = |k: &str| m.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let Some(id) = s("id") else { return LineEvent::Other("message without id".to_owned()) };
    let content = match s("type").as_deref() {
        Some("text") => MessageContent::Text(s("text").unwrap_or_default()),
        Some("image") => MessageContent::Image,
        Some("sticker") => MessageContent::Sticker {
            package_id: s("packageId").unwrap_or_default(),
            sticker_id: s("stickerId").unwrap_or_default(),
            keywords: m
                .get("keywords")
                .and_then(|k| k.as_array())
                .map(|a| a.iter().filter_map(|k| k.as_str().map(str::to_owned)).take(5).collect())
                .unwrap_or_default(),
        },
        Some("location") => MessageContent::Location {
            title: s("title"),
            address: s("address"),
            latitude: m.get("latitude").and_then(|v| v.as_f64()).unwrap_or_default(),
            longitude: m.get("longitude").and_then(|v| v.as_f64()).unwrap_or_default(),
        },
        Some(other) => MessageContent::Other(other.to_owned()),
        None => MessageContent::Other("unknown".to_owned()),
    };
    LineEvent::Message { id, content }
}

/// A text message object as the reply and push APIs take it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TextMessage {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: String,
    /// Buttons under the message; tapping one sends its text as the user's message.
    #[serde(rename = "quickReply", default, skip_serializing_if = "Option::is_none")]
    pub quick_reply: Option<QuickReply>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QuickReply {
    pub items: Vec<QuickReplyItem>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QuickReplyItem {
    /// Always `action`.
    #[serde(rename = "type")]
    pub kind: String,
    pub action: MessageAction,
}

/// A message action: the label on the button and the text it sends.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MessageAction {
    /// Always `message`.
    #[serde(rename = "type")]
    pub kind: String,
    pub label: String,
    pub text: String,
}

/// LINE's limits: 13 quick-reply buttons, 20 characters on a label, 300 in the text sent.
const QUICK_REPLY_ITEMS: usize = 13;
const QUICK_REPLY_LABEL_CHARS: usize = 20;
const QUICK_REPLY_TEXT_CHARS: usize = 300;

impl TextMessage {
    /// LINE takes at most 5,000 characters in a text message.
    pub fn new(text: &str) -> Self {
        TextMessage { kind: "text".to_owned(), text: text.chars().take(5000).collect(), quick_reply: None }
    }

    /// With quick replies that send their own text (cut to LINE's limits); none leaves it plain.
    pub fn with_choices(text: &str, choices: &[String]) -> Self {
        let items: Vec<QuickReplyItem> = choices
            .iter()
            .take(QUICK_REPLY_ITEMS)
            .map(|c| QuickReplyItem {
                kind: "action".to_owned(),
                action: MessageAction {
                    kind: "message".to_owned(),
                    label: c.chars().take(QUICK_REPLY_LABEL_CHARS).collect(),
                    text: c.chars().take(QUICK_REPLY_TEXT_CHARS).collect(),
                },
            })
            .collect();
        TextMessage { quick_reply: (!items.is_empty()).then_some(QuickReply { items }), ..TextMessage::new(text) }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyRequest {
    pub reply_token: String,
    pub messages: Vec<TextMessage>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PushRequest {
    pub to: String,
    pub messages: Vec<TextMessage>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub display_name: String,
    pub user_id: String,
    #[serde(default)]
    pub picture_url: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"destination":"Uxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","events":[
      {"type":"message","message":{"type":"text","id":"468789577898262530","quoteToken":"q","text":"届きません"},
       "webhookEventId":"01H810YECXQQZ37VAXPF6H9E6T","deliveryContext":{"isRedelivery":false},"timestamp":1692251666727,
       "source":{"type":"user","userId":"U4af4980629f2d1a5b0c1f7f7a6e4a4b1"},"replyToken":"38ef843bde154d9b91c21320ffd17a0f","mode":"active"},
      {"type":"message","message":{"type":"sticker","id":"2","packageId":"446","stickerId":"1988","stickerResourceType":"STATIC","keywords":["OK","Thanks"]},
       "webhookEventId":"01H810YECXQQZ37VAXPF6H9E6U","timestamp":1692251666728,"source":{"type":"user","userId":"U4af4980629f2d1a5b0c1f7f7a6e4a4b1"},"mode":"active"},
      {"type":"message","message":{"type":"location","id":"3","title":"渋谷駅","address":"東京都渋谷区","latitude":35.658,"longitude":139.7016},
       "webhookEventId":"e3","timestamp":1,"source":{"type":"user","userId":"U4af4980629f2d1a5b0c1f7f7a6e4a4b1"}},
      {"type":"follow","follow":{"isUnblocked":false},"webhookEventId":"e4","timestamp":2,"replyToken":"r","source":{"type":"user","userId":"U4af4980629f2d1a5b0c1f7f7a6e4a4b1"}},
      {"type":"unfollow","webhookEventId":"e5","timestamp":3,"deliveryContext":{"isRedelivery":true},"source":{"type":"user","userId":"U4af4980629f2d1a5b0c1f7f7a6e4a4b1"}},
      {"type":"membershipFuture","webhookEventId":"e6","timestamp":4},
      "not an object"
    ]}"#;

    #[test]
    fn signatures_verify_over_the_raw_body_only() {
        let sig = sign("channel-secret", BODY.as_bytes());
        assert!(verify_signature("channel-secret", BODY.as_bytes(), &sig));
        assert!(!verify_signature("other-secret", BODY.as_bytes(), &sig));
        assert!(!verify_signature("channel-secret", b"{}", &sig));
        assert!(!verify_signature("channel-secret", BODY.as_bytes(), "not base64!"));
        assert!(!verify_signature("channel-secret", BODY.as_bytes(), ""));
    }

    #[test]
    fn every_event_kind_is_read_and_unknown_ones_are_kept() {
        let w = parse_webhook(BODY.as_bytes()).unwrap();
        assert_eq!(w.events.len(), 7);
        let e = &w.events[0];
        assert_eq!(e.webhook_event_id.as_deref(), Some("01H810YECXQQZ37VAXPF6H9E6T"));
        assert_eq!(e.reply_token.as_deref(), Some("38ef843bde154d9b91c21320ffd17a0f"));
        assert_eq!(
            e.kind,
            LineEvent::Message {
                id: "468789577898262530".into(), content: MessageContent::Text("届きません".into())
            }
        );
        let LineEvent::Message { content, .. } = &w.events[1].kind else { panic!("sticker") };
        assert_eq!(content.summary(), "[スタンプ / sticker: OK, Thanks]");
        let LineEvent::Message { content, .. } = &w.events[2].kind else { panic!("location") };
        assert_eq!(content.summary(), "[位置情報 / location] 渋谷駅 東京都渋谷区 (35.658000, 139.701600)");
        assert_eq!(w.events[3].kind, LineEvent::Follow);
        assert_eq!(w.events[4].kind, LineEvent::Unfollow);
        assert!(w.events[4].is_redelivery);
        assert_eq!(w.events[5].kind, LineEvent::Other("membershipFuture".into()));
        assert!(matches!(&w.events[6].kind, LineEvent::Other(s) if s.starts_with("unreadable")));
    }

    #[test]
    fn a_body_that_is_not_a_webhook_is_an_error() {
        assert!(parse_webhook(b"{\"events\": 3}").is_err());
        assert!(parse_webhook(b"\xff\xfe").is_err());
        assert!(parse_webhook(b"").is_err());
    }
}
