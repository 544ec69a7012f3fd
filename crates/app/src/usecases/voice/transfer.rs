//! Blind transfer: the agent on a call hands it on and is free of it at once. To a queue of
//! the shop (the caller waits there for that queue's next agent, who is rung as for any queued
//! call) or to an outside number (the shop's own staff, a carrier; the caller is put through
//! with the shop's number as caller id and the desk's part is over). Either way the agent's
//! phone hangs up, their after-call work starts, and the call's record counts the transfer.

use madoguchi_core::access::{Principal, Scope};
use madoguchi_core::enums::ConversationStatus;
use madoguchi_core::identity::normalize_phone;
use madoguchi_core::ids::CallId;
use madoguchi_core::presence::Presence;
use madoguchi_core::time::now;
use madoguchi_core::validation::{ValidationError, nfkc};
use madoguchi_core::voice::call::{CallEventKind, CallState};
use madoguchi_core::voice::control::CallCommand;
use madoguchi_store::StoreError;
use madoguchi_store::conversations::ConversationChange;
use madoguchi_store::voice::calls::{Call, NewCallEvent};

use crate::App;
use crate::usecases::error::{UseCaseError, UseCaseResult};

/// Where the call goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A queue of the shop, by name (返品・交換).
    Queue(String),
    /// An outside number, as typed (03-1234-5678).
    Number(String),
}

fn event(kind: CallEventKind, p: &Principal, data: serde_json::Value) -> NewCallEvent {
    NewCallEvent { kind, at: now(), agent: Some(p.user_id), data, dedupe_key: None }
}

/// Hands the call on; only the agent talking on it may, and only a call the desk carries.
pub async fn blind(app: &App, p: &Principal, call: CallId, to: Target) -> UseCaseResult<()> {
    // Another shop's call is not found, whoever asks; then only the desk transfers calls.
    let call = app.store.get_call(&p.scope(), call).await?;
    if p.role.is_merchant_role() {
        return Err(UseCaseError::Forbidden("calls are the desk's".into()));
    }
    if call.state != CallState::Connected || call.agent_id != Some(p.user_id) {
        return Err(StoreError::conflict("not_your_call", "a transfer is for the agent on the call").into());
    }
    if call.provider != super::twilio::PROVIDER {
        return Err(
            StoreError::conflict("not_supported", "a call on the centre's PBX is transferred on the PBX").into()
        );
    }
    match to {
        Target::Queue(name) => to_queue(app, p, &call, &name).await,
        Target::Number(number) => to_number(app, p, &call, &number).await,
    }
}

async fn to_queue(app: &App, p: &Principal, call: &Call, name: &str) -> UseCaseResult<()> {
    let name = nfkc(name).trim().to_owned();
    let queues = app.store.list_queues(&Scope::All, call.merchant_id).await?;
    if !queues.iter().any(|q| q.name == name) {
        let known: Vec<&str> = queues.iter().map(|q| q.name.as_str()).collect();
        let message = format!("{name} is not a queue of this shop ({})", known.join("、"));
        return Err(ValidationError::new("queue", "unknown_queue", message).into());
    }
    let data = serde_json::json!({ "kind": "blind", "to": { "queue": name } });
    app.store.record_call_event(call.id, &event(CallEventKind::TransferRequested, p, data)).await?;
    // Back in the queue the conversation is waiting again, for that queue's agents.
    app.store.set_call_flow(call.id, call.position.as_ref(), &call.vars, Some(&name)).await?;
    let queued = event(CallEventKind::Queued, p, serde_json::json!({ "queue": name, "transfer": true }));
    app.store.record_call_event(call.id, &queued).await?;
    let change =
        ConversationChange { assignee_id: Some(None), status: Some(ConversationStatus::New), ..Default::default() };
    app.store.update_conversation(&Scope::All, Some(p.user_id), call.conversation_id, &change).await?;
    app.store.enqueue_call_command(call.merchant_id, call.id, &CallCommand::EndAgentLeg { agent: p.user_id }).await?;
    app.store.enqueue_call_command(call.merchant_id, call.id, &CallCommand::RequeueCaller).await?;
    agent_done(app, p, call).await?;
    super::super::routing::route_soon(&app.store, call.merchant_id);
    Ok(())
}

async fn to_number(app: &App, p: &Principal, call: &Call, number: &str) -> UseCaseResult<()> {
    let (e164, _) = normalize_phone(number).map_err(|_| {
        ValidationError::new("number", "invalid_phone", "the number is not a phone number (03-1234-5678, +81312345678)")
    })?;
    let data = serde_json::json!({ "kind": "blind", "to": { "number": e164 } });
    app.store.record_call_event(call.id, &event(CallEventKind::TransferRequested, p, data)).await?;
    app.store.enqueue_call_command(call.merchant_id, call.id, &CallCommand::EndAgentLeg { agent: p.user_id }).await?;
    app.store.enqueue_call_command(call.merchant_id, call.id, &CallCommand::TransferCaller).await?;
    // The desk's part of the contact is over.
    app.store.end_contact(&Scope::All, p.user_id, call.conversation_id).await?;
    agent_done(app, p, call).await
}

/// The transferring agent's part is over: after-call work from now, until their wrap-up.
async fn agent_done(app: &App, p: &Principal, call: &Call) -> UseCaseResult<()> {
    app.store.set_presence_if(p.user_id, &[Presence::Available], Presence::AfterContactWork).await?;
    app.store.record_call_event(call.id, &event(CallEventKind::AcwStarted, p, serde_json::json!({}))).await?;
    Ok(())
}

/// The number a transfer sent the call to, for the TwiML that dials it.
pub fn transfer_number(events: &[madoguchi_core::voice::call::CallEvent]) -> Option<String> {
    events
        .iter()
        .rev()
        .find(|e| e.kind == CallEventKind::TransferRequested)
        .and_then(|e| e.data["to"]["number"].as_str())
        .map(str::to_owned)
}

/// A transferred call answered by its next agent: the transfer is complete.
pub async fn completed_by(store: &madoguchi_store::Store, call: &Call) -> UseCaseResult<()> {
    let events = store.call_events(&Scope::All, call.id).await?;
    let last_answer = events.iter().rposition(|e| e.kind == CallEventKind::Answered);
    let transferred = events.iter().rposition(|e| e.kind == CallEventKind::TransferRequested);
    if let (Some(t), Some(a)) = (transferred, last_answer)
        && a > t
    {
        let e = NewCallEvent {
            kind: CallEventKind::TransferCompleted,
            at: now(),
            agent: events[a].agent,
            data: serde_json::json!({ "kind": "blind" }),
            dedupe_key: Some(format!("transfer_completed:{t}")),
        };
        store.record_call_event(call.id, &e).await?;
    }
    Ok(())
}
