//! Calls reaching agents. Routing offers a queued call's conversation like any live contact
//! (longest idle, skill, room — a call takes the whole agent); here the offer becomes a ring
//! at the agent's phone, the answer puts the caller through, a ring nobody takes goes to the
//! next agent, and the hang-up starts the agent's after-contact work. What the provider must
//! do is stored as a command ([`CallCommand`]) and sent by the call-control job, so a decision
//! made here survives a crash and is retried.

use madoguchi_core::access::Scope;
use madoguchi_core::ids::{ConversationId, UserId};
use madoguchi_core::presence::Presence;
use madoguchi_core::routing::Offer;
use madoguchi_core::time::now;
use madoguchi_core::voice::call::{CallEventKind, CallState};
use madoguchi_core::voice::control::CallCommand;
use madoguchi_store::Store;
use madoguchi_store::presence::{WithdrawReason, Withdrawn};
use madoguchi_store::voice::calls::{Call, NewCallEvent};

use crate::usecases::error::UseCaseResult;
use crate::usecases::routing::route_merchants;

/// How long an agent's phone rings before the provider gives up on it: under the desk's offer
/// timeout (30 s by default), so the provider's "no answer" normally comes first.
pub const RING_SECONDS: u32 = 25;

/// The call waiting or ringing on a conversation, if there is one.
pub async fn live_call(store: &Store, conversation: ConversationId) -> UseCaseResult<Option<Call>> {
    let calls = store.calls_of_conversation(&Scope::All, conversation).await?;
    Ok(calls.into_iter().rev().find(|c| c.state != CallState::Ended))
}

fn agent_event(kind: CallEventKind, agent: UserId, data: serde_json::Value) -> NewCallEvent {
    NewCallEvent { kind, at: now(), agent: Some(agent), data, dedupe_key: None }
}

/// A supervisor sends a waiting call to an agent of their choosing (a VIP to the agent who
/// knows them, a long wait to whoever is free): offered and rung as routing would, if the
/// call still waits and the agent is at work with no call.
pub async fn offer_to(
    store: &Store,
    p: &madoguchi_core::access::Principal,
    call: madoguchi_core::ids::CallId,
    agent: UserId,
) -> UseCaseResult<()> {
    use madoguchi_core::enums::Role;
    use madoguchi_store::StoreError;
    // Another shop's call is not found, whoever asks.
    let call = store.get_call(&p.scope(), call).await?;
    if !matches!(p.role, Role::Admin | Role::Supervisor) {
        return Err(crate::usecases::error::UseCaseError::Forbidden("supervisors send calls to agents".into()));
    }
    if call.state != CallState::Queued {
        return Err(StoreError::conflict("not_waiting", "the call is not waiting for an agent").into());
    }
    let Some(profile) = store.merchant_agents(call.merchant_id).await?.into_iter().find(|a| a.user_id == agent) else {
        let e = madoguchi_core::validation::ValidationError::new("agent", "unknown_agent", "not an agent of this shop");
        return Err(e.into());
    };
    if profile.presence != Presence::Available {
        return Err(StoreError::conflict("agent_not_available", "the agent is not at work (受付可)").into());
    }
    let offer = Offer { conversation_id: call.conversation_id, user_id: agent };
    if !store.apply_offer(call.merchant_id, offer).await? {
        return Err(StoreError::conflict("agent_busy", "the agent has a call, or the call was just taken").into());
    }
    ring(store, offer).await?;
    Ok(())
}

/// Routing offered a phone conversation to an agent: their phone rings. `false` when the
/// conversation has no call in the queue (a typed-in phone memo is offered like mail).
pub async fn ring(store: &Store, offer: Offer) -> UseCaseResult<bool> {
    let Some(call) = live_call(store, offer.conversation_id).await? else { return Ok(false) };
    if call.state != CallState::Queued {
        return Ok(false);
    }
    let e = agent_event(CallEventKind::AgentOffered, offer.user_id, serde_json::json!({}));
    store.record_call_event(call.id, &e).await?;
    let ring = CallCommand::RingAgent { agent: offer.user_id, ring_seconds: RING_SECONDS };
    store.enqueue_call_command(call.merchant_id, call.id, &ring).await?;
    tracing::info!(call = %call.id, agent = %offer.user_id, "ringing an agent");
    Ok(true)
}

/// An offer taken back while the call rang at the agent (rang out, console gone, phone busy):
/// the ring is stopped and the call is back in the queue for the next agent.
pub async fn ring_withdrawn(store: &Store, offer: Withdrawn, reason: WithdrawReason) -> UseCaseResult<()> {
    let Some(call) = live_call(store, offer.conversation).await? else { return Ok(()) };
    if call.state != CallState::Ringing || call.offered_to != Some(offer.agent) {
        return Ok(());
    }
    missed(store, &call, offer.agent, reason).await?;
    store.enqueue_call_command(call.merchant_id, call.id, &CallCommand::CancelRing { agent: offer.agent }).await?;
    Ok(())
}

/// The ring at `agent` is over unanswered: the call is back in the queue.
async fn missed(store: &Store, call: &Call, agent: UserId, reason: WithdrawReason) -> UseCaseResult<()> {
    let e = agent_event(CallEventKind::AgentMissed, agent, serde_json::json!({ "reason": reason.as_str() }));
    store.record_call_event(call.id, &e).await?;
    Ok(())
}

/// What became of a ring at an agent, as the provider reports the agent's leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegEnd {
    /// Rang out, or the agent declined.
    NoAnswer,
    /// Busy, or the phone could not be reached.
    Unreachable,
    /// Answered earlier, hung up now.
    HungUp,
    /// Stopped by the desk (a `CancelRing`).
    Cancelled,
}

/// The agent answered: the call is theirs, the offer taken, and the caller is put through.
/// `false` when the call no longer rings for them (the caller hung up a moment ago, or it went
/// to someone else), so their phone is told to hang up.
pub async fn answered(store: &Store, call: &Call, agent: UserId) -> UseCaseResult<bool> {
    if call.state != CallState::Ringing || call.offered_to != Some(agent) {
        return Ok(false);
    }
    store.record_call_event(call.id, &agent_event(CallEventKind::Answered, agent, serde_json::json!({}))).await?;
    super::transfer::completed_by(store, call).await?;
    store.accept_offer(agent, call.conversation_id).await?;
    store.enqueue_call_command(call.merchant_id, call.id, &CallCommand::BridgeCaller).await?;
    Ok(true)
}

/// The agent's leg ended. Unanswered, the call goes to the next agent (and one who let it ring
/// is set 応答なし, as for a chat); answered, the agent hung up and the call is over.
pub async fn agent_leg_ended(store: &Store, call: &Call, agent: UserId, end: LegEnd) -> UseCaseResult<()> {
    match end {
        LegEnd::Cancelled => Ok(()),
        LegEnd::HungUp if call.state == CallState::Connected && call.agent_id == Some(agent) => {
            let e = agent_event(CallEventKind::Ended, agent, serde_json::json!({ "by": "agent" }));
            store.record_call_event(call.id, &e).await?;
            let call = store.get_call(&Scope::All, call.id).await?;
            after_call(store, &call).await
        }
        LegEnd::HungUp => Ok(()),
        LegEnd::NoAnswer | LegEnd::Unreachable => {
            let offer = Withdrawn { conversation: call.conversation_id, merchant: call.merchant_id, agent };
            let reason = if end == LegEnd::NoAnswer { WithdrawReason::NoAnswer } else { WithdrawReason::Unreachable };
            if call.state != CallState::Ringing || call.offered_to != Some(agent) {
                return Ok(());
            }
            // The provider has ended this leg already: nothing to cancel.
            store.withdraw_offer(offer, reason).await?;
            missed(store, call, agent, reason).await?;
            if end == LegEnd::NoAnswer {
                store.set_presence_if(agent, &[Presence::Available], Presence::NotResponding).await?;
            }
            route_merchants(store, &[call.merchant_id]).await;
            Ok(())
        }
    }
}

/// The caller's side of the call ended (the provider's last status). Talking to an agent, the
/// caller hung up; ringing at one, the ring stops and the offer is taken back; in the menu or
/// the queue, they gave up.
pub async fn caller_gone(store: &Store, call: &Call, status: &str) -> UseCaseResult<()> {
    let r = &call.record;
    let answered = r.answered_at.is_some();
    let (kind, by) = if answered || r.voicemail || r.callback_requested {
        // Already over (the agent hung up first): this is only the provider's confirmation.
        let by = (answered && call.state != CallState::Ended).then_some("customer");
        (CallEventKind::Ended, by)
    } else {
        (CallEventKind::Abandoned, Some("customer"))
    };
    let data = serde_json::json!({ "status": status, "by": by });
    let e = NewCallEvent { kind, at: now(), agent: None, data, dedupe_key: Some(format!("status:{status}")) };
    if !store.record_call_event(call.id, &e).await? {
        return Ok(());
    }
    if let (CallState::Ringing, Some(agent)) = (call.state, call.offered_to) {
        let offer = Withdrawn { conversation: call.conversation_id, merchant: call.merchant_id, agent };
        store.withdraw_offer(offer, WithdrawReason::CallerGone).await?;
        store.enqueue_call_command(call.merchant_id, call.id, &CallCommand::CancelRing { agent }).await?;
    }
    if answered {
        // The agent's phone is still in the room: it hangs up too.
        if call.state == CallState::Connected {
            store.enqueue_call_command(call.merchant_id, call.id, &CallCommand::HangUp).await?;
        }
        let call = store.get_call(&Scope::All, call.id).await?;
        after_call(store, &call).await?;
    }
    Ok(())
}

/// The call is over: the agent who had it is in after-contact work (後処理) on its
/// conversation, timed from now, until they wrap it up.
pub(super) async fn after_call(store: &Store, call: &Call) -> UseCaseResult<()> {
    let Some(agent) = call.agent_id else { return Ok(()) };
    if store.end_contact(&Scope::All, agent, call.conversation_id).await? {
        store.set_presence_if(agent, &[Presence::Available], Presence::AfterContactWork).await?;
    }
    let e = NewCallEvent {
        kind: CallEventKind::AcwStarted,
        at: now(),
        agent: Some(agent),
        data: serde_json::json!({}),
        dedupe_key: Some(format!("acw_started:{agent}")),
    };
    store.record_call_event(call.id, &e).await?;
    Ok(())
}

/// The wrap-up of a conversation was recorded: the after-contact work this agent started on
/// its latest call ends (after a transfer, each agent who had the call wraps up their part).
pub async fn wrapped_up(store: &Store, conversation: ConversationId, agent: UserId) -> UseCaseResult<()> {
    let calls = store.calls_of_conversation(&Scope::All, conversation).await?;
    for call in calls.into_iter().rev() {
        let events = store.call_events(&Scope::All, call.id).await?;
        let mine = |kind: CallEventKind| events.iter().rposition(|e| e.kind == kind && e.agent == Some(agent));
        let Some(started) = mine(CallEventKind::AcwStarted) else { continue };
        if mine(CallEventKind::AcwEnded).is_some_and(|ended| ended > started) {
            return Ok(());
        }
        let e = NewCallEvent {
            kind: CallEventKind::AcwEnded,
            at: now(),
            agent: Some(agent),
            data: serde_json::json!({}),
            dedupe_key: Some(format!("acw_ended:{agent}:{started}")),
        };
        store.record_call_event(call.id, &e).await?;
        return Ok(());
    }
    Ok(())
}
