//! LINE events taken in: a message becomes the customer's contact (with their profile name and,
//! for an image, the picture fetched from LINE's content API); follow and unfollow are kept on
//! the customer. The webhook has checked the signature and decoded the events already.

use madoguchi_channels::line::api::LineApi;
use madoguchi_channels::line::{Event, LineEvent, MessageContent};
use madoguchi_core::conversation::MessageMeta;
use madoguchi_core::enums::Channel;
use madoguchi_core::identity::{IdentityKind, normalize};
use madoguchi_store::blobs::NewBlob;
use madoguchi_store::channel_accounts::ChannelAccount;
use madoguchi_store::conversations::MessageRecord;
use madoguchi_store::inbound::{InboundContact, InboundOutcome, Thread};

use super::{Receiver, receive};
use crate::App;
use crate::usecases::error::UseCaseResult;

/// The largest image taken from LINE's content API.
const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

/// What became of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    Stored,
    Duplicate,
    /// An event of a kind the desk does not take in (its kind, for the log).
    Ignored(String),
}

/// The LINE channel's receiving side, for one LINE official account (its shop).
pub struct LineReceiver<'a> {
    pub account: &'a ChannelAccount,
    pub api: LineApi,
}

impl LineReceiver<'_> {
    fn token(&self) -> String {
        self.account.access_token.clone().unwrap_or_default()
    }

    async fn display_name(&self, user: &str) -> Option<String> {
        self.api.profile(&self.token(), user).await.map(|p| p.display_name)
    }

    /// An image message's bytes, from the content API, as a file to store.
    async fn image(&self, message_id: &str) -> Result<NewBlob, String> {
        let (content_type, data) = self.api.content(&self.token(), message_id, MAX_IMAGE_BYTES).await?;
        let ext = if content_type.contains("png") { "png" } else { "jpg" };
        Ok(NewBlob { filename: format!("line-{message_id}.{ext}"), content_type, data })
    }
}

impl Receiver for LineReceiver<'_> {
    type Input = Event;

    async fn contact(&self, event: Event) -> UseCaseResult<Option<InboundContact>> {
        let (Some(user), LineEvent::Message { id, content }) = (event.user_id.clone(), event.kind) else {
            return Ok(None);
        };
        let identity = normalize(IdentityKind::Line, &user)?;
        let mut meta = MessageMeta { line_reply_token: event.reply_token.clone(), ..MessageMeta::default() };
        let mut files = Vec::new();
        if content == MessageContent::Image {
            match self.image(&id).await {
                Ok(f) => files.push(f),
                Err(e) => meta.flags.push(format!("image_not_fetched: {e}")),
            }
        }
        let name = self.display_name(&user).await;
        let subject = madoguchi_core::conversation::subject_from_message(&content.summary());
        meta.sender_name = name.clone();
        let message = MessageRecord {
            provider_message_id: Some(id),
            meta,
            ..MessageRecord::from_customer(Channel::Line, content.summary())
        };
        Ok(Some(InboundContact {
            identity: Some(identity),
            customer_name: name,
            subject,
            files,
            event_id: event.webhook_event_id.clone(),
            bot: crate::usecases::bot::channel_uses_bot(Channel::Line, &self.account.settings),
            ..InboundContact::new(self.account.merchant_id, Channel::Line, Thread::Ongoing, message)
        }))
    }
}

/// Takes one event of the account's webhook in.
pub async fn take_in(app: &App, account: &ChannelAccount, event: Event) -> UseCaseResult<Handled> {
    let receiver = LineReceiver {
        account,
        api: LineApi::new(app.http.clone(), &app.settings.line_api_base, &app.settings.line_data_api_base()),
    };
    let Some(user) = event.user_id.clone() else {
        return Ok(Handled::Ignored("no user source".to_owned()));
    };
    match &event.kind {
        LineEvent::Follow | LineEvent::Unfollow => {
            let identity = normalize(IdentityKind::Line, &user)?;
            let followed = event.kind == LineEvent::Follow;
            // An unfollowed account cannot read the profile any more.
            let name = if followed { receiver.display_name(&user).await } else { None };
            let done = app
                .store
                .line_follow(
                    account.merchant_id,
                    &identity,
                    name.as_deref(),
                    event.webhook_event_id.as_deref(),
                    followed,
                )
                .await?;
            Ok(if done.is_some() { Handled::Stored } else { Handled::Duplicate })
        }
        LineEvent::Message { .. } => Ok(match receive(app, &receiver, event).await? {
            Some(InboundOutcome::Stored(_)) => Handled::Stored,
            Some(InboundOutcome::Duplicate { .. }) | None => Handled::Duplicate,
        }),
        LineEvent::Other(kind) => Ok(Handled::Ignored(kind.clone())),
    }
}
