//! The delivery worker: takes due rows from the outbox and hands each reply to its channel —
//! mail by SMTP (or, with no relay configured, to `.eml` files in the data folder), LINE by the
//! reply API while the customer's reply token is fresh and by the push API after. Web-chat
//! replies need no hand-over: the visitor's socket reads them from the store.
//!
//! A row is marked sent only after the channel accepted it. If the process dies in between, the
//! lease runs out and the row is sent again with the same Message-ID / `X-Line-Retry-Key`, so the
//! receiving side sees one message.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use madoguchi_channels::delivery::DeliveryError;
use madoguchi_channels::email::smtp::Mailer;
use madoguchi_channels::line::api::LineApi;
use madoguchi_core::access::Scope;
use madoguchi_core::conversation::{Conversation, Message};
use madoguchi_core::enums::Channel;
use madoguchi_store::Store;
use madoguchi_store::outbox::OutboxItem;

use crate::settings::Settings;

mod chat;
mod line;
mod mail;

fn from_store(e: madoguchi_store::StoreError) -> DeliveryError {
    DeliveryError::retry(format!("store: {e}"))
}

pub struct Delivery {
    store: Store,
    senders: Vec<(Channel, Arc<dyn Sender>)>,
}

/// What a sender is given: the outbox row, its message and conversation, and the store to read
/// what else the channel needs (addresses, the thread, reply tokens).
pub struct Outgoing<'a> {
    pub store: &'a Store,
    pub item: &'a OutboxItem,
    pub conversation: &'a Conversation,
    pub message: &'a Message,
}

/// One channel's way of handing a reply over. `Ok` carries the provider's reference, if any.
pub trait Sender: Send + Sync {
    fn send<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Result<Option<String>, DeliveryError>>;
}

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// How long a worker holds a row while sending it.
const LEASE_SECS: i64 = 60;

impl Delivery {
    pub fn new(store: Store, settings: &Settings, chat: crate::hub::ChatHub) -> anyhow::Result<Delivery> {
        let mail: Arc<dyn Sender> = Arc::new(mail::MailSender(Mailer::new(
            settings.smtp_url.as_deref(),
            &settings.data_dir.join("sent-mail"),
        )?));
        let http = reqwest::Client::builder().timeout(Duration::from_secs(15)).build()?;
        let senders: Vec<(Channel, Arc<dyn Sender>)> = vec![
            (Channel::Email, mail.clone()),
            // A web form's confirmation and replies go out by mail.
            (Channel::WebForm, mail),
            (
                Channel::Line,
                Arc::new(line::LineSender(LineApi::new(http, &settings.line_api_base, &settings.line_data_api_base()))),
            ),
            (Channel::Chat, Arc::new(chat::ChatSender(chat))),
        ];
        Ok(Delivery { store, senders })
    }

    /// Delivers due rows until there are none, then waits a moment; runs until dropped.
    pub async fn run(self: Arc<Self>) {
        loop {
            match self.store.claim_outbox(Utc::now(), chrono::Duration::seconds(LEASE_SECS)).await {
                Ok(Some(item)) => self.attempt(item).await,
                Ok(None) => tokio::time::sleep(Duration::from_millis(300)).await,
                Err(e) => {
                    tracing::warn!(error = ?e, "outbox could not be read");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
    }

    async fn attempt(&self, item: OutboxItem) {
        let result = self.deliver(&item).await;
        let channel = item.channel.as_str();
        let recorded = match result {
            Ok(provider_ref) => {
                metrics::counter!("madoguchi_deliveries_total", "channel" => channel, "result" => "sent").increment(1);
                self.store.outbox_sent(&item, provider_ref.as_deref(), Utc::now()).await
            }
            Err(e) => {
                metrics::counter!("madoguchi_deliveries_total", "channel" => channel, "result" => "failed")
                    .increment(1);
                tracing::warn!(message = %item.message_id, attempt = item.attempts, permanent = e.permanent, error = %e.message, "delivery failed");
                self.store.outbox_failed(&item, &e.message, e.permanent, Utc::now()).await.map(|_| ())
            }
        };
        if let Err(e) = recorded {
            // The lease runs out and the row is tried again.
            tracing::error!(error = ?e, message = %item.message_id, "delivery outcome could not be recorded");
        }
    }

    async fn deliver(&self, item: &OutboxItem) -> Result<Option<String>, DeliveryError> {
        let message = self.store.get_message(&Scope::All, item.message_id).await.map_err(from_store)?;
        let conv = self.store.get_conversation(&Scope::All, item.conversation_id).await.map_err(from_store)?;
        let Some((_, sender)) = self.senders.iter().find(|(c, _)| *c == item.channel) else {
            return Err(DeliveryError::permanent(format!("{} replies are not delivered", item.channel)));
        };
        sender.send(Outgoing { store: &self.store, item, conversation: &conv, message: &message }).await
    }
}
