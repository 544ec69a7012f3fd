//! Inbound mail: turns a raw RFC 5322 message into what the desk stores.
//!
//! Decoding (MIME, quoted-printable, base64, RFC 2047 words, RFC 2231 names and the Japanese
//! charsets ISO-2022-JP, Shift_JIS / CP932, EUC-JP) is mail-parser's, with encoding_rs behind it:
//! its WHATWG tables carry the NEC and IBM extensions (①, ㈱, ｈ) that Japanese mailers send
//! under the plain `ISO-2022-JP` and `Shift_JIS` labels. What is added here is what a help desk
//! needs on top: old mailers that send ISO-2022-JP without any charset label, threading keys,
//! recognising auto-replies and bounces, and limits on attachments.

pub mod imap;
pub mod smtp;

use chrono::{DateTime, Utc};
use mail_parser::{HeaderName, HeaderValue, MessageParser, MimeHeaders, PartType};

/// Limits applied while decoding. Anything over a limit is kept out and flagged, never dropped
/// silently.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest raw message accepted at all.
    pub max_message_bytes: usize,
    /// The largest single attachment kept.
    pub max_attachment_bytes: usize,
    /// How many attachments are kept.
    pub max_attachments: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_message_bytes: 25 * 1024 * 1024, max_attachment_bytes: 10 * 1024 * 1024, max_attachments: 20 }
    }
}

/// Why a message could not be read at all. Anything short of these is stored and flagged.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EmailError {
    #[error("the message is empty")]
    Empty,
    #[error("the message is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("this is not an e-mail message: no header could be read")]
    NotAMessage,
}

impl EmailError {
    pub fn code(&self) -> &'static str {
        match self {
            EmailError::Empty => "empty_message",
            EmailError::TooLarge { .. } => "message_too_large",
            EmailError::NotAMessage => "malformed_message",
        }
    }
}

/// What kind of sender wrote the message. Only personal mail may ever get an automatic answer;
/// the others are stored for the agent but never answered by the system (no mail loops).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    Personal,
    AutoReply,
    Bounce,
    Bulk,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttachment {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// A decoded inbound message.
#[derive(Debug, Clone)]
pub struct InboundEmail {
    /// Message-ID without angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from: Option<Mailbox>,
    pub reply_to: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub subject: Option<String>,
    pub date: Option<DateTime<Utc>>,
    /// Plain text: the text part, or the text extracted from the HTML part.
    pub text: String,
    /// The HTML part as sent: it must be sanitised before any page shows it.
    pub html: Option<String>,
    pub attachments: Vec<MailAttachment>,
    pub kind: MailKind,
    /// Problems met while decoding, for the agent to see (`attachment_too_large: 見積.pdf`).
    pub flags: Vec<String>,
}

impl InboundEmail {
    /// Where an answer goes: Reply-To first, then From.
    pub fn reply_address(&self) -> Option<&Mailbox> {
        self.reply_to.as_ref().or(self.from.as_ref())
    }

    /// The message ids this message answers, nearest first, for threading.
    pub fn thread_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.in_reply_to.clone();
        for r in self.references.iter().rev() {
            if !keys.contains(r) {
                keys.push(r.clone());
            }
        }
        keys
    }

    /// The ticket number in the subject (`[#1234]`), the fallback when a mailer drops the
    /// threading headers.
    pub fn ticket_number(&self) -> Option<i64> {
        self.subject.as_deref().and_then(ticket_number)
    }
}

/// The ticket token put in outgoing subjects, found again in answers.
pub fn ticket_token(number: i64) -> String {
    format!("[#{number}]")
}

/// Finds the last `[#digits]` token in a subject (full-width forms folded first).
pub fn ticket_number(subject: &str) -> Option<i64> {
    let folded = madoguchi_core::validation::nfkc(subject);
    let mut found = None;
    let mut rest = folded.as_str();
    while let Some(start) = rest.find("[#") {
        let after = &rest[start + 2..];
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        if !digits.is_empty() && after[digits.len()..].starts_with(']') {
            found = digits.parse().ok();
        }
        rest = after;
    }
    found
}

/// Decodes a raw message.
pub fn parse(raw: &[u8], limits: &Limits) -> Result<InboundEmail, EmailError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(EmailError::Empty);
    }
    if raw.len() > limits.max_message_bytes {
        return Err(EmailError::TooLarge { limit: limits.max_message_bytes });
    }
    let msg = MessageParser::default().parse(raw).ok_or(EmailError::NotAMessage)?;
    if msg.headers().is_empty() {
        return Err(EmailError::NotAMessage);
    }
    let mut flags = Vec::new();

    let subject = msg.subject().map(fix_unlabelled_jis).map(|s| s.trim().to_owned());
    let from = msg.from().and_then(|a| a.first()).and_then(mailbox);
    let reply_to = msg.reply_to().and_then(|a| a.first()).and_then(mailbox);
    let to = msg.to().map(|a| a.iter().filter_map(mailbox).collect()).unwrap_or_default();
    if from.is_none() {
        flags.push("missing_from".to_owned());
    }

    // body_html() would render a text part as HTML; only a real HTML part counts here.
    let html = msg.html_part(0).filter(|p| p.is_text_html()).and_then(|p| p.text_contents()).map(fix_unlabelled_jis);
    // mail-parser extracts text from the HTML part when there is no text part.
    let text = msg.body_text(0).map(|t| fix_unlabelled_jis(&t)).unwrap_or_default();
    let mut text = text.replace("\r\n", "\n").trim_end().to_owned();
    if let Some(boundary) = msg.root_part().content_type().and_then(|ct| ct.attribute("boundary"))
        && !contains(raw, format!("--{boundary}--").as_bytes())
    {
        flags.push("truncated_mime".to_owned());
    }

    let mut attachments = Vec::new();
    for (i, part) in msg.attachments().enumerate() {
        // A cut-off multipart leaves its text part among the attachments: it is the body.
        if text.is_empty() && part.attachment_name().is_none() && part.is_text() && !part.is_text_html() {
            text = part.text_contents().map(fix_unlabelled_jis).unwrap_or_default().trim_end().to_owned();
            continue;
        }
        let filename = part
            .attachment_name()
            .map(fix_unlabelled_jis)
            .map(|n| crate::files::clean_filename(&n, &format!("attachment-{}", i + 1)))
            .unwrap_or_else(|| format!("attachment-{}", i + 1));
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_owned(),
            })
            .unwrap_or_else(|| "application/octet-stream".to_owned())
            .to_ascii_lowercase();
        let data = match &part.body {
            PartType::Message(m) => m.raw_message().to_vec(),
            _ => part.contents().to_vec(),
        };
        if attachments.len() >= limits.max_attachments {
            flags.push(format!("attachment_dropped_over_count: {filename}"));
        } else if data.len() > limits.max_attachment_bytes {
            flags.push(format!("attachment_too_large: {filename} ({} bytes)", data.len()));
        } else {
            attachments.push(MailAttachment { filename, content_type, data });
        }
    }

    let kind = classify(&msg, subject.as_deref(), from.as_ref());
    Ok(InboundEmail {
        message_id: msg.message_id().map(clean_id).filter(|s| !s.is_empty()),
        in_reply_to: id_list(msg.in_reply_to()),
        references: id_list(msg.references()),
        from,
        reply_to,
        to,
        subject,
        date: msg.date().and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0)),
        text,
        html,
        attachments,
        kind,
        flags,
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn mailbox(a: &mail_parser::Addr<'_>) -> Option<Mailbox> {
    let address = a.address()?.trim().to_owned();
    if address.is_empty() {
        return None;
    }
    let name = a.name().map(fix_unlabelled_jis).map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    Some(Mailbox { name, address })
}

fn clean_id(s: &str) -> String {
    s.trim().trim_start_matches('<').trim_end_matches('>').to_owned()
}

fn id_list(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![clean_id(t)],
        HeaderValue::TextList(l) => l.iter().map(|t| clean_id(t)).collect(),
        _ => vec![],
    }
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect()
}

/// Old Japanese mailers send ISO-2022-JP with no charset label at all, so the text arrives as
/// 7-bit ASCII full of escape sequences. When they are there, decode them.
fn fix_unlabelled_jis(s: &str) -> String {
    const ESCAPES: [&str; 3] = ["\x1b$B", "\x1b$@", "\x1b(J"];
    if ESCAPES.iter().any(|e| s.contains(e)) {
        let (text, _, _) = encoding_rs::ISO_2022_JP.decode(s.as_bytes());
        text.into_owned()
    } else {
        s.to_owned()
    }
}

fn header_text<'a>(msg: &'a mail_parser::Message<'_>, name: &'a str) -> Option<&'a str> {
    msg.header_raw(HeaderName::Other(name.into())).map(str::trim)
}

/// Recognises machine-written mail: RFC 3834 `Auto-Submitted`, the vendor headers Exchange and
/// others use, delivery reports (RFC 3464), list mail, and the subjects Japanese and English
/// auto-responders use.
fn classify(msg: &mail_parser::Message<'_>, subject: Option<&str>, from: Option<&Mailbox>) -> MailKind {
    let subject_lower = subject.unwrap_or_default().to_lowercase();
    let is_report = msg.root_part().content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct.attribute("report-type").is_some_and(|r| r.eq_ignore_ascii_case("delivery-status"))
    });
    let from_daemon = from.is_some_and(|f| {
        let local = f.address.split('@').next().unwrap_or_default().to_ascii_lowercase();
        local == "mailer-daemon" || local == "postmaster"
    });
    const BOUNCE_SUBJECTS: [&str; 6] = [
        "undelivered mail returned to sender",
        "delivery status notification",
        "mail delivery failed",
        "undeliverable:",
        "returned mail:",
        "配信不能",
    ];
    if is_report || from_daemon || BOUNCE_SUBJECTS.iter().any(|s| subject_lower.contains(s)) {
        return MailKind::Bounce;
    }
    let auto_submitted = header_text(msg, "Auto-Submitted").is_some_and(|v| !v.eq_ignore_ascii_case("no"));
    let vendor_auto = ["X-Autoreply", "X-Autorespond", "X-Autoreply-From", "X-Mail-Autoreply"]
        .iter()
        .any(|h| header_text(msg, h).is_some());
    let precedence = header_text(msg, "Precedence").map(str::to_ascii_lowercase);
    const AUTO_SUBJECTS: [&str; 7] =
        ["自動返信", "自動応答", "不在通知", "automatic reply", "auto reply", "autoreply", "out of office"];
    if auto_submitted
        || vendor_auto
        || precedence.as_deref() == Some("auto_reply")
        || AUTO_SUBJECTS.iter().any(|s| subject_lower.contains(s))
    {
        return MailKind::AutoReply;
    }
    let list = !msg.list_id().is_empty() || !msg.list_unsubscribe().is_empty();
    if list || matches!(precedence.as_deref(), Some("bulk" | "junk" | "list")) {
        return MailKind::Bulk;
    }
    MailKind::Personal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_numbers_are_found_in_subjects() {
        assert_eq!(ticket_number("Re: 返品について [#1234]"), Some(1234));
        assert_eq!(ticket_number("Re: [＃５６] 全角"), Some(56));
        assert_eq!(ticket_number("Re: [#1] then [#22]"), Some(22));
        assert_eq!(ticket_number("[#] [#12a]"), None);
        assert_eq!(ticket_number("no token"), None);
    }

    #[test]
    fn empty_and_oversized_messages_are_refused() {
        assert_eq!(parse(b"  \r\n", &Limits::default()).unwrap_err(), EmailError::Empty);
        let limits = Limits { max_message_bytes: 10, ..Limits::default() };
        assert_eq!(parse(b"Subject: x\r\n\r\nhello there", &limits).unwrap_err(), EmailError::TooLarge { limit: 10 });
    }
}
