//! Web chat: who the visitor is, and the frames the widget and the server exchange over the
//! WebSocket.
//!
//! Identity. A shop signs its logged-in customer's id with the merchant's chat secret (hex
//! HMAC-SHA256), so a visitor cannot claim to be somebody else by editing the page. Anonymous
//! visitors get a random id. Either way the server hands the widget a *visitor token* — the
//! identity and its HMAC — which the widget keeps and presents on reconnect; a token cannot be
//! made up or altered without the secret.

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::signature::{hmac_sha256, verify_hmac_sha256};

/// The longest shop customer id taken for a verified identity.
pub const MAX_CUSTOMER_ID_LEN: usize = 64;
/// The largest image a visitor may send, after base64 decoding.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// The longest text message.
pub const MAX_TEXT_CHARS: usize = 5000;

/// The chat identity (`customer_identities.value` of kind `chat_visitor`) of a shop's
/// logged-in customer; `None` when the id has characters outside `[A-Za-z0-9_-]` or is too long.
pub fn member_identity(customer_id: &str) -> Option<String> {
    let ok = !customer_id.is_empty()
        && customer_id.len() <= MAX_CUSTOMER_ID_LEN
        && customer_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then(|| format!("member_{customer_id}"))
}

/// The chat identity of an anonymous visitor, from random bytes.
pub fn anonymous_identity(random: [u8; 16]) -> String {
    format!("v_{}", hex(&random))
}

/// The token the widget keeps: `identity.signature`.
pub fn visitor_token(secret: &str, identity: &str) -> String {
    format!("{identity}.{}", hex(&hmac_sha256(secret.as_bytes(), format!("chat-visitor:{identity}").as_bytes())))
}

/// The identity a token stands for, if the token was made with this secret.
pub fn verify_visitor_token(secret: &str, token: &str) -> Option<String> {
    let (identity, sig) = token.rsplit_once('.')?;
    let sig = unhex(sig)?;
    verify_hmac_sha256(secret.as_bytes(), format!("chat-visitor:{identity}").as_bytes(), &sig)
        .then(|| identity.to_owned())
}

/// The signature a shop's server puts in its page for `customer_id`.
pub fn sign_customer(secret: &str, customer_id: &str) -> String {
    hex(&hmac_sha256(secret.as_bytes(), customer_id.as_bytes()))
}

/// Whether `signature_hex` is the merchant's signature of `customer_id`.
pub fn verify_customer(secret: &str, customer_id: &str, signature_hex: &str) -> bool {
    match unhex(signature_hex.trim()) {
        Some(sig) => verify_hmac_sha256(secret.as_bytes(), customer_id.as_bytes(), &sig),
        None => false,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

/// What the widget sends.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// The first frame: who is here, and the last message id the widget has shown.
    Hello {
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        customer_id: Option<String>,
        #[serde(default)]
        signature: Option<String>,
        #[serde(default)]
        customer_name: Option<String>,
        #[serde(default)]
        last_seen: Option<String>,
    },
    /// The pre-chat form, with the first message.
    Start {
        client_id: String,
        name: String,
        #[serde(default)]
        email: Option<String>,
        text: String,
        /// The order the question is about, when the shop's form asks for it.
        #[serde(default)]
        order_number: Option<String>,
        /// What it is about, one of the welcome's `categories`.
        #[serde(default)]
        category: Option<String>,
    },
    /// A text message. `client_id` is the widget's own id for it: a message resent after a
    /// reconnect is stored once.
    Message {
        client_id: String,
        text: String,
    },
    /// An image, base64 in `data`.
    Image {
        client_id: String,
        filename: String,
        data: String,
    },
    Typing,
    /// Send the conversation so far to this mail address.
    Transcript {
        email: String,
    },
    /// Nobody is at work to take the chat: answer it by mail at this address instead.
    ReplyByMail {
        email: String,
    },
}

/// Who wrote a message, as the visitor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Customer,
    Agent,
    Bot,
    System,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLink {
    pub filename: String,
    pub url: String,
}

/// A knowledge-base article the bot links to, on the shop's help center.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleLink {
    pub question: String,
    /// Relative to Madoguchi's base.
    pub url: String,
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Welcome {
        token: String,
        shop: String,
        /// Whether agents are at work now; when not, the widget says a message will be answered later.
        open: bool,
        /// Whether the widget must show the pre-chat form before the first message.
        needs_form: bool,
        /// Whether the form must ask for a mail address (after hours, to answer later).
        needs_email: bool,
        /// Open, but no agent is at work now: the widget says so and offers to answer by mail
        /// (the address is asked for, not required).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        nobody_at_work: bool,
        verified: bool,
        /// The shop's chat greeting (「ギフトの花まるでございます。」); empty when it has none.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        greeting: String,
        /// Today's hours in the shop's zone (「09:00-18:00」); empty when closed today.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        hours_today: String,
        /// When the desk opens next (RFC 3339), while it is closed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_open: Option<String>,
        /// The expected wait for a person now, in seconds, when someone is at work.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expected_wait_seconds: Option<u64>,
        /// Whether the pre-chat form asks for an order number (optional for the visitor).
        #[serde(default)]
        ask_order_number: bool,
        /// What the visitor may say it is about; empty asks nothing.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        categories: Vec<String>,
    },
    /// The visitor's chat waits for a person: its place in line and the expected wait.
    Queue {
        position: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        expected_wait_seconds: Option<u64>,
        /// Everyone at work has left while the chat waits: the widget says so and offers an
        /// answer by mail.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        nobody_at_work: bool,
    },
    /// The chat will (also) be answered by mail at this address.
    ReplyByMailNoted {
        email: String,
    },
    /// The transcript is on its way to this address.
    TranscriptQueued {
        email: String,
    },
    Message {
        id: String,
        author: Author,
        /// The agent's name, for agent messages.
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        files: Vec<FileLink>,
        /// RFC 3339.
        at: String,
        /// The widget's id, for the visitor's own messages.
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
        /// The bot's articles: the help-center pages it answers with or suggests.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        articles: Vec<ArticleLink>,
        /// Quick replies under a bot message; the widget sends the chosen one as a message.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        choices: Vec<String>,
    },
    /// The message with this client id is stored.
    Ack {
        client_id: String,
        id: String,
    },
    Typing {
        name: Option<String>,
    },
    /// The conversation was closed by the desk; the next message starts a new one.
    Closed,
    /// A stable `code` the widget shows in the visitor's language, and an English message.
    Error {
        code: String,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
}

impl ServerFrame {
    pub fn error(code: &str, message: impl Into<String>, client_id: Option<String>) -> Self {
        ServerFrame::Error { code: code.to_owned(), message: message.into(), client_id }
    }
}

/// An image a visitor sent, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub filename: String,
    pub content_type: &'static str,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("the image is not valid base64")]
    Encoding,
    #[error("the image is {0} bytes; the limit is {MAX_IMAGE_BYTES}")]
    TooLarge(usize),
    #[error("only PNG, JPEG, GIF and WebP images can be sent")]
    NotAnImage,
}

impl ImageError {
    pub fn code(&self) -> &'static str {
        match self {
            ImageError::Encoding => "bad_image",
            ImageError::TooLarge(_) => "image_too_large",
            ImageError::NotAnImage => "not_an_image",
        }
    }
}

/// Decodes and checks an image: its type comes from its first bytes, never from the name.
pub fn decode_image(filename: &str, base64_data: &str) -> Result<Image, ImageError> {
    // Base64 is 4/3 of the bytes; refuse before decoding what is plainly too big.
    if base64_data.len() / 4 * 3 > MAX_IMAGE_BYTES + 3 {
        return Err(ImageError::TooLarge(base64_data.len() / 4 * 3));
    }
    let data =
        base64::engine::general_purpose::STANDARD.decode(base64_data.trim()).map_err(|_| ImageError::Encoding)?;
    if data.len() > MAX_IMAGE_BYTES {
        return Err(ImageError::TooLarge(data.len()));
    }
    let content_type =
        crate::files::sniff(&data).filter(|t| crate::files::is_web_image(t)).ok_or(ImageError::NotAnImage)?;
    Ok(Image { filename: crate::files::clean_filename(filename, "image"), content_type, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visitor_token_verifies_only_unaltered_and_with_its_secret() {
        let t = visitor_token("s3cret", "v_0011");
        assert_eq!(verify_visitor_token("s3cret", &t).as_deref(), Some("v_0011"));
        assert_eq!(verify_visitor_token("other", &t), None);
        let forged = t.replacen("v_0011", "member_1001", 1);
        assert_eq!(verify_visitor_token("s3cret", &forged), None);
        assert_eq!(verify_visitor_token("s3cret", "member_1001"), None);
        assert_eq!(verify_visitor_token("s3cret", "member_1001.zz"), None);
    }

    #[test]
    fn member_ids_are_limited_to_a_safe_alphabet() {
        assert_eq!(member_identity("C-1001_a").as_deref(), Some("member_C-1001_a"));
        assert_eq!(member_identity(""), None);
        assert_eq!(member_identity("a b"), None);
        assert_eq!(member_identity("会員1"), None);
        assert_eq!(member_identity(&"x".repeat(65)), None);
        assert_eq!(anonymous_identity([0xab; 16]), format!("v_{}", "ab".repeat(16)));
    }

    #[test]
    fn frames_read_and_unknown_or_malformed_ones_are_refused() {
        let f: ClientFrame =
            serde_json::from_str(r#"{"type":"message","client_id":"c1","text":"届きません"}"#).expect("frame");
        assert_eq!(f, ClientFrame::Message { client_id: "c1".into(), text: "届きません".into() });
        let hello: ClientFrame = serde_json::from_str(r#"{"type":"hello"}"#).expect("hello");
        assert!(matches!(hello, ClientFrame::Hello { token: None, .. }));
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"shout","text":"x"}"#).is_err());
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"message","text":"x"}"#).is_err());
        assert!(
            serde_json::from_str::<ClientFrame>(r#"{"type":"message","client_id":"c1","text":"x","admin":true}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<ClientFrame>("\"typing\"").is_err());
        let out = serde_json::to_value(ServerFrame::Ack { client_id: "c1".into(), id: "m".into() }).expect("json");
        assert_eq!(out, serde_json::json!({"type": "ack", "client_id": "c1", "id": "m"}));
    }

    #[test]
    fn images_are_typed_by_their_bytes_and_limited_in_size() {
        let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
        let png = decode_image("写真.png", &b64(b"\x89PNG\r\n\x1a\n....")).expect("png");
        assert_eq!((png.content_type, png.filename.as_str()), ("image/png", "写真.png"));
        let jpeg = decode_image("../../etc/passwd", &b64(&[0xFF, 0xD8, 0xFF, 0xE0])).expect("jpeg");
        assert_eq!(jpeg.filename, "passwd");
        assert_eq!(decode_image("a.png", &b64(b"<svg onload=alert(1)>")), Err(ImageError::NotAnImage));
        assert_eq!(decode_image("a.png", "***"), Err(ImageError::Encoding));
        let big = vec![0xFFu8; MAX_IMAGE_BYTES + 1];
        assert!(matches!(decode_image("a.jpg", &b64(&big)), Err(ImageError::TooLarge(_))));
    }

    #[test]
    fn a_signature_verifies_only_for_its_customer_and_secret() {
        let sig = sign_customer("s3cret", "member-1001");
        assert!(verify_customer("s3cret", "member-1001", &sig));
        assert!(verify_customer("s3cret", "member-1001", &sig.to_uppercase()));
        assert!(!verify_customer("s3cret", "member-1002", &sig));
        assert!(!verify_customer("other", "member-1001", &sig));
        assert!(!verify_customer("s3cret", "member-1001", "zz"));
        assert!(!verify_customer("s3cret", "member-1001", "ｱｲ"));
        assert!(!verify_customer("s3cret", "member-1001", ""));
    }
}
