//! Mail going out: a reply composed as the customer's mailer threads it (`In-Reply-To`,
//! `References`, a stable `Message-ID`), marked `Auto-Submitted` when the system wrote it, and
//! handed to an SMTP relay (lettre) — or, with no relay configured, written as an `.eml` file
//! so the desk can be tried without one.

use std::path::Path;

use lettre::message::header::{self, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MessageBuilder, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::delivery::DeliveryError;

/// One mail to send.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// Shown as the sender's name (the shop's).
    pub from_name: String,
    pub from_address: String,
    pub to: String,
    /// Copies: shown to every recipient (cc) or to none (bcc, in the envelope only).
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: String,
    /// With angle brackets, unique per message: a resend after a crash carries the same one.
    pub message_id: String,
    /// The mail answered (with angle brackets) and the thread before it.
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub body: String,
    /// Files sent with the text (a multipart/mixed mail when there are any).
    pub attachments: Vec<MailFile>,
    /// RFC 3834: the system wrote it on its own (a form's confirmation, the bot), so other
    /// auto-responders must not answer it.
    pub auto_submitted: bool,
}

/// A file attached to a mail.
#[derive(Debug, Clone)]
pub struct MailFile {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

impl Mailer {
    /// The relay at `url` (`smtp://host:port`, `smtps://user:pass@host:465`), or `.eml` files in
    /// `files_dir` when there is none.
    pub fn new(url: Option<&str>, files_dir: &Path) -> anyhow::Result<Mailer> {
        Ok(match url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => Mailer::Smtp(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build()),
            None => {
                std::fs::create_dir_all(files_dir)?;
                Mailer::Files(AsyncFileTransport::<Tokio1Executor>::new(files_dir.to_owned()))
            }
        })
    }

    pub async fn send(&self, m: &OutgoingMail) -> Result<(), DeliveryError> {
        let from: Mailbox = format!("{} <{}>", m.from_name.replace(['<', '>', '"'], ""), m.from_address)
            .parse()
            .map_err(|e| DeliveryError::permanent(format!("bad sender address {}: {e}", m.from_address)))?;
        let to: Mailbox = m.to.parse().map_err(|e| DeliveryError::permanent(format!("bad address {}: {e}", m.to)))?;
        let mut builder: MessageBuilder = lettre::Message::builder()
            .from(from)
            .to(to)
            .subject(m.subject.clone())
            .message_id(Some(m.message_id.clone()))
            .header(AutoSubmitted(if m.auto_submitted { "auto-generated" } else { "no" }.to_owned()));
        for (list, is_cc) in [(&m.cc, true), (&m.bcc, false)] {
            for a in list {
                let mb: Mailbox = a.parse().map_err(|e| DeliveryError::permanent(format!("bad address {a}: {e}")))?;
                builder = if is_cc { builder.cc(mb) } else { builder.bcc(mb) };
            }
        }
        if let Some(parent) = &m.in_reply_to {
            builder = builder.in_reply_to(parent.clone()).references(m.references.join(" "));
        }
        let built = if m.attachments.is_empty() {
            builder.header(header::ContentType::TEXT_PLAIN).body(m.body.clone())
        } else {
            let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(m.body.clone()));
            for f in &m.attachments {
                let ct = header::ContentType::parse(&f.content_type)
                    .unwrap_or(header::ContentType::parse("application/octet-stream").expect("a valid type"));
                parts = parts.singlepart(Attachment::new(f.filename.clone()).body(f.data.clone(), ct));
            }
            builder.multipart(parts)
        };
        let email = built.map_err(|e| DeliveryError::permanent(format!("{e}")))?;
        match self {
            Mailer::Smtp(t) => t.send(email).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    DeliveryError::permanent(format!("SMTP: {e}"))
                } else {
                    DeliveryError::retry(format!("SMTP: {e}"))
                }
            }),
            Mailer::Files(t) => {
                t.send(email).await.map(|_| ()).map_err(|e| DeliveryError::retry(format!("mail file: {e}")))
            }
        }
    }
}

#[derive(Clone)]
struct AutoSubmitted(String);

impl header::Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}
