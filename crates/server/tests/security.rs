//! Regression tests for the findings of an outside security test: each one failed on the code
//! before its fix.

mod common;

use common::TestApp;
use madoguchi_core::access::Scope;
use madoguchi_core::enums::Channel;
use madoguchi_core::ids::ConversationId;
use madoguchi_store::channel_accounts::AccountSettings;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn mail_token(app: &TestApp) -> String {
    let account = app
        .store
        .upsert_channel_account(
            &Scope::All,
            app.a.id,
            Channel::Email,
            "mail-a",
            &AccountSettings { address: Some("support@shop-a.test".into()), ..AccountSettings::default() },
        )
        .await
        .unwrap();
    account.inbound_token
}

async fn post_mail(client: &reqwest::Client, base: &str, token: &str, raw: Vec<u8>) -> (StatusCode, Value) {
    let resp = client
        .post(format!("{base}/api/v1/inbound/email/{token}"))
        .header("content-type", "message/rfc822")
        .body(raw)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn nested_html_mail(id: &str, depth: usize) -> Vec<u8> {
    format!(
        "From: 攻撃 <attacker@example.com>\r\nTo: support@shop-a.test\r\nSubject: nested\r\nMessage-ID: <{id}@example.com>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>{}深い入れ子の本文{}</body></html>\r\n",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    )
    .into_bytes()
}

async fn first_message(app: &TestApp, conversation: &Value) -> madoguchi_core::conversation::Message {
    let id: ConversationId = serde_json::from_value(conversation.clone()).unwrap();
    common::messages(app, id).await.remove(0)
}

/// F1: two deeply nested HTML mails at once leave the server answering, and both are stored,
/// flagged, with their text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_html_mail_neither_stalls_the_server_nor_is_lost() {
    let app = TestApp::start().await.unwrap();
    let token = mail_token(&app).await;
    let sends: Vec<_> = ["deep-1", "deep-2"]
        .into_iter()
        .map(|id| {
            let (client, base, token) = (app.client.clone(), app.base.clone(), token.clone());
            tokio::spawn(async move { post_mail(&client, &base, &token, nested_html_mail(id, 60_000)).await })
        })
        .collect();
    // While both are being taken in, the server keeps answering.
    let mut slowest = Duration::ZERO;
    while !sends.iter().all(|s| s.is_finished()) {
        let t = Instant::now();
        let resp =
            app.client.get(format!("{}/healthz", app.base)).timeout(Duration::from_secs(30)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        slowest = slowest.max(t.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(slowest < Duration::from_secs(1), "/healthz took {slowest:?} while nested mail was decoded");
    for s in sends {
        let (status, body) = s.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "stored");
        let m = first_message(&app, &body["conversation_id"]).await;
        assert!(m.body_text.contains("深い入れ子の本文"), "{}", m.body_text);
        assert_eq!(m.body_html, None);
        assert!(m.meta.flags.iter().any(|f| f.starts_with("html_too_complex")), "{:?}", m.meta.flags);
    }
}

/// F6 and F7: no remote image survives in stored mail HTML, and attachment names lose paths,
/// control and bidi characters; NUL in a sender's name is kept replaced, not refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_mail_has_no_tracking_images_or_dangerous_names() {
    let app = TestApp::start().await.unwrap();
    let token = mail_token(&app).await;
    let raw = "From: =?UTF-8?B?5bGx55SwAOWkqumDjg==?= <yamada@example.com>\r\nTo: support@shop-a.test\r\nSubject: =?UTF-8?B?5YaZ55yf?=\r\n\
        Message-ID: <names@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
        --b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>写真です</p><img src=\"http://tracker.example/open.gif\">\r\n\
        --b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename*=UTF-8''..%2F..%2F..%2Fmadoguchi.db%00.png\r\n\
        Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n\
        --b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8%E2%80%AEfdp.exe\r\n\
        Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n";
    let (status, body) = post_mail(&app.client, &app.base, &token, raw.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let m = first_message(&app, &body["conversation_id"]).await;
    let html = m.body_html.unwrap_or_default();
    assert!(html.contains("写真です") && !html.contains("tracker.example"), "{html}");
    let names: Vec<&str> = m.attachments.iter().map(|a| a.filename.as_str()).collect();
    assert!(names.contains(&"madoguchi.db.png") && names.contains(&"請求書fdp.exe"), "{names:?}");
    assert!(names.iter().all(|n| !n.contains(['/', '\0', '\u{202E}'])), "{names:?}");
    assert_eq!(m.meta.sender_name.as_deref(), Some("山田\u{FFFD}太郎"));
}

/// F7: NUL in any text of a JSON body is a clear 422 naming the field, on whichever database.
#[tokio::test]
async fn nul_in_api_text_is_refused_with_its_field() {
    let app = TestApp::start().await.unwrap();
    for (path, body, field) in [
        ("/api/v1/customers", json!({"merchant": "shop-a", "name": "山田\u{0}太郎"}), "name"),
        ("/api/v1/customers", json!({"merchant": "shop-a", "name": "山田", "tags": ["VIP\u{0}"]}), "tags[0]"),
    ] {
        let (s, j) = app.send(Method::POST, path, "agent", body).await.unwrap();
        assert_eq!(
            (s, j["code"].as_str(), j["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_text"), Some(field)),
            "{j}"
        );
    }
    let (_, list) = app.get("/api/v1/customers?merchant=shop-a", "agent").await.unwrap();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "nothing was created");
}

/// F8: bodies over a route's limit are answered in the API's error format.
#[tokio::test]
async fn oversized_bodies_get_the_documented_error() {
    let app = TestApp::start().await.unwrap();
    let token = mail_token(&app).await;
    let big = vec![b'a'; madoguchi_server::inbound::mail::MAX_MESSAGE_BYTES + 1];
    let (s, j) = post_mail(&app.client, &app.base, &token, big).await;
    assert_eq!((s, j["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("message_too_large")), "{j}");
    // An unknown inbound token is refused before its body is read.
    let (s, _) = post_mail(&app.client, &app.base, "no-such-token", vec![b'a'; 1024]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let resp = app
        .client
        .post(format!("{}/api/v1/merchants/shop-a/files?filename=a.png", app.base))
        .bearer_auth(app.token("agent"))
        .header("content-type", "image/png")
        .body(vec![0u8; 60 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let j: Value = resp.json().await.unwrap();
    assert_eq!(j["code"], "payload_too_large", "{j}");
}

/// F4: the last active administrator can neither deactivate nor demote themself.
#[tokio::test]
async fn the_last_admin_stays() {
    let app = TestApp::start().await.unwrap();
    let me = app.users["admin"].to_string();
    for change in [json!({"active": false}), json!({"role": "supervisor", "merchants": ["shop-a"]})] {
        let (s, j) = app.send(Method::PATCH, &format!("/api/v1/users/{me}"), "admin", change.clone()).await.unwrap();
        assert_eq!((s, j["code"].as_str()), (StatusCode::CONFLICT, Some("last_admin")), "{change}: {j}");
    }
    let (s, j) = app.get("/api/v1/me", "admin").await.unwrap();
    assert_eq!((s, j["role"].as_str(), j["active"].as_bool()), (StatusCode::OK, Some("admin"), Some(true)), "{j}");
    // With a second administrator, the first may step down.
    let (s, other) = app
        .send(
            Method::POST,
            "/api/v1/users",
            "admin",
            json!({"login": "admin2", "display_name": "管理者2", "role": "admin", "password": "another-long-password"}),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{other}");
    let (s, j) =
        app.send(Method::PATCH, &format!("/api/v1/users/{me}"), "admin", json!({"active": false})).await.unwrap();
    assert_eq!(s, StatusCode::OK, "{j}");
}

/// F5: a knowledge-base CSV export opens formulas as text and imports back unchanged.
#[tokio::test]
async fn csv_exports_do_not_open_as_formulas() {
    let app = TestApp::start().await.unwrap();
    let formula = "=HYPERLINK(\"http://evil.example\",\"詳細\")";
    let (s, j) = app
        .send(
            Method::POST,
            "/api/v1/merchants/shop-a/kb/articles",
            "admin",
            json!({"external_id": "f", "category": "+cmd|' /C calc'!A0", "question": formula, "answer": "-1+1 は式ではありません"}),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{j}");
    let url = format!("{}/api/v1/merchants/shop-a/kb/export?format=csv", app.base);
    let csv = app.client.get(&url).bearer_auth(app.token("admin")).send().await.unwrap().text().await.unwrap();
    let mut rdr = csv::ReaderBuilder::new().from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let row = rdr.records().map(Result::unwrap).find(|r| r.get(0) == Some("f")).expect("the article is exported");
    for cell in row.iter() {
        assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell:?} opens as a formula");
    }
    assert_eq!(row.get(2), Some(format!("'{formula}").as_str()));
    let resp = app
        .client
        .post(format!("{}/api/v1/merchants/shop-a/kb/import?format=csv", app.base))
        .bearer_auth(app.token("admin"))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let summary: Value = resp.json().await.unwrap();
    assert_eq!(summary["unchanged"].as_u64().map(|n| n >= 1), Some(true), "re-import changes nothing: {summary}");
}

/// F2: an upload from someone who is not signed in is refused before its body is read: the
/// answer comes while the body is still being sent.
/// Posts a multipart form to `path` that declares a 20 MB body but sends only `start` of it,
/// and returns the server's first answer. A server that reads the body first never answers.
async fn answer_before_the_body(app: &TestApp, path: &str, cookie: Option<&str>, start: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{cookie}Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {}\r\n\r\n{start}",
        20 * 1024 * 1024
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(30), conn.read(&mut answer))
        .await
        .unwrap_or_else(|_| panic!("{path}: no answer before the body was sent"))
        .unwrap();
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

const UPLOAD_FORMS: [&str; 2] = ["/desk/contacts", "/settings/shop-a/orders/import"];

#[tokio::test]
async fn uploads_are_not_read_before_sign_in() {
    let app = TestApp::start().await.unwrap();
    for path in UPLOAD_FORMS {
        let answer = answer_before_the_body(&app, path, None, "--x\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 303") && answer.contains("location: /login"), "{path}: {answer}");
    }
}

#[tokio::test]
async fn a_signed_in_upload_with_a_forged_form_is_refused_before_its_body_is_read() {
    let app = TestApp::start().await.unwrap();
    let secret = "session-secret-for-the-test";
    let life = madoguchi_store::sessions::SessionLifetime {
        idle: chrono::Duration::hours(1),
        absolute: chrono::Duration::hours(1),
    };
    let hash = madoguchi_server::auth::hash_token(secret);
    app.store.create_session(&hash, app.users["merchant_admin"], "the-real-token", life).await.unwrap();
    let cookie = format!("madoguchi_session={secret}");
    let forged = "--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nforged\r\n--x\r\n";
    let token_not_first = "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n";
    for path in UPLOAD_FORMS {
        for start in [forged, token_not_first] {
            let answer = answer_before_the_body(&app, path, Some(&cookie), start).await;
            assert!(answer.starts_with("HTTP/1.1 403"), "{path}: {answer}");
        }
    }
}

/// Asks for a token as `login` from the client `forwarded_for` names (as a proxy would say).
async fn token_from(app: &TestApp, login: &str, password: &str, forwarded_for: Option<&str>) -> (StatusCode, Value) {
    let mut req = app
        .client
        .post(format!("{}/api/v1/auth/tokens", app.base))
        .json(&json!({ "login": login, "password": password }));
    if let Some(f) = forwarded_for {
        req = req.header("x-forwarded-for", f);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn fail_from(app: &TestApp, n: usize, forwarded_for: Option<&str>) {
    for i in 0..n {
        let (s, _) = token_from(app, &format!("guess{i}"), "wrong-password", forwarded_for).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn failures_from_one_address_do_not_lock_out_its_other_users() {
    let app = TestApp::start().await.unwrap();
    // The admin worked from this address before the attack began.
    assert_eq!(token_from(&app, "admin", common::PASSWORD, None).await.0, StatusCode::CREATED);
    fail_from(&app, 20, None).await;
    // The admin signs in at once; the address's failures never reach its known users.
    let (s, j) = token_from(&app, "admin", common::PASSWORD, None).await;
    assert_eq!(s, StatusCode::CREATED, "{j}");
    // A login new to the address waits seconds, not a quarter of an hour.
    let (s, j) = token_from(&app, "agent", common::PASSWORD, None).await;
    assert_eq!((s, j["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts")), "{j}");
    let seconds: i64 = j["message"]
        .as_str()
        .and_then(|m| m.split_whitespace().find_map(|w| w.parse().ok()))
        .expect("the message says how long");
    assert!((1..=30).contains(&seconds), "{j}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_counted_by_its_own_address() {
    let settings = madoguchi_app::settings::Settings {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap(), "::1/128".parse().unwrap()],
        ..Default::default()
    };
    let app = TestApp::start_with(settings).await.unwrap();
    fail_from(&app, 20, Some("198.51.100.7")).await;
    // Another client of the same proxy is not slowed by the first one's failures…
    let (s, j) = token_from(&app, "agent", common::PASSWORD, Some("198.51.100.8")).await;
    assert_eq!(s, StatusCode::CREATED, "{j}");
    // …a forged left part does not get the attacker a fresh address…
    let (s, _) = token_from(&app, "supervisor", common::PASSWORD, Some("203.0.113.1, 198.51.100.7")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // …and the proxy itself (no header) is a client like any other.
    assert_eq!(token_from(&app, "supervisor", common::PASSWORD, None).await.0, StatusCode::CREATED);

    // Without the setting, the header is the client's own claim and is ignored.
    let app = TestApp::start().await.unwrap();
    fail_from(&app, 20, Some("198.51.100.7")).await;
    let (s, _) = token_from(&app, "agent", common::PASSWORD, Some("198.51.100.8")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_locked_login_is_unlocked_by_someone_who_manages_it_and_the_unlock_is_audited() {
    let app = TestApp::start().await.unwrap();
    for _ in 0..5 {
        assert_eq!(token_from(&app, "agent", "wrong-password", None).await.0, StatusCode::UNAUTHORIZED);
    }
    let (s, j) = token_from(&app, "agent", common::PASSWORD, None).await;
    assert_eq!((s, j["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("login_locked")), "{j}");
    let agent = app.users["agent"].to_string();
    let unlock = format!("/api/v1/users/{agent}/unlock");
    // An agent cannot unlock a colleague (nor themselves: they are locked out anyway).
    let (s, _) = app.call(Method::POST, &unlock, Some(&app.tokens["shared_agent"]), None).await.unwrap();
    assert!(s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND, "{s}");
    let (s, _) = app.call(Method::POST, &unlock, Some(&app.tokens["admin"]), None).await.unwrap();
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(token_from(&app, "agent", common::PASSWORD, None).await.0, StatusCode::CREATED);
    let (_, log) = app
        .call(Method::GET, &format!("/api/v1/audit-events?subject_id={agent}"), Some(&app.tokens["admin"]), None)
        .await
        .unwrap();
    let unlocked = log["items"].as_array().unwrap().iter().find(|e| e["details"]["sign_in_unlocked"] == true);
    assert_eq!(unlocked.map(|e| e["actor_user_id"].clone()), Some(json!(app.users["admin"].to_string())), "{log}");
}
