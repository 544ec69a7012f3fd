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

/// Offers the merchant's new contacts to agents, off the request path.
pub fn route_soon(store: &Store, merchant: MerchantId) {
    let store = store.clone();
    tokio::spawn(async move { route_merchants(&store, &[merchant]).await });
}
