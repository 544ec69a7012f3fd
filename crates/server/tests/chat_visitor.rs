//! What the visitor of a web chat is told and given: the greeting, today's hours and the first
//! questions, their place in line, a transcript by mail, and a message left when nobody is at
//! work.
#![allow(clippy::unwrap_used)] // test helpers fail the test on bad fixtures

mod common;

use common::TestApp;
use common::chat::*;
use madoguchi_core::access::Scope;
use madoguchi_core::enums::Channel;
use madoguchi_store::channel_accounts::AccountSettings;
use reqwest::{Method, StatusCode};
use serde_json::json;

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

/// A visitor already waiting when everyone at work leaves is told so, not left with a place in
/// line that never moves, and may ask to be answered by mail: the address joins the customer,
/// and the conversation says so to the desk and to the visitor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_visitor_is_told_when_everyone_leaves_and_may_ask_for_a_mail_answer() {
    let app = app().await;
    set_hours(&app, "shop-a", true).await;
    let presence = |state: &'static str| {
        let app = &app;
        async move {
            let (s, body) =
                app.send(Method::PUT, "/api/v1/me/presence", "agent", json!({ "presence": state })).await.unwrap();
            assert_eq!(s, StatusCode::OK, "{body}");
        }
    };
    presence("available").await;
    let mut ws = connect(&app, "shop-a").await;
    hello(&mut ws, json!({})).await;
    put(&mut ws, json!({ "type": "start", "client_id": "w1", "name": "待機 確認", "text": "返品できますか" })).await;
    let ack = next_of(&mut ws, "ack").await;
    let q = next_of(&mut ws, "queue").await;
    assert!(q.get("nobody_at_work").is_none(), "someone is at work: {q}");

    // An address that is not one is refused.
    put(&mut ws, json!({ "type": "reply_by_mail", "email": "taiki@" })).await;
    assert_eq!(next_of(&mut ws, "error").await["code"], "invalid_email");

    presence("break").await;
    let (q, _) = until(&mut ws, |f| f["type"] == "queue" && f["nobody_at_work"] == true).await;
    assert_eq!(q["position"], 1, "{q}");
    assert!(q.get("expected_wait_seconds").is_none(), "no wait is promised with nobody there: {q}");
    put(&mut ws, json!({ "type": "reply_by_mail", "email": "Taiki@Example.JP" })).await;
    assert_eq!(next_of(&mut ws, "reply_by_mail_noted").await["email"], "taiki@example.jp");
    let (notice, _) = until(&mut ws, |f| f["type"] == "message" && f["author"] == "system").await;
    assert!(notice["text"].as_str().unwrap().contains("taiki@example.jp"), "{notice}");

    // The desk sees the same notice on the conversation, and the customer has the address.
    let message: madoguchi_core::ids::MessageId = ack["id"].as_str().unwrap().parse().unwrap();
    let conv = app.store.get_message(&Scope::All, message).await.unwrap().conversation_id;
    let (_, detail) = app.get(&format!("/api/v1/conversations/{conv}"), "agent").await.unwrap();
    assert!(detail["timeline"].to_string().contains("メールでもお返事します"), "{detail}");
    let customer = detail["conversation"]["customer_id"].as_str().unwrap().to_owned();
    let (_, c) = app.get(&format!("/api/v1/customers/{customer}"), "agent").await.unwrap();
    assert!(c.to_string().contains("taiki@example.jp"), "{c}");

    // Someone back at work: the line moves again.
    presence("available").await;
    let (q, _) = until(&mut ws, |f| f["type"] == "queue" && f.get("nobody_at_work").is_none()).await;
    assert_eq!(q["position"], 1, "{q}");
}
