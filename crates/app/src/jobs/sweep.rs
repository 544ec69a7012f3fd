//! The desk's periodic sweep (on nodes with the jobs role): presence (quiet consoles, offers
//! that rang out), routing's safety-net pass, SLA breach recording, and pruning
//! of expired sessions and of uploads never attached to a message. Each step logs its failure
//! and the loop carries on; every step is safe to run on several nodes at once (conditional
//! updates, idempotent marks).

use chrono::{Duration as ChronoDuration, Utc};
use madoguchi_store::Store;
use std::time::Duration;

use crate::usecases::presence::{self, Timeouts};
use crate::usecases::routing::route_merchants;

/// Runs until the task is dropped.
pub async fn run(store: Store, every: Duration, timeouts: Timeouts) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_prune = Utc::now() - ChronoDuration::hours(2);
    loop {
        tick.tick().await;
        // Presence first: an agent who left must not be offered what routing hands out next.
        match presence::sweep(&store, timeouts).await {
            Ok(o) if o == presence::SweepOutcome::default() => {}
            Ok(o) => tracing::info!(offline = o.gone_offline, withdrawn = o.withdrawn, "presence pass"),
            Err(e) => tracing::warn!(error = ?e, "presence pass failed"),
        }
        match store.all_merchant_ids().await {
            Ok(ms) => route_merchants(&store, &ms).await,
            Err(e) => tracing::warn!(error = ?e, "routing pass could not list merchants"),
        }
        match store.record_sla_breaches(Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(breaches = n, "SLA breaches recorded"),
            Err(e) => tracing::warn!(error = ?e, "SLA breach pass failed"),
        }
        if Utc::now() - last_prune > ChronoDuration::hours(1) {
            last_prune = Utc::now();
            if let Err(e) =
                store.prune_sessions(Utc::now() - ChronoDuration::days(1), Utc::now() - ChronoDuration::days(30)).await
            {
                tracing::warn!(error = ?e, "pruning sessions failed");
            }
            // A scan uploaded but never attached to a contact (the form was abandoned).
            match store.prune_unattached_blobs(Utc::now() - ChronoDuration::days(1)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(files = n, "unattached uploads removed"),
                Err(e) => tracing::warn!(error = ?e, "removing unattached uploads failed"),
            }
        }
    }
}
