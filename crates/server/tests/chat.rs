//! Web chat through its real entry point: a WebSocket client speaking the widget's frames to
//! the running server, with agents answering through the API and the console.

#![allow(clippy::unwrap_used)] // test helpers fail the test on bad fixtures

mod common;

use std::time::Duration;

use base64::Engine;
use common::{PASSWORD, TestApp};
use futures_util::{SinkExt, StreamExt};
use madoguchi_channels::chat::sign_customer;
use madoguchi_core::access::Scope;
use madoguchi_core::conversation::TimelineItem;
use madoguchi_core::enums::{AuthorKind, Channel, ConversationStatus};
use madoguchi_core::identity::IdentityKind;
use madoguchi_core::ids::ConversationId;
use madoguchi_store::channel_accounts::AccountSettings;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as Ws;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const SECRET_A: &str = "chat-secret-a";
const SECRET_B: &str = "chat-secret-b";

/// A PNG header and a few bytes: what the server checks is the signature.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";

async fn app() -> TestApp {
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
async fn set_hours(app: &TestApp, slug: &str, always_open: bool) {
    let day = if always_open { json!([{ "open": "00:00", "close": "24:00" }]) } else { json!([]) };
    let hours = json!({ "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day,
        "closed_on_national_holidays": false });
    let (s, body) = app
        .send(Method::PATCH, &format!("/api/v1/merchants/{slug}"), "admin", json!({ "business_hours": hours }))
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{body}");
}

async fn connect(app: &TestApp, slug: &str) -> Socket {
    let url = format!("{}/chat/{slug}/ws", app.base.replacen("http", "ws", 1));
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

async fn put(ws: &mut Socket, frame: Value) {
    ws.send(Ws::Text(frame.to_string().into())).await.unwrap();
}

/// The next JSON frame; fails the test after 10 s.
async fn next(ws: &mut Socket) -> Value {
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
async fn next_of(ws: &mut Socket, kind: &str) -> Value {
    loop {
        let f = next(ws).await;
        if f["type"] == kind {
            return f;
        }
    }
}

/// Reads frames until one matches; collects what came before.
async fn until(ws: &mut Socket, pred: impl Fn(&Value) -> bool) -> (Value, Vec<Value>) {
    let mut seen = Vec::new();
    loop {
        let f = next(ws).await;
        if pred(&f) {
            return (f, seen);
        }
        seen.push(f);
    }
}

async fn hello(ws: &mut Socket, body: Value) -> Value {
    let mut frame = json!({ "type": "hello" });
    frame.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
    put(ws, frame).await;
    next_of(ws, "welcome").await
}

async fn customer_messages(app: &TestApp, conv: ConversationId) -> Vec<madoguchi_core::conversation::Message> {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_chats_with_an_agent_and_resumes_after_a_reconnect() {
    let app = app().await;
    set_hours(&app, "shop-a", true).await;
    let mut ws = connect(&app, "shop-a").await;
    let welcome = hello(&mut ws, json!({})).await;
    assert_eq!(welcome["open"], true);
    assert_eq!(welcome["needs_form"], true, "{welcome}");
    assert_eq!(welcome["needs_email"], false);
    let token = welcome["token"].as_str().unwrap().to_owned();

    // A message before the pre-chat form is refused, by code.
    put(&mut ws, json!({ "type": "message", "client_id": "m0", "text": "こんにちは" })).await;
    let e = next_of(&mut ws, "error").await;
    assert_eq!((e["code"].as_str(), e["client_id"].as_str()), (Some("form_required"), Some("m0")));
    // So is a form without a name, and a bad mail address.
    put(&mut ws, json!({ "type": "start", "client_id": "s0", "name": " ", "text": "x" })).await;
    assert_eq!(next_of(&mut ws, "error").await["code"], "name_required");
    put(&mut ws, json!({ "type": "start", "client_id": "s0", "name": "山田", "email": "yamada@", "text": "x" })).await;
    assert_eq!(next_of(&mut ws, "error").await["code"], "invalid_email");

    put(
        &mut ws,
        json!({ "type": "start", "client_id": "s1", "name": "山田 花子", "email": "Hanako@Example.JP",
            "text": "注文した商品がまだ届きません" }),
    )
    .await;
    let ack = next_of(&mut ws, "ack").await;
    assert_eq!(ack["client_id"], "s1");
    let first_id = ack["id"].as_str().unwrap().to_owned();
    let echo = next_of(&mut ws, "message").await;
    assert_eq!((echo["id"].as_str(), echo["author"].as_str()), (Some(first_id.as_str()), Some("customer")));
    assert_eq!(echo["client_id"], "s1", "the widget matches its own message by client id");

    // Stored once, on a customer with the visitor's identity, the form's name and mail address.
    let msg = app
        .store
        .get_message(&Scope::All, first_id.parse().map(madoguchi_core::ids::MessageId).unwrap())
        .await
        .unwrap();
    let conv = msg.conversation_id;
    let c = app.store.get_conversation(&Scope::All, conv).await.unwrap();
    assert_eq!((c.channel, c.merchant_id), (Channel::Chat, app.a.id));
    let customer = app.store.get_customer(&Scope::All, c.customer_id.unwrap()).await.unwrap();
    assert_eq!(customer.name.as_deref(), Some("山田 花子"));
    let kinds: Vec<(IdentityKind, String)> = customer.identities.iter().map(|i| (i.kind, i.value.clone())).collect();
    assert!(kinds.contains(&(IdentityKind::Email, "hanako@example.jp".into())), "{kinds:?}");
    assert!(kinds.iter().any(|(k, v)| *k == IdentityKind::ChatVisitor && token.starts_with(&format!("{v}."))));

    // A resend of the same client id (the ack was lost) is acknowledged with the same message.
    put(&mut ws, json!({ "type": "message", "client_id": "s1", "text": "注文した商品がまだ届きません" })).await;
    assert_eq!(next_of(&mut ws, "ack").await["id"], first_id.as_str());
    assert_eq!(customer_messages(&app, conv).await.len(), 1);

    // Typing from the agent's console reaches the visitor, with the agent's name.
    let console = agent_console(&app).await;
    let page =
        console.get(format!("{}/desk/conversations/{conv}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-channel=\"chat\""), "the page knows it is a chat");
    let typing = console
        .post(format!("{}/desk/conversations/{conv}/typing", app.base))
        .form(&[("csrf", csrf_of(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(typing.status(), StatusCode::NO_CONTENT);
    assert_eq!(next_of(&mut ws, "typing").await["name"], "agent");

    // The agent answers through the API; the visitor sees it with the agent's name.
    let (s, body) = app
        .send(
            Method::POST,
            &format!("/api/v1/conversations/{conv}/messages"),
            "agent",
            json!({ "kind": "outbound", "body_text": "お調べします。少々お待ちください。" }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (reply, _) = until(&mut ws, |f| f["type"] == "message" && f["author"] == "agent").await;
    assert_eq!(reply["text"], "お調べします。少々お待ちください。");
    assert_eq!(reply["name"], "agent");
    let reply_id = reply["id"].as_str().unwrap().to_owned();
    // Internal notes never reach the visitor.
    app.send(
        Method::POST,
        &format!("/api/v1/conversations/{conv}/messages"),
        "agent",
        json!({ "kind": "internal_note", "body_text": "社内メモ: 在庫確認中" }),
    )
    .await
    .unwrap();

    // The connection drops. Meanwhile the agent writes again.
    drop(ws);
    app.send(
        Method::POST,
        &format!("/api/v1/conversations/{conv}/messages"),
        "agent",
        json!({ "kind": "outbound", "body_text": "明日お届けの予定です。" }),
    )
    .await
    .unwrap();

    // Reconnect with the token and the last message shown: what was missed arrives, and a
    // message that was being sent when the line dropped is stored once when resent.
    let mut ws = connect(&app, "shop-a").await;
    let welcome = hello(&mut ws, json!({ "token": token, "last_seen": reply_id })).await;
    assert_eq!(welcome["needs_form"], false, "a returning visitor skips the form");
    assert_eq!(welcome["token"], token.as_str());
    let (missed, before) = until(&mut ws, |f| f["type"] == "message" && f["text"] == "明日お届けの予定です。").await;
    assert_eq!(missed["author"], "agent");
    assert!(
        before.iter().chain([&missed]).all(|f| !f["text"].as_str().unwrap_or_default().contains("社内メモ")),
        "no internal note is sent"
    );
    for _ in 0..2 {
        put(&mut ws, json!({ "type": "message", "client_id": "m2", "text": "ありがとうございます" })).await;
        next_of(&mut ws, "ack").await;
    }
    assert_eq!(customer_messages(&app, conv).await.len(), 2, "the resent message is stored once");

    // An image: stored with the message and shown to this visitor only.
    let data = base64::engine::general_purpose::STANDARD.encode(PNG);
    put(&mut ws, json!({ "type": "image", "client_id": "i1", "filename": "箱の写真.png", "data": data })).await;
    next_of(&mut ws, "ack").await;
    let (img, _) = until(&mut ws, |f| f["client_id"] == "i1" && f["type"] == "message").await;
    let url = img["files"][0]["url"].as_str().unwrap().to_owned();
    assert_eq!(img["files"][0]["filename"], "箱の写真.png");
    let resp = app.client.get(format!("{}{url}", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), PNG);
    let other = madoguchi_channels::chat::visitor_token(SECRET_A, "v_someoneelse");
    let stolen = url.split("?t=").next().unwrap().to_owned() + "?t=" + &other;
    assert_eq!(app.client.get(format!("{}{stolen}", app.base)).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let forged = url.replace(&token, &format!("{}.{}", token.split('.').next().unwrap(), "00".repeat(32)));
    assert_eq!(app.client.get(format!("{}{forged}", app.base)).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    // What is not an image, and what is too large, is refused by code.
    let svg = base64::engine::general_purpose::STANDARD.encode(b"<svg onload=alert(1)>");
    put(&mut ws, json!({ "type": "image", "client_id": "i2", "filename": "x.png", "data": svg })).await;
    assert_eq!(next_of(&mut ws, "error").await["code"], "not_an_image");
    let mut big = PNG.to_vec();
    big.resize(madoguchi_channels::chat::MAX_IMAGE_BYTES + 10, 0);
    let big = base64::engine::general_purpose::STANDARD.encode(big);
    put(&mut ws, json!({ "type": "image", "client_id": "i3", "filename": "big.png", "data": big })).await;
    assert_eq!(next_of(&mut ws, "error").await["code"], "image_too_large");
    // Frames the protocol does not know are answered, and the chat goes on.
    ws.send(Ws::Text("{\"type\":\"shout\"}".into())).await.unwrap();
    assert_eq!(next_of(&mut ws, "error").await["code"], "bad_frame");
    ws.send(Ws::Binary(vec![1, 2, 3].into())).await.unwrap();
    assert_eq!(next_of(&mut ws, "error").await["code"], "bad_frame");
    put(&mut ws, json!({ "type": "message", "client_id": "m3", "text": "　" })).await;
    assert_eq!(next_of(&mut ws, "error").await["code"], "empty_message");

    // The desk wraps up and closes the chat: the visitor is told, and the next message opens a new one.
    let (s, body) = app
        .send(
            Method::POST,
            &format!("/api/v1/conversations/{conv}/wrap-ups"),
            "agent",
            json!({ "disposition_code": "DELIVERY_INFO", "acw_seconds": 30 }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = app
        .send(Method::PATCH, &format!("/api/v1/conversations/{conv}"), "agent", json!({ "status": "closed" }))
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{body}");
    next_of(&mut ws, "closed").await;
    put(&mut ws, json!({ "type": "message", "client_id": "m4", "text": "別件で質問です" })).await;
    let ack = next_of(&mut ws, "ack").await;
    let m4 = app
        .store
        .get_message(&Scope::All, madoguchi_core::ids::MessageId(ack["id"].as_str().unwrap().parse().unwrap()))
        .await
        .unwrap();
    assert_ne!(m4.conversation_id, conv);
    let old = app.store.get_conversation(&Scope::All, conv).await.unwrap();
    assert_eq!(old.status, ConversationStatus::Closed);
    let new = app.store.get_conversation(&Scope::All, m4.conversation_id).await.unwrap();
    assert_eq!(new.customer_id, old.customer_id, "the same customer");
}

/// The hidden CSRF token of the first form on a page.
/// A browser-like client signed in to the console as the agent.
async fn agent_console(app: &TestApp) -> reqwest::Client {
    let console =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login_page = console.get(format!("{}/login", app.base)).send().await.unwrap().text().await.unwrap();
    let resp = console
        .post(format!("{}/login", app.base))
        .form(&[("login", "agent"), ("password", PASSWORD), ("csrf", &csrf_of(&login_page))])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "the agent signs in");
    console
}

fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").map(|i| i + 19).unwrap_or(0);
    html[at..].split('"').next().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identities_are_verified_and_shops_stay_apart() {
    let app = app().await;
    set_hours(&app, "shop-a", true).await;

    // A shop's logged-in customer, signed by the shop: no form, one customer across devices.
    let sig = sign_customer(SECRET_A, "C-1001");
    let mut ws = connect(&app, "shop-a").await;
    let w = hello(&mut ws, json!({ "customer_id": "C-1001", "signature": sig, "customer_name": "会員 一郎" })).await;
    assert_eq!((w["verified"].as_bool(), w["needs_form"].as_bool()), (Some(true), Some(false)));
    put(&mut ws, json!({ "type": "message", "client_id": "a1", "text": "ポイントについて" })).await;
    let ack = next_of(&mut ws, "ack").await;
    let m = app
        .store
        .get_message(&Scope::All, madoguchi_core::ids::MessageId(ack["id"].as_str().unwrap().parse().unwrap()))
        .await
        .unwrap();
    let member = app
        .store
        .find_customer_by_identity(&Scope::All, app.a.id, IdentityKind::ChatVisitor, "member_C-1001")
        .await
        .unwrap();
    let conv = app.store.get_conversation(&Scope::All, m.conversation_id).await.unwrap();
    assert_eq!(conv.customer_id, Some(member.id));
    assert_eq!(member.name.as_deref(), Some("会員 一郎"));

    // Another device of the same member sees the same conversation.
    let mut other = connect(&app, "shop-a").await;
    hello(&mut other, json!({ "customer_id": "C-1001", "signature": sig })).await;
    let (f, _) = until(&mut other, |f| f["type"] == "message").await;
    assert_eq!(f["text"], "ポイントについて");

    // A signature for somebody else, or none, is refused and the socket closed.
    for bad in [json!({ "customer_id": "C-1002", "signature": sig }), json!({ "customer_id": "C-1001" })] {
        let mut ws = connect(&app, "shop-a").await;
        put(
            &mut ws,
            json!({ "type": "hello" })
                .as_object()
                .unwrap()
                .clone()
                .into_iter()
                .chain(bad.as_object().unwrap().clone())
                .collect::<serde_json::Map<_, _>>()
                .into(),
        )
        .await;
        assert_eq!(next(&mut ws).await["code"], "invalid_signature");
        let end = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap();
        assert!(matches!(end, None | Some(Ok(Ws::Close(_))) | Some(Err(_))), "closed after a bad signature: {end:?}");
    }
    // Shop B's secret does not sign for shop A.
    let mut ws = connect(&app, "shop-a").await;
    put(&mut ws, json!({ "type": "hello", "customer_id": "C-1001", "signature": sign_customer(SECRET_B, "C-1001") }))
        .await;
    assert_eq!(next(&mut ws).await["code"], "invalid_signature");

    // A visitor token of shop A means nothing at shop B: a new visitor there, with nothing of A's.
    let a_token = w["token"].as_str().unwrap();
    let mut ws = connect(&app, "shop-b").await;
    let wb = hello(&mut ws, json!({ "token": a_token })).await;
    assert_ne!(wb["token"], a_token);
    assert_eq!(wb["verified"], false);
    assert_eq!(wb["needs_form"], true);
    // A token edited to claim the member is not accepted either.
    let forged = a_token.replacen("member_C-1001", "member_C-1002", 1);
    let mut ws = connect(&app, "shop-a").await;
    let wf = hello(&mut ws, json!({ "token": forged })).await;
    assert_eq!(wf["verified"], false);
    assert!(wf["token"].as_str().unwrap().starts_with("v_"));

    // Unknown shops have no chat; the widget script of a known one is served.
    assert_eq!(
        app.client.get(format!("{}/chat/no-such-shop/widget.js", app.base)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let js = app.client.get(format!("{}/chat/shop-a/widget.js", app.base)).send().await.unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    let page = app
        .client
        .get(format!("{}/demo/shop/shop-a?member=C-1001", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("src=\"/chat/shop-a/widget.js\""));
    assert!(page.contains(&format!("data-customer-signature=\"{sig}\"")), "the demo page signs as a shop server would");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_business_hours_the_chat_takes_a_message() {
    let app = app().await;
    set_hours(&app, "shop-b", false).await;
    let mut ws = connect(&app, "shop-b").await;
    let w = hello(&mut ws, json!({})).await;
    assert_eq!((w["open"].as_bool(), w["needs_email"].as_bool()), (Some(false), Some(true)));
    put(&mut ws, json!({ "type": "start", "client_id": "s1", "name": "夜間 太郎", "text": "返品したいです" })).await;
    assert_eq!(next_of(&mut ws, "error").await["code"], "email_required");
    put(
        &mut ws,
        json!({ "type": "start", "client_id": "s1", "name": "夜間 太郎", "email": "taro@example.jp", "text": "返品したいです" }),
    )
    .await;
    let ack = next_of(&mut ws, "ack").await;
    let (notice, _) = until(&mut ws, |f| f["type"] == "message" && f["author"] == "system").await;
    assert!(notice["text"].as_str().unwrap().contains("営業時間外"));
    let m = app
        .store
        .get_message(&Scope::All, madoguchi_core::ids::MessageId(ack["id"].as_str().unwrap().parse().unwrap()))
        .await
        .unwrap();
    assert!(m.meta.flags.contains(&"after_hours".to_owned()));
    let c = app.store.get_conversation(&Scope::All, m.conversation_id).await.unwrap();
    assert_eq!(c.merchant_id, app.b.id);
    assert!(c.first_response_at.is_none(), "the automatic notice is not the desk's first response");
}

/// A shop that lists its sites gets chats only from them (and from Madoguchi's own demo page);
/// a page elsewhere cannot open the shop's chat in a visitor's browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_shops_sites_open_its_chat() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let app = app().await;
    let url = format!("{}/chat/shop-a/ws", app.base.replacen("http", "ws", 1));
    let open = |origin: &'static str| {
        let mut req = url.clone().into_client_request().unwrap();
        req.headers_mut().insert("origin", origin.parse().unwrap());
        async move {
            match tokio_tungstenite::connect_async(req).await {
                Ok(_) => 101,
                Err(tokio_tungstenite::tungstenite::Error::Http(r)) => r.status().as_u16(),
                Err(e) => panic!("{e}"),
            }
        }
    };
    // No list: any site.
    assert_eq!(open("https://elsewhere.example").await, 101);
    let (s, body) = app
        .send(
            Method::PUT,
            "/api/v1/merchants/shop-a/channels/chat",
            "merchant_admin",
            json!({ "allowed_origins": ["https://shop-a.example"] }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(open("https://elsewhere.example").await, 403);
    assert_eq!(open("https://shop-a.example").await, 101);
    let own: &'static str = Box::leak(app.base.clone().into_boxed_str());
    assert_eq!(open(own).await, 101, "the demo shop page on Madoguchi itself");
    // Another shop's list is its own business.
    let mut ws = connect(&app, "shop-b").await;
    assert_eq!(hello(&mut ws, json!({})).await["type"], "welcome");
}

/// Turns the shop's chat bot on and gives its knowledge base a shipping article next to the
/// returns article every test shop has; waits until both are searchable.
async fn with_bot(app: &TestApp, slug: &str) {
    let (s, body) = app
        .send(Method::PUT, &format!("/api/v1/merchants/{slug}/channels/chat"), "admin", json!({ "bot": true }))
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["bot"], true);
    let article = json!({ "category": "送料・手数料", "question": "送料はいくらですか？",
        "answer": "全国一律**550円**です。\n\n- 5,000円以上のご注文で送料無料", "keywords": ["配送料", "送料無料"] });
    let (s, body) =
        app.send(Method::POST, &format!("/api/v1/merchants/{slug}/kb/articles"), "admin", article).await.unwrap();
    assert_eq!(s, StatusCode::CREATED, "{body}");
    for _ in 0..100 {
        let (_, r) = app.get(&format!("/api/v1/merchants/{slug}/kb/search?q=送料"), "admin").await.unwrap();
        if r["results"].as_array().is_some_and(|a| !a.is_empty()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the shipping article never became searchable");
}

/// A visitor who fills in the pre-chat form with `text`; returns the socket and the conversation.
async fn visitor_asks(app: &TestApp, slug: &str, text: &str) -> (Socket, ConversationId) {
    let mut ws = connect(app, slug).await;
    hello(&mut ws, json!({})).await;
    put(
        &mut ws,
        json!({ "type": "start", "client_id": "q1", "name": "質問 花子", "email": "q@example.jp", "text": text }),
    )
    .await;
    let ack = next_of(&mut ws, "ack").await;
    let id = madoguchi_core::ids::MessageId(ack["id"].as_str().unwrap().parse().unwrap());
    let conv = app.store.get_message(&Scope::All, id).await.unwrap().conversation_id;
    (ws, conv)
}

async fn say(ws: &mut Socket, client_id: &str, text: &str) {
    put(ws, json!({ "type": "message", "client_id": client_id, "text": text })).await;
}

/// The bot's next message to the visitor.
async fn bot_says(ws: &mut Socket) -> Value {
    until(ws, |f| f["type"] == "message" && f["author"] == "bot").await.0
}

async fn events(app: &TestApp, conv: ConversationId) -> Vec<madoguchi_core::conversation::TimelineEvent> {
    app.store
        .timeline(&Scope::All, conv, true)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|t| match t {
            TimelineItem::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

/// The bot answers a question its knowledge base covers, in other words than the article's,
/// with the article, related ones and quick replies; while it holds the chat nobody is assigned
/// and no service clock runs; a yes ends the chat as resolved by the bot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_answers_from_the_knowledge_base_and_a_yes_resolves_the_chat() {
    use madoguchi_core::bot::BotOutcome;
    let app = app().await;
    set_hours(&app, "shop-a", true).await;
    with_bot(&app, "shop-a").await;
    // An agent is available: routing must still leave the bot's chat alone.
    let (s, _) =
        app.send(Method::PUT, "/api/v1/me/presence", "agent", json!({ "presence": "available" })).await.unwrap();
    assert_eq!(s, StatusCode::OK);

    let (mut ws, conv) = visitor_asks(&app, "shop-a", "送料っていくらかかりますか？").await;
    let answer = bot_says(&mut ws).await;
    let text = answer["text"].as_str().unwrap();
    assert!(text.contains("550円") && !text.contains("**"), "the article's answer as plain text: {text}");
    assert!(text.contains("解決しましたか"), "{text}");
    assert!(answer["articles"][0]["url"].as_str().unwrap().starts_with("/help/shop-a/articles/"), "{answer}");
    let choices: Vec<&str> = answer["choices"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(choices, ["はい、解決しました", "いいえ、解決していません", "オペレーターと話したい"]);

    let c = app.store.get_conversation(&Scope::All, conv).await.unwrap();
    assert_eq!((c.status, c.bot_outcome), (ConversationStatus::Bot, Some(BotOutcome::Active)));
    assert!(c.first_response_due_at.is_none(), "no service clock while the bot holds the chat");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let c = app.store.get_conversation(&Scope::All, conv).await.unwrap();
    assert_eq!(c.assignee_id, None, "routing leaves the bot's chat alone");
    let (_, waiting) = app.get("/api/v1/conversations?merchant=shop-a&assignee=none&limit=100", "agent").await.unwrap();
    assert!(!waiting["items"].as_array().unwrap().iter().any(|i| i["id"] == conv.to_string()), "not in the queue");

    say(&mut ws, "q2", "はい、解決しました").await;
    let thanks = bot_says(&mut ws).await;
    assert!(thanks["text"].as_str().unwrap().contains("ありがとう"), "{thanks}");
    next_of(&mut ws, "closed").await;
    let c = app.store.get_conversation(&Scope::All, conv).await.unwrap();
    assert_eq!((c.status, c.bot_outcome), (ConversationStatus::Closed, Some(BotOutcome::Resolved)));
    assert!(c.first_response_at.is_none(), "the bot's answers are not the desk's first response");
    assert!(events(&app, conv).await.iter().any(|e| e.kind == madoguchi_core::enums::EventKind::BotResolved));

    // The shop's figures: one chat, resolved by the bot; the other shop sees none of it.
    let (s, f) = app.get("/api/v1/merchants/shop-a/bot/figures", "merchant_admin").await.unwrap();
    assert_eq!(s, StatusCode::OK, "{f}");
    assert_eq!((f["chats"].as_i64(), f["resolved"].as_i64(), f["handed_over"].as_i64()), (Some(1), Some(1), Some(0)));
    assert_eq!(f["resolved_rate"].as_f64(), Some(1.0));
    let (s, _) = app.get("/api/v1/merchants/shop-b/bot/figures", "merchant_admin").await.unwrap();
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = app.get("/api/v1/merchants/shop-a/bot/figures?from=2026-13-01", "admin").await.unwrap();
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_date")));

    // The supervisor board shows today's bot figures beside the queues.
    let console = agent_console(&app).await;
    let board = console.get(format!("{}/board", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(board.contains("ボット（本日）") && board.contains("ボットで解決 1（100.0%）"), "{board}");
}

/// Two answers that did not help, then the visitor goes to a person with the whole exchange;
/// the hand-over starts the service clock, routes the chat and leaves a note for the agent that
/// the visitor never sees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_two_answers_that_did_not_help_the_bot_hands_over_with_the_transcript() {
    use madoguchi_core::bot::BotOutcome;
    let app = app().await;
    set_hours(&app, "shop-a", true).await;
    with_bot(&app, "shop-a").await;
    let (mut ws, conv) = visitor_asks(&app, "shop-a", "返品したいのですが").await;
    assert!(bot_says(&mut ws).await["text"].as_str().unwrap().contains("8日以内"));
    say(&mut ws, "q2", "いいえ、解決していません").await;
    let again = bot_says(&mut ws).await;
    assert!(again["text"].as_str().unwrap().contains("別の言葉"), "{again}");
    assert_eq!(again["choices"], json!(["オペレーターと話したい"]));
    say(&mut ws, "q3", "返品できますか？").await;
    assert!(bot_says(&mut ws).await["text"].as_str().unwrap().contains("8日以内"), "a second answer");
    say(&mut ws, "q4", "いいえ").await;
    let handing = bot_says(&mut ws).await;
    assert!(handing["text"].as_str().unwrap().contains("担当者におつなぎします"), "{handing}");

    let c = app.store.get_conversation(&Scope::All, conv).await.unwrap();
    assert_eq!(c.bot_outcome, Some(BotOutcome::HandedOver));
    assert!(matches!(c.status, ConversationStatus::New | ConversationStatus::Open), "in the queue: {:?}", c.status);
    assert!(c.first_response_due_at.is_some(), "the service clock starts at the hand-over");
    let handed =
        events(&app, conv).await.into_iter().find(|e| e.kind == madoguchi_core::enums::EventKind::BotHandedOver);
    assert_eq!(handed.unwrap().data["reason"], "not_solved");

    // The agent reads everything the visitor and the bot said, and the bot's note on top.
    let (_, page) = app.get(&format!("/api/v1/conversations/{conv}"), "agent").await.unwrap();
    let all = page.to_string();
    for said in [
        "返品したいのですが",
        "いいえ、解決していません",
        "返品できますか",
        "ボットから引き継ぎ",
        "回答では解決しなかった",
    ] {
        assert!(all.contains(said), "the agent sees {said}");
    }
    // The note is the desk's: the visitor never sees it.
    let public = app.store.public_messages_since(&Scope::All, conv, None, 100).await.unwrap();
    assert!(public.iter().all(|m| !m.body_text.contains("ボットから引き継ぎ")));

    // The agent answers; the bot stays quiet from now on.
    let (s, body) = app
        .send(
            Method::POST,
            &format!("/api/v1/conversations/{conv}/messages"),
            "agent",
            json!({ "kind": "outbound", "body_text": "担当の佐藤です。返品を承ります。" }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(
        until(&mut ws, |f| f["type"] == "message" && f["author"] == "agent").await.0["text"],
        "担当の佐藤です。返品を承ります。"
    );
    say(&mut ws, "q5", "ありがとうございます").await;
    let (_, seen) = until(&mut ws, |f| f["type"] == "message" && f["client_id"] == "q5").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let bots = app.store.public_messages_since(&Scope::All, conv, None, 100).await.unwrap();
    assert_eq!(
        bots.iter().filter(|m| m.author_kind == AuthorKind::Bot).count(),
        4,
        "no bot message after the hand-over ({seen:?})"
    );
}

/// Asking for a person goes to one at once; a question the knowledge base does not cover too;
/// after hours the bot takes a message instead; an agent who answers a chat the bot holds takes
/// it over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_hands_over_on_request_when_unsure_and_after_hours_takes_a_message() {
    use madoguchi_core::bot::BotOutcome;
    let app = app().await;
    set_hours(&app, "shop-a", true).await;
    with_bot(&app, "shop-a").await;
    let reason = |conv| {
        let app = &app;
        async move {
            let e =
                events(app, conv).await.into_iter().find(|e| e.kind == madoguchi_core::enums::EventKind::BotHandedOver);
            e.map(|e| e.data["reason"].as_str().unwrap_or_default().to_owned())
        }
    };

    let (mut ws, conv) = visitor_asks(&app, "shop-a", "ｵﾍﾟﾚｰﾀｰと話したい").await;
    assert!(bot_says(&mut ws).await["text"].as_str().unwrap().contains("担当者におつなぎします"));
    assert_eq!(reason(conv).await.as_deref(), Some("requested"));

    let (mut ws, conv) = visitor_asks(&app, "shop-a", "御社の株価を教えてください").await;
    assert!(bot_says(&mut ws).await["text"].as_str().unwrap().contains("担当者におつなぎします"));
    assert_eq!(reason(conv).await.as_deref(), Some("not_confident"));

    // An agent answering while the bot holds the chat takes it over.
    let (mut ws, conv) = visitor_asks(&app, "shop-a", "送料はいくら？").await;
    bot_says(&mut ws).await;
    let (s, _) = app
        .send(
            Method::POST,
            &format!("/api/v1/conversations/{conv}/messages"),
            "agent",
            json!({ "kind": "outbound", "body_text": "担当が代わります。" }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED);
    let c = app.store.get_conversation(&Scope::All, conv).await.unwrap();
    assert_eq!((c.status, c.bot_outcome), (ConversationStatus::Open, Some(BotOutcome::HandedOver)));
    assert_eq!(reason(conv).await.as_deref(), Some("taken_over"));
    // Nobody can hand a chat back to the bot through the API.
    let (s, e) = app
        .send(Method::PATCH, &format!("/api/v1/conversations/{conv}"), "agent", json!({ "status": "bot" }))
        .await
        .unwrap();
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bot_only")));

    set_hours(&app, "shop-a", false).await;
    let (mut ws, conv) = visitor_asks(&app, "shop-a", "人と話したいです").await;
    let notice = bot_says(&mut ws).await;
    assert!(notice["text"].as_str().unwrap().contains("営業時間外"), "{notice}");
    let c = app.store.get_conversation(&Scope::All, conv).await.unwrap();
    assert_eq!(c.bot_outcome, Some(BotOutcome::HandedOver));

    let (_, f) = app.get("/api/v1/merchants/shop-a/bot/figures", "admin").await.unwrap();
    assert_eq!((f["chats"].as_i64(), f["handed_over"].as_i64()), (Some(4), Some(4)), "{f}");
}

/// What a visitor sees before and while waiting: the shop's greeting and today's hours, the
/// questions the shop asks first (order number, topic), their place in line and the expected
/// wait once someone is at work; and the desk gets the answers on the conversation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_visitor_is_greeted_asked_first_and_told_their_place_in_line() {
    let app = app().await;
    set_hours(&app, "shop-a", true).await;
    let (s, body) = app
        .send(
            Method::PATCH,
            "/api/v1/merchants/shop-a",
            "admin",
            json!({ "greetings": { "chat": "A店チャット窓口でございます。" } }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = app
        .send(
            Method::PUT,
            "/api/v1/merchants/shop-a/channels/chat",
            "admin",
            json!({ "ask_order_number": true, "ask_category": true }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{body}");
    // The mail channel has no pre-chat form.
    let (s, body) = app
        .send(Method::PUT, "/api/v1/merchants/shop-a/channels/email", "admin", json!({ "ask_order_number": true }))
        .await
        .unwrap();
    assert_eq!((s, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_for_channel")), "{body}");

    let mut first = connect(&app, "shop-a").await;
    let w = hello(&mut first, json!({})).await;
    assert_eq!(w["greeting"], "A店チャット窓口でございます。", "{w}");
    assert_eq!(w["hours_today"], "00:00-24:00", "{w}");
    assert!(w.get("next_open").is_none(), "open now: no next opening");
    assert!(w.get("expected_wait_seconds").is_none(), "nobody at work: no promise of a wait");
    assert_eq!(w["ask_order_number"], true);
    let categories: Vec<&str> = w["categories"].as_array().unwrap().iter().filter_map(|c| c.as_str()).collect();
    assert!(categories.contains(&"配送について"), "{categories:?}");

    // A topic that is not offered, and an order number too long to be one, are refused.
    put(
        &mut first,
        json!({ "type": "start", "client_id": "s1", "name": "一番 目", "text": "届きません",
        "category": "関係ない話" }),
    )
    .await;
    assert_eq!(next_of(&mut first, "error").await["code"], "invalid_category");
    put(
        &mut first,
        json!({ "type": "start", "client_id": "s1", "name": "一番 目", "text": "届きません",
        "order_number": "x".repeat(41) }),
    )
    .await;
    assert_eq!(next_of(&mut first, "error").await["code"], "invalid_order_number");
    // The order number as typed on a phone (full-width) finds the shop's order.
    put(
        &mut first,
        json!({ "type": "start", "client_id": "s1", "name": "一番 目", "text": "届きません",
        "order_number": "ｓｈｏｐ－ａ－１", "category": "配送について" }),
    )
    .await;
    let ack = next_of(&mut first, "ack").await;
    let m = app
        .store
        .get_message(&Scope::All, madoguchi_core::ids::MessageId(ack["id"].as_str().unwrap().parse().unwrap()))
        .await
        .unwrap();
    let conv = app.store.get_conversation(&Scope::All, m.conversation_id).await.unwrap();
    assert_eq!(conv.category.as_deref(), Some("配送について"));
    assert_eq!(conv.order_id, Some(app.a.order), "the order the visitor named is linked");
    let q = next_of(&mut first, "queue").await;
    assert_eq!(q["position"], 1, "{q}");
    assert!(q.get("expected_wait_seconds").is_none(), "{q}");

    // A second visitor waits behind the first.
    let mut second = connect(&app, "shop-a").await;
    hello(&mut second, json!({})).await;
    put(&mut second, json!({ "type": "start", "client_id": "t1", "name": "二番 目", "text": "返品したい" })).await;
    next_of(&mut second, "ack").await;
    assert_eq!(next_of(&mut second, "queue").await["position"], 2);

    // Someone comes to work: the wait gets a figure (five minutes a chat before the shop has
    // its own history, an agent taking several chats at once). The chats ring at the agent, and
    // still wait until the agent takes them.
    let (s, body) =
        app.send(Method::PUT, "/api/v1/me/presence", "agent", json!({ "presence": "available" })).await.unwrap();
    assert_eq!(s, StatusCode::OK, "{body}");
    let q = next_of(&mut second, "queue").await;
    assert_eq!(q["position"], 2);
    let wait = q["expected_wait_seconds"].as_u64().expect("a wait once someone is at work");
    assert!(wait >= 60 && wait % 60 == 0, "whole minutes: {wait}");
    // A new visitor now hears the wait before starting.
    let mut third = connect(&app, "shop-a").await;
    let w = hello(&mut third, json!({})).await;
    assert!(w["expected_wait_seconds"].as_u64().is_some_and(|s| s >= wait), "{w}");

    // The agent answers the first chat, which takes it: the second moves up.
    let (s, body) = app
        .send(
            Method::POST,
            &format!("/api/v1/conversations/{}/messages", conv.id),
            "agent",
            json!({ "kind": "outbound", "body_text": "お調べします。" }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (q, _) = until(&mut second, |f| f["type"] == "queue" && f["position"] == 1).await;
    assert!(q["expected_wait_seconds"].as_u64().is_some_and(|s| s <= wait), "{q}");
}

/// The visitor asks for the conversation by mail: it goes out from the shop's address, with
/// who said what, and the chat window does not show the mail as a message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_gets_the_transcript_by_mail() {
    let servers = common::mailserver::mail_servers();
    let settings = madoguchi_app::settings::Settings { smtp_url: Some(servers.smtp_url()), ..Default::default() };
    let app = TestApp::start_with(settings).await.unwrap();
    app.store
        .upsert_channel_account(
            &Scope::All,
            app.a.id,
            Channel::Chat,
            "chat-a",
            &AccountSettings { secret: Some(SECRET_A.into()), ..AccountSettings::default() },
        )
        .await
        .unwrap();
    set_hours(&app, "shop-a", true).await;
    let mut ws = connect(&app, "shop-a").await;
    hello(&mut ws, json!({})).await;
    put(&mut ws, json!({ "type": "transcript", "email": "visitor@example.jp" })).await;
    assert_eq!(next_of(&mut ws, "error").await["code"], "no_conversation");
    put(
        &mut ws,
        json!({ "type": "start", "client_id": "s1", "name": "記録 希望", "text": "のしの付け方を教えてください" }),
    )
    .await;
    let ack = next_of(&mut ws, "ack").await;
    let m = app
        .store
        .get_message(&Scope::All, madoguchi_core::ids::MessageId(ack["id"].as_str().unwrap().parse().unwrap()))
        .await
        .unwrap();
    let conv = m.conversation_id;
    // The agent answers under the name customers see.
    let (s, body) = app
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{}", app.users["agent"]),
            "admin",
            json!({ "public_name": "サポート 佐藤" }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = app
        .send(
            Method::POST,
            &format!("/api/v1/conversations/{conv}/messages"),
            "agent",
            json!({ "kind": "outbound", "body_text": "表書きは「御祝」でお付けできます。" }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (reply, _) = until(&mut ws, |f| f["type"] == "message" && f["author"] == "agent").await;
    assert_eq!(reply["name"], "サポート 佐藤", "the visitor sees the public name");

    // A shop without a mail address cannot send it; the visitor is told so.
    put(&mut ws, json!({ "type": "transcript", "email": "visitor@example.jp" })).await;
    assert_eq!(next_of(&mut ws, "error").await["code"], "transcript_unavailable");
    app.store
        .upsert_channel_account(
            &Scope::All,
            app.a.id,
            Channel::Email,
            "mail-a",
            &AccountSettings { address: Some("support@shop-a.test".into()), ..AccountSettings::default() },
        )
        .await
        .unwrap();
    put(&mut ws, json!({ "type": "transcript", "email": "visitor@" })).await;
    assert_eq!(next_of(&mut ws, "error").await["code"], "invalid_email");
    put(&mut ws, json!({ "type": "transcript", "email": "Visitor@Example.JP" })).await;
    assert_eq!(next_of(&mut ws, "transcript_queued").await["email"], "visitor@example.jp");

    let delivered = servers.fetch_all("visitor@example.jp", 1).await;
    assert_eq!(delivered.len(), 1);
    let mail = madoguchi_channels::email::parse(&delivered[0], &madoguchi_channels::email::Limits::default()).unwrap();
    assert_eq!(mail.from.as_ref().unwrap().address, "support@shop-a.test");
    assert!(mail.subject.as_deref().is_some_and(|s| s.contains("チャットの記録")), "{:?}", mail.subject);
    for said in ["のしの付け方を教えてください", "表書きは「御祝」でお付けできます。", "担当 サポート 佐藤", "お客様"]
    {
        assert!(mail.text.contains(said), "{said} in {}", mail.text);
    }
    // The mail is not a chat message: the window shows nothing new for it.
    put(&mut ws, json!({ "type": "message", "client_id": "m2", "text": "ありがとうございました" })).await;
    let (_, between) = until(&mut ws, |f| f["type"] == "message" && f["client_id"] == "m2").await;
    assert!(
        !between.iter().any(|f| f["type"] == "message" && f["text"].as_str().is_some_and(|t| t.contains("やりとり"))),
        "{between:?}"
    );
}

/// Open, but nobody at work: the visitor is told so and offered to leave a mail address to be
/// answered later, instead of waiting for no one; the message is kept either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_nobody_is_at_work_the_visitor_leaves_a_message_for_a_mail_answer() {
    let app = app().await;
    set_hours(&app, "shop-a", true).await;
    let mut ws = connect(&app, "shop-a").await;
    let w = hello(&mut ws, json!({})).await;
    assert_eq!(
        (w["open"].as_bool(), w["nobody_at_work"].as_bool(), w["needs_email"].as_bool()),
        (Some(true), Some(true), Some(false)),
        "the address is offered, not required: {w}"
    );
    put(
        &mut ws,
        json!({ "type": "start", "client_id": "n1", "name": "不在 確認", "email": "fuzai@example.jp", "text": "在庫はありますか" }),
    )
    .await;
    next_of(&mut ws, "ack").await;

    let (s, body) =
        app.send(Method::PUT, "/api/v1/me/presence", "agent", json!({ "presence": "available" })).await.unwrap();
    assert_eq!(s, StatusCode::OK, "{body}");
    let mut later = connect(&app, "shop-a").await;
    let w = hello(&mut later, json!({})).await;
    assert!(w.get("nobody_at_work").is_none(), "someone is at work: {w}");
    // The message left with an address is the shop's conversation, answerable by mail.
    let (_, list) = app.get("/api/v1/customers?merchant=shop-a&limit=50", "admin").await.unwrap();
    assert!(list.to_string().contains("fuzai@example.jp"), "{list}");
}
