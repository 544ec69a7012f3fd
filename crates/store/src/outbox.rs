//! The outbox: every reply that a channel delivers gets a row here in the same transaction as
//! the message. Workers claim due rows with a lease, so a crash mid-send leaves the row to be
//! taken again once the lease runs out, and a sent row is never taken again.

use chrono::{DateTime, Duration, Utc};
use madoguchi_core::enums::{Channel, DeliveryStatus};
use madoguchi_core::ids::{ConversationId, MerchantId, MessageId};
use uuid::Uuid;

use crate::rows::parse;
use crate::{Result, Store, Tx, on_db, on_pool};

/// After this many failed attempts a delivery is given up and shown as failed.
pub const MAX_ATTEMPTS: i64 = 8;

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub id: Uuid,
    pub merchant_id: MerchantId,
    pub message_id: MessageId,
    pub conversation_id: ConversationId,
    pub channel: Channel,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    merchant_id: Uuid,
    message_id: Uuid,
    conversation_id: Uuid,
    channel: String,
    attempts: i64,
}

/// How long to wait after the n-th failed attempt: 5 s, 10 s, 20 s … up to an hour.
pub fn backoff(attempts: i64) -> Duration {
    let secs = 5i64.saturating_mul(1i64 << attempts.clamp(1, 20).saturating_sub(1));
    Duration::seconds(secs.min(3600))
}

pub(crate) async fn enqueue(
    tx: &mut Tx,
    merchant: MerchantId,
    conversation: ConversationId,
    message: MessageId,
    channel: Channel,
    at: DateTime<Utc>,
) -> Result<()> {
    on_db!(tx, c => sqlx::query(
        "INSERT INTO outbox (id, merchant_id, message_id, conversation_id, channel, status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $6)",
    )
    .bind(message.0)
    .bind(merchant.0)
    .bind(message.0)
    .bind(conversation.0)
    .bind(channel.as_str())
    .bind(at)
    .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

impl Store {
    /// Takes the next due delivery and holds it for `lease`. The outer conditions are checked
    /// again on the row itself, so two workers racing for it cannot both win.
    pub async fn claim_outbox(&self, now: DateTime<Utc>, lease: Duration) -> Result<Option<OutboxItem>> {
        let row: Option<Row> = on_pool!(self, p => sqlx::query_as(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, locked_until = $2
             WHERE id = (SELECT id FROM outbox
                         WHERE status IN ('queued', 'sending') AND next_attempt_at <= $1
                           AND (locked_until IS NULL OR locked_until < $1)
                         ORDER BY next_attempt_at LIMIT 1)
               AND status IN ('queued', 'sending') AND (locked_until IS NULL OR locked_until < $1)
             RETURNING id, merchant_id, message_id, conversation_id, channel, attempts",
        )
        .bind(now)
        .bind(now + lease)
        .fetch_optional(p)
        .await)?;
        row.map(|r| {
            Ok(OutboxItem {
                id: r.id,
                merchant_id: MerchantId(r.merchant_id),
                message_id: MessageId(r.message_id),
                conversation_id: ConversationId(r.conversation_id),
                channel: parse("outbox.channel", &r.channel)?,
                attempts: r.attempts,
            })
        })
        .transpose()
    }

    /// Records a delivery: the row is done and the message shows as sent.
    pub async fn outbox_sent(&self, item: &OutboxItem, provider_ref: Option<&str>, at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => {
            sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $2, locked_until = NULL, last_error = NULL, provider_ref = $3 WHERE id = $1")
                .bind(item.id)
                .bind(at)
                .bind(provider_ref)
                .execute(&mut *c)
                .await?;
            sqlx::query("UPDATE messages SET delivery_status = $2, delivery_error = NULL WHERE id = $1")
                .bind(item.message_id.0)
                .bind(DeliveryStatus::Sent.as_str())
                .execute(&mut *c)
                .await?;
            // Open consoles follow conversation changes: the reply shows as sent in place.
            sqlx::query("UPDATE conversations SET updated_at = $2 WHERE id = (SELECT conversation_id FROM messages WHERE id = $1)")
                .bind(item.message_id.0)
                .bind(at)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
        })?;
        tx.commit().await
    }

    /// Records a failed attempt. A permanent failure, or the last allowed attempt, marks the
    /// message failed with the reason; otherwise it waits for the next try.
    pub async fn outbox_failed(
        &self,
        item: &OutboxItem,
        error: &str,
        permanent: bool,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let give_up = permanent || item.attempts >= MAX_ATTEMPTS;
        let error: String = error.chars().take(1000).collect();
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => {
            sqlx::query("UPDATE outbox SET status = $2, next_attempt_at = $3, locked_until = NULL, last_error = $4 WHERE id = $1")
                .bind(item.id)
                .bind(if give_up { "failed" } else { "queued" })
                .bind(now + backoff(item.attempts))
                .bind(&error)
                .execute(&mut *c)
                .await?;
            sqlx::query("UPDATE messages SET delivery_status = $2, delivery_error = $3 WHERE id = $1")
                .bind(item.message_id.0)
                .bind(if give_up { DeliveryStatus::Failed } else { DeliveryStatus::Queued }.as_str())
                .bind(&error)
                .execute(&mut *c)
                .await?;
            sqlx::query("UPDATE conversations SET updated_at = $2 WHERE id = (SELECT conversation_id FROM messages WHERE id = $1)")
                .bind(item.message_id.0)
                .bind(now)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
        })?;
        tx.commit().await?;
        Ok(give_up)
    }

    /// Deliveries not yet sent (queued or being sent), for health checks and tests.
    pub async fn outbox_pending(&self) -> Result<i64> {
        on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status IN ('queued', 'sending')")
            .fetch_one(p)
            .await)
        .map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(5));
        assert_eq!(backoff(2), Duration::seconds(10));
        assert_eq!(backoff(4), Duration::seconds(40));
        assert_eq!(backoff(30), Duration::seconds(3600));
    }
}
