//! Live signals between the people in a chat: a new message was stored, someone is typing.
//! Messages themselves always come from the store (a socket that misses a signal still finds
//! the message on its next poll); the hub only makes them appear at once, and carries typing,
//! which is never stored. It lives in one process: with several nodes, typing stays local to a
//! node and messages arrive by polling.

use madoguchi_core::ids::{ConversationId, MerchantId};
use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typist {
    Visitor,
    /// An agent, by the name the customer sees.
    Agent(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// A message of the conversation was stored; readers should look in the store.
    Message,
    Typing(Typist),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSignal {
    pub merchant: MerchantId,
    pub conversation: ConversationId,
    pub signal: Signal,
}

#[derive(Clone)]
pub struct ChatHub {
    tx: broadcast::Sender<ChatSignal>,
}

impl Default for ChatHub {
    fn default() -> Self {
        // A lagging reader loses old signals only, and falls back on polling.
        let (tx, _) = broadcast::channel(1024);
        ChatHub { tx }
    }
}

impl ChatHub {
    pub fn publish(&self, merchant: MerchantId, conversation: ConversationId, signal: Signal) {
        // No receiver is fine: nobody is watching that conversation.
        let _ = self.tx.send(ChatSignal { merchant, conversation, signal });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ChatSignal> {
        self.tx.subscribe()
    }
}
