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
use madoguchi_channels::email::smtp::{Mailer, OutgoingMail};
use madoguchi_channels::email::ticket_token;
use madoguchi_channels::line::{REPLY_TOKEN_TTL_SECS, TextMessage};
use madoguchi_channels::line_api::LineApi;
use madoguchi_core::access::Scope;
use madoguchi_core::conversation::{Conversation, Message, TimelineItem};
use madoguchi_core::enums::{Channel, Direction};
use madoguchi_core::identity::IdentityKind;
use madoguchi_store::Store;
use madoguchi_store::merchants::MerchantKey;
use madoguchi_store::outbox::OutboxItem;

use crate::settings::Settings;

fn from_store(e: madoguchi_store::StoreError) -> DeliveryError {
    DeliveryError::retry(format!("store: {e}"))
}

pub struct Delivery {
    store: Store,
    mailer: Mailer,
    line: LineApi,
    chat: crate::hub::ChatHub,
}

/// How long a worker holds a row while sending it.
const LEASE_SECS: i64 = 60;

impl Delivery {
    pub fn new(store: Store, settings: &Settings, chat: crate::hub::ChatHub) -> anyhow::Result<Delivery> {
        let mailer = Mailer::new(settings.smtp_url.as_deref(), &settings.data_dir.join("sent-mail"))?;
        let http = reqwest::Client::builder().timeout(Duration::from_secs(15)).build()?;
        Ok(Delivery { store, mailer, line: LineApi::new(http, &settings.line_api_base), chat })
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
        match item.channel {
            Channel::Email | Channel::WebForm => self.send_mail(&conv, &message).await.map(Some),
            Channel::Line => self.send_line(item, &conv, &message).await.map(Some),
            Channel::Chat => {
                // The visitor's socket reads the message from the store; this wakes it now.
                self.chat.publish(conv.merchant_id, conv.id, crate::hub::Signal::Message);
                Ok(None)
            }
            other => Err(DeliveryError::permanent(format!("{other} replies are not delivered"))),
        }
    }

    async fn send_mail(&self, conv: &Conversation, message: &Message) -> Result<String, DeliveryError> {
        let scope = Scope::All;
        let account = self
            .store
            .channel_account(&scope, conv.merchant_id, Channel::Email)
            .await
            .map_err(from_store)?
            .and_then(|a| a.address)
            .ok_or_else(|| {
                DeliveryError::permanent(
                    "このショップには送信元メールアドレスがありません / the shop has no mail address",
                )
            })?;
        let customer = conv
            .customer_id
            .ok_or_else(|| DeliveryError::permanent("顧客が未設定です / the conversation has no customer"))?;
        let to =
            self.store.customer_identity_value(customer, IdentityKind::Email).await.map_err(from_store)?.ok_or_else(
                || DeliveryError::permanent("顧客のメールアドレスがありません / the customer has no e-mail address"),
            )?;
        let merchant = self.store.get_merchant(&scope, MerchantKey::Id(conv.merchant_id)).await.map_err(from_store)?;
        let domain = account.rsplit('@').next().unwrap_or("localhost");
        let message_id = format!("<mdg-{}@{}>", message.id, domain);

        // Answer the customer's latest mail so their mailer threads it.
        let timeline = self.store.timeline(&scope, conv.id, false).await.map_err(from_store)?;
        let parent = timeline.iter().rev().find_map(|t| match t {
            TimelineItem::Message(m)
                if m.direction == Direction::Inbound
                    && m.channel == Channel::Email
                    && m.provider_message_id.is_some() =>
            {
                Some(m)
            }
            _ => None,
        });
        let token = ticket_token(conv.number);
        let base = conv.subject.clone().unwrap_or_else(|| format!("{}へのお問い合わせ", merchant.name));
        let with_token = if base.contains(&token) { base } else { format!("{base} {token}") };
        // "Re:" only when answering a mail; a web-form confirmation starts the thread.
        let subject = if parent.is_some() { format!("Re: {with_token}") } else { with_token };

        let (in_reply_to, references) = match parent {
            Some(p) => {
                let parent_id = format!("<{}>", p.provider_message_id.as_deref().unwrap_or_default());
                let mut refs: Vec<String> = p
                    .meta
                    .email
                    .as_ref()
                    .map(|e| e.references.iter().map(|r| format!("<{r}>")).collect())
                    .unwrap_or_default();
                refs.push(parent_id.clone());
                (Some(parent_id), refs)
            }
            None => (None, vec![]),
        };
        let mail = OutgoingMail {
            from_name: merchant.name.clone(),
            from_address: account.clone(),
            to,
            subject,
            message_id: message_id.clone(),
            in_reply_to,
            references,
            body: message.body_text.clone(),
            auto_submitted: message.author_kind != madoguchi_core::enums::AuthorKind::User,
        };
        self.mailer.send(&mail).await?;
        Ok(message_id)
    }

    async fn send_line(
        &self,
        item: &OutboxItem,
        conv: &Conversation,
        message: &Message,
    ) -> Result<String, DeliveryError> {
        let account = self
            .store
            .channel_account(&Scope::All, conv.merchant_id, Channel::Line)
            .await
            .map_err(from_store)?
            .filter(|a| a.access_token.is_some())
            .ok_or_else(|| DeliveryError::permanent("LINE チャネルが未設定です / no LINE channel for this shop"))?;
        let token = account.access_token.unwrap_or_default();
        let customer = conv.customer_id.ok_or_else(|| DeliveryError::permanent("the conversation has no customer"))?;
        let user = self
            .store
            .customer_identity_value(customer, IdentityKind::Line)
            .await
            .map_err(from_store)?
            .ok_or_else(|| DeliveryError::permanent("顧客の LINE ID がありません / the customer has no LINE id"))?;
        // The bot's quick replies become LINE's (はい / いいえ / オペレーター under its answer).
        let choices = message.meta.bot.as_ref().map(|b| b.choices.as_slice()).unwrap_or_default();
        let messages = vec![TextMessage::with_choices(&message.body_text, choices)];

        // The reply API is free but its token is short-lived and single-use.
        let since = Utc::now() - chrono::Duration::seconds(REPLY_TOKEN_TTL_SECS);
        if let Some(reply_token) = self.store.take_line_reply_token(conv.id, since).await.map_err(from_store)?
            && self.line.reply(&token, reply_token, messages.clone()).await
        {
            return Ok("reply".to_owned());
        }
        let retry_key = item.id.to_string();
        self.line.push(&token, user, messages, &retry_key).await?;
        Ok(format!("push:{retry_key}"))
    }
}
