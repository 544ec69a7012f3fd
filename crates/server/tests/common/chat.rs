//! The web chat as a visitor's browser speaks it: a WebSocket to the running server, the
//! widget's JSON frames, and the shops' chat set up with their member keys.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use madoguchi_core::access::Scope;
use madoguchi_core::conversation::TimelineItem;
use madoguchi_core::enums::{AuthorKind, Channel};
use madoguchi_core::ids::ConversationId;
use madoguchi_store::channel_accounts::AccountSettings;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as Ws;

use super::TestApp;

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub const SECRET_A: &str = "chat-secret-a";
pub const SECRET_B: &str = "chat-secret-b";

/// A PNG header and a few bytes: what the server checks is the signature.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";

pub async fn app() -> TestApp {
    let app = TestApp::start().await.unwrap();
    for (m, secret) in [(app.a.id, SECRET_A), (app.b.id, SECRET_B)] {
        app.store
            .upsert_channel_account(
                &Scope::All,
                m,
                Channel::Chat,
                &format!("chat-{m}"),
                &AccountSettings { secret: Some(secret.into()), ..AccountSettings::default() },
            )
            .await
            .unwrap();
    }
    app
}

/// Opening hours for a shop: every minute of every day, or none at all.
pub async fn set_hours(app: &TestApp, slug: &str, always_open: bool) {
    let day = if always_open { json!([{ "open": "00:00", "close": "24:00" }]) } else { json!([]) };
    let hours = json!({ "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day,
        "closed_on_national_holidays": false });
    let (s, body) = app
        .send(Method::PATCH, &format!("/api/v1/merchants/{slug}"), "admin", json!({ "business_hours": hours }))
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{body}");
}

pub async fn connect(app: &TestApp, slug: &str) -> Socket {
    let url = format!("{}/chat/{slug}/ws", app.base.replacen("http", "ws", 1));
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

pub async fn put(ws: &mut Socket, frame: Value) {
    ws.send(Ws::Text(frame.to_string().into())).await.unwrap();
}

/// The next JSON frame; fails the test after 10 s.
pub async fn next(ws: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("a frame in time");
        match msg.expect("socket open").unwrap() {
            Ws::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
            Ws::Close(_) => panic!("socket closed"),
            _ => {}
        }
    }
}

/// The next frame of a type, skipping others (typing, messages the test is not waiting for).
pub async fn next_of(ws: &mut Socket, kind: &str) -> Value {
    loop {
        let f = next(ws).await;
        if f["type"] == kind {
            return f;
        }
    }
}

/// Reads frames until one matches; collects what came before.
pub async fn until(ws: &mut Socket, pred: impl Fn(&Value) -> bool) -> (Value, Vec<Value>) {
    let mut seen = Vec::new();
    loop {
        let f = next(ws).await;
        if pred(&f) {
            return (f, seen);
        }
        seen.push(f);
    }
}

pub async fn hello(ws: &mut Socket, body: Value) -> Value {
    let mut frame = json!({ "type": "hello" });
    frame.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
    put(ws, frame).await;
    next_of(ws, "welcome").await
}

pub async fn customer_messages(app: &TestApp, conv: ConversationId) -> Vec<madoguchi_core::conversation::Message> {
    app.store
        .timeline(&Scope::All, conv, false)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|t| match t {
            TimelineItem::Message(m) if m.author_kind == AuthorKind::Customer => Some(m),
            _ => None,
        })
        .collect()
}

/// A browser-like client signed in to the console as the agent.
pub async fn agent_console(app: &TestApp) -> reqwest::Client {
    let console = super::console::browser();
    let (status, _, _) = super::console::sign_in(app, &console, "agent", super::PASSWORD).await.unwrap();
    assert_eq!(status, StatusCode::SEE_OTHER, "the agent signs in");
    console
}
