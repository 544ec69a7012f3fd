//! Web chat messages taken in: the socket has checked the frame (its client id, length, rate);
//! this makes the visitor's contact, on the conversation their window shows or their latest
//! open one.

use madoguchi_core::conversation::{EmailMeta, MessageMeta};
use madoguchi_core::enums::Channel;
use madoguchi_core::identity::NormalizedIdentity;
use madoguchi_core::ids::{ConversationId, MerchantId};
use madoguchi_store::blobs::NewBlob;
use madoguchi_store::conversations::MessageRecord;
use madoguchi_store::inbound::{InboundContact, Thread};

use super::Receiver;
use crate::usecases::error::UseCaseResult;

/// The chat channel's receiving side, for one visitor's window.
pub struct ChatReceiver<'a> {
    pub merchant: MerchantId,
    /// The visitor's browser identity.
    pub visitor: &'a NormalizedIdentity,
    pub name: Option<&'a str>,
    /// The conversation the window shows, if it is not closed.
    pub conversation: Option<ConversationId>,
    /// A new conversation starts with the bot.
    pub bot: bool,
}

/// One message the visitor sent.
pub struct ChatMessage {
    /// The window's id for it: a resend after a lost acknowledgement is the same message.
    pub client_id: String,
    pub text: String,
    pub files: Vec<NewBlob>,
    /// The mail address the visitor gave in the chat form.
    pub email: Option<NormalizedIdentity>,
    /// Whether the shop's desk is at work now.
    pub open: bool,
    /// From the pre-chat form, for a new conversation: the order it is about (linked when the
    /// shop has it) and what it is about.
    pub order_number: Option<String>,
    pub category: Option<String>,
}

impl Receiver for ChatReceiver<'_> {
    type Input = ChatMessage;

    async fn contact(&self, m: ChatMessage) -> UseCaseResult<Option<InboundContact>> {
        let meta = MessageMeta {
            sender_name: self.name.map(str::to_owned),
            email: m.email.as_ref().map(|e| EmailMeta { from: Some(e.value.clone()), ..EmailMeta::default() }),
            flags: if m.open { vec![] } else { vec!["after_hours".to_owned()] },
            ..MessageMeta::default()
        };
        // Titled by what the visitor asked, so the inbox tells one chat from another.
        let subject = madoguchi_core::conversation::subject_from_message(&m.text);
        let message = MessageRecord {
            provider_message_id: Some(format!("{}:{}", self.visitor.value, m.client_id)),
            meta,
            ..MessageRecord::from_customer(Channel::Chat, m.text)
        };
        let thread = match self.conversation {
            Some(c) => Thread::Conversation(c),
            None => Thread::Ongoing,
        };
        Ok(Some(InboundContact {
            identity: Some(self.visitor.clone()),
            customer_name: self.name.map(str::to_owned),
            subject,
            order_number: m.order_number,
            category: m.category,
            files: m.files,
            bot: self.bot,
            ..InboundContact::new(self.merchant, Channel::Chat, thread, message)
        }))
    }
}
