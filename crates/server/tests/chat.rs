//! Web chat through its real entry point: a WebSocket client speaking the widget's frames to
//! the running server, with agents answering through the API and the console: the
//! conversation and its reconnects, verified identities, after hours, the shop's own sites.
#![allow(clippy::unwrap_used)] // test helpers fail the test on bad fixtures

mod common;

use std::time::Duration;

use base64::Engine;
use common::chat::*;
use common::console::csrf_of;
use futures_util::{SinkExt, StreamExt};
use madoguchi_channels::chat::sign_customer;
use madoguchi_core::access::Scope;
use madoguchi_core::enums::{Channel, ConversationStatus};
use madoguchi_core::identity::IdentityKind;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as Ws;

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
