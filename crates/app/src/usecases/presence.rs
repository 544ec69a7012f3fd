//! Presence that tells the truth. An agent's console sends a heartbeat; one that goes quiet
//! (closed tab, lost network) is set offline and its ringing offers go back to the queue. An
//! offer of a live contact that is not accepted in time goes to the next agent, and the agent
//! who let it ring is set 応答なし until they choose a state again. Ending a live contact puts
//! the agent in 後処理; the wrap-up that follows returns them to 受付可.

use chrono::Duration;
use madoguchi_core::access::Principal;
use madoguchi_core::ids::{ConversationId, MerchantId};
use madoguchi_core::playbook::WrapUp;
use madoguchi_core::presence::Presence;
use madoguchi_core::time::now;
use madoguchi_store::Store;
use madoguchi_store::presence::{WithdrawReason, Withdrawn};

use super::error::{UseCaseError, UseCaseResult};
use super::routing::route_merchants;

/// How long a console may stay quiet, and an offer ring, before the desk moves on.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub console: Duration,
    /// `None`: offers never ring out (every assignment is taken as made).
    pub offer: Option<Duration>,
}

const NOT_OFFLINE: [Presence; 5] =
    [Presence::Available, Presence::Busy, Presence::AfterContactWork, Presence::Break, Presence::NotResponding];

/// What one pass changed, for the log and the tests.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepOutcome {
    pub gone_offline: usize,
    pub withdrawn: usize,
}

/// One pass of the presence rules: quiet consoles go offline, ringing offers that ran out go
/// back to the queue, and the merchants concerned are routed again at once.
pub async fn sweep(store: &Store, timeouts: Timeouts) -> UseCaseResult<SweepOutcome> {
    let t = now();
    let mut out = SweepOutcome::default();
    let mut merchants: Vec<MerchantId> = Vec::new();
    for agent in store.quiet_agents(t - timeouts.console).await? {
        if store.set_presence_if(agent, &NOT_OFFLINE, Presence::Offline).await? {
            tracing::info!(%agent, "console went quiet; agent set offline");
            out.gone_offline += 1;
        }
        for offer in store.pending_offers(agent).await? {
            out.withdrawn += withdraw(store, offer, WithdrawReason::AgentOffline, &mut merchants).await?;
        }
    }
    if let Some(ring) = timeouts.offer {
        for offer in store.rung_out_offers(t - ring).await? {
            if withdraw(store, offer, WithdrawReason::NoAnswer, &mut merchants).await? > 0 {
                out.withdrawn += 1;
                // Whoever let it ring is not at the desk: no more offers until they say so.
                store.set_presence_if(offer.agent, &[Presence::Available], Presence::NotResponding).await?;
                tracing::info!(agent = %offer.agent, conversation = %offer.conversation, "offer rang out");
            }
        }
    }
    route_merchants(store, &merchants).await;
    Ok(out)
}

async fn withdraw(
    store: &Store,
    offer: Withdrawn,
    reason: WithdrawReason,
    merchants: &mut Vec<MerchantId>,
) -> UseCaseResult<usize> {
    if !store.withdraw_offer(offer, reason).await? {
        return Ok(0);
    }
    // A call ringing at the agent stops ringing there and waits for the next one.
    super::voice::agents::ring_withdrawn(store, offer, reason).await?;
    if !merchants.contains(&offer.merchant) {
        merchants.push(offer.merchant);
    }
    Ok(1)
}

/// The agent ended the live contact: after-contact work starts, on the server's clock, and an
/// available agent is in 後処理 (routing offers them nothing new) until the wrap-up.
pub async fn end_contact(store: &Store, p: &Principal, conversation: ConversationId) -> UseCaseResult<()> {
    if p.role.is_merchant_role() {
        return Err(UseCaseError::Forbidden("ending a contact is the desk's work".into()));
    }
    if store.end_contact(&p.scope(), p.user_id, conversation).await? {
        store.set_presence_if(p.user_id, &[Presence::Available], Presence::AfterContactWork).await?;
    }
    Ok(())
}

/// Records the wrap-up (its after-contact work measured by the store) and, once nothing the
/// agent ended waits for one, returns them from 後処理 to 受付可 and offers what waits.
pub async fn wrap_up(
    store: &Store,
    p: &Principal,
    conversation: ConversationId,
    code: &str,
    note: Option<&str>,
) -> UseCaseResult<WrapUp> {
    if p.role.is_merchant_role() {
        return Err(UseCaseError::Forbidden("wrap-up is the desk's after-contact work".into()));
    }
    let w = store.record_wrap_up(&p.scope(), p.user_id, conversation, code, note).await?;
    super::voice::agents::wrapped_up(store, conversation, p.user_id).await?;
    if store.contacts_awaiting_wrap_up(p.user_id).await? == 0
        && store.set_presence_if(p.user_id, &[Presence::AfterContactWork], Presence::Available).await?
    {
        route_merchants(store, &p.merchants).await;
    }
    Ok(w)
}

/// The agent opened a conversation: an offer ringing for them is taken.
pub async fn opened(store: &Store, p: &Principal, conversation: ConversationId) -> UseCaseResult<()> {
    store.accept_offer(p.user_id, conversation).await?;
    Ok(())
}

/// The presence the agent's header and the board show: 対応中 while an available agent holds
/// live contacts.
pub async fn shown(store: &Store, agent: madoguchi_core::ids::UserId) -> UseCaseResult<Presence> {
    let stored = store.agent_profile(agent).await?.presence;
    let live = if stored == Presence::Available { store.live_contacts(agent).await? } else { 0 };
    Ok(stored.shown(live))
}
