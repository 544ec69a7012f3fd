//! Mail fetched from a shop's own mailbox over IMAP (async-imap, TLS by rustls with the
//! system's roots and an optional private CA). The client only fetches and marks: what a
//! message becomes is the caller's, and a message is marked seen only after the caller kept
//! it, so a crash in between fetches it again (the Message-ID makes the second keep a no-op).

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use tokio_rustls::rustls;

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

/// What the caller did with a fetched message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Stored as a new message: marked seen, counted.
    Stored,
    /// Already stored before: marked seen.
    Duplicate,
    /// Could not be stored: left unseen in the mailbox for a person.
    Failed,
}

/// The IMAP client side: how TLS connections are verified.
#[derive(Clone)]
pub struct ImapClient {
    tls: tokio_rustls::TlsConnector,
}

impl ImapClient {
    /// Trusts the system's root certificates and, if given, those in `extra_ca` (PEM).
    pub fn new(extra_ca: Option<&Path>) -> anyhow::Result<Self> {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
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
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(ImapClient { tls: tokio_rustls::TlsConnector::from(Arc::new(config)) })
    }

    /// Hands every unseen message of the mailbox to `keep` (with its UID), oldest first, and
    /// marks it seen unless `keep` failed. Returns how many were newly stored.
    pub async fn fetch_unseen<F, Fut>(&self, s: &ImapSettings, keep: F) -> anyhow::Result<usize>
    where
        F: FnMut(u32, Vec<u8>) -> Fut,
        Fut: Future<Output = Kept>,
    {
        let tcp = tokio::net::TcpStream::connect((s.host.as_str(), s.port)).await?;
        if !s.tls {
            return fetch(async_imap::Client::new(tcp), s, keep).await;
        }
        let name = rustls_pki_types::ServerName::try_from(s.host.clone())
            .map_err(|e| anyhow::anyhow!("IMAP host {:?}: {e}", s.host))?;
        let stream = self.tls.connect(name, tcp).await?;
        fetch(async_imap::Client::new(stream), s, keep).await
    }
}

/// Why a mailbox could not be reached, in the order a connection gets there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImapProblem {
    /// The host name has no address.
    UnknownHost,
    /// Nothing answers at that host and port (or it refused).
    Unreachable(String),
    /// No answer within the time allowed.
    Timeout,
    /// The TLS handshake failed: not a TLS port, or a certificate that is not trusted.
    Tls(String),
    /// The server refused the user name or password.
    Login(String),
    /// Signed in, but the mailbox is not there.
    Mailbox(String),
    /// The server said something that is not IMAP.
    Protocol(String),
}

impl ImapClient {
    /// Connects, signs in and opens the mailbox as polling will, and says how many messages it
    /// holds — or which step failed. Each step is given `wait` to answer.
    pub async fn check(&self, s: &ImapSettings, wait: std::time::Duration) -> Result<u32, ImapProblem> {
        let tcp = within(wait, async {
            let addrs: Vec<_> = tokio::net::lookup_host((s.host.as_str(), s.port))
                .await
                .map_err(|_| ImapProblem::UnknownHost)?
                .collect();
            if addrs.is_empty() {
                return Err(ImapProblem::UnknownHost);
            }
            tokio::net::TcpStream::connect(&addrs[..]).await.map_err(|e| ImapProblem::Unreachable(e.to_string()))
        })
        .await?;
        if !s.tls {
            return examine(async_imap::Client::new(tcp), s, wait).await;
        }
        let name = rustls_pki_types::ServerName::try_from(s.host.clone()).map_err(|_| ImapProblem::UnknownHost)?;
        let stream =
            within(wait, async { self.tls.connect(name, tcp).await.map_err(|e| ImapProblem::Tls(e.to_string())) })
                .await?;
        examine(async_imap::Client::new(stream), s, wait).await
    }
}

/// A step of the test, given `wait` to finish.
async fn within<T>(
    wait: std::time::Duration,
    f: impl Future<Output = Result<T, ImapProblem>>,
) -> Result<T, ImapProblem> {
    tokio::time::timeout(wait, f).await.map_err(|_| ImapProblem::Timeout)?
}

async fn examine<T>(
    mut client: async_imap::Client<T>,
    s: &ImapSettings,
    wait: std::time::Duration,
) -> Result<u32, ImapProblem>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    // The server speaks first; a port that is not IMAP says nothing or something else.
    within(wait, async {
        match client.read_response().await {
            Ok(Some(_)) => Ok(()),
            Err(e) => Err(ImapProblem::Protocol(e.to_string())),
            Ok(None) => Err(ImapProblem::Protocol("the server closed the connection".into())),
        }
    })
    .await?;
    let mut session = within(wait, async {
        client.login(&s.username, &s.password).await.map_err(|(e, _)| ImapProblem::Login(e.to_string()))
    })
    .await?;
    let mailbox =
        within(wait, async { session.examine(&s.mailbox).await.map_err(|e| ImapProblem::Mailbox(e.to_string())) })
            .await?;
    let _ = tokio::time::timeout(wait, session.logout()).await;
    Ok(mailbox.exists)
}

async fn fetch<T, F, Fut>(client: async_imap::Client<T>, s: &ImapSettings, mut keep: F) -> anyhow::Result<usize>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
    F: FnMut(u32, Vec<u8>) -> Fut,
    Fut: Future<Output = Kept>,
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
            match keep(uid, raw.to_vec()).await {
                Kept::Stored => stored += 1,
                Kept::Duplicate => {}
                Kept::Failed => continue,
            }
            let _: Vec<_> = session.uid_store(uid.to_string(), "+FLAGS (\\Seen)").await?.try_collect().await?;
        }
    }
    session.logout().await?;
    Ok(stored)
}
