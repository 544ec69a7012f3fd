//! Mail taken in, from the HTTP pipe or from IMAP polling: decoded off the async workers and
//! turned into a contact of the account's merchant.

use madoguchi_channels::email::{self, Limits, MailKind};
use madoguchi_core::conversation::{EmailMeta, MessageMeta};
use madoguchi_core::enums::Channel;
use madoguchi_core::identity::{IdentityKind, normalize};
use madoguchi_store::blobs::NewBlob;
use madoguchi_store::channel_accounts::ChannelAccount;
use madoguchi_store::conversations::MessageRecord;
use madoguchi_store::inbound::{InboundContact, InboundOutcome, Thread};

use super::{Receiver, receive};
use crate::App;
use crate::sanitize::clean_html;
use crate::usecases::error::{UseCaseError, UseCaseResult};

/// How long decoding one message may take before it is stored undecoded. Decoding is bounded
/// (size and HTML limits), so this is only reached on a machine that is badly overloaded.
const DECODE_BUDGET: std::time::Duration = std::time::Duration::from_secs(20);

/// The mail channel's receiving side, for one mail account (its shop).
pub struct MailReceiver<'a> {
    pub account: &'a ChannelAccount,
}

impl Receiver for MailReceiver<'_> {
    type Input = Vec<u8>;

    /// Decoding runs in the CPU pool, never on an async worker. A message that cannot be
    /// decoded in time (or makes the decoder fail) is still stored, with its raw bytes and a
    /// flag, so the sender's server is not asked to send it again and the agent sees it came.
    async fn contact(&self, raw: Vec<u8>) -> UseCaseResult<Option<InboundContact>> {
        let account = self.account;
        // The decoder gets its own copy: past its budget it is left running in the background.
        let bytes = raw.clone();
        let decoded = crate::cpu::run(DECODE_BUDGET, move || decode(&bytes)).await;
        Ok(Some(match decoded {
            Ok(Ok(mail)) => contact_of(account, &raw, mail),
            Ok(Err(e)) => return Err(e),
            Err(e) => {
                tracing::warn!(merchant = %account.merchant_id, error = %e, "mail stored undecoded");
                undecoded(account, &raw)
            }
        }))
    }
}

/// Decodes and stores one raw message for the account's merchant.
pub async fn take_in(app: &App, account: &ChannelAccount, raw: &[u8]) -> UseCaseResult<InboundOutcome> {
    let outcome = receive(app, &MailReceiver { account }, raw.to_vec()).await?;
    outcome.ok_or_else(|| UseCaseError::Internal(anyhow::anyhow!("a mail always makes a contact")))
}

/// A decoded message with its HTML cleaned (or left out, flagged, when it is too complex).
struct Decoded {
    mail: email::InboundEmail,
    html: Option<String>,
}

fn decode(raw: &[u8]) -> Result<Decoded, UseCaseError> {
    let limits = Limits { max_message_bytes: MAX_MESSAGE_BYTES, ..Limits::default() };
    let mut mail = email::parse(raw, &limits).map_err(|e| match e {
        email::EmailError::TooLarge { .. } => UseCaseError::TooLarge { code: e.code(), message: e.to_string() },
        _ => UseCaseError::Malformed { code: e.code(), message: e.to_string() },
    })?;
    let html = match mail.html.as_deref().map(clean_html) {
        None => None,
        Some(Ok(h)) => Some(h),
        // The text (from the text part, or extracted from the HTML) is shown instead; the HTML
        // itself stays in the stored raw message.
        Some(Err(e)) => {
            mail.flags.push(format!("html_too_complex: {} levels, {} elements", e.depth, e.elements));
            None
        }
    };
    Ok(Decoded { mail, html })
}

fn contact_of(account: &ChannelAccount, raw: &[u8], Decoded { mail, html }: Decoded) -> InboundContact {
    let mut flags = mail.flags.clone();
    if mail.kind != MailKind::Personal {
        flags
            .push(serde_json::to_value(mail.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default());
    }
    let sender = mail.reply_address().cloned();
    // A sender address we cannot read is kept on the message, and the contact has no customer.
    let identity = sender.as_ref().and_then(|s| normalize(IdentityKind::Email, &s.address).ok());
    if sender.is_some() && identity.is_none() {
        flags.push("unreadable_sender".to_owned());
    }
    let text = if mail.text.trim().is_empty() { "(本文なし / no text)".to_owned() } else { mail.text.clone() };
    let meta = MessageMeta {
        flags,
        sender_name: sender.as_ref().and_then(|s| s.name.clone()),
        raw_blob_id: None,
        email: Some(EmailMeta {
            from: mail.from.as_ref().map(|f| f.address.clone()),
            to: mail.to.iter().map(|t| t.address.clone()).collect(),
            subject: mail.subject.clone(),
            references: mail.thread_keys().into_iter().rev().collect(),
            ..EmailMeta::default()
        }),
        ..MessageMeta::default()
    };
    let files = mail
        .attachments
        .iter()
        .map(|a| NewBlob { filename: a.filename.clone(), content_type: a.content_type.clone(), data: a.data.clone() })
        .collect();
    InboundContact {
        identity,
        customer_name: sender.and_then(|s| s.name),
        subject: mail.subject.clone().filter(|s| !s.is_empty()).map(|s| s.chars().take(200).collect()),
        raw: Some(raw_blob(raw)),
        files,
        ..InboundContact::new(
            account.merchant_id,
            Channel::Email,
            Thread::Mail { references: mail.thread_keys(), ticket: mail.ticket_number() },
            message(provider_id(mail.message_id.clone(), raw), text, html, meta),
        )
    }
}

/// A message that could not be decoded: kept whole as its raw bytes, on a conversation of its
/// own, flagged for a person to open.
fn undecoded(account: &ChannelAccount, raw: &[u8]) -> InboundContact {
    let meta = MessageMeta { flags: vec!["undecoded_mail".to_owned()], ..MessageMeta::default() };
    let text = "(このメールは読み取れませんでした。原文（message.eml）を開いてください / this mail could not be decoded: open message.eml)";
    InboundContact {
        raw: Some(raw_blob(raw)),
        ..InboundContact::new(
            account.merchant_id,
            Channel::Email,
            Thread::Mail { references: vec![], ticket: None },
            message(provider_id(None, raw), text.to_owned(), None, meta),
        )
    }
}

/// Without a Message-ID a redelivery cannot be recognised; a digest of the raw bytes stands in.
fn provider_id(message_id: Option<String>, raw: &[u8]) -> String {
    message_id.unwrap_or_else(|| format!("sha256:{}", madoguchi_store::blobs::sha256_hex(raw)))
}

fn message(provider_id: String, text: String, html: Option<String>, meta: MessageMeta) -> MessageRecord {
    MessageRecord {
        body_html: html,
        provider_message_id: Some(provider_id),
        meta,
        ..MessageRecord::from_customer(Channel::Email, text)
    }
}

fn raw_blob(raw: &[u8]) -> NewBlob {
    NewBlob { filename: "message.eml".into(), content_type: "message/rfc822".into(), data: raw.to_vec() }
}

/// The largest raw message the HTTP endpoint takes (the router's general limit is smaller).
pub const MAX_MESSAGE_BYTES: usize = 25 * 1024 * 1024;
