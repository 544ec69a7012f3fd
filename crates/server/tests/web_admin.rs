//! The console's settings beyond a shop's words: hours and closed days, channels, staff and
//! roles, API tokens and the audit log — each for the roles that may use it, on the use cases
//! the API uses, a refusal named beside the field with what was typed kept.

mod common;

use common::console::*;
use common::{PASSWORD, TestApp};
use reqwest::StatusCode;

async fn signed_in(app: &TestApp, login: &str) -> anyhow::Result<reqwest::Client> {
    let c = browser();
    let (s, _, _) = sign_in(app, &c, login, PASSWORD).await?;
    assert_eq!(s, StatusCode::SEE_OTHER, "{login} signs in");
    Ok(c)
}

async fn get(app: &TestApp, c: &reqwest::Client, path: &str) -> anyhow::Result<(StatusCode, String)> {
    let r = c.get(format!("{}{path}", app.base)).send().await?;
    Ok((r.status(), r.text().await?))
}

/// A form built with owned values, as `post` takes it.
fn pairs<'a>(f: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    f.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn post(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> anyhow::Result<(StatusCode, String, String)> {
    let r = c.post(format!("{}{path}", app.base)).form(form).send().await?;
    let location = r.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_owned();
    Ok((r.status(), location, r.text().await?))
}

#[tokio::test]
async fn a_shops_admin_sets_hours_and_closed_days_typed_as_people_write_them() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = signed_in(&app, "merchant_admin").await?;
    let (s, html) = get(&app, &c, "/settings/shop-a/hours").await?;
    assert_eq!(s, StatusCode::OK);
    let csrf = csrf_of(&html);
    assert_eq!(get(&app, &c, "/settings/shop-b/hours").await?.0, StatusCode::NOT_FOUND, "another shop's hours");

    // A time that does not exist is refused, named by its weekday, and every field keeps what
    // was typed.
    let days = [("tue", "9:00-18:00"), ("wed", "9:00-18:00"), ("thu", "9:00-18:00"), ("fri", "9:00-18:00")];
    let mut form =
        vec![("csrf", csrf.as_str()), ("mon", "９:００～２５:００"), ("closed_days", "2026-12-29~2027-01-03 年末年始")];
    form.extend(days);
    let (s, _, html) = post(&app, &c, "/settings/shop-a/hours", &form).await?;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"settings-error\" data-field=\"mon\"") && html.contains("月曜"), "{html}");
    assert!(html.contains("value=\"９:００～２５:００\"") && html.contains("2026-12-29~2027-01-03 年末年始"), "kept");

    // Two intervals with full-width digits and 〜, a range of closed days, holidays closed.
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("mon", "９:００～１２:００、13:00-18:00"),
        ("closed_days", "2026-12-29~2027-01-03 年末年始\n2027年2月10日 棚卸し"),
        ("holidays_closed", "1"),
    ];
    form.extend(days);
    let (s, location, _) = post(&app, &c, "/settings/shop-a/hours", &form).await?;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, "/settings/shop-a/hours?saved=1"));
    let (_, m) = app.get("/api/v1/merchants/shop-a", "admin").await?;
    let mon = m["business_hours"]["mon"].as_array().expect("monday's hours");
    assert_eq!(mon.len(), 2, "{m}");
    assert!(m["business_hours"]["sat"].as_array().is_some_and(|d| d.is_empty()), "saturday left empty is closed");
    let closed: Vec<&str> = m["closed_days"].as_array().unwrap().iter().filter_map(|d| d["date"].as_str()).collect();
    assert_eq!(closed.len(), 7, "six days of 年末年始 and the stocktaking: {closed:?}");
    assert!(closed.contains(&"2027-01-01") && closed.contains(&"2027-02-10"));
    let (_, html) = get(&app, &c, "/settings/shop-a/hours?saved=1").await?;
    assert!(html.contains("id=\"settings-saved\"") && html.contains("9:00-12:00"), "shown as saved");

    // The desk's agents do not set a shop's hours.
    let agent = signed_in(&app, "agent").await?;
    let (s, _) = get(&app, &agent, "/settings/shop-a/hours").await?;
    assert!(matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{s}");
    Ok(())
}

#[tokio::test]
async fn channel_secrets_are_stored_and_never_shown_again() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = signed_in(&app, "merchant_admin").await?;
    let (s, html) = get(&app, &c, "/settings/shop-a/channels").await?;
    assert_eq!(s, StatusCode::OK);
    let csrf = csrf_of(&html);

    let secret = "line-secret-0123456789abcdef";
    let token = "line-access-token-fedcba9876543210";
    let (s, _, _) = post(
        &app,
        &c,
        "/settings/shop-a/channels/line",
        &[("csrf", &csrf), ("channel_secret", secret), ("access_token", token), ("bot_shown", "1")],
    )
    .await?;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, html) = get(&app, &c, "/settings/shop-a/channels").await?;
    assert!(!html.contains(secret) && !html.contains(token), "secrets are never echoed");
    assert!(html.contains("id=\"line-webhook\"") && html.contains("（設定済み）"), "the page says they are set");
    let stored = app
        .store
        .channel_account(&madoguchi_core::access::Scope::All, app.a.id, madoguchi_core::enums::Channel::Line)
        .await?;
    assert_eq!(stored.and_then(|a| a.secret).as_deref(), Some(secret), "stored as typed");

    // A port that is not one is named; what was typed stays, the password never comes back.
    let mail_form = |port: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("address", "support@shop-a.example.jp".to_owned()),
            ("imap_host", "imap.shop-a.example.jp".to_owned()),
            ("imap_port", port.to_owned()),
            ("imap_username", "support".to_owned()),
            ("imap_password", "imap-pass-123".to_owned()),
            ("imap_tls", "1".to_owned()),
        ]
    };
    let (s, _, html) = post(&app, &c, "/settings/shop-a/channels/email", &pairs(&mail_form("九九三"))).await?;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("data-field=\"imap.port\""), "{html}");
    assert!(html.contains("value=\"imap.shop-a.example.jp\"") && !html.contains("imap-pass-123"));
    let (s, _, _) = post(&app, &c, "/settings/shop-a/channels/email", &pairs(&mail_form("９９３"))).await?;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, html) = get(&app, &c, "/settings/shop-a/channels").await?;
    assert!(html.contains("value=\"support@shop-a.example.jp\"") && !html.contains("imap-pass-123"));

    // The chat may open only on sites of the web; a bad one is refused with the field named.
    let (s, _, html) = post(
        &app,
        &c,
        "/settings/shop-a/channels/chat",
        &[("csrf", &csrf), ("sites", "ftp://shop-a.example.jp"), ("bot_shown", "1")],
    )
    .await?;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("data-field=\"allowed_origins\"") && html.contains("ftp://shop-a.example.jp"), "{html}");

    // The widget's colour: one white text cannot be read on is refused, named, and the choice
    // kept; a dark one is what the shop's widget script draws with.
    let chat = |colour: &'static str| [("csrf", csrf.as_str()), ("sites", ""), ("bot_shown", "1"), ("colour", colour)];
    let (s, _, html) = post(&app, &c, "/settings/shop-a/channels/chat", &chat("#ffee58")).await?;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("data-field=\"colour\"") && html.contains("白い文字が読みにくい"), "{html}");
    assert!(html.contains("value=\"#ffee58\""), "what was chosen stays");
    // Shop A had no chat yet: setting it up shows its member key, this once.
    let (s, _, html) = post(&app, &c, "/settings/shop-a/channels/chat", &chat("#8E24AA")).await?;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"new-secret\"") && html.contains("value=\"#8e24aa\""), "{html}");
    let script = app.client.get(format!("{}/chat/shop-a/widget.js", app.base)).send().await?.text().await?;
    assert!(script.contains("const ACCENT = '#8e24aa';"), "the widget is drawn in the shop's colour");
    let (_, view) = app.get("/api/v1/merchants/shop-a/channels", "admin").await?;
    assert!(view.to_string().contains("#8e24aa"), "{view}");

    // Another shop's channels are not this admin's.
    assert_eq!(get(&app, &c, "/settings/shop-b/channels").await?.0, StatusCode::NOT_FOUND);
    let (s, _, _) =
        post(&app, &c, "/settings/shop-b/channels/line", &[("csrf", &csrf), ("channel_secret", "x")]).await?;
    assert_eq!(s, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn the_admin_adds_staff_issues_and_revokes_a_token_and_finds_it_in_the_audit_log() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = signed_in(&app, "admin").await?;
    let (s, html) = get(&app, &c, "/settings/staff").await?;
    assert_eq!(s, StatusCode::OK);
    let csrf = csrf_of(&html);

    // A password too short is refused; the login, name, role and shop stay in the form.
    let new = |password: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("login", "tanaka".to_owned()),
            ("display_name", "田中 一郎".to_owned()),
            ("public_name", "サポート 田中".to_owned()),
            ("role", "agent".to_owned()),
            ("shop", "shop-a".to_owned()),
            ("password", password.to_owned()),
        ]
    };
    let r = c.post(format!("{}/settings/staff", app.base)).form(&new("short")).send().await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await?;
    assert!(
        html.contains("data-field=\"password\"") && html.contains("value=\"tanaka\"") && html.contains("田中 一郎")
    );
    let r = c.post(format!("{}/settings/staff", app.base)).form(&new("a long enough password 1")).send().await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, users) = app.get("/api/v1/users?limit=200", "admin").await?;
    let tanaka = users["items"].as_array().unwrap().iter().find(|u| u["login"] == "tanaka").expect("created").clone();
    assert_eq!((tanaka["role"].as_str(), tanaka["public_name"].as_str()), (Some("agent"), Some("サポート 田中")));
    assert_eq!(tanaka["merchants"].as_array().map(Vec::len), Some(1));
    let id = tanaka["id"].as_str().unwrap().to_owned();
    // The same login again is refused by name.
    let r = c.post(format!("{}/settings/staff", app.base)).form(&new("a long enough password 1")).send().await?;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await?.contains("data-field=\"login\""));

    // The new agent signs in; a token made for them works until it is revoked.
    let tanaka_console = browser();
    let (s, _, _) = sign_in(&app, &tanaka_console, "tanaka", "a long enough password 1").await?;
    assert_eq!(s, StatusCode::SEE_OTHER, "the new user signs in");
    let (s, _, html) =
        post(&app, &c, &format!("/settings/staff/{id}/tokens"), &[("csrf", &csrf), ("label", "受注連携")]).await?;
    assert_eq!(s, StatusCode::OK, "the secret is on this answer, not behind a redirect");
    let at = html.find("id=\"issued-token\"").expect("the token is shown once");
    let secret = html[at..].split("<code class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    let me = |secret: String| {
        let client = app.client.clone();
        let url = format!("{}/api/v1/me", app.base);
        async move { client.get(url).bearer_auth(secret).send().await.map(|r| r.status()) }
    };
    assert_eq!(me(secret.clone()).await?, StatusCode::OK);
    let (_, html) = get(&app, &c, &format!("/settings/staff/{id}/tokens")).await?;
    assert!(html.contains("受注連携") && !html.contains(&secret), "listed, its secret never again");
    let (_, tokens) = app.get(&format!("/api/v1/users/{id}/tokens"), "admin").await?;
    let token_id = tokens["items"][0]["id"].as_str().unwrap().to_owned();
    let (s, _, _) =
        post(&app, &c, &format!("/settings/staff/{id}/tokens/{token_id}/delete"), &[("csrf", &csrf)]).await?;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(me(secret).await?, StatusCode::UNAUTHORIZED, "a revoked token is refused");

    // Switched off, the user no longer signs in.
    let r = c
        .post(format!("{}/settings/staff/{id}", app.base))
        .form(&[("csrf", csrf.as_str()), ("display_name", "田中 一郎"), ("role", "agent"), ("shop", "shop-a")])
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, _, _) = sign_in(&app, &browser(), "tanaka", "a long enough password 1").await?;
    assert_ne!(s, StatusCode::SEE_OTHER, "an inactive user is refused");

    // All of it is in the audit log, also when asked for users only.
    let (s, html) = get(&app, &c, "/settings/audit?subject=user").await?;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!("user-{id}")) || html.contains("田中 一郎"), "{html}");
    let (_, all) = get(&app, &c, "/settings/audit").await?;
    assert!(all.contains("トークン") || all.contains("api_token"), "token events are listed");
    Ok(())
}

#[tokio::test]
async fn only_admins_and_shops_admins_manage_staff_and_each_only_their_own() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    for (login, user) in [("agent", "agent"), ("supervisor", "supervisor"), ("shop-a.staff", "merchant_staff")] {
        let c = signed_in(&app, login).await?;
        assert_eq!(get(&app, &c, "/settings/staff").await?.0, StatusCode::FORBIDDEN, "{login}");
        assert_eq!(get(&app, &c, "/settings/audit").await?.0, StatusCode::FORBIDDEN, "{login}");
        // Everyone has their own tokens; only the desk's staff are offered the inbox.
        let id = app.users[user];
        let (s, html) = get(&app, &c, &format!("/settings/staff/{id}/tokens")).await?;
        assert_eq!(s, StatusCode::OK, "{login}");
        assert_eq!(html.contains("id=\"inbox-link\""), user != "merchant_staff", "{login}'s menu");
        let admin = app.users["admin"];
        assert_ne!(get(&app, &c, &format!("/settings/staff/{admin}/tokens")).await?.0, StatusCode::OK, "{login}");
        // Their settings home offers their own tokens and nothing they may not open.
        let (s, home) = get(&app, &c, "/settings").await?;
        assert_eq!(s, StatusCode::OK, "{login}");
        assert!(home.contains("id=\"home-tokens\"") && !home.contains("id=\"home-staff\""), "{login}: {home}");
        assert!(!home.contains("/settings/shop-a/hours"), "{login}: no shop's settings");
    }
    // The settings home lists every page an admin may use, for every shop; /admin leads there.
    let c = signed_in(&app, "admin").await?;
    let (_, home) = get(&app, &c, "/settings").await?;
    for page in [
        "/settings/shop-a/hours",
        "/settings/shop-b/channels",
        "/settings/shop-a/kb",
        "/settings/staff",
        "/settings/audit",
    ] {
        assert!(home.contains(&format!("href=\"{page}\"")), "{page} on the admin's settings home");
    }
    let r = c.get(format!("{}/admin", app.base)).send().await?;
    assert_eq!((r.status(), r.headers()["location"].to_str()?), (StatusCode::SEE_OTHER, "/settings"));
    let c = signed_in(&app, "merchant_admin").await?;
    let (_, home) = get(&app, &c, "/settings").await?;
    assert!(home.contains("href=\"/settings/shop-a/channels\"") && home.contains("id=\"home-staff\""));
    assert!(!home.contains("/settings/shop-b/"), "a shop's admin sees only their shop");
    // A shop's admin sees their shop's staff, offers no admin role, and cannot make one.
    let c = signed_in(&app, "merchant_admin").await?;
    let (s, html) = get(&app, &c, "/settings/staff").await?;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains("<option value=\"admin\""), "the admin role is not offered");
    assert!(!html.contains("shop-b.staff"), "another shop's staff are not listed");
    let csrf = csrf_of(&html);
    let r = c
        .post(format!("{}/settings/staff", app.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", "sneaky"),
            ("display_name", "x"),
            ("role", "admin"),
            ("password", "a long enough password 1"),
        ])
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, users) = app.get("/api/v1/users?limit=200", "admin").await?;
    assert!(!users["items"].as_array().unwrap().iter().any(|u| u["login"] == "sneaky"));
    // The audit log keeps to their shop.
    let (s, _) = get(&app, &c, "/settings/audit?merchant=shop-b").await?;
    assert_eq!(s, StatusCode::NOT_FOUND);
    Ok(())
}

/// The mailbox test tries the stored settings against a real IMAP server (Dovecot) and says in
/// Japanese which step failed: the port, the encryption, the password, the folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailbox_test_says_in_japanese_what_is_wrong() -> anyhow::Result<()> {
    let servers = common::mailserver::mail_servers();
    let app = TestApp::start().await?;
    let c = signed_in(&app, "merchant_admin").await?;
    let (_, html) = get(&app, &c, "/settings/shop-a/channels").await?;
    let csrf = csrf_of(&html);
    let (s, _, html) = post(&app, &c, "/settings/shop-a/channels/email/test", &[("csrf", &csrf)]).await?;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("IMAPの設定がまだ保存されていません"), "nothing to test yet");

    let plain = servers.imap_port.to_string();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port().to_string();
    let inbox = "test-inbox@shop-a.test";
    let cases: [(&str, &str, &str, bool, &str); 5] = [
        (&plain, common::mailserver::MAIL_PASSWORD, "INBOX", false, "接続できました。フォルダ内のメール数: "),
        (&plain, "wrong password", "INBOX", false, "ユーザー名またはパスワードが違います"),
        (&plain, common::mailserver::MAIL_PASSWORD, "存在しないフォルダ", false, "指定のフォルダがありません"),
        (&closed, common::mailserver::MAIL_PASSWORD, "INBOX", false, "サーバーに接続できません"),
        // A plain port asked for TLS does not complete a handshake.
        (&plain, common::mailserver::MAIL_PASSWORD, "INBOX", true, "暗号化（SSL/TLS）で接続できません"),
    ];
    for (port, password, mailbox, tls, said) in cases {
        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("address", inbox),
            ("imap_host", "127.0.0.1"),
            ("imap_port", port),
            ("imap_username", inbox),
            ("imap_password", password),
            ("imap_mailbox", mailbox),
        ];
        if tls {
            form.push(("imap_tls", "1"));
        }
        let (s, _, body) = post(&app, &c, "/settings/shop-a/channels/email", &form).await?;
        assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
        let (s, _, html) = post(&app, &c, "/settings/shop-a/channels/email/test", &[("csrf", &csrf)]).await?;
        assert_eq!(s, StatusCode::OK);
        let at = html.find("id=\"mail-test-result\"").expect("a result is shown");
        let result = &html[at..at + html[at..].find("</p>").unwrap()];
        assert!(result.contains(said), "port {port}, {password}, {mailbox}, tls {tls}: {result}");
        assert_eq!(result.contains("data-ok=\"true\""), said.starts_with("接続できました"), "{result}");
        if password != common::mailserver::MAIL_PASSWORD {
            assert!(!html.contains(password), "the password is not echoed");
        }
    }
    // Another shop's mailbox is not this admin's to test.
    let (s, _, _) = post(&app, &c, "/settings/shop-b/channels/email/test", &[("csrf", &csrf)]).await?;
    assert_eq!(s, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn the_admin_gives_an_agent_queues_and_a_chat_limit() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = signed_in(&app, "admin").await?;
    let (_, html) = get(&app, &c, "/settings/staff").await?;
    let csrf = csrf_of(&html);
    let agent = app.users["agent"];
    assert!(html.contains(&format!("action=\"/settings/staff/{agent}/profile\"")), "the agent's row has the form");
    let path = format!("/settings/staff/{agent}/profile");
    let (s, _, html) = post(&app, &c, &path, &[("csrf", &csrf), ("skills", "配送"), ("max_messaging", "0")]).await?;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("data-field=\"max_messaging\"") && html.contains("同時チャット数"), "{html}");
    let (s, _, _) =
        post(&app, &c, &path, &[("csrf", &csrf), ("skills", "配送、返品・交換, 配送"), ("max_messaging", "３")])
            .await?;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, profile) = app.get(&format!("/api/v1/users/{agent}/agent-profile"), "admin").await?;
    let mut skills: Vec<&str> = profile["skills"].as_array().unwrap().iter().filter_map(|s| s.as_str()).collect();
    skills.sort_unstable();
    assert_eq!((skills, profile["max_messaging"].as_u64()), (vec!["返品・交換", "配送"], Some(3)), "{profile}");
    let (_, html) = get(&app, &c, "/settings/staff").await?;
    assert!(html.contains("<td class=\"max-chats\">3</td>"), "the list shows the limit");

    // A shop's admin does not set the desk's skills.
    let shop_admin = signed_in(&app, "merchant_admin").await?;
    let (_, html) = get(&app, &shop_admin, "/settings/staff").await?;
    assert!(!html.contains("/profile\""), "no skills form for a shop's admin");
    let (s, _, _) =
        post(&app, &shop_admin, &path, &[("csrf", &csrf_of(&html)), ("skills", "x"), ("max_messaging", "5")]).await?;
    assert!(matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{s}");
    let (_, profile) = app.get(&format!("/api/v1/users/{agent}/agent-profile"), "admin").await?;
    assert_eq!(profile["max_messaging"].as_u64(), Some(3), "unchanged");
    Ok(())
}

#[tokio::test]
async fn the_audit_log_by_person_and_date_and_as_a_spreadsheet_safe_csv() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = signed_in(&app, "admin").await?;
    let (_, html) = get(&app, &c, "/settings/staff").await?;
    let csrf = csrf_of(&html);
    let r = c
        .post(format!("{}/settings/staff", app.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", "formula"),
            ("display_name", "フォーミュラ 太郎"),
            ("role", "agent"),
            ("shop", "shop-a"),
            ("password", "a long enough password 1"),
        ])
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let admin = app.users["admin"];
    // The admin's own name is one a spreadsheet would run as a formula.
    let (s, body) = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{admin}"),
            "admin",
            serde_json::json!({ "display_name": "=HYPERLINK(\"http://evil.example\")" }),
        )
        .await?;
    assert_eq!(s, StatusCode::OK, "{body}");
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Tokyo).date_naive();
    let (s, html) =
        get(&app, &c, &format!("/settings/audit?user={admin}&from={today}&to={today}&subject=user")).await?;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("formula"), "today's user changes by the admin: {html}");
    // Yesterday holds nothing of it; another person did not do it.
    let yesterday = today.pred_opt().unwrap();
    let (_, html) = get(&app, &c, &format!("/settings/audit?from={yesterday}&to={yesterday}")).await?;
    assert!(!html.contains("formula"));
    let agent = app.users["agent"];
    let (_, html) = get(&app, &c, &format!("/settings/audit?user={agent}&subject=user")).await?;
    assert!(!html.contains("formula"));
    let link = html.split("href=\"/settings/audit.csv?").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default();
    assert!(
        link.contains("subject=user") && link.contains(&format!("user={agent}")),
        "the CSV link keeps the selection: {link}"
    );
    // A date that is not one is refused, not ignored.
    assert_eq!(get(&app, &c, "/settings/audit?from=2026-13-40").await?.0, StatusCode::UNPROCESSABLE_ENTITY);

    let r = c.get(format!("{}/settings/audit.csv?user={admin}&subject=user", app.base)).send().await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str()?.starts_with("text/csv"));
    assert!(r.headers()["content-disposition"].to_str()?.contains("attachment"));
    let body = r.text().await?;
    assert!(body.starts_with("\u{feff}日時,操作した人,操作,対象,対象ID,担当ショップ,内容"), "{body}");
    assert!(body.contains("formula"), "{body}");
    assert!(body.contains("'=HYPERLINK"), "the formula is kept as text: {body}");
    let mut cells = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body.as_bytes());
    for record in cells.records() {
        for cell in record?.iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "no cell starts a formula: {cell}");
        }
    }
    // Only those who read the audit log get the file.
    let agent_console = signed_in(&app, "agent").await?;
    assert_eq!(get(&app, &agent_console, "/settings/audit.csv").await?.0, StatusCode::FORBIDDEN);
    Ok(())
}
