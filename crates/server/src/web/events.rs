//! Live updates for open consoles: a Server-Sent Events stream that says which conversation
//! changed. It polls the newest change in the user's merchants once a second, so it works on
//! one node or many without extra infrastructure; the page then refreshes what it shows. It
//! also passes on, as `typing`, a web-chat visitor typing (from this node's chat hub).

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::time::Duration;

use super::principal_of;
use crate::app::AppState;
use crate::error::ApiError;
use crate::web::ConsoleUser;
use madoguchi_app::hub::{Signal, Typist};

pub async fn stream(State(st): State<AppState>, user: ConsoleUser) -> Result<Response, ApiError> {
    let session = user.session;
    let scope = principal_of(&session.user).scope();
    let store = st.store.clone();
    let mut last = store.latest_conversation_change(&scope).await?;
    let mut signals = st.chat.subscribe();
    let events = async_stream(move |tx| async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                signal = signals.recv() => {
                    // A web-chat visitor typing in a conversation this user may see.
                    if let Ok(s) = signal
                        && s.signal == Signal::Typing(Typist::Visitor)
                        && scope.allows(s.merchant)
                        && tx.send(Ok(Event::default().event("typing").data(s.conversation.to_string()))).await.is_err()
                    {
                        return;
                    }
                    continue;
                }
            }
            match store.latest_conversation_change(&scope).await {
                Ok(now) if now != last => {
                    // Every conversation changed since the last look, so that a page showing
                    // one learns of it even when another changed a moment later.
                    let changed = match last {
                        Some((since, _)) => {
                            store.conversations_changed_since(&scope, since, 50).await.unwrap_or_default()
                        }
                        None => now.map(|(_, id)| vec![id]).unwrap_or_default(),
                    };
                    last = now;
                    for id in changed {
                        if tx.send(Ok(Event::default().event("changed").data(id.to_string()))).await.is_err() {
                            return; // the page is gone
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = ?e, "live update poll failed"),
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()).into_response())
}

/// A stream fed by a task; the task ends when the client disconnects.
fn async_stream<F, Fut>(f: F) -> impl futures_core::Stream<Item = Result<Event, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<Event, Infallible>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tokio::spawn(f(tx));
    tokio_stream::wrappers::ReceiverStream::new(rx)
}
