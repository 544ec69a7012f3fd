//! Staff invited by mail: the invitation goes through a real SMTP server into the colleague's
//! mailbox, the link in it opens a page where they choose their password (refusals in
//! Japanese), it works once, and they sign in. A mail server that refuses is reported on the
//! staff page and the link can be sent again, which retires the old one. Only those who manage
//! a user may send them a link.

#![allow(clippy::unwrap_used)] // test helpers fail the test on bad fixtures

mod common;

use common::console::{browser, csrf_of, sign_in};
use common::mailserver::mail_servers;
use common::{PASSWORD, TestApp};
use madoguchi_app::Settings;
use madoguchi_channels::email::{Limits, parse};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The link's secret in a mail's text (`…/password/<secret>`).
fn secret_in(text: &str) -> String {
    let at = text.find("/password/").expect("a password link in the mail") + "/password/".len();
    text[at..].split_whitespace().next().unwrap().to_owned()
}

/// The text of the mails the file mailer wrote (no relay set), newest last.
fn mails_on_disk(app: &TestApp) -> Vec<String> {
    let dir = app.app.settings.data_dir.join("sent-mail");
    let mut files: Vec<_> = std::fs::read_dir(dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    files.iter().map(|p| parse(&std::fs::read(p).unwrap(), &Limits::default()).unwrap().text).collect()
}

async fn link_page(app: &TestApp, secret: &str) -> (StatusCode, String) {
    let r = browser().get(format!("{}/password/{secret}", app.base)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn choose(app: &TestApp, secret: &str, pw: &str, again: &str) -> (StatusCode, String, Option<String>) {
    let r = browser()
        .post(format!("{}/password/{secret}", app.base))
        .form(&[("password", pw), ("password_again", again)])
        .send()
        .await
        .unwrap();
    let location = r.headers().get("location").and_then(|l| l.to_str().ok()).map(String::from);
    (r.status(), r.text().await.unwrap(), location)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_colleague_chooses_their_password_through_the_mailed_link() {
    let servers = mail_servers();
    let settings = Settings {
        smtp_url: Some(servers.smtp_url()),
        public_url: Some("https://desk.example.jp".into()),
        ..Settings::default()
    };
    let app = TestApp::start_with(settings).await.unwrap();

    // Shop A's admin invites a colleague: no password, an address typed in full-width.
    let (s, u) = app
        .send(
            Method::POST,
            "/api/v1/users",
            "merchant_admin",
            json!({ "login": "hanako.new", "display_name": "山田 花子", "role": "merchant_staff",
                    "email": "ｈａｎａｋｏ＠shop-a.example.jp", "merchants": ["shop-a"] }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{u}");
    assert_eq!(u["email"], "hanako@shop-a.example.jp");
    assert_eq!(u["password_set"], false);
    assert!(u["invitation"]["sent_at"].is_string() && u["invitation"]["send_error"].is_null(), "{u}");

    // Until they choose one, no password signs them in.
    let (status, _, _) = sign_in(&app, &browser(), "hanako.new", PASSWORD).await.unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let delivered = servers.fetch_all("hanako@shop-a.example.jp", 1).await;
    assert_eq!(delivered.len(), 1, "one invitation reaches the mailbox");
    let raw = String::from_utf8_lossy(&delivered[0]).to_string();
    assert!(raw.contains("Auto-Submitted: auto-generated"), "{raw}");
    let mail = parse(&delivered[0], &Limits::default()).unwrap();
    assert_eq!(mail.subject.as_deref(), Some("【Madoguchi】スタッフ登録のご案内"));
    assert_eq!(mail.from.as_ref().unwrap().address, "no-reply@desk.example.jp");
    assert!(mail.text.contains("山田 花子 様") && mail.text.contains("ログインID: hanako.new"), "{}", mail.text);
    assert!(mail.text.contains("https://desk.example.jp/password/"), "{}", mail.text);
    let secret = secret_in(&mail.text);

    let (s, page) = link_page(&app, &secret).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("山田 花子さん、ようこそ。"), "{page}");

    // Too short, then two different passwords: refused in Japanese, nothing set.
    let (s, page, _) = choose(&app, &secret, "みじかい", "みじかい").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("パスワードは10文字以上にしてください"), "{page}");
    let (s, page, _) = choose(&app, &secret, "はなこのあたらしいパスワード", "はなこのあたらしいぱすわーど").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("同じパスワードを2回入力してください"), "{page}");

    let chosen = "はなこのあたらしいパスワード";
    let (s, _, to) = choose(&app, &secret, chosen, chosen).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let to = to.unwrap();
    assert_eq!(to, "/login?password_set=1&login=hanako.new");
    let login = browser().get(format!("{}{to}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(login.contains("パスワードを設定しました") && login.contains("value=\"hanako.new\""), "{login}");

    let c = browser();
    let (status, _, location) = sign_in(&app, &c, "hanako.new", chosen).await.unwrap();
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/desk")));

    // The link is spent: opening or posting it again changes nothing.
    let (s, page) = link_page(&app, &secret).await;
    assert_eq!(s, StatusCode::GONE);
    assert!(page.contains("このリンクはすでに使われています"), "{page}");
    let (s, _, _) = choose(&app, &secret, "べつのパスワードをためす", "べつのパスワードをためす").await;
    assert_eq!(s, StatusCode::GONE);
    let (status, _, _) = sign_in(&app, &browser(), "hanako.new", chosen).await.unwrap();
    assert_eq!(status, StatusCode::SEE_OTHER, "the chosen password still works");

    let (_, me) = app.get(&format!("/api/v1/users/{}", u["id"].as_str().unwrap()), "merchant_admin").await.unwrap();
    assert_eq!((me["password_set"].clone(), me["invitation"].clone()), (Value::Bool(true), Value::Null));
}

#[tokio::test]
async fn a_refused_mail_is_reported_and_a_new_link_retires_the_old() {
    // Nothing listens on port 1: the mail server "refuses".
    let settings = Settings { smtp_url: Some("smtp://127.0.0.1:1".into()), ..Settings::default() };
    let app = TestApp::start_with(settings).await.unwrap();
    let (s, u) = app
        .send(
            Method::POST,
            "/api/v1/users",
            "admin",
            json!({ "login": "jiro.new", "display_name": "鈴木 次郎", "role": "agent",
                    "email": "jiro@example.jp", "merchants": ["shop-a"] }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "the user is kept even when the mail is not");
    assert!(u["invitation"]["sent_at"].is_null() && u["invitation"]["send_error"].is_string(), "{u}");

    let c = browser();
    sign_in(&app, &c, "admin", PASSWORD).await.unwrap();
    let staff = c.get(format!("{}/settings/staff", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(staff.contains("jiro@example.jp"), "the address is listed");
    assert!(staff.contains("メールを送れませんでした"), "{staff}");
    // Sending again from the console: still refused, and said so at the top.
    let id = u["id"].as_str().unwrap();
    let r = c
        .post(format!("{}/settings/staff/{id}/password-link", app.base))
        .form(&[("csrf", csrf_of(&staff).as_str()), ("email", "")])
        .send()
        .await
        .unwrap();
    let to = r.headers().get("location").unwrap().to_str().unwrap().to_owned();
    assert_eq!(to, format!("/settings/staff?link={id}"));
    let after = c.get(format!("{}{to}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(after.contains("id=\"settings-error\"") && after.contains("メールを送れませんでした"), "{after}");
}

#[tokio::test]
async fn a_new_link_replaces_the_old_and_only_managers_send_one() {
    // No relay: mail is written to files in the data folder.
    let app = TestApp::start().await.unwrap();
    let (s, u) = app
        .send(
            Method::POST,
            "/api/v1/users",
            "admin",
            json!({ "login": "saburo.new", "display_name": "佐藤 三郎", "role": "agent",
                    "email": "saburo@example.jp", "merchants": ["shop-a"] }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{u}");
    let id = u["id"].as_str().unwrap();
    let first = secret_in(mails_on_disk(&app).last().unwrap());

    let (s, again) =
        app.send(Method::POST, &format!("/api/v1/users/{id}/password_link"), "admin", json!({})).await.unwrap();
    assert_eq!(s, StatusCode::OK, "{again}");
    let mails = mails_on_disk(&app);
    assert_eq!(mails.len(), 2);
    let second = secret_in(mails.last().unwrap());
    assert_ne!(first, second);
    let (s, page) = link_page(&app, &first).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "the old link is retired");
    assert!(page.contains("このリンクは使えません"), "{page}");
    assert_eq!(link_page(&app, &second).await.0, StatusCode::OK);
    assert_eq!(link_page(&app, "not-a-link").await.0, StatusCode::NOT_FOUND);

    // A reset for someone who has a password says so.
    let (s, _) = app
        .send(Method::POST, &format!("/api/v1/users/{}/password_link", app.users["agent"]), "admin", json!({}))
        .await
        .unwrap();
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "no address on file and none given");
    let (s, reset) = app
        .send(
            Method::POST,
            &format!("/api/v1/users/{}/password_link", app.users["agent"]),
            "admin",
            json!({ "email": "agent@example.jp" }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{reset}");
    assert_eq!(reset["email"], "agent@example.jp");
    let mails = mails_on_disk(&app);
    assert!(mails.last().unwrap().contains("パスワードを決め直す"), "{}", mails.last().unwrap());
    let reset_secret = secret_in(mails.last().unwrap());
    assert!(link_page(&app, &reset_secret).await.1.contains("新しいパスワードを決めてください"));

    // Who may send one: not an agent, and not a shop's admin for another shop's user.
    let path = format!("/api/v1/users/{id}/password_link");
    let (s, _) = app.send(Method::POST, &path, "agent", json!({})).await.unwrap();
    assert!(matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{s}");
    let (s, b_user) = app
        .send(
            Method::POST,
            "/api/v1/users",
            "admin",
            json!({ "login": "b.staff", "display_name": "B 店員", "role": "merchant_staff",
                    "email": "b@example.jp", "merchants": ["shop-b"] }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app
        .send(
            Method::POST,
            &format!("/api/v1/users/{}/password_link", b_user["id"].as_str().unwrap()),
            "merchant_admin",
            json!({}),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::NOT_FOUND, "shop A's admin does not even see shop B's staff");

    // Neither a password nor an address: refused by name.
    let (s, e) = app
        .send(
            Method::POST,
            "/api/v1/users",
            "admin",
            json!({ "login": "nobody.new", "display_name": "名無し", "role": "agent", "merchants": ["shop-a"] }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["code"], "email_or_password", "{e}");
}
