//! Mail fetched from the shops' own mailboxes: every mail account with IMAP settings is polled
//! in turn, and each unseen message is taken in like a piped one.

use madoguchi_channels::email::imap::{ImapClient, ImapSettings, Kept};
use madoguchi_core::enums::Channel;
use madoguchi_store::channel_accounts::ChannelAccount;
use madoguchi_store::inbound::InboundOutcome;

use crate::App;
use crate::usecases::intake::mail::take_in;

/// Polls every mail account with IMAP settings, forever.
pub async fn run(app: App, every: std::time::Duration, imap: ImapClient) {
    loop {
        match app.store.channel_accounts_of_kind(Channel::Email).await {
            Ok(accounts) => {
                for a in accounts {
                    let Some(settings) = a.settings.get("imap").cloned() else { continue };
                    match serde_json::from_value::<ImapSettings>(settings) {
                        Ok(s) => match poll(&imap, &app, &a, &s).await {
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

/// Takes in one account's unseen mail; returns how many messages were new.
pub async fn poll(imap: &ImapClient, app: &App, account: &ChannelAccount, s: &ImapSettings) -> anyhow::Result<usize> {
    imap.fetch_unseen(s, |uid, raw| async move {
        match take_in(app, account, &raw).await {
            Ok(InboundOutcome::Stored(_)) => Kept::Stored,
            Ok(InboundOutcome::Duplicate { .. }) => Kept::Duplicate,
            Err(e) => {
                tracing::warn!(uid, error = ?e, "mail left in the mailbox: it could not be stored");
                Kept::Failed
            }
        }
    })
    .await
}
