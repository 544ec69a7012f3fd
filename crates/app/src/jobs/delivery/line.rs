//! Replies by LINE: the reply API while the customer's reply token is fresh (free), the push
//! API after, with the outbox row's id as `X-Line-Retry-Key`; the bot's choices become LINE's
//! quick replies.

use chrono::Utc;
use madoguchi_channels::delivery::DeliveryError;
use madoguchi_channels::line::api::LineApi;
use madoguchi_channels::line::{REPLY_TOKEN_TTL_SECS, TextMessage};
use madoguchi_core::access::Scope;
use madoguchi_core::conversation::{Conversation, Message};
use madoguchi_core::enums::Channel;
use madoguchi_core::identity::IdentityKind;
use madoguchi_store::Store;
use madoguchi_store::outbox::OutboxItem;

use super::{BoxFuture, Outgoing, Sender, from_store};

pub struct LineSender(pub LineApi);

impl Sender for LineSender {
    fn send<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Result<Option<String>, DeliveryError>> {
        Box::pin(async move { send_line(&self.0, out.store, out.item, out.conversation, out.message).await.map(Some) })
    }
}

async fn send_line(
    api: &LineApi,
    store: &Store,
    item: &OutboxItem,
    conv: &Conversation,
    message: &Message,
) -> Result<String, DeliveryError> {
    let account = store
        .channel_account(&Scope::All, conv.merchant_id, Channel::Line)
        .await
        .map_err(from_store)?
        .filter(|a| a.access_token.is_some())
        .ok_or_else(|| DeliveryError::permanent("LINE チャネルが未設定です / no LINE channel for this shop"))?;
    let token = account.access_token.unwrap_or_default();
    let customer = conv.customer_id.ok_or_else(|| DeliveryError::permanent("the conversation has no customer"))?;
    let user = store
        .customer_identity_value(customer, IdentityKind::Line)
        .await
        .map_err(from_store)?
        .ok_or_else(|| DeliveryError::permanent("顧客の LINE ID がありません / the customer has no LINE id"))?;
    // The bot's quick replies become LINE's (はい / いいえ / オペレーター under its answer).
    let choices = message.meta.bot.as_ref().map(|b| b.choices.as_slice()).unwrap_or_default();
    let messages = vec![TextMessage::with_choices(&message.body_text, choices)];

    // The reply API is free but its token is short-lived and single-use.
    let since = Utc::now() - chrono::Duration::seconds(REPLY_TOKEN_TTL_SECS);
    if let Some(reply_token) = store.take_line_reply_token(conv.id, since).await.map_err(from_store)?
        && api.reply(&token, reply_token, messages.clone()).await
    {
        return Ok("reply".to_owned());
    }
    let retry_key = item.id.to_string();
    api.push(&token, user, messages, &retry_key).await?;
    Ok(format!("push:{retry_key}"))
}
