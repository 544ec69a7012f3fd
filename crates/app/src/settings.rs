//! Typed settings: built-in defaults, then a TOML file (`--config`), then `MADOGUCHI_*`
//! environment variables. Unknown keys in the file are rejected so a typo is never ignored.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port (the bound address is logged).
    pub bind: SocketAddr,
    /// Where the embedded database, search index and attachments live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty means SQLite under `data_dir`.
    pub database_url: Option<String>,
    /// Log filter, e.g. `info` or `madoguchi_server=debug,info`.
    pub log: String,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// A console session ends after this many minutes without a request.
    pub session_idle_minutes: u32,
    /// …and after this many hours in any case (a long shift).
    pub session_absolute_hours: u32,
    /// Mark cookies `Secure` (set when the console is served over HTTPS).
    pub cookie_secure: bool,
    /// Outgoing mail relay, e.g. `smtp://127.0.0.1:25` or `smtps://user:pass@relay:465`; empty
    /// writes each outgoing mail as an `.eml` file under `data_dir/sent-mail` instead.
    pub smtp_url: Option<String>,
    /// The sender of the desk's own mail to staff (invitations, password links); empty uses
    /// `no-reply@` the host of `public_url`.
    pub staff_mail_from: Option<String>,
    /// LINE Messaging API base URL (replaced in tests by a local stand-in).
    pub line_api_base: String,
    /// Twilio's REST API base URL, for ringing agents and moving live calls (replaced in tests
    /// by a local stand-in; a compatible provider's address).
    pub twilio_api_base: String,
    /// The Twilio account and API key the agents' browser phones are given access tokens
    /// with (`SK…` and its secret); unset, the console has no browser phone. A TwiML app
    /// (`AP…`) lets the browser phone place calls too.
    pub twilio_account_sid: Option<String>,
    pub twilio_api_key_sid: Option<String>,
    pub twilio_api_key_secret: Option<String>,
    pub twilio_twiml_app_sid: Option<String>,
    /// Where the console loads `@twilio/voice-sdk`'s `twilio.min.js` from (the desk serves
    /// or hosts it; nothing is fetched from a CDN).
    pub twilio_voice_sdk_url: Option<String>,
    /// How often mail inboxes with IMAP settings are polled, in seconds.
    pub imap_poll_seconds: u64,
    /// Extra root certificates (PEM) trusted for IMAP over TLS besides the system's, for a mail
    /// server with a private CA.
    pub tls_ca_file: Option<PathBuf>,
    /// The address customers and shops reach this server at (widget, form and inbound URLs);
    /// empty derives it from `bind`.
    pub public_url: Option<String>,
    /// Reverse proxies (addresses or CIDR ranges) in front of this server. A request from one
    /// of them is taken to come from the right-most address in `X-Forwarded-For` that is not a
    /// trusted proxy itself; from anyone else that header is ignored. Sign-in limits and the
    /// web form's rate limit count per client address, so behind a proxy this must be set.
    #[serde(with = "proxy_list")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// What this node does: `all` (one process), `web` (console, API, webhooks; its own search
    /// index) or `jobs` (delivery, mail polling, the sweep, the bot's retries; only health and
    /// metrics over HTTP).
    pub role: crate::jobs::NodeRole,
    /// A console that sent no heartbeat for this many seconds (closed tab, lost network) is
    /// set offline and its ringing offers go back to the queue. Consoles beat every 15 s.
    pub presence_timeout_seconds: u64,
    /// An offered chat, LINE message or call not accepted in this many seconds goes to the
    /// next agent (ring-no-answer); 0 turns it off.
    pub offer_timeout_seconds: u64,
    /// How often the sweep (presence, routing's safety net, SLA breaches) runs, in seconds.
    pub sweep_seconds: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./madoguchi-data"),
            database_url: None,
            log: "info".into(),
            log_format: LogFormat::Text,
            max_body_bytes: 1024 * 1024,
            session_idle_minutes: 120,
            session_absolute_hours: 12,
            cookie_secure: false,
            smtp_url: None,
            staff_mail_from: None,
            line_api_base: "https://api.line.me".into(),
            twilio_api_base: "https://api.twilio.com".into(),
            twilio_account_sid: None,
            twilio_api_key_sid: None,
            twilio_api_key_secret: None,
            twilio_twiml_app_sid: None,
            twilio_voice_sdk_url: None,
            imap_poll_seconds: 30,
            tls_ca_file: None,
            public_url: None,
            trusted_proxies: Vec::new(),
            role: crate::jobs::NodeRole::All,
            presence_timeout_seconds: 60,
            offer_timeout_seconds: 30,
            sweep_seconds: 5,
        }
    }
}

/// Environment variables read, besides the file. Others with the prefix (for example the test
/// suite's `MADOGUCHI_TEST_*`) are not settings and are left alone.
const ENV_KEYS: &[&str] = &[
    "bind",
    "data_dir",
    "database_url",
    "log",
    "log_format",
    "max_body_bytes",
    "session_idle_minutes",
    "session_absolute_hours",
    "cookie_secure",
    "smtp_url",
    "staff_mail_from",
    "line_api_base",
    "twilio_api_base",
    "twilio_account_sid",
    "twilio_api_key_sid",
    "twilio_api_key_secret",
    "twilio_twiml_app_sid",
    "twilio_voice_sdk_url",
    "imap_poll_seconds",
    "tls_ca_file",
    "public_url",
    "trusted_proxies",
    "role",
    "presence_timeout_seconds",
    "offer_timeout_seconds",
    "sweep_seconds",
];

impl Settings {
    /// Loads defaults → `file` → environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(f) = file {
            if !f.exists() {
                return Err(Box::new(figment::Error::from(format!("settings file {} does not exist", f.display()))));
            }
            fig = fig.merge(Toml::file_exact(f));
        }
        fig.merge(Env::prefixed("MADOGUCHI_").only(ENV_KEYS)).extract().map_err(Box::new)
    }

    /// The database URL in effect: the configured one, or SQLite in the data folder.
    pub fn database_url(&self) -> String {
        match self.database_url.as_deref().map(str::trim) {
            Some(u) if !u.is_empty() => u.to_owned(),
            _ => format!("sqlite://{}", self.data_dir.join("madoguchi.db").display()),
        }
    }

    /// The base URL customers and shops use, without a trailing slash.
    pub fn public_base(&self) -> String {
        match self.public_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.bind),
        }
    }

    /// The API key the browser phone's access tokens are signed with, when one is set.
    pub fn twilio_api_key(&self) -> Option<madoguchi_channels::voice::twilio_token::ApiKey<'_>> {
        fn set(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        Some(madoguchi_channels::voice::twilio_token::ApiKey {
            account_sid: set(&self.twilio_account_sid)?,
            key_sid: set(&self.twilio_api_key_sid)?,
            secret: set(&self.twilio_api_key_secret)?,
            twiml_app_sid: set(&self.twilio_twiml_app_sid),
        })
    }

    /// The sender of mail to staff: as set, else `no-reply@` the public host (`localhost` when
    /// that is an address, which no mailer takes after an `@`).
    pub fn staff_sender(&self) -> String {
        if let Some(from) = self.staff_mail_from.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
            return from.to_owned();
        }
        let base = self.public_base();
        let rest = base.split_once("://").map_or(base.as_str(), |(_, r)| r);
        let host = rest.split(['/', ':']).next().unwrap_or_default();
        let named = !host.is_empty() && host.parse::<std::net::IpAddr>().is_err() && !host.starts_with('[');
        format!("no-reply@{}", if named { host } else { "localhost" })
    }

    /// LINE serves message content (images) from its own host; a stand-in serves both.
    pub fn line_data_api_base(&self) -> String {
        let base = self.line_api_base.trim_end_matches('/');
        if base == "https://api.line.me" { "https://api-data.line.me".to_owned() } else { base.to_owned() }
    }

    /// Console session lifetime.
    pub fn session_lifetime(&self) -> madoguchi_store::sessions::SessionLifetime {
        madoguchi_store::sessions::SessionLifetime {
            idle: chrono::Duration::minutes(i64::from(self.session_idle_minutes)),
            absolute: chrono::Duration::hours(i64::from(self.session_absolute_hours)),
        }
    }

    /// The presence rules' timeouts.
    pub fn presence_timeouts(&self) -> crate::usecases::presence::Timeouts {
        crate::usecases::presence::Timeouts {
            console: chrono::Duration::seconds(self.presence_timeout_seconds.max(1) as i64),
            offer: (self.offer_timeout_seconds > 0)
                .then(|| chrono::Duration::seconds(self.offer_timeout_seconds as i64)),
        }
    }

    /// A settings file with every key, its default and what it does.
    pub fn example() -> String {
        let d = Settings::default();
        format!(
            r#"# Madoguchi settings. Every key is optional; shown here with its default.
# Precedence: built-in defaults < this file (--config FILE) < MADOGUCHI_<KEY> environment variables.

# Address to listen on. Port 0 picks a free port; the bound address is logged.
# env: MADOGUCHI_BIND
bind = "{bind}"

# Folder for the embedded database, search index and attachments.
# env: MADOGUCHI_DATA_DIR
data_dir = "{data_dir}"

# Database. Empty: SQLite at <data_dir>/madoguchi.db.
# For several app nodes use PostgreSQL, e.g. "postgres://madoguchi@db.example/madoguchi".
# env: MADOGUCHI_DATABASE_URL
database_url = ""

# Log filter (tracing EnvFilter syntax), e.g. "info" or "madoguchi_server=debug,info".
# env: MADOGUCHI_LOG
log = "{log}"

# "text" for people, "json" for log collectors.
# env: MADOGUCHI_LOG_FORMAT
log_format = "text"

# Largest request body accepted, in bytes. Larger requests get 413.
# env: MADOGUCHI_MAX_BODY_BYTES
max_body_bytes = {max_body}

# A console session ends after this many minutes without a request…
# env: MADOGUCHI_SESSION_IDLE_MINUTES
session_idle_minutes = {idle}

# …and after this many hours in any case.
# env: MADOGUCHI_SESSION_ABSOLUTE_HOURS
session_absolute_hours = {absolute}

# Mark cookies Secure: set to true when the console is served over HTTPS.
# env: MADOGUCHI_COOKIE_SECURE
cookie_secure = false

# Outgoing mail relay (smtp://host:port, smtps://user:password@host:465). Unset: outgoing mail
# is written as .eml files under data_dir/sent-mail, for trying Madoguchi without a relay.
# env: MADOGUCHI_SMTP_URL
# smtp_url = "smtp://127.0.0.1:25"

# Sender of the desk's own mail to staff (invitations, password links). Unset: no-reply@ the
# host of public_url.
# env: MADOGUCHI_STAFF_MAIL_FROM
# staff_mail_from = "no-reply@desk.example.jp"

# LINE Messaging API.
# env: MADOGUCHI_LINE_API_BASE
line_api_base = "https://api.line.me"

# Twilio's REST API (or a compatible provider's), used to ring agents and move live calls.
# env: MADOGUCHI_TWILIO_API_BASE
twilio_api_base = "https://api.twilio.com"

# The agents' browser phone: the Twilio account and an API key (SK…) with its secret, which
# the console's access tokens are signed with; a TwiML app (AP…) for calls placed from it.
# Unset: no browser phone (calls still show and pop; answer them on a desk phone).
# env: MADOGUCHI_TWILIO_ACCOUNT_SID, MADOGUCHI_TWILIO_API_KEY_SID,
#      MADOGUCHI_TWILIO_API_KEY_SECRET, MADOGUCHI_TWILIO_TWIML_APP_SID
# twilio_account_sid = "AC…"
# twilio_api_key_sid = "SK…"
# twilio_api_key_secret = "…"
# Where the console loads @twilio/voice-sdk's dist/twilio.min.js from (host it yourself).
# env: MADOGUCHI_TWILIO_VOICE_SDK_URL
# twilio_voice_sdk_url = "https://desk.example.jp/assets/twilio.min.js"

# How often mail inboxes with IMAP settings are polled, in seconds.
# env: MADOGUCHI_IMAP_POLL_SECONDS
imap_poll_seconds = 30

# Extra root certificates (PEM) trusted for IMAP over TLS, besides the system's.
# env: MADOGUCHI_TLS_CA_FILE
# tls_ca_file = "/etc/madoguchi/mail-ca.pem"

# Where customers reach this server (chat widget, contact form, inbound mail URLs).
# Unset: http://<bind>.
# env: MADOGUCHI_PUBLIC_URL
# public_url = "https://support.example.jp"

# Reverse proxies in front of Madoguchi (addresses or CIDR ranges). Their X-Forwarded-For
# names the client; from anyone else the header is ignored. Sign-in limits count per client
# address, so behind a proxy set this, or every user shares the proxy's address.
# env: MADOGUCHI_TRUSTED_PROXIES (comma-separated)
trusted_proxies = []

# What this node does: "all" (one process: the default), "web" (console, API, webhooks, and
# its own search index) or "jobs" (outbox delivery, mail polling, the sweep, the bot's
# retries; over HTTP only /healthz, /readyz and /metrics). Several web nodes and at least one
# jobs node share one PostgreSQL database.
# env: MADOGUCHI_ROLE
role = "all"

# A console that sent no heartbeat for this many seconds (tab closed, network lost) is set
# offline, and the chats offered to it go to another agent. Consoles beat every 15 seconds.
# env: MADOGUCHI_PRESENCE_TIMEOUT_SECONDS
presence_timeout_seconds = {presence}

# An offered chat, LINE message or call not accepted (opened) in this many seconds goes to the
# next agent, and the agent is set "not responding" (応答なし). 0 turns this off.
# env: MADOGUCHI_OFFER_TIMEOUT_SECONDS
offer_timeout_seconds = {offer}

# How often the sweep runs (presence, routing's safety net, SLA breaches), in seconds.
# env: MADOGUCHI_SWEEP_SECONDS
sweep_seconds = {sweep}
"#,
            bind = d.bind,
            data_dir = d.data_dir.display(),
            log = d.log,
            max_body = d.max_body_bytes,
            idle = d.session_idle_minutes,
            absolute = d.session_absolute_hours,
            presence = d.presence_timeout_seconds,
            offer = d.offer_timeout_seconds,
            sweep = d.sweep_seconds,
        )
    }
}

/// Secrets (passwords in a database URL) are redacted.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_deref().map(redact_url))
            .field("log", &self.log)
            .field("log_format", &self.log_format)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("session_absolute_hours", &self.session_absolute_hours)
            .field("cookie_secure", &self.cookie_secure)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("staff_mail_from", &self.staff_mail_from)
            .field("line_api_base", &self.line_api_base)
            .field("twilio_api_base", &self.twilio_api_base)
            .field("twilio_account_sid", &self.twilio_account_sid)
            .field("twilio_api_key_sid", &self.twilio_api_key_sid)
            .field("twilio_api_key_secret", &self.twilio_api_key_secret.as_ref().map(|_| "(set)"))
            .field("imap_poll_seconds", &self.imap_poll_seconds)
            .field("tls_ca_file", &self.tls_ca_file)
            .field("public_url", &self.public_url)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("role", &self.role)
            .finish()
    }
}

/// `trusted_proxies` as a TOML list or a comma-separated string (as an environment variable
/// gives it); a bare address is a range of one.
mod proxy_list {
    use ipnet::IpNet;
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        One(String),
        Many(Vec<String>),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpNet>, D::Error> {
        let items = match Given::deserialize(d)? {
            Given::One(s) => s.split(',').map(str::to_owned).collect(),
            Given::Many(v) => v,
        };
        items
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|s| parse(s).map_err(serde::de::Error::custom))
            .collect()
    }

    pub fn parse(s: &str) -> Result<IpNet, String> {
        s.parse::<IpNet>()
            .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
            .map_err(|_| format!("trusted_proxies: {s:?} is neither an IP address nor a CIDR range"))
    }

    pub fn serialize<S: Serializer>(v: &[IpNet], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(ToString::to_string))
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
#[expect(clippy::result_large_err, reason = "figment's test jail returns its own error type")]
mod tests {
    use super::*;

    #[test]
    fn file_then_env_override_defaults_and_unknown_keys_fail() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("m.toml", "bind = \"0.0.0.0:9000\"\nlog = \"debug\"\n")?;
            jail.set_env("MADOGUCHI_LOG", "warn");
            jail.set_env("MADOGUCHI_TEST_DATABASE_URL", "postgres://ignored");
            let s = Settings::load(Some(Path::new("m.toml"))).expect("loads");
            assert_eq!(s.bind.port(), 9000);
            assert_eq!(s.log, "warn");
            assert_eq!(s.max_body_bytes, 1024 * 1024);
            jail.create_file("bad.toml", "bnid = \"0.0.0.0:9000\"\n")?;
            let err = Settings::load(Some(Path::new("bad.toml"))).unwrap_err().to_string();
            assert!(err.contains("bnid"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn example_file_parses_to_the_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("ex.toml", &Settings::example())?;
            let s = Settings::load(Some(Path::new("ex.toml"))).expect("example loads");
            assert_eq!(s.bind, Settings::default().bind);
            assert_eq!(s.database_url(), Settings::default().database_url());
            Ok(())
        });
    }

    #[test]
    fn trusted_proxies_from_a_file_or_a_comma_separated_variable() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("p.toml", "trusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n")?;
            let s = Settings::load(Some(Path::new("p.toml"))).expect("loads");
            assert_eq!(
                s.trusted_proxies.iter().map(ToString::to_string).collect::<Vec<_>>(),
                ["10.0.0.0/8", "::1/128"]
            );
            jail.set_env("MADOGUCHI_TRUSTED_PROXIES", "127.0.0.1, 192.168.0.0/16");
            let s = Settings::load(None).expect("loads");
            assert_eq!(s.trusted_proxies.len(), 2);
            jail.set_env("MADOGUCHI_TRUSTED_PROXIES", "proxy.example");
            let err = Settings::load(None).unwrap_err().to_string();
            assert!(err.contains("proxy.example"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact_url("postgres://app:s3cret@db/x"), "postgres://app:***@db/x");
        let s = Settings { database_url: Some("postgres://app:s3cret@db/x".into()), ..Settings::default() };
        assert!(!format!("{s:?}").contains("s3cret"));
    }

    #[test]
    fn staff_mail_comes_from_the_public_host() {
        let mut s = Settings { public_url: Some("https://desk.example.jp/".into()), ..Settings::default() };
        assert_eq!(s.staff_sender(), "no-reply@desk.example.jp");
        s.public_url = Some("http://127.0.0.1:8080".into());
        assert_eq!(s.staff_sender(), "no-reply@localhost");
        s.staff_mail_from = Some(" support@example.jp ".into());
        assert_eq!(s.staff_sender(), "support@example.jp");
    }
}
