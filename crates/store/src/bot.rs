//! The chat bot's writes. Each step — the bot's messages and what they change — is one
//! transaction that first checks the bot still holds the conversation, so an agent who takes a
//! chat over at the same moment is never answered over by the bot.

use chrono::{DateTime, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::bot::{BotFigures, BotOutcome, HandOverReason};
use madoguchi_core::enums::{ConversationStatus, EventKind};
use madoguchi_core::ids::{ConversationId, MerchantId, UserId};
use madoguchi_core::merchant::Merchant;
use madoguchi_core::time::now;

use crate::conversations::{MessageRecord, insert_event, insert_message};
use crate::search_feed::FeedKind;
use crate::{Result, Store, Tx, on_db, on_pool};

/// What a bot step does besides storing its messages.
#[derive(Debug, Clone, PartialEq)]
pub enum BotStep {
    /// Messages only; `answered` counts an answer toward the bot's tries.
    Reply { answered: bool },
    /// The customer was helped: the conversation closes as resolved by the bot.
    Resolve { article: Option<String> },
    /// A person takes over: the conversation joins the queue and its service clocks start now.
    HandOver { reason: HandOverReason, articles: Vec<String> },
}

/// Ends the bot's hold inside a caller's transaction (a hand-over or a resolution), with its
/// timeline event. The caller sets the conversation's new status.
pub(crate) async fn end_bot(
    tx: &mut Tx,
    merchant: MerchantId,
    conversation: ConversationId,
    outcome: BotOutcome,
    actor: Option<UserId>,
    data: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<()> {
    on_db!(tx, c => sqlx::query("UPDATE conversations SET bot_outcome = $2, bot_ended_at = $3 WHERE id = $1")
        .bind(conversation.0)
        .bind(outcome.as_str())
        .bind(at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    let kind = if outcome == BotOutcome::Resolved { EventKind::BotResolved } else { EventKind::BotHandedOver };
    insert_event(tx, merchant, conversation, kind, actor, data, at).await
}

impl Store {
    /// How many answers the bot has given in a conversation it still holds; `None` when it
    /// does not hold it (any more).
    pub async fn bot_answers(&self, conversation: ConversationId) -> Result<Option<u32>> {
        let n: Option<i64> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT bot_answers FROM conversations WHERE id = $1 AND status = $2 AND bot_outcome = $3",
        )
        .bind(conversation.0)
        .bind(ConversationStatus::Bot.as_str())
        .bind(BotOutcome::Active.as_str())
        .fetch_optional(p)
        .await)?;
        Ok(n.map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// Stores the bot's messages and its step, if the bot still holds the conversation; `false`
    /// (and nothing stored) when a person took it over in the meantime.
    pub async fn bot_step(
        &self,
        merchant: &Merchant,
        conversation: ConversationId,
        messages: &[MessageRecord],
        step: &BotStep,
    ) -> Result<bool> {
        let t = now();
        let mut tx = self.begin().await?;
        // The guard, and on PostgreSQL the row lock that orders this step after a take-over.
        let held = on_db!(&mut tx, c => sqlx::query(
            "UPDATE conversations SET updated_at = $2 WHERE id = $1 AND merchant_id = $3 AND status = $4 AND bot_outcome = $5",
        )
        .bind(conversation.0)
        .bind(t)
        .bind(merchant.id.0)
        .bind(ConversationStatus::Bot.as_str())
        .bind(BotOutcome::Active.as_str())
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if held == 0 {
            return Ok(false);
        }
        let scope = Scope::Merchants(vec![merchant.id]);
        let mut conv = Store::conversation_in_tx(&mut tx, &scope, conversation).await?;
        for m in messages {
            insert_message(&mut tx, &mut conv, m, t).await?;
        }
        match step {
            BotStep::Reply { answered } => {
                if *answered {
                    on_db!(&mut tx, c => sqlx::query("UPDATE conversations SET bot_answers = bot_answers + 1 WHERE id = $1")
                        .bind(conversation.0)
                        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
                }
            }
            BotStep::Resolve { article } => {
                on_db!(&mut tx, c => sqlx::query("UPDATE conversations SET status = $2, resolved_at = $3 WHERE id = $1")
                    .bind(conversation.0)
                    .bind(ConversationStatus::Closed.as_str())
                    .bind(t)
                    .execute(&mut *c).await.map(|r| r.rows_affected()))?;
                let data = serde_json::json!({ "article": article });
                end_bot(&mut tx, merchant.id, conversation, BotOutcome::Resolved, None, data, t).await?;
                status_event(&mut tx, merchant.id, conversation, ConversationStatus::Closed, t).await?;
            }
            BotStep::HandOver { reason, articles } => {
                let closed = merchant.closed_day_pairs();
                let cal = madoguchi_core::calendar::BusinessCalendar {
                    timezone: merchant.tz(),
                    hours: &merchant.business_hours,
                    closed_days: &closed,
                };
                let (first_due, resolution_due) = merchant.sla.due_times(&cal, t);
                on_db!(&mut tx, c => sqlx::query(
                    "UPDATE conversations SET status = $2, first_response_due_at = $3, resolution_due_at = $4 WHERE id = $1",
                )
                .bind(conversation.0)
                .bind(ConversationStatus::New.as_str())
                .bind(first_due)
                .bind(resolution_due)
                .execute(&mut *c).await.map(|r| r.rows_affected()))?;
                let data = serde_json::json!({ "reason": reason, "articles": articles });
                end_bot(&mut tx, merchant.id, conversation, BotOutcome::HandedOver, None, data, t).await?;
                status_event(&mut tx, merchant.id, conversation, ConversationStatus::New, t).await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Chats the bot holds whose latest public message is the customer's and older than
    /// `before`: a turn the bot never took (the server stopped in between). With the message's
    /// text, oldest first.
    pub async fn bot_unanswered(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(MerchantId, ConversationId, String)>> {
        let rows: Vec<(uuid::Uuid, uuid::Uuid, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT c.merchant_id, c.id, m.body_text FROM conversations c
             JOIN messages m ON m.id = (SELECT id FROM messages WHERE conversation_id = c.id AND internal = $3
                                        ORDER BY created_at DESC, id DESC LIMIT 1)
             WHERE c.status = $1 AND m.direction = 'inbound' AND m.created_at < $2
             ORDER BY m.created_at LIMIT $4",
        )
        .bind(ConversationStatus::Bot.as_str())
        .bind(before)
        .bind(false)
        .bind(limit)
        .fetch_all(p)
        .await)?;
        Ok(rows.into_iter().map(|(m, c, text)| (MerchantId(m), ConversationId(c), text)).collect())
    }

    /// The bot's figures for chats opened in `[from, to)`.
    pub async fn bot_figures(
        &self,
        scope: &Scope,
        merchant: MerchantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<BotFigures> {
        if !scope.allows(merchant) {
            return Err(crate::StoreError::NotFound);
        }
        let rows: Vec<(String, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT bot_outcome, COUNT(*) FROM conversations
             WHERE merchant_id = $1 AND bot_outcome IS NOT NULL AND created_at >= $2 AND created_at < $3
             GROUP BY bot_outcome",
        )
        .bind(merchant.0)
        .bind(from)
        .bind(to)
        .fetch_all(p)
        .await)?;
        let count = |o: BotOutcome| rows.iter().find(|(k, _)| k == o.as_str()).map_or(0, |(_, n)| *n);
        Ok(BotFigures::new(count(BotOutcome::Resolved), count(BotOutcome::HandedOver), count(BotOutcome::Active)))
    }
}

/// The status change of a bot step, on the timeline and in the search index.
async fn status_event(
    tx: &mut Tx,
    merchant: MerchantId,
    conversation: ConversationId,
    to: ConversationStatus,
    at: DateTime<Utc>,
) -> Result<()> {
    let data = serde_json::json!({ "from": ConversationStatus::Bot, "to": to, "by": "bot" });
    insert_event(tx, merchant, conversation, EventKind::StatusChanged, None, data, at).await?;
    crate::search_feed::enqueue(tx, merchant, FeedKind::Conversation, conversation.0).await
}
