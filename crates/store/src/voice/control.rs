//! Commands to the provider about live calls, and the legs they place. Kept like the outbox:
//! a command is stored with the decision it carries (in the same request that made it),
//! claimed by one worker with a lease, retried quickly — a call lives for minutes, so a
//! command that cannot get through in a few seconds is given up and logged — and never sent
//! twice once sent.

use chrono::{DateTime, Duration, Utc};
use madoguchi_core::ids::{CallId, MerchantId, UserId};
use madoguchi_core::time::now;
use madoguchi_core::voice::control::CallCommand;
use sqlx::types::Json;
use uuid::Uuid;

use crate::{Result, Store, on_pool};

/// Attempts before a command is given up: a live call cannot wait long.
pub const MAX_COMMAND_ATTEMPTS: i64 = 5;

/// A command taken by a worker.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandItem {
    pub id: Uuid,
    pub merchant_id: MerchantId,
    pub call_id: CallId,
    pub command: CallCommand,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// After the n-th failure: 1 s, 2 s, 4 s, 8 s.
fn backoff(attempts: i64) -> Duration {
    Duration::seconds(1i64 << attempts.clamp(1, 4).saturating_sub(1))
}

impl Store {
    /// Stores a command for the call, due now.
    pub async fn enqueue_call_command(
        &self,
        merchant: MerchantId,
        call: CallId,
        command: &CallCommand,
    ) -> Result<Uuid> {
        let id = Uuid::now_v7();
        let t = now();
        on_pool!(self, p => sqlx::query(
            "INSERT INTO call_commands (id, merchant_id, call_id, command, status, attempts, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, 'queued', 0, $5, $5)",
        )
        .bind(id)
        .bind(merchant.0)
        .bind(call.0)
        .bind(Json(command))
        .bind(t)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(id)
    }

    /// Takes the next due command and holds it for `lease`; the conditions are checked again
    /// on the row, so two workers cannot both take it.
    pub async fn claim_call_command(&self, at: DateTime<Utc>, lease: Duration) -> Result<Option<CommandItem>> {
        type Row = (Uuid, Uuid, Uuid, Json<CallCommand>, i64);
        let row: Option<Row> = on_pool!(self, p => sqlx::query_as(
            "UPDATE call_commands SET status = 'sending', attempts = attempts + 1, locked_until = $2
             WHERE id = (SELECT id FROM call_commands
                         WHERE status IN ('queued', 'sending') AND next_attempt_at <= $1
                           AND (locked_until IS NULL OR locked_until < $1)
                         ORDER BY next_attempt_at, id LIMIT 1)
               AND status IN ('queued', 'sending') AND (locked_until IS NULL OR locked_until < $1)
             RETURNING id, merchant_id, call_id, command, attempts",
        )
        .bind(at)
        .bind(at + lease)
        .fetch_optional(p)
        .await)?;
        Ok(row.map(|(id, m, c, cmd, attempts)| CommandItem {
            id,
            merchant_id: MerchantId(m),
            call_id: CallId(c),
            command: cmd.0,
            attempts,
        }))
    }

    /// The provider took the command (`provider_ref`: the leg it placed, if any).
    pub async fn call_command_sent(&self, item: &CommandItem, provider_ref: Option<&str>) -> Result<()> {
        on_pool!(self, p => sqlx::query(
            "UPDATE call_commands SET status = 'sent', sent_at = $2, locked_until = NULL, last_error = NULL, provider_ref = $3 WHERE id = $1",
        )
        .bind(item.id)
        .bind(now())
        .bind(provider_ref)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A failed attempt: tried again shortly, or given up (permanent, or out of attempts).
    /// Returns whether it was given up.
    pub async fn call_command_failed(&self, item: &CommandItem, error: &str, permanent: bool) -> Result<bool> {
        let give_up = permanent || item.attempts >= MAX_COMMAND_ATTEMPTS;
        let error: String = error.chars().take(1000).collect();
        let t = now();
        on_pool!(self, p => sqlx::query(
            "UPDATE call_commands SET status = $2, next_attempt_at = $3, locked_until = NULL, last_error = $4 WHERE id = $1",
        )
        .bind(item.id)
        .bind(if give_up { "failed" } else { "queued" })
        .bind(t + backoff(item.attempts))
        .bind(&error)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(give_up)
    }

    /// Commands not yet sent, for health checks and tests.
    pub async fn call_commands_pending(&self) -> Result<i64> {
        on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM call_commands WHERE status IN ('queued', 'sending')")
            .fetch_one(p)
            .await)
        .map_err(Into::into)
    }

    /// A leg the provider placed for the call (to `agent`, or a transfer target).
    pub async fn add_call_leg(
        &self,
        merchant: MerchantId,
        call: CallId,
        kind: &str,
        agent: Option<UserId>,
        provider_leg_id: &str,
    ) -> Result<()> {
        on_pool!(self, p => sqlx::query(
            "INSERT INTO call_legs (id, merchant_id, call_id, kind, agent_id, provider_leg_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(Uuid::now_v7())
        .bind(merchant.0)
        .bind(call.0)
        .bind(kind)
        .bind(agent.map(|a| a.0))
        .bind(provider_leg_id)
        .bind(now())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Live calls the desk has heard nothing about since `before` (a lost status callback
    /// would leave one live, and its agent on it, for ever), oldest first.
    pub async fn quiet_calls(&self, provider: &str, before: DateTime<Utc>, limit: i64) -> Result<Vec<CallId>> {
        let ids: Vec<Uuid> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT id FROM calls WHERE state <> 'ended' AND provider = $1 AND updated_at < $2 ORDER BY updated_at LIMIT $3",
        )
        .bind(provider)
        .bind(before)
        .bind(limit)
        .fetch_all(p)
        .await)?;
        Ok(ids.into_iter().map(CallId).collect())
    }

    /// The provider says the call is still up at `at`: it is asked again only after another
    /// quiet spell.
    pub async fn call_still_live(&self, call: CallId, at: DateTime<Utc>) -> Result<()> {
        on_pool!(self, p => sqlx::query("UPDATE calls SET updated_at = $2 WHERE id = $1")
            .bind(call.0)
            .bind(at)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The provider's id of the latest leg placed to `agent` on this call.
    pub async fn agent_leg(&self, call: CallId, agent: UserId) -> Result<Option<String>> {
        on_pool!(self, p => sqlx::query_scalar(
            "SELECT provider_leg_id FROM call_legs WHERE call_id = $1 AND agent_id = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(call.0)
        .bind(agent.0)
        .fetch_optional(p)
        .await)
        .map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_retried_within_seconds() {
        assert_eq!(backoff(1), Duration::seconds(1));
        assert_eq!(backoff(2), Duration::seconds(2));
        assert_eq!(backoff(4), Duration::seconds(8));
        assert_eq!(backoff(40), Duration::seconds(8));
    }
}
