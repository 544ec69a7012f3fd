//! Mail fetched from the shops' own mailboxes: every mail account with IMAP settings is polled
//! in turn, and each unseen message is stored like a piped one.

use madoguchi_core::enums::Channel;
use madoguchi_store::Store;

use crate::inbound::mail::{Imap, ImapSettings};

/// Polls every mail account with IMAP settings, forever.
pub async fn run(store: Store, every: std::time::Duration, imap: Imap) {
    loop {
        match store.channel_accounts_of_kind(Channel::Email).await {
            Ok(accounts) => {
                for a in accounts {
                    let Some(settings) = a.settings.get("imap").cloned() else { continue };
                    match serde_json::from_value::<ImapSettings>(settings) {
                        Ok(s) => match imap.poll(&store, &a, &s).await {
                            Ok(0) => {}
                            Ok(n) => tracing::info!(merchant = %a.merchant_id, messages = n, "mail fetched by IMAP"),
                            Err(e) => tracing::warn!(merchant = %a.merchant_id, error = %e, "IMAP poll failed"),
                        },
                        Err(e) => tracing::warn!(merchant = %a.merchant_id, error = %e, "bad IMAP settings"),
                    }
                }
            }
            Err(e) => tracing::warn!(error = ?e, "mail accounts could not be listed"),
        }
        tokio::time::sleep(every).await;
    }
}
