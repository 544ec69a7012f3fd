//! Inbound mail: `POST /api/v1/inbound/email/{inbox token}` with a raw RFC 5322 message
//! (`Content-Type: message/rfc822`), for mail-server pipes and providers' inbound routes, and
//! IMAP polling of inboxes that have IMAP settings. Both end in [`ingest`].

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use madoguchi_channels::email::{self, Limits, MailKind};
use madoguchi_core::conversation::{EmailMeta, MessageMeta};
use madoguchi_core::enums::{AuthorKind, Channel, Direction};
use madoguchi_core::identity::{IdentityKind, normalize};
use madoguchi_store::Store;
use madoguchi_store::blobs::NewBlob;
use madoguchi_store::channel_accounts::ChannelAccount;
use madoguchi_store::conversations::MessageRecord;
use madoguchi_store::inbound::{InboundContact, InboundOutcome, Thread};
use serde::Deserialize;

use crate::app::AppState;
use crate::error::ApiError;
use crate::sanitize::clean_html;

/// The largest raw message the HTTP endpoint takes (the router's general limit is smaller).
pub const MAX_MESSAGE_BYTES: usize = 25 * 1024 * 1024;

/// How long decoding one message may take before it is stored undecoded. Decoding is bounded
/// (size and HTML limits), so this is only reached on a machine that is badly overloaded.
const DECODE_BUDGET: std::time::Duration = std::time::Duration::from_secs(20);

/// Decodes and stores one raw message for the account's merchant.
///
/// Decoding runs in the CPU pool, never on an async worker. A message that cannot be decoded
/// in time (or makes the decoder fail) is still stored, with its raw bytes and a flag, so the
/// sender's server is not asked to send it again and the agent sees that it came.
pub async fn ingest(store: &Store, account: &ChannelAccount, raw: &[u8]) -> Result<InboundOutcome, ApiError> {
    let bytes = raw.to_vec();
    let decoded = crate::cpu::run(DECODE_BUDGET, move || decode(&bytes)).await;
    let contact = match decoded {
        Ok(Ok(mail)) => contact_of(account, raw, mail),
        Ok(Err(e)) => return Err(e),
        Err(e) => {
            tracing::warn!(merchant = %account.merchant_id, error = %e, "mail stored undecoded");
            undecoded(account, raw)
        }
    };
    let outcome = store.receive(contact).await?;
    if let InboundOutcome::Stored(r) = &outcome {
        metrics::counter!("madoguchi_inbound_total", "channel" => "email").increment(1);
        if r.new_conversation {
            crate::usecases::routing::route_soon(store, account.merchant_id);
        }
    }
    Ok(outcome)
}

/// A decoded message with its HTML cleaned (or left out, flagged, when it is too complex).
struct Decoded {
    mail: email::InboundEmail,
    html: Option<String>,
}

fn decode(raw: &[u8]) -> Result<Decoded, ApiError> {
    let limits = Limits { max_message_bytes: MAX_MESSAGE_BYTES, ..Limits::default() };
    let mut mail = email::parse(raw, &limits).map_err(|e| match e {
        email::EmailError::TooLarge { .. } => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, e.code(), e.to_string()),
        _ => ApiError::bad_request(e.code(), e.to_string()),
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
        }),
        ..MessageMeta::default()
    };
    let files = mail
        .attachments
        .iter()
        .map(|a| NewBlob { filename: a.filename.clone(), content_type: a.content_type.clone(), data: a.data.clone() })
        .collect();
    InboundContact {
        merchant: account.merchant_id,
        channel: Channel::Email,
        identity,
        customer_name: sender.and_then(|s| s.name),
        subject: mail.subject.clone().filter(|s| !s.is_empty()).map(|s| s.chars().take(200).collect()),
        category: None,
        order_number: None,
        thread: Thread::Mail { references: mail.thread_keys(), ticket: mail.ticket_number() },
        message: message(provider_id(mail.message_id.clone(), raw), text, html, meta),
        files,
        raw: Some(raw_blob(raw)),
        event_id: None,
        entered_by: None,
        bot: false,
    }
}

/// A message that could not be decoded: kept whole as its raw bytes, on a conversation of its
/// own, flagged for a person to open.
fn undecoded(account: &ChannelAccount, raw: &[u8]) -> InboundContact {
    let meta = MessageMeta { flags: vec!["undecoded_mail".to_owned()], ..MessageMeta::default() };
    let text = "(このメールは読み取れませんでした。原文（message.eml）を開いてください / this mail could not be decoded: open message.eml)";
    InboundContact {
        merchant: account.merchant_id,
        channel: Channel::Email,
        identity: None,
        customer_name: None,
        subject: None,
        category: None,
        order_number: None,
        thread: Thread::Mail { references: vec![], ticket: None },
        message: message(provider_id(None, raw), text.to_owned(), None, meta),
        files: vec![],
        raw: Some(raw_blob(raw)),
        event_id: None,
        entered_by: None,
        bot: false,
    }
}

/// Without a Message-ID a redelivery cannot be recognised; a digest of the raw bytes stands in.
fn provider_id(message_id: Option<String>, raw: &[u8]) -> String {
    message_id.unwrap_or_else(|| format!("sha256:{}", madoguchi_store::blobs::sha256_hex(raw)))
}

fn message(provider_id: String, text: String, html: Option<String>, meta: MessageMeta) -> MessageRecord {
    MessageRecord {
        channel: Some(Channel::Email),
        direction: Direction::Inbound,
        internal: false,
        author_kind: AuthorKind::Customer,
        author_user_id: None,
        body_text: text,
        body_html: html,
        attachments: vec![],
        provider_message_id: Some(provider_id),
        meta,
        created_at: None,
    }
}

fn raw_blob(raw: &[u8]) -> NewBlob {
    NewBlob { filename: "message.eml".into(), content_type: "message/rfc822".into(), data: raw.to_vec() }
}

/// `POST /api/v1/inbound/email/{token}`: 200 once stored (also for a duplicate, so the sender
/// stops retrying), 4xx for what can never be stored, 404 for an unknown token.
pub async fn receive_http(
    State(st): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<impl IntoResponse, ApiError> {
    // The token is checked before a byte of the body is read.
    let account = st.store.channel_account_by_token(Channel::Email, &token).await?.ok_or_else(ApiError::not_found)?;
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence != "message/rfc822" {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the raw message with Content-Type: message/rfc822",
        ));
    }
    let body = crate::extract::read_body(body, MAX_MESSAGE_BYTES, "message_too_large").await?;
    let outcome = ingest(&st.store, &account, &body).await?;
    Ok(axum::Json(outcome_json(&outcome)))
}

pub(crate) fn outcome_json(o: &InboundOutcome) -> serde_json::Value {
    match o {
        InboundOutcome::Stored(r) => serde_json::json!({
            "status": "stored", "conversation_id": r.conversation, "message_id": r.message,
            "new_conversation": r.new_conversation,
        }),
        InboundOutcome::Duplicate { message } => serde_json::json!({ "status": "duplicate", "message_id": message }),
    }
}

/// IMAP settings of a mail account (`settings.imap`).
#[derive(Debug, Clone, Deserialize)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    #[serde(default = "inbox")]
    pub mailbox: String,
    /// Implicit TLS (port 993), on unless turned off: a mailbox password must not cross the
    /// network in the clear. `false` is for a server on the same machine.
    #[serde(default = "yes")]
    pub tls: bool,
}

fn inbox() -> String {
    "INBOX".to_owned()
}

fn yes() -> bool {
    true
}

/// The IMAP client side: how TLS connections are verified.
#[derive(Clone)]
pub struct Imap {
    tls: tokio_rustls::TlsConnector,
}

impl Imap {
    /// Trusts the system's root certificates and, if given, those in `extra_ca` (PEM).
    pub fn new(extra_ca: Option<&std::path::Path>) -> anyhow::Result<Self> {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        use tokio_rustls::rustls;
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        for e in &native.errors {
            tracing::warn!(error = %e, "a system root certificate could not be read");
        }
        let (_, ignored) = roots.add_parsable_certificates(native.certs);
        if ignored > 0 {
            tracing::warn!(ignored, "system root certificates ignored");
        }
        if let Some(path) = extra_ca {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|i| i.collect::<Result<Vec<_>, _>>())
                .map_err(|e| anyhow::anyhow!("tls_ca_file {}: {e}", path.display()))?;
            anyhow::ensure!(!certs.is_empty(), "tls_ca_file {} holds no certificate", path.display());
            for c in certs {
                roots.add(c)?;
            }
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Imap { tls: tokio_rustls::TlsConnector::from(std::sync::Arc::new(config)) })
    }

    /// Fetches unseen mail of one account; see [`fetch_unseen`].
    pub async fn poll(&self, store: &Store, account: &ChannelAccount, s: &ImapSettings) -> anyhow::Result<usize> {
        let tcp = tokio::net::TcpStream::connect((s.host.as_str(), s.port)).await?;
        if !s.tls {
            return fetch_unseen(async_imap::Client::new(tcp), store, account, s).await;
        }
        let name = rustls_pki_types::ServerName::try_from(s.host.clone())
            .map_err(|e| anyhow::anyhow!("IMAP host {:?}: {e}", s.host))?;
        let stream = self.tls.connect(name, tcp).await?;
        fetch_unseen(async_imap::Client::new(stream), store, account, s).await
    }
}

/// Fetches unseen mail, stores each message, and marks it seen only after it is stored: a crash
/// in between fetches it again, and the Message-ID makes the second store a no-op.
async fn fetch_unseen<T>(
    client: async_imap::Client<T>,
    store: &Store,
    account: &ChannelAccount,
    s: &ImapSettings,
) -> anyhow::Result<usize>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    use futures_util::TryStreamExt;
    let mut session = client.login(&s.username, &s.password).await.map_err(|(e, _)| e)?;
    session.select(&s.mailbox).await?;
    let unseen = session.uid_search("UNSEEN").await?;
    let mut uids: Vec<u32> = unseen.into_iter().collect();
    uids.sort_unstable();
    let mut stored = 0;
    for uid in uids {
        let fetches: Vec<_> = session.uid_fetch(uid.to_string(), "BODY.PEEK[]").await?.try_collect().await?;
        for f in &fetches {
            let Some(raw) = f.body() else { continue };
            match ingest(store, account, raw).await {
                Ok(InboundOutcome::Stored(_)) => stored += 1,
                Ok(InboundOutcome::Duplicate { .. }) => {}
                // A message that can never be stored is left unseen in the mailbox for a person.
                Err(e) => {
                    tracing::warn!(uid, error = ?e, "mail left in the mailbox: it could not be stored");
                    continue;
                }
            }
            let _: Vec<_> = session.uid_store(uid.to_string(), "+FLAGS (\\Seen)").await?.try_collect().await?;
        }
    }
    session.logout().await?;
    Ok(stored)
}
