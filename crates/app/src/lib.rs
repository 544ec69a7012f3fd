//! Madoguchi's application layer: the use cases every way in calls (API, console, public pages,
//! webhooks, jobs), the background jobs, the search index this node keeps, the settings, and the
//! file formats of imports. It knows nothing of HTTP: the server crate maps its answers to
//! requests and responses.

pub mod cpu;
pub mod credentials;
pub mod hub;
pub mod jobs;
pub mod kb_files;
pub mod order_files;
pub mod sanitize;
pub mod search;
pub mod settings;
pub mod spreadsheet;
pub mod usecases;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use madoguchi_store::Store;
use rand::RngCore;

pub use settings::Settings;

/// What every use case and job can reach. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub settings: Arc<Settings>,
    /// For calls to providers (LINE profiles and content).
    pub http: reqwest::Client,
    /// Typing and new-message signals for web chat.
    pub chat: hub::ChatHub,
    /// The search index under the data folder.
    pub search: Arc<search::Search>,
    /// The desk's own mail to staff (invitations, password links), through the same relay as
    /// replies; customers' mail goes through the outbox instead.
    pub mailer: Arc<madoguchi_channels::email::smtp::Mailer>,
}

impl App {
    /// The application on `store`; opens (or creates) the search index in the data folder.
    pub fn new(store: Store, settings: Settings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(15)).build().unwrap_or_default();
        let search = search::Search::open(&settings.data_dir.join("search"))?;
        let mailer = Arc::new(madoguchi_channels::email::smtp::Mailer::new(
            settings.smtp_url.as_deref(),
            &settings.data_dir.join("sent-mail"),
        )?);
        Ok(App { store, settings: Arc::new(settings), http, chat: Default::default(), search, mailer })
    }
}

/// A new unguessable path token for an inbound endpoint (256 random bits).
pub fn new_inbound_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
