//! What routing reads and writes: agents' presence, skills and capacity, a merchant's queues,
//! the snapshot the pure routing rule decides on, and applying its offers.

use chrono::{DateTime, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::agent::{AgentProfile, DEFAULT_MAX_MESSAGING, ProfileChange, Queue};
use madoguchi_core::audit::NewAuditEvent;
use madoguchi_core::enums::{AuditAction, ConversationStatus, EventKind, Priority, SubjectType};
use madoguchi_core::ids::{MerchantId, QueueId, UserId};
use madoguchi_core::presence::Presence;
use madoguchi_core::routing::{AgentState, Offer, WaitingContact};
use madoguchi_core::time::now;
use sqlx::types::Json;
use uuid::Uuid;

use crate::rows::parse;
use crate::{Result, Store, StoreError, audit, on_db, on_pool};

#[derive(sqlx::FromRow)]
struct StateRow {
    presence: String,
    max_messaging: i32,
    extension: Option<String>,
    presence_since: DateTime<Utc>,
    idle_since: DateTime<Utc>,
}

impl Store {
    /// An agent's routing profile; one who never set a presence is offline with defaults.
    pub async fn agent_profile(&self, user: UserId) -> Result<AgentProfile> {
        let (row, skills): (Option<StateRow>, Vec<String>) = on_pool!(self, p => {
            let row = sqlx::query_as("SELECT presence, max_messaging, extension, presence_since, idle_since FROM agent_states WHERE user_id = $1")
                .bind(user.0)
                .fetch_optional(p)
                .await?;
            let skills = sqlx::query_scalar("SELECT skill FROM agent_skills WHERE user_id = $1 ORDER BY skill")
                .bind(user.0)
                .fetch_all(p)
                .await?;
            Ok::<_, sqlx::Error>((row, skills))
        })?;
        Ok(match row {
            Some(r) => AgentProfile {
                user_id: user,
                presence: parse("agent_states.presence", &r.presence)?,
                skills,
                max_messaging: u32::try_from(r.max_messaging).unwrap_or(DEFAULT_MAX_MESSAGING),
                extension: r.extension,
                presence_since: r.presence_since,
                idle_since: r.idle_since,
            },
            None => {
                let t = now();
                AgentProfile {
                    user_id: user,
                    presence: Presence::Offline,
                    skills,
                    max_messaging: DEFAULT_MAX_MESSAGING,
                    extension: None,
                    presence_since: t,
                    idle_since: t,
                }
            }
        })
    }

    /// The shop's active agent a PBX names: by extension first, else by login or e-mail.
    pub async fn agent_by_extension(&self, merchant: MerchantId, name: &str) -> Result<Option<UserId>> {
        let id: Option<Uuid> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT u.id FROM users u
             JOIN user_merchants m ON m.user_id = u.id AND m.merchant_id = $1
             LEFT JOIN agent_states a ON a.user_id = u.id
             WHERE u.active = $3 AND (a.extension = $2 OR u.login = $2 OR LOWER(u.email) = LOWER($2))
             ORDER BY CASE WHEN a.extension = $2 THEN 0 ELSE 1 END, u.id LIMIT 1",
        )
        .bind(merchant.0)
        .bind(name)
        .bind(true)
        .fetch_optional(p)
        .await)?;
        Ok(id.map(UserId))
    }

    /// Sets an agent's presence. Becoming available starts the idle clock.
    pub async fn set_presence(&self, user: UserId, presence: Presence) -> Result<AgentProfile> {
        let before = self.agent_profile(user).await?;
        let t = now();
        let idle_since = if presence == Presence::Available && before.presence != Presence::Available {
            t
        } else {
            before.idle_since
        };
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => sqlx::query(
            "INSERT INTO agent_states (user_id, presence, max_messaging, presence_since, idle_since, last_seen_at)
             VALUES ($1, $2, $3, $4, $5, $4)
             ON CONFLICT (user_id) DO UPDATE SET presence = $2, presence_since = $4, idle_since = $5, last_seen_at = $4",
        )
        .bind(user.0)
        .bind(presence.as_str())
        .bind(before.max_messaging as i32)
        .bind(t)
        .bind(idle_since)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        tx.commit().await?;
        self.agent_profile(user).await
    }

    /// Sets skills, live capacity and the PBX extension (by a supervisor or admin).
    pub async fn set_agent_profile(&self, actor: UserId, user: UserId, change: &ProfileChange) -> Result<AgentProfile> {
        let (skills, max_messaging) = (change.skills.as_deref(), change.max_messaging);
        if let Some(Some(ext)) = &change.extension {
            let holder: Option<Uuid> = on_pool!(self, p => sqlx::query_scalar(
                "SELECT user_id FROM agent_states WHERE extension = $1 AND user_id <> $2",
            )
            .bind(ext)
            .bind(user.0)
            .fetch_optional(p)
            .await)?;
            if holder.is_some() {
                return Err(StoreError::conflict("extension_taken", format!("extension {ext} is another agent's")));
            }
        }
        let before = self.agent_profile(user).await?;
        let t = now();
        let mut tx = self.begin().await?;
        on_db!(&mut tx, c => {
            sqlx::query(
                "INSERT INTO agent_states (user_id, presence, max_messaging, presence_since, idle_since) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (user_id) DO UPDATE SET max_messaging = $3",
            )
            .bind(user.0)
            .bind(before.presence.as_str())
            .bind(max_messaging.unwrap_or(before.max_messaging) as i32)
            .bind(before.presence_since)
            .bind(before.idle_since)
            .execute(&mut *c)
            .await?;
            if let Some(extension) = &change.extension {
                sqlx::query("UPDATE agent_states SET extension = $2 WHERE user_id = $1").bind(user.0).bind(extension).execute(&mut *c).await?;
            }
            if let Some(skills) = skills {
                sqlx::query("DELETE FROM agent_skills WHERE user_id = $1").bind(user.0).execute(&mut *c).await?;
                for s in skills {
                    sqlx::query("INSERT INTO agent_skills (user_id, skill) VALUES ($1, $2)").bind(user.0).bind(s).execute(&mut *c).await?;
                }
            }
            Ok::<_, sqlx::Error>(())
        })?;
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: None,
                actor_user_id: Some(actor),
                action: AuditAction::Update,
                subject_type: SubjectType::User,
                subject_id: user.to_string(),
                details: serde_json::json!({ "skills": skills, "max_messaging": max_messaging, "extension": change.extension, "at": t }),
            },
        )
        .await?;
        tx.commit().await?;
        self.agent_profile(user).await
    }

    pub async fn create_queue(&self, scope: &Scope, actor: UserId, merchant: MerchantId, name: &str) -> Result<Queue> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let id = QueueId::new();
        let t = now();
        let mut tx = self.begin().await?;
        let taken: i64 = on_db!(&mut tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM queues WHERE merchant_id = $1 AND name = $2")
            .bind(merchant.0)
            .bind(name)
            .fetch_one(&mut *c)
            .await)?;
        if taken > 0 {
            return Err(StoreError::conflict("queue_exists", format!("the queue {name:?} already exists")));
        }
        on_db!(&mut tx, c => sqlx::query("INSERT INTO queues (id, merchant_id, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id.0)
            .bind(merchant.0)
            .bind(name)
            .bind(t)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: Some(merchant),
                actor_user_id: Some(actor),
                action: AuditAction::Create,
                subject_type: SubjectType::Merchant,
                subject_id: merchant.to_string(),
                details: serde_json::json!({ "queue_created": name }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Queue { id, merchant_id: merchant, name: name.to_owned(), created_at: t })
    }

    pub async fn list_queues(&self, scope: &Scope, merchant: MerchantId) -> Result<Vec<Queue>> {
        if !scope.allows(merchant) {
            return Err(StoreError::NotFound);
        }
        let rows: Vec<(Uuid, String, DateTime<Utc>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, name, created_at FROM queues WHERE merchant_id = $1 ORDER BY name",
        )
        .bind(merchant.0)
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(id, name, created_at)| Queue { id: QueueId(id), merchant_id: merchant, name, created_at })
            .collect())
    }

    pub async fn get_queue(&self, scope: &Scope, id: QueueId) -> Result<Queue> {
        let row: Option<(Uuid, String, DateTime<Utc>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT merchant_id, name, created_at FROM queues WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(p)
        .await)?;
        let (m, name, created_at) = row.filter(|(m, _, _)| scope.allows(MerchantId(*m))).ok_or(StoreError::NotFound)?;
        Ok(Queue { id, merchant_id: MerchantId(m), name, created_at })
    }

    /// Renames a queue, and the conversations waiting in it with it (a queue is named on them).
    pub async fn rename_queue(&self, scope: &Scope, actor: UserId, id: QueueId, name: &str) -> Result<()> {
        let q = self.get_queue(scope, id).await?;
        let mut tx = self.begin().await?;
        let taken: i64 = on_db!(&mut tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM queues WHERE merchant_id = $1 AND name = $2 AND id <> $3")
            .bind(q.merchant_id.0)
            .bind(name)
            .bind(id.0)
            .fetch_one(&mut *c)
            .await)?;
        if taken > 0 {
            return Err(StoreError::conflict("queue_exists", format!("the queue {name} already exists")));
        }
        on_db!(&mut tx, c => sqlx::query("UPDATE queues SET name = $2 WHERE id = $1").bind(id.0).bind(name).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        on_db!(&mut tx, c => sqlx::query("UPDATE conversations SET queue = $3 WHERE merchant_id = $1 AND queue = $2")
            .bind(q.merchant_id.0)
            .bind(&q.name)
            .bind(name)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        // The queue's name is also the skill its agents need: this shop's agents who had the
        // old one get the new one (the old stays, another shop may name a queue so too).
        on_db!(&mut tx, c => sqlx::query(
            "INSERT INTO agent_skills (user_id, skill)
             SELECT s.user_id, $3 FROM agent_skills s JOIN user_merchants m ON m.user_id = s.user_id
             WHERE m.merchant_id = $1 AND s.skill = $2
               AND NOT EXISTS (SELECT 1 FROM agent_skills x WHERE x.user_id = s.user_id AND x.skill = $3)",
        )
            .bind(q.merchant_id.0)
            .bind(&q.name)
            .bind(name)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: Some(q.merchant_id),
                actor_user_id: Some(actor),
                action: AuditAction::Update,
                subject_type: SubjectType::Merchant,
                subject_id: q.merchant_id.to_string(),
                details: serde_json::json!({ "queue_renamed": { "from": q.name, "to": name } }),
            },
        )
        .await?;
        tx.commit().await
    }

    pub async fn delete_queue(&self, scope: &Scope, actor: UserId, id: QueueId) -> Result<()> {
        let mut tx = self.begin().await?;
        let row: Option<(Uuid, String)> = on_db!(&mut tx, c => sqlx::query_as("SELECT merchant_id, name FROM queues WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await)?;
        let (merchant, name) = row.filter(|(m, _)| scope.allows(MerchantId(*m))).ok_or(StoreError::NotFound)?;
        on_db!(&mut tx, c => sqlx::query("DELETE FROM queues WHERE id = $1").bind(id.0).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: Some(MerchantId(merchant)),
                actor_user_id: Some(actor),
                action: AuditAction::Delete,
                subject_type: SubjectType::Merchant,
                subject_id: merchant.to_string(),
                details: serde_json::json!({ "queue_deleted": name }),
            },
        )
        .await?;
        tx.commit().await
    }

    /// Agents of a merchant with their routing profiles (for supervisors and routing).
    pub async fn merchant_agents(&self, merchant: MerchantId) -> Result<Vec<AgentProfile>> {
        let ids: Vec<Uuid> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT u.id FROM users u JOIN user_merchants m ON m.user_id = u.id
             WHERE m.merchant_id = $1 AND u.active = $2 AND u.role IN ('agent', 'supervisor') ORDER BY u.id",
        )
        .bind(merchant.0)
        .bind(true)
        .fetch_all(p)
        .await)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.agent_profile(UserId(id)).await?);
        }
        Ok(out)
    }

    /// What routing decides on for one merchant: its waiting contacts (new and unassigned) and
    /// its available agents with their current load.
    pub async fn routing_snapshot(&self, merchant: MerchantId) -> Result<(Vec<WaitingContact>, Vec<AgentState>)> {
        #[derive(sqlx::FromRow)]
        struct Waiting {
            id: Uuid,
            channel: String,
            queue: Option<String>,
            priority: String,
            rank: Option<String>,
            created_at: DateTime<Utc>,
        }
        let waiting: Vec<Waiting> = on_pool!(self, p => sqlx::query_as(
            "SELECT c.id, c.channel, c.queue, c.priority, cu.rank, c.created_at
             FROM conversations c LEFT JOIN customers cu ON cu.id = c.customer_id
             WHERE c.merchant_id = $1 AND c.status = $2 AND c.assignee_id IS NULL
               -- A call's conversation waits for an agent only while the call is in the queue:
               -- not in the shop's menu, and not once the caller has gone (a voicemail or a
               -- missed call stays in the inbox for whoever calls back). A PBX routes its own
               -- calls: the desk only hears about them.
               AND NOT EXISTS (SELECT 1 FROM calls k WHERE k.conversation_id = c.id AND (k.state <> 'queued' OR k.provider = 'pbx'))
             ORDER BY c.created_at LIMIT 500",
        )
        .bind(merchant.0)
        .bind(ConversationStatus::New.as_str())
        .fetch_all(p)
        .await)?;
        let contacts = waiting
            .into_iter()
            .map(|w| {
                Ok(WaitingContact {
                    conversation_id: w.id.into(),
                    merchant_id: merchant,
                    channel: parse("conversations.channel", &w.channel)?,
                    queue: w.queue,
                    priority: parse::<Priority>("conversations.priority", &w.priority)?,
                    vip: w.rank.is_some_and(|r| r.eq_ignore_ascii_case("vip")),
                    waiting_since: w.created_at,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut agents = Vec::new();
        for profile in self.merchant_agents(merchant).await? {
            if profile.presence != Presence::Available {
                continue;
            }
            let active: i64 = on_pool!(self, p => sqlx::query_scalar(
                // The same count as the board's 「2 / 3」 (`live_chats`): an ended chat waits for
                // its wrap-up, not for the agent's attention.
                "SELECT COUNT(*) FROM conversations
                 WHERE assignee_id = $1 AND status IN ('new', 'open') AND channel IN ('chat', 'line') AND contact_ended_at IS NULL",
            )
            .bind(profile.user_id.0)
            .fetch_one(p)
            .await)?;
            let merchants: Vec<Uuid> = on_pool!(self, p => sqlx::query_scalar("SELECT merchant_id FROM user_merchants WHERE user_id = $1")
                .bind(profile.user_id.0)
                .fetch_all(p)
                .await)?;
            // A call ringing at the agent or connected to them takes the whole agent.
            let calls: i64 = on_pool!(self, p => sqlx::query_scalar(
                "SELECT COUNT(*) FROM calls
                 WHERE (agent_id = $1 AND state = 'connected' OR offered_to = $1 AND state = 'ringing') AND ended_at IS NULL",
            )
            .bind(profile.user_id.0)
            .fetch_one(p)
            .await)?;
            agents.push(AgentState {
                user_id: profile.user_id,
                presence: profile.presence,
                merchants: merchants.into_iter().map(MerchantId).collect(),
                skills: profile.skills,
                active_messaging: u32::try_from(active).unwrap_or(u32::MAX),
                max_messaging: profile.max_messaging,
                on_call: calls > 0,
                idle_since: profile.idle_since,
            });
        }
        Ok((contacts, agents))
    }

    /// Assigns an offered conversation if it is still waiting (another node may have been
    /// faster); restarts the agent's idle clock. Returns whether it was assigned.
    pub async fn apply_offer(&self, merchant: MerchantId, offer: Offer) -> Result<bool> {
        let t = now();
        let mut tx = self.begin().await?;
        // The agent's row first: offers to one agent are applied one at a time, so two routing
        // passes at once (two calls queued together, two nodes) cannot both give them a call.
        on_db!(&mut tx, c => sqlx::query("UPDATE agent_states SET idle_since = idle_since WHERE user_id = $1")
            .bind(offer.user_id.0)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected()))?;
        // A live contact (chat, LINE, a call) rings until the agent takes it; mail and other
        // contacts answered in turn are taken as they are assigned. A call takes the whole
        // agent: one offered a call that still waits or rings, or on a call, gets nothing more.
        let n = on_db!(&mut tx, c => sqlx::query(
            "UPDATE conversations SET assignee_id = $2, status = $3, updated_at = $4, offered_at = $4,
                    accepted_at = CASE WHEN channel IN ('chat', 'line', 'phone') THEN NULL ELSE $4 END
             WHERE id = $1 AND merchant_id = $5 AND assignee_id IS NULL AND status = $6
               AND NOT EXISTS (SELECT 1 FROM calls k JOIN conversations o ON o.id = k.conversation_id
                               WHERE o.assignee_id = $2 AND k.state IN ('queued', 'ringing')
                                  OR k.agent_id = $2 AND k.state = 'connected')",
        )
        .bind(offer.conversation_id.0)
        .bind(offer.user_id.0)
        .bind(ConversationStatus::Open.as_str())
        .bind(t)
        .bind(merchant.0)
        .bind(ConversationStatus::New.as_str())
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Ok(false);
        }
        on_db!(&mut tx, c => {
            sqlx::query(
                "INSERT INTO conversation_events (id, merchant_id, conversation_id, kind, actor_user_id, data, created_at)
                 VALUES ($1, $2, $3, $4, NULL, $5, $6)",
            )
            .bind(Uuid::now_v7())
            .bind(merchant.0)
            .bind(offer.conversation_id.0)
            .bind(EventKind::Assigned.as_str())
            .bind(Json(serde_json::json!({ "from": null, "to": offer.user_id, "by": "routing" })))
            .bind(t)
            .execute(&mut *c)
            .await?;
            sqlx::query("UPDATE agent_states SET idle_since = $2 WHERE user_id = $1").bind(offer.user_id.0).bind(t).execute(&mut *c).await?;
            Ok::<_, sqlx::Error>(())
        })?;
        // New → open: the conversation's messages carry the status in the index.
        crate::search_feed::enqueue(
            &mut tx,
            merchant,
            crate::search_feed::FeedKind::Conversation,
            offer.conversation_id.0,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

impl Store {
    /// The supervisor board of one merchant: per queue, what waits now and how today went
    /// since `day_start`; agents by presence.
    pub async fn board(
        &self,
        scope: &Scope,
        merchant: MerchantId,
        day_start: DateTime<Utc>,
    ) -> Result<madoguchi_core::board::Board> {
        use madoguchi_core::board::{Board, PresenceCount, QueueFigures};
        use strum::IntoEnumIterator;
        let m = self.get_merchant(scope, crate::merchants::MerchantKey::Id(merchant)).await?;
        #[derive(sqlx::FromRow)]
        struct Row {
            queue: String,
            waiting: Option<i64>,
            oldest_waiting: Option<DateTime<Utc>>,
            offered: Option<i64>,
            answered: Option<i64>,
            abandoned: Option<i64>,
            within_target: Option<i64>,
        }
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT COALESCE(queue, '') AS queue,
                    SUM(CASE WHEN status = 'new' AND assignee_id IS NULL THEN 1 ELSE 0 END) AS waiting,
                    MIN(CASE WHEN status = 'new' AND assignee_id IS NULL THEN created_at END) AS oldest_waiting,
                    SUM(CASE WHEN created_at >= $2 THEN 1 ELSE 0 END) AS offered,
                    SUM(CASE WHEN created_at >= $2 AND first_response_at IS NOT NULL THEN 1 ELSE 0 END) AS answered,
                    SUM(CASE WHEN created_at >= $2 AND first_response_at IS NULL AND status IN ('resolved', 'closed') THEN 1 ELSE 0 END) AS abandoned,
                    SUM(CASE WHEN created_at >= $2 AND first_response_at IS NOT NULL AND first_response_at <= first_response_due_at THEN 1 ELSE 0 END) AS within_target
             FROM conversations
             -- What the bot resolved, or still holds, never reached the queue.
             WHERE merchant_id = $1 AND (bot_outcome IS NULL OR bot_outcome = 'handed_over')
             GROUP BY COALESCE(queue, '') ORDER BY COALESCE(queue, '')",
        )
        .bind(merchant.0)
        .bind(day_start)
        .fetch_all(p)
        .await)?;
        let queues = rows
            .into_iter()
            .map(|r| QueueFigures {
                queue: r.queue,
                waiting: r.waiting.unwrap_or(0),
                oldest_waiting_since: r.oldest_waiting,
                offered: r.offered.unwrap_or(0),
                answered: r.answered.unwrap_or(0),
                abandoned: r.abandoned.unwrap_or(0),
                answered_within_target: r.within_target.unwrap_or(0),
            })
            .filter(|q| q.waiting > 0 || q.offered > 0)
            .collect();
        let profiles = self.merchant_agents(merchant).await?;
        let agents = Presence::iter()
            .map(|p| PresenceCount { presence: p, agents: profiles.iter().filter(|a| a.presence == p).count() as i64 })
            .collect();
        let calls = self.call_figures(merchant, day_start).await?;
        Ok(Board { queues, agents, calls, first_response_target_minutes: m.sla.first_response_minutes, as_of: now() })
    }

    /// The phone on the board: the calls live now or started since `day_start`, in the queue
    /// their conversation waits in.
    async fn call_figures(
        &self,
        merchant: MerchantId,
        day_start: DateTime<Utc>,
    ) -> Result<madoguchi_core::board::CallFigures> {
        use madoguchi_core::board::{CallFigures, CallSnapshot};
        use madoguchi_core::voice::call::{CallState, ContactRecord};
        type Row = (String, Option<Uuid>, String, sqlx::types::Json<ContactRecord>, DateTime<Utc>);
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT c.state, c.agent_id, COALESCE(v.queue, ''), c.record, c.created_at
             FROM calls c JOIN conversations v ON v.id = c.conversation_id
             WHERE c.merchant_id = $1 AND (c.created_at >= $2 OR c.state <> 'ended')",
        )
        .bind(merchant.0)
        .bind(day_start)
        .fetch_all(p)
        .await)?;
        let calls = rows
            .iter()
            .map(|(state, agent, queue, record, created_at)| {
                Ok(CallSnapshot {
                    state: crate::rows::parse::<CallState>("calls.state", state)?,
                    held: agent.is_some(),
                    queue,
                    record,
                    created_at: *created_at,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(CallFigures::of(&calls, day_start))
    }
}
