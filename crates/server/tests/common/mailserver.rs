//! Real mail servers for the tests, from Debian's packages: OpenSMTPD takes mail by SMTP and
//! hands it over LMTP to Dovecot, which keeps a Maildir per address and serves it over IMAP.
//! Any address at any domain is accepted, with the password `secret`.
//!
//! One pair serves a whole test binary. They are started from a thread that lives as long as the
//! process and with `setpriv --pdeathsig KILL`, so they die with the test process.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const MAIL_PASSWORD: &str = "secret";

pub struct MailServers {
    pub smtp_port: u16,
    pub imap_port: u16,
    /// IMAP over implicit TLS, with a certificate for `127.0.0.1` and `localhost` signed by
    /// [`MailServers::ca_file`].
    pub imaps_port: u16,
    pub dir: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn need(bin: &str) {
    assert!(
        Path::new(bin).exists(),
        "{bin} is missing: the mail tests need Debian's dovecot-imapd, dovecot-lmtpd and opensmtpd (scripts/test installs them)"
    );
}

fn wait_for(port: u16, what: &str, log: &Path) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if start.elapsed() > Duration::from_secs(20) {
            panic!("{what} did not start on port {port}: {}", std::fs::read_to_string(log).unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn mail_servers() -> &'static MailServers {
    static SERVERS: OnceLock<MailServers> = OnceLock::new();
    SERVERS.get_or_init(|| {
        need("/usr/sbin/dovecot");
        need("/usr/sbin/smtpd");
        need("/usr/bin/openssl");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let (servers, _children) = start();
            tx.send(servers).expect("test thread waits");
            // The servers die with this thread (pdeathsig): keep it, and their handles, for the
            // life of the process.
            loop {
                std::thread::park();
            }
        });
        rx.recv().expect("mail servers started")
    })
}

/// Removes the folders of earlier test processes that have ended: their servers died with them
/// (pdeathsig), but a process that is killed cannot remove its folder itself.
fn remove_stale_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("madoguchi-mail-")) else { continue };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn start() -> (MailServers, Vec<std::process::Child>) {
    remove_stale_dirs();
    let dir = std::env::temp_dir().join(format!("madoguchi-mail-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for d in ["run", "state", "mail"] {
        std::fs::create_dir_all(dir.join(d)).expect("mail dirs");
    }
    Command::new("chown").args(["mail:mail"]).arg(dir.join("mail")).status().expect("chown");
    let (imap_port, lmtp_port, smtp_port, imaps_port) = (free_port(), free_port(), free_port(), free_port());
    make_certificates(&dir);
    let d = dir.display();
    std::fs::write(
        dir.join("dovecot.conf"),
        format!(
            r#"base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <{d}/server.pem
ssl_key = <{d}/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%d/%n
first_valid_uid = 8
passdb {{
  driver = static
  args = password={MAIL_PASSWORD}
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={d}/mail/%d/%n
}}
service imap-login {{
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"#
        ),
    )
    .expect("dovecot.conf");
    let smtpd_conf = dir.join("smtpd.conf");
    std::fs::write(
        &smtpd_conf,
        format!(
            r#"table vusers {{ "@" = "mail" }}
listen on 127.0.0.1 port {smtp_port}
action "deliver" lmtp "127.0.0.1:{lmtp_port}" rcpt-to virtual <vusers>
match from any for any action "deliver"
"#
        ),
    )
    .expect("smtpd.conf");
    Command::new("chmod").arg("600").arg(&smtpd_conf).status().expect("chmod");

    let log = |name: &str| std::fs::File::create(dir.join(name)).expect("log file");
    let dovecot = Command::new("setpriv")
        .args(["--pdeathsig", "KILL", "/usr/sbin/dovecot", "-F", "-c"])
        .arg(dir.join("dovecot.conf"))
        .stdout(log("dovecot.out"))
        .stderr(log("dovecot.err"))
        .stdin(Stdio::null())
        .spawn()
        .expect("dovecot starts");
    let smtpd = Command::new("setpriv")
        .args(["--pdeathsig", "KILL", "/usr/sbin/smtpd", "-d", "-f"])
        .arg(&smtpd_conf)
        .stdout(log("smtpd.out"))
        .stderr(log("smtpd.err"))
        .stdin(Stdio::null())
        .spawn()
        .expect("smtpd starts");
    wait_for(imap_port, "dovecot (IMAP)", &dir.join("dovecot.log"));
    wait_for(imaps_port, "dovecot (IMAPS)", &dir.join("dovecot.log"));
    wait_for(lmtp_port, "dovecot (LMTP)", &dir.join("dovecot.log"));
    wait_for(smtp_port, "OpenSMTPD", &dir.join("smtpd.err"));
    (MailServers { smtp_port, imap_port, imaps_port, dir }, vec![dovecot, smtpd])
}

/// A throwaway CA and a server certificate it signs, made with the openssl command line.
fn make_certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl runs");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Madoguchi test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").expect("san.ext");
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.pem",
    ]);
}

impl MailServers {
    /// The CA that signed the IMAPS certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    pub fn smtp_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.smtp_port)
    }

    /// Sends a raw message by SMTP, as another mail server would.
    pub async fn send_raw(&self, from: &str, to: &str, raw: &[u8]) {
        use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor, address::Envelope};
        let t = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1").port(self.smtp_port).build();
        let env =
            Envelope::new(Some(from.parse().expect("sender")), vec![to.parse().expect("recipient")]).expect("envelope");
        t.send_raw(&env, raw).await.expect("SMTP accepts the message");
    }

    /// Every message in a mailbox, raw, waiting until there are at least `n`.
    pub async fn fetch_all(&self, user: &str, n: usize) -> Vec<Vec<u8>> {
        use futures_util::TryStreamExt;
        let start = Instant::now();
        loop {
            let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.imap_port)).await.expect("IMAP");
            let mut s =
                async_imap::Client::new(tcp).login(user, MAIL_PASSWORD).await.map_err(|(e, _)| e).expect("login");
            s.select("INBOX").await.expect("select");
            let msgs: Vec<Vec<u8>> = match s.fetch("1:*", "BODY.PEEK[]").await {
                Ok(stream) => stream
                    .try_collect::<Vec<_>>()
                    .await
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|f| f.body().map(<[u8]>::to_vec))
                    .collect(),
                Err(_) => vec![],
            };
            let _ = s.logout().await;
            if msgs.len() >= n || start.elapsed() > Duration::from_secs(20) {
                return msgs;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
