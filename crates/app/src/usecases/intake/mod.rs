//! Contacts coming in, from every channel, by one path: a channel's [`Receiver`] turns what the
//! channel handed over (a raw mail, a LINE event, a chat frame, a form) into the contact to
//! store, and [`ingest`] stores it once, then does what follows a new contact on any channel —
//! counting it, routing a new conversation, telling open chat windows, the bot's turn.
//!
//! Decoding a channel's wire format is the channels crate's (pure, tested there); a receiver
//! adds what the desk knows: the shop and account, the thread, the files fetched for it.

pub mod chat;
pub mod form;
pub mod line;
pub mod mail;
pub mod typed_in;

use madoguchi_store::inbound::{InboundContact, InboundOutcome};

use super::error::UseCaseResult;
use crate::App;
use crate::hub::Signal;

/// A channel's receiving side.
pub trait Receiver {
    /// What the channel hands over, already read from the wire (and verified, for webhooks).
    type Input: Send;

    /// The contact to store, or `None` when the input carries nothing to store.
    fn contact(&self, input: Self::Input) -> impl Future<Output = UseCaseResult<Option<InboundContact>>> + Send;
}

/// Turns the input into a contact with `receiver` and takes it in; `None` when there was
/// nothing to store.
pub async fn receive<R: Receiver + Sync>(
    app: &App,
    receiver: &R,
    input: R::Input,
) -> UseCaseResult<Option<InboundOutcome>> {
    match receiver.contact(input).await? {
        Some(contact) => ingest(app, contact).await.map(Some),
        None => Ok(None),
    }
}

/// When a new conversation is offered to agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    /// In the background: a channel's acknowledgement never waits for routing.
    Soon,
    /// Before returning: the person who typed the contact in sees where it went.
    Now,
}

/// Stores the contact once and, when it is new, does what follows on every channel. The
/// channel acknowledges after this returns: the contact is committed by then, and nothing
/// that follows (routing, the bot) is waited for.
pub async fn ingest(app: &App, contact: InboundContact) -> UseCaseResult<InboundOutcome> {
    ingest_routed(app, contact, Routing::Soon).await
}

/// [`ingest`], choosing when a new conversation is routed.
pub async fn ingest_routed(app: &App, contact: InboundContact, routing: Routing) -> UseCaseResult<InboundOutcome> {
    let (merchant, channel, bot) = (contact.merchant, contact.channel, contact.bot);
    let said = contact.message.body_text.clone();
    let outcome = app.store.receive(contact).await?;
    if let InboundOutcome::Stored(r) = &outcome {
        metrics::counter!("madoguchi_inbound_total", "channel" => channel.as_str()).increment(1);
        // A conversation the bot holds reaches the queue when the bot hands it over.
        if r.new_conversation && !bot {
            match routing {
                Routing::Soon => super::routing::route_soon(&app.store, merchant),
                Routing::Now => super::routing::route_merchants(&app.store, &[merchant]).await,
            }
        }
        app.chat.publish(merchant, r.conversation, Signal::Message);
        if super::bot::serves(channel) {
            // The bot answers only a conversation it holds; it looks that up itself.
            super::bot::take_turn_soon(app, merchant, r.conversation, said);
        }
    }
    Ok(outcome)
}
