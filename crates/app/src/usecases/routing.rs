//! Routing in action: takes a merchant's snapshot, asks the pure rule in
//! `madoguchi_core::routing` who gets what, and applies the offers. Runs when a contact
//! arrives, when an agent becomes available, and every few seconds as a safety net
//! (see `crate::jobs::sweep`).

use madoguchi_core::enums::Channel;
use madoguchi_core::ids::MerchantId;
use madoguchi_core::routing::{Offer, route};
use madoguchi_core::time::now;
use madoguchi_store::{Result, Store};

/// Routes one merchant's waiting contacts; returns the offers that were applied.
pub async fn route_merchant(store: &Store, merchant: MerchantId) -> Result<Vec<Offer>> {
    let (contacts, agents) = store.routing_snapshot(merchant).await?;
    if contacts.is_empty() || agents.is_empty() {
        return Ok(vec![]);
    }
    let mut applied = Vec::new();
    for offer in route(&contacts, &agents, now()) {
        if store.apply_offer(merchant, offer).await? {
            applied.push(offer);
            let phone =
                contacts.iter().any(|c| c.conversation_id == offer.conversation_id && c.channel == Channel::Phone);
            // A queued call rings at the agent's phone; a failure to ring is the sweep's to
            // retry (the offer rings out and goes to the next agent), not routing's.
            if phone && let Err(e) = crate::usecases::voice::agents::ring(store, offer).await {
                tracing::warn!(%merchant, error = %e, "ringing an agent failed");
            }
        }
    }
    if !applied.is_empty() {
        tracing::debug!(%merchant, offers = applied.len(), "routed");
    }
    Ok(applied)
}

/// Routes several merchants, logging failures and carrying on.
pub async fn route_merchants(store: &Store, merchants: &[MerchantId]) {
    for m in merchants {
        if let Err(e) = route_merchant(store, *m).await {
            tracing::warn!(merchant = %m, error = ?e, "routing failed");
        }
    }
}

/// Merchants with a routing pass under way here, and whether another was asked for meanwhile.
static ROUTING: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<MerchantId, bool>>> =
    std::sync::LazyLock::new(Default::default);

/// Offers the merchant's new contacts to agents, off the request path. Asks coalesce: while a
/// pass for the merchant runs, more asks make one more pass after it (a burst of 200 calls
/// queueing at once is two passes, not 200 at the same time), so every ask is followed by a
/// pass that starts after it.
pub fn route_soon(store: &Store, merchant: MerchantId) {
    {
        let mut running = ROUTING.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(again) = running.get_mut(&merchant) {
            *again = true;
            return;
        }
        running.insert(merchant, false);
    }
    let store = store.clone();
    tokio::spawn(async move {
        loop {
            route_merchants(&store, &[merchant]).await;
            let mut running = ROUTING.lock().unwrap_or_else(|e| e.into_inner());
            match running.get_mut(&merchant) {
                Some(again) if *again => *again = false,
                _ => {
                    running.remove(&merchant);
                    break;
                }
            }
        }
    });
}
