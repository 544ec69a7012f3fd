//! Calls on phone conversations and their events. A call is stored once per provider call id
//! (a repeated "incoming call" webhook finds the call it made), on a phone conversation of the
//! customer the caller's number belongs to — an unknown caller (非通知, 公衆電話) gets a
//! conversation with no customer rather than somebody else's. Each event is stored once per
//! delivery key, and the call's state and contact record are brought up to date with it in the
//! same transaction.

use chrono::{DateTime, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::conversation::Conversation;
use madoguchi_core::enums::Channel;
use madoguchi_core::identity::{IdentityKind, NormalizedIdentity};
use madoguchi_core::ids::{CallId, ConversationId, MerchantId, PhoneNumberId, UserId};
use madoguchi_core::time::now;
use madoguchi_core::voice::call::{
    CallDirection, CallEvent, CallEventKind, CallState, ContactRecord, DEFAULT_SHORT_ABANDON_SECONDS,
};
use madoguchi_core::voice::caller::Caller;
use madoguchi_core::voice::ivr::{Position, Vars};
use sqlx::types::Json;
use uuid::Uuid;

use crate::conversations::ConversationRecord;
use crate::customers::find_or_create_by_identity;
use crate::rows::parse;
use crate::{Result, Store, StoreError, Tx, on_db, on_pool};

#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub id: CallId,
    pub merchant_id: MerchantId,
    pub conversation_id: ConversationId,
    pub phone_number_id: Option<PhoneNumberId>,
    pub provider: String,
    pub provider_call_id: String,
    pub direction: CallDirection,
    pub caller: Caller,
    pub to_e164: String,
    pub state: CallState,
    pub flow_name: Option<String>,
    pub flow_version: Option<i32>,
    pub position: Option<Position>,
    pub vars: Vars,
    pub skill: Option<String>,
    pub offered_to: Option<UserId>,
    pub agent_id: Option<UserId>,
    pub record: ContactRecord,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A call as it reaches Madoguchi.
#[derive(Debug, Clone)]
pub struct NewCall {
    pub merchant: MerchantId,
    pub phone_number: Option<PhoneNumberId>,
    pub provider: String,
    pub provider_call_id: String,
    pub direction: CallDirection,
    pub caller: Caller,
    pub to_e164: String,
    pub flow_name: Option<String>,
    pub flow_version: Option<i32>,
    pub at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    merchant_id: Uuid,
    conversation_id: Uuid,
    phone_number_id: Option<Uuid>,
    provider: String,
    provider_call_id: String,
    direction: String,
    caller: Json<Caller>,
    to_e164: String,
    state: String,
    flow_name: Option<String>,
    flow_version: Option<i32>,
    position: Option<Json<Position>>,
    vars: Json<Vars>,
    skill: Option<String>,
    offered_to: Option<Uuid>,
    agent_id: Option<Uuid>,
    record: Json<ContactRecord>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
}

impl Row {
    fn into_call(self) -> Result<Call> {
        Ok(Call {
            id: CallId(self.id),
            merchant_id: MerchantId(self.merchant_id),
            conversation_id: ConversationId(self.conversation_id),
            phone_number_id: self.phone_number_id.map(PhoneNumberId),
            provider: self.provider,
            provider_call_id: self.provider_call_id,
            direction: parse("calls.direction", &self.direction)?,
            caller: self.caller.0,
            to_e164: self.to_e164,
            state: parse("calls.state", &self.state)?,
            flow_name: self.flow_name,
            flow_version: self.flow_version,
            position: self.position.map(|p| p.0),
            vars: self.vars.0,
            skill: self.skill,
            offered_to: self.offered_to.map(UserId),
            agent_id: self.agent_id.map(UserId),
            record: self.record.0,
            created_at: self.created_at,
            updated_at: self.updated_at,
            ended_at: self.ended_at,
        })
    }
}

/// An event to record on a call.
#[derive(Debug, Clone)]
pub struct NewCallEvent {
    pub kind: CallEventKind,
    pub at: DateTime<Utc>,
    pub agent: Option<UserId>,
    pub data: serde_json::Value,
    /// The provider's delivery this event came from; the same key again is not a new event.
    pub dedupe_key: Option<String>,
}

impl Store {
    /// The call with this provider id, or a new one on a new phone conversation (with its
    /// `offered` event). The second value says whether it was made now.
    pub async fn start_call(&self, c: &NewCall) -> Result<(Call, bool)> {
        if let Some(call) = self.call_by_provider_id(&c.provider, &c.provider_call_id).await? {
            return Ok((call, false));
        }
        let merchant = self.get_merchant(&Scope::All, crate::merchants::MerchantKey::Id(c.merchant)).await?;
        let mut tx = self.begin().await?;
        let customer = match c.caller.number() {
            Some(e164) => {
                let identity = NormalizedIdentity {
                    kind: IdentityKind::Phone,
                    value: e164.to_owned(),
                    display: c.caller.shown_ja(),
                };
                Some(find_or_create_by_identity(&mut tx, None, c.merchant, &identity).await?)
            }
            None => None,
        };
        let record = ConversationRecord {
            subject: Some(format!("電話 {}", c.caller.shown_ja())),
            customer_id: customer,
            created_at: Some(c.at),
            ..ConversationRecord::new(c.merchant, Channel::Phone)
        };
        let conv: Conversation =
            crate::conversations::open_conversation(&mut tx, &merchant, None, &record, customer).await?;
        let id = CallId::at_or_now(c.at);
        let inserted = on_db!(&mut tx, db => sqlx::query(
            "INSERT INTO calls (id, merchant_id, conversation_id, phone_number_id, provider, provider_call_id, direction, caller,
                                to_e164, state, flow_name, flow_version, vars, record, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) ON CONFLICT DO NOTHING",
        )
        .bind(id.0)
        .bind(c.merchant.0)
        .bind(conv.id.0)
        .bind(c.phone_number.map(|p| p.0))
        .bind(&c.provider)
        .bind(&c.provider_call_id)
        .bind(c.direction.as_str())
        .bind(Json(&c.caller))
        .bind(&c.to_e164)
        .bind(CallState::Ivr.as_str())
        .bind(&c.flow_name)
        .bind(c.flow_version)
        .bind(Json(Vars::new()))
        .bind(Json(ContactRecord::default()))
        .bind(c.at)
        .execute(&mut *db)
        .await
        .map(|r| r.rows_affected()))?;
        if inserted == 0 {
            // Another request for the same call won the race: its call stands, this one's
            // conversation is not kept.
            drop(tx);
            let call = self.call_by_provider_id(&c.provider, &c.provider_call_id).await?.ok_or(StoreError::NotFound)?;
            return Ok((call, false));
        }
        let offered = NewCallEvent {
            kind: CallEventKind::Offered,
            at: c.at,
            agent: None,
            data: serde_json::json!({ "to": c.to_e164 }),
            dedupe_key: Some("offered".into()),
        };
        insert_event(&mut tx, c.merchant, id, &offered).await?;
        refresh(&mut tx, id).await?;
        tx.commit().await?;
        Ok((self.get_call(&Scope::All, id).await?, true))
    }

    pub async fn call_by_provider_id(&self, provider: &str, provider_call_id: &str) -> Result<Option<Call>> {
        let row: Option<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT * FROM calls WHERE provider = $1 AND provider_call_id = $2",
        )
        .bind(provider)
        .bind(provider_call_id)
        .fetch_optional(p)
        .await)?;
        row.map(Row::into_call).transpose()
    }

    pub async fn get_call(&self, scope: &Scope, id: CallId) -> Result<Call> {
        let row: Option<Row> = on_pool!(self, p => sqlx::query_as("SELECT * FROM calls WHERE id = $1")
            .bind(id.0)
            .fetch_optional(p)
            .await)?;
        row.filter(|r| scope.allows(MerchantId(r.merchant_id))).ok_or(StoreError::NotFound)?.into_call()
    }

    /// The call ringing at the agent's phone or connected to them now, if any.
    pub async fn agent_live_call(&self, agent: UserId) -> Result<Option<Call>> {
        let row: Option<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT * FROM calls WHERE (offered_to = $1 AND state = 'ringing' OR agent_id = $1 AND state = 'connected')
               AND ended_at IS NULL ORDER BY updated_at DESC LIMIT 1",
        )
        .bind(agent.0)
        .fetch_optional(p)
        .await)?;
        row.map(Row::into_call).transpose()
    }

    /// The calls of a conversation, oldest first.
    pub async fn calls_of_conversation(&self, scope: &Scope, conversation: ConversationId) -> Result<Vec<Call>> {
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT * FROM calls WHERE conversation_id = $1 ORDER BY id",
        )
        .bind(conversation.0)
        .fetch_all(p)
        .await)?;
        rows.into_iter().filter(|r| scope.allows(MerchantId(r.merchant_id))).map(Row::into_call).collect()
    }

    /// The shop's calls waiting in a queue now, longest waiting first (at most 50).
    pub async fn waiting_calls(&self, scope: &Scope, merchant: MerchantId) -> Result<Vec<Call>> {
        if !scope.allows(merchant) {
            return Ok(vec![]);
        }
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT * FROM calls WHERE merchant_id = $1 AND state = 'queued' ORDER BY created_at LIMIT 50",
        )
        .bind(merchant.0)
        .fetch_all(p)
        .await)?;
        rows.into_iter().map(Row::into_call).collect()
    }

    /// Records an event once; `false` when its delivery was already recorded. The call's state
    /// and contact record follow in the same transaction.
    pub async fn record_call_event(&self, call: CallId, e: &NewCallEvent) -> Result<bool> {
        let merchant = self.get_call(&Scope::All, call).await?.merchant_id;
        let mut tx = self.begin().await?;
        if !insert_event(&mut tx, merchant, call, e).await? {
            return Ok(false);
        }
        refresh(&mut tx, call).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A recording copied from the provider: the file (kept, as a message's files are) and
    /// its `recording_stored` event, in one transaction. `false` when this recording was
    /// stored already (the provider told twice), and nothing is added.
    pub async fn store_recording(
        &self,
        call: CallId,
        sid: &str,
        seconds: Option<i64>,
        file: &crate::blobs::NewBlob,
    ) -> Result<bool> {
        let c = self.get_call(&Scope::All, call).await?;
        let key = format!("recording:{sid}");
        let known: Option<Uuid> = on_pool!(self, p => sqlx::query_scalar(
            "SELECT id FROM call_events WHERE call_id = $1 AND dedupe_key = $2",
        )
        .bind(call.0)
        .bind(&key)
        .fetch_optional(p)
        .await)?;
        if known.is_some() {
            return Ok(false);
        }
        let mut tx = self.begin().await?;
        let stored = crate::blobs::put(&mut tx, c.merchant_id, file).await?;
        let data = serde_json::json!({
            "file": stored.storage_key, "seconds": seconds, "sid": sid, "size": stored.size,
            "voicemail": c.record.voicemail,
        });
        let e =
            NewCallEvent { kind: CallEventKind::RecordingStored, at: now(), agent: None, data, dedupe_key: Some(key) };
        if !insert_event(&mut tx, c.merchant_id, call, &e).await? {
            // Stored by another worker a moment ago: this copy is rolled back.
            return Ok(false);
        }
        refresh(&mut tx, call).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Where the call stands in its flow, what the caller typed, and the queue's skill — also
    /// the conversation's queue, which routing and the board go by.
    pub async fn set_call_flow(
        &self,
        call: CallId,
        position: Option<&Position>,
        vars: &Vars,
        skill: Option<&str>,
    ) -> Result<()> {
        let t = now();
        let mut tx = self.begin().await?;
        on_db!(&mut tx, db => {
            sqlx::query("UPDATE calls SET position = $2, vars = $3, skill = $4, updated_at = $5 WHERE id = $1")
                .bind(call.0)
                .bind(position.map(Json))
                .bind(Json(vars))
                .bind(skill)
                .bind(t)
                .execute(&mut *db)
                .await?;
            if let Some(q) = skill {
                sqlx::query(
                    "UPDATE conversations SET queue = $2, updated_at = $3 WHERE id = (SELECT conversation_id FROM calls WHERE id = $1)",
                )
                .bind(call.0)
                .bind(q)
                .bind(t)
                .execute(&mut *db)
                .await?;
            }
            Ok::<_, sqlx::Error>(())
        })?;
        tx.commit().await?;
        Ok(())
    }

    /// A call's events, in the order they happened.
    pub async fn call_events(&self, scope: &Scope, call: CallId) -> Result<Vec<CallEvent>> {
        let c = self.get_call(scope, call).await?;
        let mut tx = self.begin_snapshot().await?;
        let events = events_of(&mut tx, c.id).await?;
        tx.commit().await?;
        Ok(events)
    }
}

/// Inserts the event unless its delivery key was seen; whether it was inserted.
async fn insert_event(tx: &mut Tx, merchant: MerchantId, call: CallId, e: &NewCallEvent) -> Result<bool> {
    let n = on_db!(tx, db => sqlx::query(
        "INSERT INTO call_events (id, merchant_id, call_id, kind, at, agent_id, data, dedupe_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(merchant.0)
    .bind(call.0)
    .bind(e.kind.as_str())
    .bind(e.at)
    .bind(e.agent.map(|a| a.0))
    .bind(Json(&e.data))
    .bind(&e.dedupe_key)
    .execute(&mut *db)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

async fn events_of(tx: &mut Tx, call: CallId) -> Result<Vec<CallEvent>> {
    type EventRow = (String, DateTime<Utc>, Option<Uuid>, Json<serde_json::Value>);
    let rows: Vec<EventRow> = on_db!(tx, db => sqlx::query_as(
        "SELECT kind, at, agent_id, data FROM call_events WHERE call_id = $1 ORDER BY at, id",
    )
    .bind(call.0)
    .fetch_all(&mut *db)
    .await)?;
    rows.into_iter()
        .map(|(kind, at, agent, data)| {
            Ok(CallEvent { kind: parse("call_events.kind", &kind)?, at, agent: agent.map(UserId), data: data.0 })
        })
        .collect()
}

/// The call's state, agents and contact record from its events: derived, so that an event
/// arriving late (a status callback overtaken by the next) still lands in its place.
async fn refresh(tx: &mut Tx, call: CallId) -> Result<()> {
    let events = events_of(tx, call).await?;
    let record = ContactRecord::of(&events, DEFAULT_SHORT_ABANDON_SECONDS);
    let state = events.iter().fold(CallState::Ivr, |s, e| s.after(e.kind));
    let offered_to = match state {
        CallState::Ringing => events.iter().rev().find(|e| e.kind == CallEventKind::AgentOffered).and_then(|e| e.agent),
        _ => None,
    };
    // Who holds the call: the agent who answered last, unless they transferred it since (the
    // record keeps them as the agent who answered).
    let holder = events
        .iter()
        .rev()
        .find(|e| {
            matches!(
                e.kind,
                CallEventKind::Answered | CallEventKind::TransferCompleted | CallEventKind::TransferRequested
            )
        })
        .filter(|e| e.kind != CallEventKind::TransferRequested)
        .and_then(|e| e.agent);
    on_db!(tx, db => sqlx::query(
        "UPDATE calls SET state = $2, record = $3, offered_to = $4, agent_id = $5, ended_at = $6, updated_at = $7 WHERE id = $1",
    )
    .bind(call.0)
    .bind(state.as_str())
    .bind(Json(&record))
    .bind(offered_to.map(|u| u.0))
    .bind(holder.map(|u| u.0))
    .bind(record.ended_at)
    .bind(now())
    .execute(&mut *db)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}
