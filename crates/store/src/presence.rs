//! Presence that follows the console: heartbeats, consoles that went quiet, offers that rang
//! out and go back to the queue, who else has a conversation open, and the end of a live
//! contact where after-contact work starts. The rules (timeouts, what is shown) are in
//! `madoguchi_core::presence`; this module reads and writes what they decide on.

use chrono::{DateTime, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::enums::{ConversationStatus, EventKind};
use madoguchi_core::ids::{ConversationId, MerchantId, UserId};
use madoguchi_core::presence::Presence;
use madoguchi_core::time::now;
use uuid::Uuid;

use crate::conversations::insert_event;
use crate::{Result, Store, on_db, on_pool};

/// A waiting chat's place in its shop's queue.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatQueue {
    /// 1 for the next one to be answered.
    pub position: u32,
    /// Chats the shop's agents at work can hold at once.
    pub capacity: u32,
    /// The shop's recent chats, accepted to ended, on average; `None` before any.
    pub handle_seconds: Option<f64>,
}

/// Another user who has the conversation open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub display_name: String,
    /// Typing a reply or a note right now.
    pub replying: bool,
}

/// An offer taken back from an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Withdrawn {
    pub conversation: ConversationId,
    pub merchant: MerchantId,
    pub agent: UserId,
}

/// Why an offer was taken back (the event's `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawReason {
    /// It rang out: not accepted in time.
    NoAnswer,
    /// The agent's console went away (signed out, tab closed, network lost).
    AgentOffline,
    /// The agent's phone was busy or could not be reached.
    Unreachable,
    /// The caller hung up while it rang.
    CallerGone,
}

impl WithdrawReason {
    pub fn as_str(self) -> &'static str {
        match self {
            WithdrawReason::NoAnswer => "no_answer",
            WithdrawReason::AgentOffline => "agent_offline",
            WithdrawReason::Unreachable => "unreachable",
            WithdrawReason::CallerGone => "caller_gone",
        }
    }
}

/// A viewer's mark older than this is a page that was closed.
const VIEWER_FRESH_SECONDS: i64 = 45;
/// "Replying" lasts this long after the last keystroke signal.
const REPLYING_FRESH_SECONDS: i64 = 10;

impl Store {
    /// A console's sign of life. With a conversation, marks that the user has it open (and
    /// whether they are writing in it) and returns who else does. Only an agent who has a
    /// presence row is touched: shop staff have no presence.
    pub async fn heartbeat(
        &self,
        scope: &Scope,
        user: UserId,
        conversation: Option<ConversationId>,
        replying: bool,
    ) -> Result<Vec<Viewer>> {
        let t = now();
        on_pool!(self, p => sqlx::query("UPDATE agent_states SET last_seen_at = $2 WHERE user_id = $1")
            .bind(user.0)
            .bind(t)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        let Some(conversation) = conversation else { return Ok(vec![]) };
        // The conversation must be the user's to see: a heartbeat names no one else's.
        self.get_conversation(scope, conversation).await?;
        let replying_at = replying.then_some(t);
        on_pool!(self, p => sqlx::query(
            "INSERT INTO conversation_viewers (conversation_id, user_id, seen_at, replying_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (conversation_id, user_id) DO UPDATE
               SET seen_at = $3, replying_at = COALESCE($4, conversation_viewers.replying_at)",
        )
        .bind(conversation.0)
        .bind(user.0)
        .bind(t)
        .bind(replying_at)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        let rows: Vec<(String, Option<DateTime<Utc>>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT u.display_name, v.replying_at FROM conversation_viewers v JOIN users u ON u.id = v.user_id
             WHERE v.conversation_id = $1 AND v.user_id <> $2 AND v.seen_at > $3 ORDER BY u.display_name",
        )
        .bind(conversation.0)
        .bind(user.0)
        .bind(t - chrono::Duration::seconds(VIEWER_FRESH_SECONDS))
        .fetch_all(p)
        .await)?;
        let replying_cutoff = t - chrono::Duration::seconds(REPLYING_FRESH_SECONDS);
        Ok(rows
            .into_iter()
            .map(|(display_name, r)| Viewer { display_name, replying: r.is_some_and(|r| r > replying_cutoff) })
            .collect())
    }

    /// The page was closed: the user no longer has the conversation open.
    pub async fn stop_viewing(&self, user: UserId, conversation: ConversationId) -> Result<()> {
        on_pool!(self, p => sqlx::query("DELETE FROM conversation_viewers WHERE conversation_id = $1 AND user_id = $2")
            .bind(conversation.0)
            .bind(user.0)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Agents who are not offline and whose console said nothing since `cutoff` (or, never
    /// seen, whose presence was set before it).
    pub async fn quiet_agents(&self, cutoff: DateTime<Utc>) -> Result<Vec<UserId>> {
        let ids: Vec<Uuid> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT user_id FROM agent_states
             WHERE presence <> $1 AND COALESCE(last_seen_at, presence_since) < $2 AND presence_since < $2",
        )
        .bind(Presence::Offline.as_str())
        .bind(cutoff)
        .fetch_all(p)
        .await)?;
        Ok(ids.into_iter().map(UserId).collect())
    }

    /// Offers of live contacts that were not accepted since before `cutoff`.
    pub async fn rung_out_offers(&self, cutoff: DateTime<Utc>) -> Result<Vec<Withdrawn>> {
        let rows: Vec<(Uuid, Uuid, Uuid)> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, merchant_id, assignee_id FROM conversations
             WHERE offered_at < $1 AND accepted_at IS NULL AND assignee_id IS NOT NULL AND status = $2",
        )
        .bind(cutoff)
        .bind(ConversationStatus::Open.as_str())
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(c, m, a)| Withdrawn { conversation: ConversationId(c), merchant: MerchantId(m), agent: UserId(a) })
            .collect())
    }

    /// Offers an agent has not accepted yet.
    pub async fn pending_offers(&self, agent: UserId) -> Result<Vec<Withdrawn>> {
        let rows: Vec<(Uuid, Uuid)> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, merchant_id FROM conversations
             WHERE assignee_id = $1 AND offered_at IS NOT NULL AND accepted_at IS NULL AND status = $2",
        )
        .bind(agent.0)
        .bind(ConversationStatus::Open.as_str())
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(c, m)| Withdrawn { conversation: ConversationId(c), merchant: MerchantId(m), agent })
            .collect())
    }

    /// Takes an unaccepted offer back to the queue (new, unassigned), if it is still the
    /// agent's and still unaccepted: the agent may have opened it a moment ago, or another
    /// node may have withdrawn it already. Returns whether it was withdrawn.
    pub async fn withdraw_offer(&self, offer: Withdrawn, reason: WithdrawReason) -> Result<bool> {
        let t = now();
        let mut tx = self.begin().await?;
        let n = on_db!(&mut tx, c => sqlx::query(
            "UPDATE conversations SET assignee_id = NULL, status = $3, offered_at = NULL, updated_at = $4
             WHERE id = $1 AND assignee_id = $2 AND accepted_at IS NULL AND offered_at IS NOT NULL AND status = $5",
        )
        .bind(offer.conversation.0)
        .bind(offer.agent.0)
        .bind(ConversationStatus::New.as_str())
        .bind(t)
        .bind(ConversationStatus::Open.as_str())
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Ok(false);
        }
        let data = serde_json::json!({ "agent": offer.agent, "reason": reason.as_str() });
        insert_event(&mut tx, offer.merchant, offer.conversation, EventKind::OfferWithdrawn, None, data, t).await?;
        // Back to new: the conversation's messages carry the status in the index.
        crate::search_feed::enqueue(
            &mut tx,
            offer.merchant,
            crate::search_feed::FeedKind::Conversation,
            offer.conversation.0,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The assignee opened the conversation: a ringing offer is taken. A call is taken by
    /// answering the phone, not by looking at its screen.
    pub async fn accept_offer(&self, agent: UserId, conversation: ConversationId) -> Result<bool> {
        let n = on_pool!(self, p => sqlx::query(
            "UPDATE conversations SET accepted_at = $3 WHERE id = $1 AND assignee_id = $2 AND accepted_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM calls k WHERE k.conversation_id = $1 AND k.state IN ('queued', 'ringing'))",
        )
        .bind(conversation.0)
        .bind(agent.0)
        .bind(now())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Sets the presence only if it is still `from` (a change the agent made meanwhile wins).
    pub async fn set_presence_if(&self, user: UserId, from: &[Presence], to: Presence) -> Result<bool> {
        let t = now();
        let from: Vec<&str> = from.iter().map(|p| p.as_str()).collect();
        let n = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("UPDATE agent_states SET presence = ");
            qb.push_bind(to.as_str()).push(", presence_since = ").push_bind(t);
            if to == Presence::Available {
                qb.push(", idle_since = ").push_bind(t);
            }
            qb.push(" WHERE user_id = ").push_bind(user.0).push(" AND presence IN (");
            let mut list = qb.separated(", ");
            for f in &from {
                list.push_bind(*f);
            }
            qb.push(")");
            qb.build().execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(n > 0)
    }

    /// Live contacts (chats, LINE, calls) the agent holds open now.
    /// Live chats (web chat, LINE) the agent holds and has not ended: what their chat limit
    /// counts, on the board as in routing.
    pub async fn live_chats(&self, agent: UserId) -> Result<u32> {
        let n: i64 = on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM conversations
             WHERE assignee_id = $1 AND status IN ('new', 'open') AND channel IN ('chat', 'line')
               AND contact_ended_at IS NULL",
        )
        .bind(agent.0)
        .fetch_one(p)
        .await)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// What makes an available agent show as busy (対応中): their live chats and the calls they
    /// are on now. A phone conversation is not a call: a memo of a call typed in afterwards, or
    /// a phone conversation left open, must not keep an agent busy.
    pub async fn live_contacts(&self, agent: UserId) -> Result<u32> {
        let calls: i64 = on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM calls WHERE agent_id = $1 AND state = 'connected' AND ended_at IS NULL",
        )
        .bind(agent.0)
        .fetch_one(p)
        .await)?;
        let calls = u32::try_from(calls).unwrap_or(u32::MAX);
        Ok(self.live_chats(agent).await?.saturating_add(calls))
    }

    /// Where a chat stands in its shop's queue: how many live chats wait for a person before it
    /// (new or ringing at an agent, not taken yet; the bot's are not counted), the chat slots of the shop's
    /// agents at work now, and the recent chats' handle times (accepted to ended, seconds).
    /// `None` when the chat is not waiting (taken, with the bot, or over).
    pub async fn chat_queue(&self, merchant: MerchantId, conversation: ConversationId) -> Result<Option<ChatQueue>> {
        #[derive(sqlx::FromRow)]
        struct Me {
            status: String,
            accepted_at: Option<DateTime<Utc>>,
            created_at: DateTime<Utc>,
        }
        let me: Option<Me> = on_pool!(self, p => sqlx::query_as(
            "SELECT status, accepted_at, created_at FROM conversations WHERE id = $1 AND merchant_id = $2",
        )
        .bind(conversation.0)
        .bind(merchant.0)
        .fetch_optional(p)
        .await)?;
        let waiting = |m: &Me| {
            (m.status == ConversationStatus::New.as_str() || m.status == ConversationStatus::Open.as_str())
                && m.accepted_at.is_none()
        };
        let Some(me) = me.filter(waiting) else {
            return Ok(None);
        };
        let ahead = self.chats_waiting(merchant, Some(me.created_at)).await?;
        self.queue_at(merchant, ahead).await.map(Some)
    }

    /// Where a chat started now would stand: behind every chat waiting for a person.
    pub async fn chat_queue_now(&self, merchant: MerchantId) -> Result<ChatQueue> {
        let ahead = self.chats_waiting(merchant, None).await?;
        self.queue_at(merchant, ahead).await
    }

    /// Live chats of the shop waiting for a person (new, or offered and ringing: no agent has
    /// taken them), those started before `before` if given.
    async fn chats_waiting(&self, merchant: MerchantId, before: Option<DateTime<Utc>>) -> Result<u32> {
        let n: i64 = on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM conversations
             WHERE merchant_id = $1 AND channel = 'chat' AND status IN ('new', 'open') AND accepted_at IS NULL
               AND ($2 IS NULL OR created_at < $2)",
        )
        .bind(merchant.0)
        .bind(before)
        .fetch_one(p)
        .await)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn queue_at(&self, merchant: MerchantId, ahead: u32) -> Result<ChatQueue> {
        let mut capacity = 0u32;
        for a in self.merchant_agents(merchant).await? {
            if matches!(a.presence, Presence::Available | Presence::Busy) {
                capacity += a.max_messaging.max(1);
            }
        }
        let recent: Vec<(DateTime<Utc>, DateTime<Utc>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT accepted_at, contact_ended_at FROM conversations
             WHERE merchant_id = $1 AND channel = 'chat' AND accepted_at IS NOT NULL AND contact_ended_at IS NOT NULL
             ORDER BY contact_ended_at DESC LIMIT 50",
        )
        .bind(merchant.0)
        .fetch_all(p)
        .await)?;
        let handled: Vec<f64> =
            recent.iter().map(|(a, e)| (*e - *a).num_seconds() as f64).filter(|s| *s > 0.0).collect();
        let handle_seconds = (!handled.is_empty()).then(|| handled.iter().sum::<f64>() / handled.len() as f64);
        Ok(ChatQueue { position: ahead.saturating_add(1), capacity, handle_seconds })
    }

    /// Live contacts the agent ended but has not wrapped up yet.
    pub async fn contacts_awaiting_wrap_up(&self, agent: UserId) -> Result<u32> {
        let n: i64 = on_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM conversations c
             WHERE c.assignee_id = $1 AND c.contact_ended_at IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM wrap_ups w WHERE w.conversation_id = c.id AND w.created_at >= c.contact_ended_at)",
        )
        .bind(agent.0)
        .fetch_one(p)
        .await)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// The agent ended the live contact (the chat is over, the call hung up): after-contact
    /// work runs from now. Ending it again moves nothing.
    pub async fn end_contact(&self, scope: &Scope, actor: UserId, conversation: ConversationId) -> Result<bool> {
        let c = self.get_conversation(scope, conversation).await?;
        if madoguchi_core::presence::Load::of(c.channel) == madoguchi_core::presence::Load::Deferred {
            return Err(madoguchi_core::ValidationError::new(
                "channel",
                "not_live",
                "only a chat, LINE conversation or call is ended; mail is answered in turn",
            )
            .into());
        }
        let t = now();
        let mut tx = self.begin().await?;
        let n = on_db!(&mut tx, db => sqlx::query(
            "UPDATE conversations SET contact_ended_at = $2, updated_at = $2, accepted_at = COALESCE(accepted_at, $2)
             WHERE id = $1 AND contact_ended_at IS NULL",
        )
        .bind(conversation.0)
        .bind(t)
        .execute(&mut *db)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Ok(false);
        }
        insert_event(
            &mut tx,
            c.merchant_id,
            conversation,
            EventKind::ContactEnded,
            Some(actor),
            serde_json::json!({}),
            t,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
