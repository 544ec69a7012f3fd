//! This node's search index, kept up with the database: the feed of changed documents is read
//! and indexed as it grows, and the whole index is rebuilt when it is new or was replaced. Every
//! node that serves requests runs it for its own index, whatever its role.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use madoguchi_store::Store;

use crate::search::{FEED_POLL, Search, index_feed, rebuild};

/// Indexes what the feed holds, forever; rebuilds first when the index is new or replaced.
pub async fn run(store: Store, search: Arc<Search>) {
    loop {
        if search.rebuild.swap(false, Ordering::SeqCst) {
            match rebuild(&store, &search.index).await {
                Ok(n) => tracing::info!(documents = n, "search index rebuilt from the database"),
                Err(e) => {
                    tracing::warn!(error = %e, "search index rebuild failed; retrying");
                    search.rebuild.store(true, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
            }
        }
        match index_feed(&store, &search.index).await {
            Ok(0) => {
                search.caught_up.store(true, Ordering::SeqCst);
                tokio::time::sleep(FEED_POLL).await
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "indexing the search feed failed; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}
