//! Answers to providers' webhooks by delivery token, so a retried delivery (the provider timed
//! out, or the network dropped our answer) is answered as the first one was and the call does
//! not move on twice. Two copies of one delivery arriving at the same instant may both be
//! worked out; the first stored answer is the one kept and replayed after.

use chrono::Duration;
use madoguchi_core::time::now;

use crate::{Result, Store, on_pool};

/// How long an answer is kept: providers retry within seconds to minutes.
const KEEP: Duration = Duration::hours(24);

impl Store {
    /// The answer given to this delivery before, if any.
    pub async fn webhook_reply(&self, provider: &str, token: &str) -> Result<Option<String>> {
        Ok(on_pool!(self, p => sqlx::query_scalar(
            "SELECT answer FROM webhook_replies WHERE provider = $1 AND token = $2 AND created_at > $3",
        )
        .bind(provider)
        .bind(token)
        .bind(now() - KEEP)
        .fetch_optional(p)
        .await)?)
    }

    /// Keeps the answer to this delivery (the first one stays), and drops those past keeping.
    pub async fn save_webhook_reply(&self, provider: &str, token: &str, answer: &str) -> Result<()> {
        let t = now();
        on_pool!(self, p => sqlx::query(
            "INSERT INTO webhook_replies (provider, token, answer, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(provider)
        .bind(token)
        .bind(answer)
        .bind(t)
        .execute(p).await.map(|r| r.rows_affected()))?;
        on_pool!(self, p => sqlx::query("DELETE FROM webhook_replies WHERE created_at < $1")
            .bind(t - KEEP)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}
