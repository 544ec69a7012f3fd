//! Conversations (問い合わせ): one matter across channels, with its messages and timeline.

use serde::{Deserialize, Serialize};

use crate::customer::IdentityInput;
use crate::enums::{AuthorKind, Channel, ConversationStatus, DeliveryStatus, Direction, EventKind, Priority};
use crate::ids::{ConversationId, CustomerId, EventId, MerchantId, MessageId, OrderId, UserId};
use crate::validation::{ValidationError, limits, optional, required, tags};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Conversation {
    pub id: ConversationId,
    pub merchant_id: MerchantId,
    /// Human ticket number, counted per merchant (#1, #2, …).
    pub number: i64,
    pub channel: Channel,
    pub status: ConversationStatus,
    pub priority: Priority,
    pub subject: Option<String>,
    pub customer_id: Option<CustomerId>,
    pub order_id: Option<OrderId>,
    pub assignee_id: Option<UserId>,
    pub queue: Option<String>,
    /// Voice-of-customer category (配送, 返品・交換, 不良品, …).
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the first reply is due, in the merchant's business time.
    pub first_response_due_at: Option<DateTime<Utc>>,
    /// When resolution is due, in the merchant's business time.
    pub resolution_due_at: Option<DateTime<Utc>>,
    /// Set (to the due time) once the first-response target was missed.
    pub first_response_breached_at: Option<DateTime<Utc>>,
    /// Set (to the due time) once the resolution target was missed.
    pub resolution_breached_at: Option<DateTime<Utc>>,
    /// The chat bot's part: none when it never held the conversation.
    pub bot_outcome: Option<crate::bot::BotOutcome>,
    /// The last message either side wrote (internal notes aside): the inbox's last activity.
    pub last_message_at: Option<DateTime<Utc>>,
    /// The customer's oldest message not answered yet; none when the desk spoke last.
    pub waiting_since: Option<DateTime<Utc>>,
    /// When routing offered it to the assignee; with `accepted_at` empty the offer is ringing.
    pub offered_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    /// When the agent ended the live contact; after-contact work runs from here.
    pub contact_ended_at: Option<DateTime<Utc>>,
}

/// A subject for a conversation that came without one (a chat, a LINE message): the first
/// line of the customer's first message, shortened. The agent can change it.
pub fn subject_from_message(text: &str) -> Option<String> {
    const MAX: usize = 30;
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let mut out: String = line.chars().take(MAX).collect();
    if line.chars().count() > MAX {
        out.push('…');
    }
    Some(out)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    /// Where the bytes are kept (filled by the channel that stored them).
    #[serde(default)]
    pub storage_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub merchant_id: MerchantId,
    pub channel: Channel,
    pub direction: Direction,
    /// Internal notes (内部メモ) are seen by staff only.
    pub internal: bool,
    pub author_kind: AuthorKind,
    pub author_user_id: Option<UserId>,
    pub body_text: String,
    /// Sanitised HTML, for channels that carry HTML (e-mail).
    pub body_html: Option<String>,
    pub attachments: Vec<Attachment>,
    /// The provider's id (Message-ID, LINE message id); unique per merchant and channel, so
    /// a redelivered message is stored once.
    pub provider_message_id: Option<String>,
    pub delivery_status: Option<DeliveryStatus>,
    /// Why the last delivery attempt failed, while it is retried or after it gave up.
    pub delivery_error: Option<String>,
    pub meta: MessageMeta,
    pub created_at: DateTime<Utc>,
}

/// What a channel knows about a message beyond its text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MessageMeta {
    /// Problems met while taking the message in (`truncated_mime`, `attachment_too_large: …`)
    /// and what kind of sender wrote it (`auto_reply`, `bounce`, `bulk`); a flagged message is
    /// stored and shown, never answered automatically.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// The sender as the channel named them (mail display name, LINE display name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
    /// The stored raw message (mail), for the record and for re-decoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_blob_id: Option<String>,
    /// Mail threading headers and addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailMeta>,
    /// A LINE reply token, usable once for a short time after the message arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_reply_token: Option<String>,
    /// What the chat bot offered with its message: articles and quick replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<BotMeta>,
}

/// The articles and quick replies of a bot message, shown as links and buttons in the chat.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BotMeta {
    /// The article the message answers with, first, then related ones.
    #[serde(default)]
    pub articles: Vec<BotArticle>,
    /// Replies the customer can send with one tap.
    #[serde(default)]
    pub choices: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BotArticle {
    pub id: String,
    pub question: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EmailMeta {
    pub from: Option<String>,
    #[serde(default)]
    pub to: Vec<String>,
    pub subject: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
    /// A reply's copies, as the agent addressed them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bcc: Vec<String>,
}

impl MessageMeta {
    pub fn is_empty(&self) -> bool {
        *self == MessageMeta::default()
    }
}

/// A non-message item of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TimelineEvent {
    pub id: EventId,
    pub conversation_id: ConversationId,
    pub kind: EventKind,
    pub actor_user_id: Option<UserId>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// One item of a conversation's timeline, in time order.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
// Most items are messages; boxing them would cost an allocation per item for nothing.
#[allow(clippy::large_enum_variant)]
pub enum TimelineItem {
    Message(Message),
    Event(TimelineEvent),
}

impl TimelineItem {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            TimelineItem::Message(m) => m.created_at,
            TimelineItem::Event(e) => e.created_at,
        }
    }
}

/// How a message enters a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// From the customer.
    Inbound,
    /// From staff to the customer.
    Outbound,
    /// 内部メモ: staff only.
    InternalNote,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub kind: MessageKind,
    pub body_text: String,
    /// HTML as received; it is sanitised before it is stored.
    #[serde(default)]
    pub body_html: Option<String>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    #[serde(default)]
    pub provider_message_id: Option<String>,
    /// Defaults to the conversation's channel.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// A mail reply's own subject and copies; absent answers in the thread's subject.
    #[serde(default)]
    pub mail: Option<MailHeaders>,
}

/// What an agent may set on a mail reply beyond its text.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailHeaders {
    /// Sent as written, with the conversation's ticket number added.
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    #[serde(default)]
    pub bcc: Vec<String>,
}

/// Copies a reply may carry, cc and bcc each.
pub const MAX_COPIES: usize = 10;

impl MailHeaders {
    /// Checks and normalises the headers: a subject on one line, each copy a mail address.
    pub fn validated(&self) -> Result<MailHeaders, ValidationError> {
        let subject = match self.subject.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) if s.contains(['\r', '\n']) => {
                return Err(ValidationError::new("mail.subject", "invalid_subject", "the subject must be one line"));
            }
            Some(s) => {
                crate::validation::max_len("mail.subject", s, limits::SHORT)?;
                Some(s.to_owned())
            }
            None => None,
        };
        let list = |field: &'static str, raw: &[String]| -> Result<Vec<String>, ValidationError> {
            let mut out: Vec<String> = Vec::new();
            for a in raw.iter().flat_map(|a| a.split([',', '、', ';', '\n'])).map(str::trim).filter(|a| !a.is_empty())
            {
                let a = crate::identity::normalize_email(a).map_err(|_| {
                    ValidationError::new(field, "invalid_email", format!("{a:?} is not a mail address"))
                })?;
                if !out.contains(&a) {
                    out.push(a);
                }
            }
            if out.len() > MAX_COPIES {
                return Err(ValidationError::new(field, "too_many", format!("at most {MAX_COPIES} addresses")));
            }
            Ok(out)
        };
        Ok(MailHeaders { subject, cc: list("mail.cc", &self.cc)?, bcc: list("mail.bcc", &self.bcc)? })
    }

    pub fn is_empty(&self) -> bool {
        self.subject.is_none() && self.cc.is_empty() && self.bcc.is_empty()
    }
}

impl NewMessage {
    pub fn validate(&self) -> Result<(), ValidationError> {
        crate::validation::max_len("body_text", &self.body_text, limits::BODY)?;
        if self.body_text.trim().is_empty() && self.attachments.is_empty() {
            return Err(ValidationError::new("body_text", "required", "a message needs text or an attachment"));
        }
        if let Some(h) = &self.body_html {
            crate::validation::max_len("body_html", h, limits::BODY * 2)?;
        }
        if self.attachments.len() > 50 {
            return Err(ValidationError::new("attachments", "too_many", "at most 50 attachments"));
        }
        for a in &self.attachments {
            required("attachments.filename", &a.filename, limits::SHORT)?;
            required("attachments.content_type", &a.content_type, 100)?;
            if a.size < 0 {
                return Err(ValidationError::new("attachments.size", "out_of_range", "size must not be negative"));
            }
        }
        if let Some(p) = &self.provider_message_id {
            required("provider_message_id", p, 500)?;
        }
        if let Some(m) = &self.mail {
            m.validated()?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversation {
    /// Merchant id or slug.
    pub merchant: String,
    pub channel: Channel,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    /// Finds the merchant's customer with this identity, or creates one.
    #[serde(default)]
    pub customer_identity: Option<IdentityInput>,
    #[serde(default)]
    pub order_id: Option<OrderId>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub queue: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub assignee_id: Option<UserId>,
    /// The first message, if any.
    #[serde(default)]
    pub message: Option<NewMessage>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationPatch {
    pub status: Option<ConversationStatus>,
    pub priority: Option<Priority>,
    /// `null` unassigns.
    #[serde(default, with = "crate::customer::double_option")]
    #[schema(value_type = Option<UserId>)]
    pub assignee_id: Option<Option<UserId>>,
    #[serde(default, with = "crate::customer::double_option")]
    #[schema(value_type = Option<String>)]
    pub queue: Option<Option<String>>,
    #[serde(default, with = "crate::customer::double_option")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub subject: Option<String>,
    #[serde(default, with = "crate::customer::double_option")]
    #[schema(value_type = Option<CustomerId>)]
    pub customer_id: Option<Option<CustomerId>>,
    #[serde(default, with = "crate::customer::double_option")]
    #[schema(value_type = Option<OrderId>)]
    pub order_id: Option<Option<OrderId>>,
}

/// Queue and category names are short labels chosen by the merchant.
pub fn validate_label(field: &str, value: Option<&str>) -> Result<Option<String>, ValidationError> {
    Ok(optional(field, value, limits::TAG)?.map(|v| crate::validation::nfkc(&v)))
}

impl NewConversation {
    pub fn validate(&self) -> Result<(), ValidationError> {
        optional("subject", self.subject.as_deref(), limits::SHORT)?;
        validate_label("queue", self.queue.as_deref())?;
        validate_label("category", self.category.as_deref())?;
        tags("tags", &self.tags)?;
        if self.customer_id.is_some() && self.customer_identity.is_some() {
            return Err(ValidationError::new(
                "customer_identity",
                "conflict",
                "give either customer_id or customer_identity, not both",
            ));
        }
        if let Some(m) = &self.message {
            m.validate()?;
        }
        Ok(())
    }
}

/// Which timeline events a status change implies; `resolved_at` is set when a conversation
/// becomes resolved or closed and cleared when it is reopened.
pub fn resolved_at_after(
    status: ConversationStatus,
    previous: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match status {
        ConversationStatus::Resolved | ConversationStatus::Closed => previous.or(Some(now)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_is_titled_by_what_the_customer_wrote_first() {
        assert_eq!(
            subject_from_message("\n  注文した花が届きません\n番号は12345です").as_deref(),
            Some("注文した花が届きません")
        );
        let long = "あ".repeat(40);
        assert_eq!(subject_from_message(&long), Some(format!("{}…", "あ".repeat(30))));
        assert_eq!(subject_from_message("  \n "), None);
    }

    #[test]
    fn resolution_time_is_kept_until_reopened() {
        let t0 = crate::time::now();
        let t1 = t0 + chrono::Duration::minutes(5);
        assert_eq!(resolved_at_after(ConversationStatus::Resolved, None, t0), Some(t0));
        assert_eq!(resolved_at_after(ConversationStatus::Closed, Some(t0), t1), Some(t0));
        assert_eq!(resolved_at_after(ConversationStatus::Open, Some(t0), t1), None);
    }

    #[test]
    fn empty_messages_are_rejected() {
        let m = NewMessage {
            kind: MessageKind::Inbound,
            body_text: "  ".into(),
            body_html: None,
            attachments: vec![],
            provider_message_id: None,
            channel: None,
            mail: None,
        };
        assert_eq!(m.validate().unwrap_err().code, "required");
    }

    #[test]
    fn mail_headers_take_addresses_as_typed_and_refuse_header_injection() {
        let h = MailHeaders {
            subject: Some(" ご注文の件 ".into()),
            cc: vec!["ｔａｒｏ@Example.JP, hanako@example.jp、taro@example.jp".into()],
            bcc: vec![],
        };
        let v = h.validated().unwrap();
        assert_eq!(v.subject.as_deref(), Some("ご注文の件"));
        assert_eq!(v.cc, vec!["taro@example.jp", "hanako@example.jp"]);
        let injected = MailHeaders { subject: Some("hi\r\nBcc: evil@example.com".into()), ..MailHeaders::default() };
        assert_eq!(injected.validated().unwrap_err().code, "invalid_subject");
        let bad = MailHeaders { bcc: vec!["not an address".into()], ..MailHeaders::default() };
        assert_eq!(bad.validated().unwrap_err().field, "mail.bcc");
        let many = MailHeaders {
            cc: (0..=MAX_COPIES).map(|i| format!("a{i}@example.jp")).collect(),
            ..MailHeaders::default()
        };
        assert_eq!(many.validated().unwrap_err().code, "too_many");
    }
}
