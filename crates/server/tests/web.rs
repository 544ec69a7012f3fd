//! Console sign-in over HTTP: CSRF on every form, rate-limited login with a clear lockout,
//! session cookies, logout, and escaping of customer content in the inbox.

mod common;

use common::console::*;
use common::{PASSWORD, TestApp};
use madoguchi_core::presence::Presence;
use reqwest::StatusCode;

#[tokio::test]
async fn sign_in_page_speaks_japanese_first_and_english_on_request() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = browser();
    let ja = login_page(&app, &c).await?;
    assert!(ja.contains("<html lang=\"ja\">") && ja.contains("ログインID") && ja.contains("パスワード"), "{ja}");
    let en = c.get(format!("{}/login?lang=en", app.base)).send().await?.text().await?;
    assert!(en.contains("<html lang=\"en\">") && en.contains("Password"));
    // The choice is remembered.
    let again = login_page(&app, &c).await?;
    assert!(again.contains("<html lang=\"en\">"));
    Ok(())
}

#[tokio::test]
async fn sign_in_sign_out_and_the_inbox() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = browser();
    let resp = c.get(format!("{}/desk", app.base)).send().await?;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers().get("location").and_then(|l| l.to_str().ok()), Some("/login"));

    let (status, _, location) = sign_in(&app, &c, "agent", PASSWORD).await?;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/desk")));
    let resp = c.get(format!("{}/desk", app.base)).send().await?;
    assert_eq!(resp.status(), StatusCode::OK);
    let desk = resp.text().await?;
    assert!(desk.contains("受信箱") && desk.contains("shop-a 店"), "{desk}");
    assert!(!desk.contains("shop-b 店"), "another merchant's conversation in the inbox");

    // An agent taking contacts signs out: they are offline, so routing offers them nothing.
    let agent = app.users["agent"];
    app.store.set_presence(agent, Presence::Available).await?;
    // Logging out needs the page's token.
    let resp = c.post(format!("{}/logout", app.base)).form(&[("csrf", "forged")]).send().await?;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.store.agent_profile(agent).await?.presence,
        Presence::Available,
        "a refused sign-out changes nothing"
    );
    let resp = c.post(format!("{}/logout", app.base)).form(&[("csrf", csrf_of(&desk).as_str())]).send().await?;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = c.get(format!("{}/desk", app.base)).send().await?;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "the session is gone");
    assert_eq!(app.store.agent_profile(agent).await?.presence, Presence::Offline, "signed out is offline");
    Ok(())
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let page = c.get(format!("{}/login", app.base)).send().await?;
    let login_cookie = page.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let html = page.text().await?;
    let pair = login_cookie.split(';').next().unwrap_or_default().to_owned();
    let resp = c
        .post(format!("{}/login", app.base))
        .header("cookie", pair)
        .form(&[("login", "agent"), ("password", PASSWORD), ("csrf", &csrf_of(&html))])
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let session = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("madoguchi_session="))
        .unwrap_or_default()
        .to_owned();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax") && session.contains("Path=/"),
        "{session}"
    );
    Ok(())
}

#[tokio::test]
async fn a_forged_sign_in_form_is_refused() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = browser();
    login_page(&app, &c).await?;
    let resp = c
        .post(format!("{}/login", app.base))
        .form(&[("login", "agent"), ("password", PASSWORD), ("csrf", "forged")])
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.text().await?.contains("有効期限"));
    Ok(())
}

#[tokio::test]
async fn repeated_failures_lock_the_login_with_a_clear_message() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = browser();
    for _ in 0..5 {
        let (status, body, _) = sign_in(&app, &c, "agent", "wrong-password").await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains("ログインIDまたはパスワードが正しくありません"), "{body}");
    }
    let (status, body, _) = sign_in(&app, &c, "agent", PASSWORD).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "locked even with the right password");
    assert!(body.contains("一時的にロック") && body.contains("分後"), "{body}");
    // Another login is not affected.
    let (status, _, _) = sign_in(&app, &c, "supervisor", PASSWORD).await?;
    assert_eq!(status, StatusCode::SEE_OTHER);
    Ok(())
}

#[tokio::test]
async fn an_address_with_many_failures_is_slowed_and_says_for_how_long() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = browser();
    assert_eq!(sign_in(&app, &c, "supervisor", PASSWORD).await?.0, StatusCode::SEE_OTHER);
    let c = browser();
    for i in 0..20 {
        assert_eq!(sign_in(&app, &c, &format!("guess{i}"), "wrong").await?.0, StatusCode::UNAUTHORIZED);
    }
    let (status, body, _) = sign_in(&app, &c, "agent", PASSWORD).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("この端末からのログイン失敗が続いています") && body.contains("秒後"), "{body}");
    assert!(!body.contains("{seconds}"), "{body}");
    // The supervisor signed in from here before: not slowed.
    assert_eq!(sign_in(&app, &c, "supervisor", PASSWORD).await?.0, StatusCode::SEE_OTHER);
    Ok(())
}

#[tokio::test]
async fn customer_content_is_escaped_in_the_inbox() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let xss = "<script>alert('xss')</script><img src=x onerror=alert(1)>";
    let (s, _) = app
        .send(
            reqwest::Method::POST,
            "/api/v1/conversations",
            "agent",
            serde_json::json!({ "merchant": "shop-a", "channel": "web_form", "subject": xss }),
        )
        .await?;
    assert_eq!(s, StatusCode::CREATED);
    let c = browser();
    sign_in(&app, &c, "agent", PASSWORD).await?;
    let desk = c.get(format!("{}/desk?view=all", app.base)).send().await?.text().await?;
    assert!(!desk.contains("<script>alert") && !desk.contains("<img src=x"), "raw markup in the page");
    assert!(desk.contains("&lt;script&gt;") || desk.contains("&#60;script&#62;"), "escaped text shown: {desk}");
    Ok(())
}

#[tokio::test]
async fn deactivating_a_user_ends_their_session() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = browser();
    sign_in(&app, &c, "agent", PASSWORD).await?;
    assert_eq!(c.get(format!("{}/desk", app.base)).send().await?.status(), StatusCode::OK);
    let (s, _) = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{}", app.users["agent"]),
            "admin",
            serde_json::json!({ "active": false }),
        )
        .await?;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c.get(format!("{}/desk", app.base)).send().await?.status(), StatusCode::SEE_OTHER);
    Ok(())
}

#[tokio::test]
async fn inbox_views_filters_order_and_presence() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    for (channel, subject) in [("phone", "電話の件"), ("email", "メールの件"), ("chat", "チャットの件")]
    {
        let (s, _) = app
            .send(
                reqwest::Method::POST,
                "/api/v1/conversations",
                "agent",
                // The call waits in the 配送 queue; the others in none.
                serde_json::json!({ "merchant": "shop-a", "channel": channel, "subject": subject,
                                    "queue": if channel == "phone" { Some("配送") } else { None } }),
            )
            .await?;
        assert_eq!(s, StatusCode::CREATED);
    }
    let c = browser();
    sign_in(&app, &c, "agent", PASSWORD).await?;
    let get = |path: String| {
        let c = c.clone();
        let base = app.base.clone();
        async move { anyhow::Ok(c.get(format!("{base}{path}")).send().await?.text().await?) }
    };
    let (_, api_view) = app.get("/api/v1/conversations?queue=%E9%85%8D%E9%80%81", "agent").await?;
    assert_eq!(api_view["items"].as_array().map(Vec::len), Some(1), "the API's queue filter");
    let by_queue = get("/desk?view=all&queue=%E9%85%8D%E9%80%81".into()).await?;
    assert!(by_queue.contains("電話の件") && !by_queue.contains("メールの件"), "the 配送 queue view: {by_queue}");
    let email_only = get("/desk?view=all&channel=email".into()).await?;
    assert!(
        email_only.contains("メールの件") && !email_only.contains("電話の件") && !email_only.contains("チャットの件")
    );
    // Newest first by default, longest waiting first on request.
    let newest = get("/desk?view=all".into()).await?;
    assert!(newest.find("チャットの件") < newest.find("電話の件"));
    let oldest = get("/desk?view=all&sort=oldest".into()).await?;
    assert!(oldest.find("電話の件") < oldest.find("チャットの件"));
    // Counts beside the views.
    let html = get("/desk?view=unassigned".into()).await?;
    assert!(html.contains("id=\"view-unassigned\" aria-current=\"page\""), "{html}");
    let count = |view: &str| {
        let at = html.find(&format!("id=\"view-{view}\"")).unwrap_or(0);
        html[at..]
            .split("class=\"count\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .and_then(|n| n.parse::<i64>().ok())
    };
    assert_eq!(count("unassigned"), Some(4), "three new ones and the escalated fixture, all unassigned");
    assert_eq!(count("escalated"), Some(1));
    assert_eq!(count("mine"), Some(0));
    // Presence from the header.
    let resp = c
        .post(format!("{}/desk/presence", app.base))
        .form(&[("csrf", csrf_of(&html).as_str()), ("presence", "break")])
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, me) = app.get("/api/v1/me/presence", "agent").await?;
    assert_eq!(me["presence"], "break");
    Ok(())
}

#[tokio::test]
async fn console_errors_are_pages_in_the_users_language() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let c = browser();
    sign_in(&app, &c, "agent", PASSWORD).await?;
    let id = app.a.conversation.to_string();
    let (_, html) = page(&app, &c, &id).await?;
    let url = format!("{}/desk/conversations/{id}/messages", app.base);
    let empty = c.post(&url).multipart(reply_form(csrf_of(&html).as_str(), "outbound", "  ")).send().await?;
    // A refused reply comes back to the conversation with the reason, the composer as it was.
    assert_eq!(empty.status(), StatusCode::SEE_OTHER);
    let back = empty.headers()["location"].to_str()?.to_owned();
    assert!(back.contains("error=invalid&field=body_text"), "{back}");
    let text = c.get(format!("{}{back}", app.base)).send().await?.text().await?;
    assert!(text.contains("id=\"page-error\"") && text.contains("入力内容を確認してください"), "{text}");
    let forged = c.post(&url).multipart(reply_form("forged", "outbound", "x")).send().await?;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.text().await?.contains("画面の有効期限"));
    // In English for someone who chose it; the API itself still answers JSON.
    c.get(format!("{}/desk?lang=en", app.base)).send().await?;
    let en = c.post(&url).multipart(reply_form("forged", "outbound", "x")).send().await?.text().await?;
    assert!(en.contains("Not allowed"), "{en}");
    let (s, j) = app
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/conversations/{id}/messages"),
            "agent",
            serde_json::json!({ "kind": "outbound", "body_text": " " }),
        )
        .await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("required")));
    Ok(())
}
