//! The bot's turns that were never taken: a server stopped between storing a customer's
//! message and answering it leaves the chat waiting, so they are looked for and taken.

use crate::App;
use crate::usecases::bot::{UNANSWERED_AFTER, take_turn_soon};

/// Forever, every `every`: gives the bot the turns it never took (a server stopped between
/// storing a customer's message and answering it), so no customer waits on a silent bot.
/// Safe on several nodes: each step checks the bot still holds the chat.
pub async fn run(st: App, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match st.store.bot_unanswered(chrono::Utc::now() - UNANSWERED_AFTER, 100).await {
            Ok(waiting) => {
                for (merchant, conversation, text) in waiting {
                    tracing::info!(%conversation, "bot: answering a message it had not answered");
                    take_turn_soon(&st, merchant, conversation, text);
                }
            }
            Err(e) => tracing::warn!(error = ?e, "bot: looking for unanswered chats failed"),
        }
    }
}
