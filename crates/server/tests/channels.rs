//! Digital channels through their real entry points: raw mail over HTTP and IMAP from a real
//! Dovecot, replies out by SMTP through a real OpenSMTPD into the customer's mailbox, and LINE
//! webhooks signed as LINE signs them, answered through a local stand-in for LINE's API that
//! checks the bearer token and speaks its request and response formats.

#![allow(clippy::unwrap_used)] // test helpers fail the test on bad fixtures

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode as AxStatus};
use axum::routing::{get, post};
use common::mailserver::mail_servers;
use common::{TestApp, messages};
use madoguchi_app::Settings;
use madoguchi_channels::email::{Limits, parse};
use madoguchi_core::access::Scope;
use madoguchi_core::enums::{Channel, DeliveryStatus, Direction};
use madoguchi_core::ids::ConversationId;
use madoguchi_store::channel_accounts::AccountSettings;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../channels/tests/mail");

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(format!("{CORPUS}/{name}.eml")).unwrap()
}

async fn post_mail(app: &TestApp, token: &str, raw: Vec<u8>, content_type: &str) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(format!("{}/api/v1/inbound/email/{token}", app.base))
        .header("content-type", content_type)
        .body(raw)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Waits until `check` holds, for at most 20 seconds.
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_lands_once_threads_and_replies_go_out_by_smtp() {
    let servers = mail_servers();
    let settings = Settings { smtp_url: Some(servers.smtp_url()), imap_poll_seconds: 1, ..Settings::default() };
    let app = TestApp::start_with(settings).await.unwrap();
    let inbox = "support@shop-a.test";
    let account = app
        .store
        .upsert_channel_account(
            &Scope::All,
            app.a.id,
            Channel::Email,
            "mail-token-a",
            &AccountSettings {
                address: Some(inbox.into()),
                settings: Some(json!({ "imap": {
                    "host": "127.0.0.1", "port": servers.imap_port, "username": inbox, "password": common::mailserver::MAIL_PASSWORD,
                    "tls": false,
                }})),
                ..AccountSettings::default()
            },
        )
        .await
        .unwrap();

    // In by HTTP: stored once, on the sender's customer, decoded from ISO-2022-JP.
    let (status, body) = post_mail(&app, &account.inbound_token, corpus("iso2022jp_basic"), "message/rfc822").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "stored");
    let conv_id: ConversationId = serde_json::from_value(body["conversation_id"].clone()).unwrap();
    let (status, again) =
        post_mail(&app, &account.inbound_token, corpus("iso2022jp_basic"), "message/rfc822; charset=x").await;
    assert_eq!((status, again["status"].as_str()), (StatusCode::OK, Some("duplicate")));
    let conv = app.store.get_conversation(&Scope::All, conv_id).await.unwrap();
    assert_eq!(
        (conv.merchant_id, conv.channel, conv.subject.as_deref()),
        (app.a.id, Channel::Email, Some("商品が届きません"))
    );
    let customer = app.store.get_customer(&Scope::All, conv.customer_id.unwrap()).await.unwrap();
    assert_eq!(customer.name.as_deref(), Some("山田 花子"));
    let first = messages(&app, conv_id).await;
    assert_eq!(first.len(), 1);
    assert!(first[0].body_text.contains("注文番号 HM-10023 の商品がまだ届きません。"));

    // The agent answers; the outbox sends it by SMTP into the customer's real mailbox.
    let (status, reply) = app
        .send(
            Method::POST,
            &format!("/api/v1/conversations/{conv_id}/messages"),
            "agent",
            json!({ "kind": "outbound", "body_text": "山田様\nお問い合わせありがとうございます。配送状況を確認いたします。" }),
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["message"]["delivery_status"], "queued");
    let reply_id = reply["message"]["id"].as_str().unwrap().to_owned();
    eventually("the reply is sent", || async {
        let m = app.store.get_message(&Scope::All, reply_id.parse().unwrap()).await.unwrap();
        m.delivery_status == Some(DeliveryStatus::Sent)
    })
    .await;
    let delivered = servers.fetch_all("hanako@example.jp", 1).await;
    assert_eq!(delivered.len(), 1, "exactly one copy reaches the customer");
    let got = parse(&delivered[0], &Limits::default()).unwrap();
    assert_eq!(got.from.as_ref().unwrap().address, inbox);
    assert_eq!(got.in_reply_to, vec!["basic-1@example.jp".to_owned()]);
    assert_eq!(got.ticket_number(), Some(conv.number), "subject carries the ticket token: {:?}", got.subject);
    assert!(got.text.contains("配送状況を確認いたします。"), "{}", got.text);
    let our_id = got.message_id.clone().unwrap();

    // The customer answers by mail to the shop's address; the IMAP poller takes it in and
    // threads it by In-Reply-To.
    let answer = format!(
        "From: =?UTF-8?B?5bGx55Sw?= <hanako@example.jp>\r\nTo: {inbox}\r\nSubject: Re: reply\r\nMessage-ID: <answer-1@example.jp>\r\n\
         In-Reply-To: <{our_id}>\r\nReferences: <basic-1@example.jp> <{our_id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\r\nよろしくお願いします。\r\n"
    );
    servers.send_raw("hanako@example.jp", inbox, answer.as_bytes()).await;
    eventually("the answer arrives by IMAP on the same conversation", || async {
        messages(&app, conv_id).await.iter().any(|m| m.provider_message_id.as_deref() == Some("answer-1@example.jp"))
    })
    .await;
    // Taken in once however often the poller runs.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let all = messages(&app, conv_id).await;
    assert_eq!(all.iter().filter(|m| m.direction == Direction::Inbound).count(), 2);

    // A bounce is stored, flagged, and nothing answers it.
    let (status, b) = post_mail(&app, &account.inbound_token, corpus("bounce"), "message/rfc822").await;
    assert_eq!(status, StatusCode::OK);
    let bounce = app.store.get_message(&Scope::All, b["message_id"].as_str().unwrap().parse().unwrap()).await.unwrap();
    assert!(bounce.meta.flags.contains(&"bounce".to_owned()), "{:?}", bounce.meta.flags);
    assert_eq!(app.store.outbox_pending().await.unwrap(), 0);

    // Bad input: a clear error, and nothing half-stored.
    let before = app.store.count_conversations(&Scope::All, &Default::default()).await.unwrap();
    let (status, e) = post_mail(&app, &account.inbound_token, corpus("bounce"), "application/json").await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type")));
    let (status, e) = post_mail(&app, &account.inbound_token, b"\r\n \r\n".to_vec(), "message/rfc822").await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("empty_message")));
    let (status, _) = post_mail(&app, "no-such-token", corpus("bounce"), "message/rfc822").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, e) = post_mail(&app, &account.inbound_token, vec![b'x'; 26 * 1024 * 1024], "message/rfc822").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{e}");
    assert_eq!(app.store.count_conversations(&Scope::All, &Default::default()).await.unwrap(), before);
}

/// What the stand-in was asked: API, request body, retry key.
type Calls = Arc<Mutex<Vec<(String, Value, Option<String>)>>>;

/// LINE's API as far as Madoguchi uses it, with the checks LINE makes.
#[derive(Clone, Default)]
struct FakeLine {
    calls: Calls,
    retry_keys: Arc<Mutex<Vec<String>>>,
    valid_reply_tokens: Arc<Mutex<Vec<String>>>,
}

const LINE_TOKEN: &str = "test-channel-access-token";
const LINE_SECRET: &str = "test-channel-secret";
const USER: &str = "U4af4980629f2d1a5b0c1f7f7a6e4a4b1";

/// IMAP over TLS: the certificate is checked against the system's roots plus the configured CA
/// file; a server nobody vouches for gets no password and nothing is fetched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap_over_tls_checks_the_certificate() {
    use madoguchi_app::jobs::mail_polling::poll;
    use madoguchi_channels::email::imap::{ImapClient as Imap, ImapSettings};
    let servers = mail_servers();
    let app = TestApp::start().await.unwrap();
    let inbox = "tls-inbox@shop-a.test";
    let imap = json!({ "host": "127.0.0.1", "port": servers.imaps_port, "username": inbox,
        "password": common::mailserver::MAIL_PASSWORD });
    let account = app
        .store
        .upsert_channel_account(
            &Scope::All,
            app.a.id,
            Channel::Email,
            "tls-mail-a",
            &AccountSettings {
                address: Some(inbox.into()),
                settings: Some(json!({ "imap": imap.clone() })),
                ..AccountSettings::default()
            },
        )
        .await
        .unwrap();
    let settings: ImapSettings = serde_json::from_value(imap).unwrap();
    assert!(settings.tls, "TLS is on unless turned off");
    servers.send_raw("tls.sender@example.jp", inbox, &corpus("shift_jis")).await;
    assert_eq!(servers.fetch_all(inbox, 1).await.len(), 1, "the mail is in the mailbox");

    let f = madoguchi_store::conversations::ConversationFilter {
        merchant: Some(app.a.id),
        channel: Some(Channel::Email),
        ..Default::default()
    };
    let count = || async {
        app.store
            .list_conversations(&Scope::All, &f, madoguchi_core::page::PageRequest::first(10))
            .await
            .unwrap()
            .items
            .len()
    };
    let before = count().await;

    // Only the system's roots: the test CA is unknown, so the handshake fails.
    let untrusted = poll(&Imap::new(None).unwrap(), &app.app, &account, &settings).await;
    let e = untrusted.expect_err("an unknown certificate is refused");
    assert!(format!("{e:#}").to_lowercase().contains("certificate"), "{e:#}");
    assert_eq!(count().await, before);

    // With the CA configured: fetched once, marked seen, not fetched again.
    let trusted = Imap::new(Some(&servers.ca_file())).unwrap();
    assert_eq!(poll(&trusted, &app.app, &account, &settings).await.unwrap(), 1);
    assert_eq!(count().await, before + 1);
    assert_eq!(poll(&trusted, &app.app, &account, &settings).await.unwrap(), 0);

    // A CA file that holds no certificate is a configuration error at start-up.
    let bad = servers.dir.join("not-a-ca.pem");
    std::fs::write(&bad, "not a certificate").unwrap();
    assert!(Imap::new(Some(&bad)).is_err());
}

fn authorised(h: &HeaderMap) -> bool {
    h.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {LINE_TOKEN}"))
}

fn unauthorised() -> (AxStatus, axum::Json<Value>) {
    (
        AxStatus::UNAUTHORIZED,
        axum::Json(
            json!({ "message": "Authentication failed. Confirm that the access token in the authorization header is valid." }),
        ),
    )
}

async fn fake_reply(
    State(f): State<FakeLine>,
    h: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> (AxStatus, axum::Json<Value>) {
    if !authorised(&h) {
        return unauthorised();
    }
    let token = body["replyToken"].as_str().unwrap_or_default().to_owned();
    let valid = {
        let mut v = f.valid_reply_tokens.lock().unwrap();
        let found = v.iter().position(|t| *t == token);
        found.map(|i| v.remove(i)).is_some()
    };
    f.calls.lock().unwrap().push(("reply".into(), body, None));
    if !valid {
        return (AxStatus::BAD_REQUEST, axum::Json(json!({ "message": "Invalid reply token" })));
    }
    (
        AxStatus::OK,
        axum::Json(json!({ "sentMessages": [{ "id": "461230966842064897", "quoteToken": "IStG5h1Tz7b..." }] })),
    )
}

async fn fake_push(
    State(f): State<FakeLine>,
    h: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> (AxStatus, axum::Json<Value>) {
    if !authorised(&h) {
        return unauthorised();
    }
    let key = h.get("x-line-retry-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(k) = &key {
        let mut keys = f.retry_keys.lock().unwrap();
        if keys.contains(k) {
            return (AxStatus::CONFLICT, axum::Json(json!({ "message": "The retry key is already accepted" })));
        }
        keys.push(k.clone());
    }
    f.calls.lock().unwrap().push(("push".into(), body, key));
    (AxStatus::OK, axum::Json(json!({ "sentMessages": [{ "id": "461230966842064898", "quoteToken": "x" }] })))
}

async fn fake_profile(h: HeaderMap, Path(user): Path<String>) -> (AxStatus, axum::Json<Value>) {
    if !authorised(&h) {
        return unauthorised();
    }
    (
        AxStatus::OK,
        axum::Json(
            json!({ "displayName": "山田 太郎", "userId": user, "pictureUrl": "https://profile.line-scdn.net/x", "language": "ja" }),
        ),
    )
}

async fn fake_content(h: HeaderMap, Path(_id): Path<String>) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !authorised(&h) {
        return unauthorised().into_response();
    }
    ([("content-type", "image/png")], vec![0x89, b'P', b'N', b'G', 1, 2, 3]).into_response()
}

async fn start_fake_line() -> (String, FakeLine) {
    let fake = FakeLine::default();
    let app = axum::Router::new()
        .route("/v2/bot/message/reply", post(fake_reply))
        .route("/v2/bot/message/push", post(fake_push))
        .route("/v2/bot/profile/{user}", get(fake_profile))
        .route("/v2/bot/message/{id}/content", get(fake_content))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, fake)
}

/// The LINE conversations, newest first.
async fn line_conversations(app: &TestApp) -> Vec<madoguchi_core::conversation::Conversation> {
    app.store
        .list_conversations(
            &Scope::All,
            &madoguchi_store::conversations::ConversationFilter { channel: Some(Channel::Line), ..Default::default() },
            madoguchi_core::page::PageRequest { before: None, limit: 10 },
        )
        .await
        .unwrap()
        .items
}

/// A server talking to the stand-in for LINE's API, with shop A's LINE channel set up.
async fn line_app() -> (TestApp, FakeLine, madoguchi_store::channel_accounts::ChannelAccount) {
    let (line_base, fake) = start_fake_line().await;
    let settings = Settings { line_api_base: line_base, ..Settings::default() };
    let app = TestApp::start_with(settings).await.unwrap();
    let account = app
        .store
        .upsert_channel_account(
            &Scope::All,
            app.a.id,
            Channel::Line,
            "line-token-a",
            &AccountSettings {
                secret: Some(LINE_SECRET.into()),
                access_token: Some(LINE_TOKEN.into()),
                ..AccountSettings::default()
            },
        )
        .await
        .unwrap();
    (app, fake, account)
}

fn line_event(event_id: &str, reply_token: Option<&str>, message: Value) -> Value {
    let mut e = json!({
        "type": "message", "message": message, "webhookEventId": event_id,
        "deliveryContext": { "isRedelivery": false }, "timestamp": 1_763_800_000_000i64,
        "source": { "type": "user", "userId": USER }, "mode": "active",
    });
    if let Some(t) = reply_token {
        e["replyToken"] = json!(t);
    }
    e
}

async fn post_webhook(app: &TestApp, token: &str, body: &Value, secret: &str) -> (StatusCode, Value) {
    let raw = serde_json::to_vec(body).unwrap();
    let sig = madoguchi_channels::line::sign(secret, &raw);
    let resp = app
        .client
        .post(format!("{}/api/v1/inbound/line/{token}", app.base))
        .header("content-type", "application/json")
        .header("x-line-signature", sig)
        .body(raw)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_webhooks_are_verified_stored_once_and_answered() {
    let (app, fake, account) = line_app().await;
    let count = || async { app.store.count_conversations(&Scope::All, &Default::default()).await.unwrap() };
    let before = count().await;
    let hook = json!({ "destination": "Ubot", "events": [
        line_event("01HEVENT0001", Some("rt-1"), json!({ "type": "text", "id": "500000000000000001", "quoteToken": "q", "text": "注文した野菜が届きません" })),
        line_event("01HEVENT0002", None, json!({ "type": "image", "id": "500000000000000002", "contentProvider": { "type": "line" } })),
        line_event("01HEVENT0003", Some("rt-3"), json!({ "type": "sticker", "id": "500000000000000003", "packageId": "446", "stickerId": "1988", "keywords": ["Please"] })),
        { "type": "beacon", "webhookEventId": "01HEVENT0004", "timestamp": 1, "source": { "type": "user", "userId": USER } },
    ]});

    // A wrong signature is refused before anything is read or stored.
    let (status, e) = post_webhook(&app, &account.inbound_token, &hook, "wrong-secret").await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    assert_eq!(count().await, before);

    let (status, body) = post_webhook(&app, &account.inbound_token, &hook, LINE_SECRET).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["stored"], 3);
    assert_eq!(body["ignored"], json!(["beacon"]));
    assert_eq!(count().await, before + 1, "three messages, one conversation");
    // LINE redelivers the same events: nothing new.
    let (status, body) = post_webhook(&app, &account.inbound_token, &hook, LINE_SECRET).await;
    assert_eq!((status, body["stored"].as_i64()), (StatusCode::OK, Some(0)));

    let conv = line_conversations(&app).await[0].clone();
    assert_eq!(conv.merchant_id, app.a.id);
    let customer = app.store.get_customer(&Scope::All, conv.customer_id.unwrap()).await.unwrap();
    assert_eq!(customer.name.as_deref(), Some("山田 太郎"), "named from the LINE profile");
    let msgs = messages(&app, conv.id).await;
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[0].body_text, "注文した野菜が届きません");
    assert_eq!(msgs[1].attachments.len(), 1, "the image is fetched and stored");
    assert_eq!(msgs[1].attachments[0].content_type, "image/png");
    assert_eq!(msgs[2].body_text, "[スタンプ / sticker: Please]");

    // The first answer uses the newest reply token (free); the next one has none left and pushes.
    fake.valid_reply_tokens.lock().unwrap().push("rt-3".into());
    for text in ["確認いたします。", "発送済みでした。"] {
        let (status, r) = app
            .send(
                Method::POST,
                &format!("/api/v1/conversations/{}/messages", conv.id),
                "agent",
                json!({ "kind": "outbound", "body_text": text }),
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::CREATED, "{r}");
        let id = r["message"]["id"].as_str().unwrap().to_owned();
        eventually("the LINE reply is sent", || async {
            app.store.get_message(&Scope::All, id.parse().unwrap()).await.unwrap().delivery_status
                == Some(DeliveryStatus::Sent)
        })
        .await;
    }
    let calls = fake.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0].0, "reply");
    assert_eq!(calls[0].1["replyToken"], "rt-3");
    assert_eq!(calls[0].1["messages"][0], json!({ "type": "text", "text": "確認いたします。" }));
    assert_eq!(calls[1].0, "push");
    assert_eq!(calls[1].1["to"], USER);
    assert!(calls[1].2.is_some(), "pushes carry X-Line-Retry-Key");

    // Unfollow marks the customer; a malformed body after a good signature is a clear error.
    let unfollow = json!({ "destination": "Ubot", "events": [{ "type": "unfollow", "webhookEventId": "01HEVENT0005", "timestamp": 2, "source": { "type": "user", "userId": USER } }] });
    let (status, _) = post_webhook(&app, &account.inbound_token, &unfollow, LINE_SECRET).await;
    assert_eq!(status, StatusCode::OK);
    let customer = app.store.get_customer(&Scope::All, conv.customer_id.unwrap()).await.unwrap();
    assert!(customer.tags.contains(&madoguchi_store::inbound::LINE_BLOCKED_TAG.to_owned()), "{:?}", customer.tags);
    let (status, e) = post_webhook(&app, &account.inbound_token, &json!({ "events": "nope" }), LINE_SECRET).await;
    assert_eq!((status, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("malformed_webhook")));
}

/// Posts the contact form as a browser would (multipart).
async fn post_form(app: &TestApp, fields: &[(&str, &str)], files: Vec<(&str, Vec<u8>)>) -> (StatusCode, String) {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    for (name, data) in files {
        form = form.part("files", reqwest::multipart::Part::bytes(data).file_name(name.to_owned()));
    }
    let resp = app.client.post(format!("{}/form/shop-a", app.base)).multipart(form).send().await.unwrap();
    let status = resp.status();
    (status, resp.text().await.unwrap())
}

fn submission_of(html: &str) -> String {
    let at = html.find("name=\"submission\" value=\"").map(|i| i + 25).unwrap();
    html[at..].split('"').next().unwrap().to_owned()
}

async fn web_form_conversations(app: &TestApp) -> Vec<madoguchi_core::conversation::Conversation> {
    let f = madoguchi_store::conversations::ConversationFilter {
        merchant: Some(app.a.id),
        channel: Some(Channel::WebForm),
        ..Default::default()
    };
    app.store.list_conversations(&Scope::All, &f, madoguchi_core::page::PageRequest::first(100)).await.unwrap().items
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_form_opens_one_conversation_and_mails_a_confirmation() {
    let servers = mail_servers();
    let settings = Settings { smtp_url: Some(servers.smtp_url()), ..Settings::default() };
    let app = TestApp::start_with(settings).await.unwrap();
    app.store
        .upsert_channel_account(
            &Scope::All,
            app.a.id,
            Channel::Email,
            "form-mail-a",
            &AccountSettings { address: Some("support@shop-a.test".into()), ..AccountSettings::default() },
        )
        .await
        .unwrap();

    // Shop B has no inbox, so no form; shop A's form may be framed by the shop's site.
    assert_eq!(
        app.client.get(format!("{}/form/shop-b", app.base)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let resp = app.client.get(format!("{}/form/shop-a", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors *"));
    assert!(resp.headers().get("x-frame-options").is_none());
    let page = resp.text().await.unwrap();
    assert!(page.contains("お問い合わせフォーム"));
    let submission = submission_of(&page);
    let before = web_form_conversations(&app).await.len();

    let customer = "form.customer@example.jp";
    let png = b"\x89PNG\r\n\x1a\n-photo-".to_vec();
    let fields = |sub: &str| -> Vec<(&'static str, String)> {
        vec![
            ("submission", sub.to_owned()),
            ("name", "フォーム 次郎".into()),
            ("email", "Form.Customer@Example.JP".into()),
            ("phone", "０８０－９８７６－５４３２".into()),
            // Typed in full width, as people do.
            ("order_number", "ｓｈｏｐ－ａ－１".into()),
            ("category", "不良品".into()),
            ("message", "届いた商品に傷がありました。\n交換をお願いできますか。".into()),
            ("website", String::new()),
        ]
    };
    let as_refs = |v: &[(&'static str, String)]| v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();

    // A file that is not an image or PDF is refused, and what was typed is kept.
    let f = as_refs(&fields(&submission));
    let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, html) = post_form(&app, &refs, vec![("tool.exe", b"MZ\x90\x00".to_vec())]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("tool.exe: 添付できるのは画像"), "{html}");
    assert!(html.contains("フォーム 次郎") && html.contains("届いた商品に傷がありました。"));
    assert_eq!(web_form_conversations(&app).await.len(), before, "nothing stored for a refused form");

    let (s, html) = post_form(&app, &refs, vec![("傷の写真.png", png.clone())]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("お問い合わせを受け付けました"));
    let convs = web_form_conversations(&app).await;
    assert_eq!(convs.len(), before + 1);
    let conv = convs.iter().max_by_key(|c| c.number).unwrap().clone();
    assert!(html.contains(&format!("<strong id=\"receipt\">{}</strong>", conv.number)));
    assert_eq!(conv.category.as_deref(), Some("不良品"));
    assert_eq!(conv.order_id, Some(app.a.order), "the full-width order number finds the order");
    assert!(conv.subject.as_deref().unwrap().starts_with("【不良品】届いた商品に傷"));
    let cust = app.store.get_customer(&Scope::All, conv.customer_id.unwrap()).await.unwrap();
    assert_eq!(cust.name.as_deref(), Some("フォーム 次郎"));
    let ids: Vec<(madoguchi_core::identity::IdentityKind, String)> =
        cust.identities.iter().map(|i| (i.kind, i.value.clone())).collect();
    assert!(ids.contains(&(madoguchi_core::identity::IdentityKind::Email, customer.into())), "{ids:?}");
    assert!(ids.contains(&(madoguchi_core::identity::IdentityKind::Phone, "+818098765432".into())), "{ids:?}");
    let msgs = messages(&app, conv.id).await;
    let inquiry = msgs.iter().find(|m| m.direction == Direction::Inbound).unwrap();
    assert_eq!(inquiry.attachments.len(), 1);
    assert_eq!(inquiry.attachments[0].filename, "傷の写真.png");
    assert_eq!(inquiry.attachments[0].content_type, "image/png");
    let confirmation = msgs.iter().find(|m| m.direction == Direction::Outbound).unwrap();
    assert_eq!(confirmation.author_kind, madoguchi_core::enums::AuthorKind::System);
    assert!(conv.first_response_at.is_none(), "the confirmation is not the desk's answer");

    // The confirmation reaches the customer's mailbox through the real SMTP server.
    let mail = servers.fetch_all(customer, 1).await;
    assert_eq!(mail.len(), 1, "one confirmation mail");
    let parsed = parse(&mail[0], &Limits::default()).unwrap();
    let subject = parsed.subject.clone().unwrap_or_default();
    assert!(subject.contains(&format!("[#{}]", conv.number)), "{subject}");
    assert!(!subject.starts_with("Re:"));
    assert!(parsed.text.contains(&format!("受付番号: {}", conv.number)), "{}", parsed.text);
    assert!(parsed.text.contains("届いた商品に傷がありました。"));
    assert_eq!(parsed.from.as_ref().map(|f| f.address.as_str()), Some("support@shop-a.test"));
    eventually("the confirmation marked sent", || async {
        app.store.get_message(&Scope::All, confirmation.id).await.unwrap().delivery_status == Some(DeliveryStatus::Sent)
    })
    .await;

    // The same submission again (double click, back and send): the same receipt, nothing new.
    let (s, html) = post_form(&app, &refs, vec![("傷の写真.png", png)]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!("<strong id=\"receipt\">{}</strong>", conv.number)));
    assert_eq!(web_form_conversations(&app).await.len(), before + 1);

    // A bot that fills the hidden field is answered, and nothing is stored.
    let mut bot = as_refs(&fields(&uuid::Uuid::now_v7().to_string()));
    bot.retain(|(k, _)| *k != "website");
    bot.push(("website", "http://spam.example".into()));
    let bot_refs: Vec<(&str, &str)> = bot.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, _) = post_form(&app, &bot_refs, vec![]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(web_form_conversations(&app).await.len(), before + 1);

    // Bad input is named field by field.
    let (s, html) =
        post_form(&app, &[("submission", "x"), ("name", ""), ("email", "not-an-address"), ("message", "")], vec![])
            .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    for e in
        ["お名前を入力してください", "メールアドレスを正しく入力してください", "お問い合わせ内容を入力してください"]
    {
        assert!(html.contains(e), "{e}");
    }

    // Too many submissions from one address are refused with a clear message.
    let mut last = StatusCode::OK;
    for _ in 0..4 {
        let f = as_refs(&fields(&uuid::Uuid::now_v7().to_string()));
        let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (s, html) = post_form(&app, &refs, vec![]).await;
        last = s;
        if s == StatusCode::TOO_MANY_REQUESTS {
            assert!(html.contains("しばらく待ってから"));
            break;
        }
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

/// The bot on LINE: a shop with the bot on answers a LINE message from its knowledge base with
/// LINE quick replies (sent with the free reply token), and a tap on オペレーターと話したい hands
/// the conversation to a person.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_answers_on_line_with_quick_replies_and_hands_over() {
    let (app, fake, account) = line_app().await;
    let (s, view) =
        app.send(Method::PUT, "/api/v1/merchants/shop-a/channels/line", "admin", json!({ "bot": true })).await.unwrap();
    assert_eq!((s, view["bot"].as_bool()), (StatusCode::OK, Some(true)), "{view}");
    let always = json!([{ "open": "00:00", "close": "24:00" }]);
    let hours = json!({ "mon": always, "tue": always, "wed": always, "thu": always, "fri": always, "sat": always,
        "sun": always, "closed_on_national_holidays": false });
    let (s, _) =
        app.send(Method::PATCH, "/api/v1/merchants/shop-a", "admin", json!({ "business_hours": hours })).await.unwrap();
    assert_eq!(s, StatusCode::OK);
    eventually("the shop's returns article is searchable", || async {
        let (_, r) = app.get("/api/v1/merchants/shop-a/kb/search?q=%E8%BF%94%E5%93%81", "admin").await.unwrap();
        r["results"].as_array().is_some_and(|a| !a.is_empty())
    })
    .await;

    let replies = |fake: &FakeLine| -> Vec<Value> {
        fake.calls.lock().unwrap().iter().filter(|c| c.0 == "reply").map(|c| c.1.clone()).collect()
    };
    fake.valid_reply_tokens.lock().unwrap().push("rt-bot-1".into());
    let hook = json!({ "destination": "Ubot", "events": [
        line_event("01HBOT0001", Some("rt-bot-1"), json!({ "type": "text", "id": "600000000000000001", "quoteToken": "q", "text": "返品できますか？" })),
    ]});
    let (status, _) = post_webhook(&app, &account.inbound_token, &hook, LINE_SECRET).await;
    assert_eq!(status, StatusCode::OK);
    eventually("the bot answers with the reply token", || async { !replies(&fake).is_empty() }).await;
    let answer = replies(&fake)[0].clone();
    assert_eq!(answer["replyToken"], "rt-bot-1");
    assert!(answer["messages"][0]["text"].as_str().unwrap().contains("8日以内"), "{answer}");
    let items = answer["messages"][0]["quickReply"]["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3, "{answer}");
    assert_eq!(
        items[0],
        json!({ "type": "action", "action": { "type": "message", "label": "はい、解決しました", "text": "はい、解決しました" } })
    );

    fake.valid_reply_tokens.lock().unwrap().push("rt-bot-2".into());
    let tap = json!({ "destination": "Ubot", "events": [
        line_event("01HBOT0002", Some("rt-bot-2"), json!({ "type": "text", "id": "600000000000000002", "quoteToken": "q", "text": "オペレーターと話したい" })),
    ]});
    let (status, _) = post_webhook(&app, &account.inbound_token, &tap, LINE_SECRET).await;
    assert_eq!(status, StatusCode::OK);
    eventually("the bot says a person takes over", || async { replies(&fake).len() >= 2 }).await;
    let handing = replies(&fake)[1].clone();
    assert!(handing["messages"][0]["text"].as_str().unwrap().contains("おつなぎします"), "{handing}");
    assert!(handing["messages"][0].get("quickReply").is_none(), "no buttons once a person takes over");
    assert_eq!(line_conversations(&app).await[0].bot_outcome, Some(madoguchi_core::bot::BotOutcome::HandedOver));
    // The internal note is the desk's only: LINE never got it.
    assert!(fake.calls.lock().unwrap().iter().all(|c| !c.1.to_string().contains("ボットから引き継ぎ")));
}
