//! A reply from the desk, as agents repeat it all day: the first answer takes an unassigned
//! conversation (console and API alike), answering someone else's is asked first, and the
//! wrap-up timer starts only when the contact ended and only for whoever handled it.

mod common;

use common::console::*;
use common::{PASSWORD, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn assignee(app: &TestApp, id: &str) -> anyhow::Result<Option<String>> {
    let (_, c) = app.get(&format!("/api/v1/conversations/{id}"), "admin").await?;
    Ok(c["conversation"]["assignee_id"].as_str().map(str::to_owned))
}

/// The wrap-up timer's start on the page: 0 is no timer.
fn acw_start(html: &str) -> i64 {
    let at = html.find("id=\"acw-timer\" data-start=\"").expect("the timer is on the page") + 27;
    html[at..].split('"').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_first_reply_takes_the_conversation_and_someone_elses_is_asked_first() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let id = app.a.conversation.to_string();
    assert_eq!(assignee(&app, &id).await?, None, "the demo conversation starts unassigned");
    let agent = browser();
    sign_in(&app, &agent, "agent", PASSWORD).await?;
    let (_, html) = page(&app, &agent, &id).await?;
    assert_eq!(acw_start(&html), 0, "an untouched conversation has no wrap-up timer");
    let url = format!("{}/desk/conversations/{id}/messages", app.base);

    // A note takes nothing; the reply takes it for the agent who wrote it.
    let r = agent.post(&url).multipart(reply_form(&csrf_of(&html), "internal_note", "倉庫に確認します")).send().await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(assignee(&app, &id).await?, None, "a note is not an answer");
    let r = agent.post(&url).multipart(reply_form(&csrf_of(&html), "outbound", "確認いたします。")).send().await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(assignee(&app, &id).await?, Some(app.users["agent"].to_string()), "the first reply takes it");
    let (_, html) = page(&app, &agent, &id).await?;
    assert!(acw_start(&html) > 0, "the mail is answered: the agent's wrap-up runs from the reply");
    let timeline = app.store.timeline(&madoguchi_core::access::Scope::All, app.a.conversation, true).await?;
    assert!(format!("{timeline:?}").contains("replied"), "the timeline says why it was assigned: {timeline:?}");

    // The supervisor answering the agent's conversation is asked first; nothing is sent.
    let supervisor = browser();
    sign_in(&app, &supervisor, "supervisor", PASSWORD).await?;
    let (_, html) = page(&app, &supervisor, &id).await?;
    assert_eq!(acw_start(&html), 0, "not the supervisor's work");
    let before = common::messages(&app, app.a.conversation).await.len();
    let r =
        supervisor.post(&url).multipart(reply_form(&csrf_of(&html), "outbound", "横から失礼します。")).send().await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let back = r.headers()["location"].to_str()?.to_owned();
    assert!(back.contains("error=assigned_other"), "{back}");
    assert_eq!(common::messages(&app, app.a.conversation).await.len(), before, "nothing sent yet");
    let html = supervisor.get(format!("{}{back}", app.base)).send().await?.text().await?;
    assert!(html.contains("agentさんが担当している会話です") && html.contains("id=\"confirmed-other\""), "{html}");
    // The second press goes; the conversation stays the agent's.
    let form = reply_form(&csrf_of(&html), "outbound", "横から失礼します。").text("confirmed_other", "1");
    let r = supervisor.post(&url).multipart(form).send().await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!r.headers()["location"].to_str()?.contains("error"));
    assert_eq!(common::messages(&app, app.a.conversation).await.len(), before + 1);
    assert_eq!(assignee(&app, &id).await?, Some(app.users["agent"].to_string()), "still the agent's");
    // A note on someone else's conversation needs no asking.
    let r = supervisor.post(&url).multipart(reply_form(&csrf_of(&html), "internal_note", "了解")).send().await?;
    assert!(!r.headers()["location"].to_str()?.contains("error"));
    Ok(())
}

#[tokio::test]
async fn the_api_reply_takes_an_unassigned_conversation_too_and_shop_staff_never_do() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let app = &app;
    let new = |shop: &'static str| async move {
        let (s, c) = app
            .send(
                Method::POST,
                "/api/v1/conversations",
                "admin",
                json!({ "merchant": shop, "channel": "email", "subject": "返品の件",
                    "message": { "kind": "inbound", "body_text": "返品したいです。" } }),
            )
            .await?;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        anyhow::Ok(c["id"].as_str().unwrap().to_owned())
    };
    let id = new("shop-a").await?;
    let reply = |id: String, role: &'static str| async move {
        app.send(
            Method::POST,
            &format!("/api/v1/conversations/{id}/messages"),
            role,
            json!({ "kind": "outbound", "body_text": "承知しました。" }),
        )
        .await
    };
    let (s, body) = reply(id.clone(), "agent").await?;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(assignee(app, &id).await?, Some(app.users["agent"].to_string()));
    // Another agent's reply through the API does not move it.
    let (s, _) = reply(id.clone(), "supervisor").await?;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(assignee(app, &id).await?, Some(app.users["agent"].to_string()));

    // Where the shop lets its staff reply, their reply answers the customer but is not the
    // desk's agent taking the work.
    let (s, _) =
        app.send(Method::PATCH, "/api/v1/merchants/shop-a", "admin", json!({ "staff_may_reply": true })).await?;
    assert_eq!(s, StatusCode::OK);
    let id = new("shop-a").await?;
    let (s, body) = reply(id.clone(), "merchant_staff").await?;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(assignee(app, &id).await?, None);
    Ok(())
}

#[tokio::test]
async fn a_chat_has_no_wrap_up_timer_until_it_is_ended() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let (s, c) = app
        .send(
            Method::POST,
            "/api/v1/conversations",
            "admin",
            json!({ "merchant": "shop-a", "channel": "chat", "assignee_id": app.users["agent"],
                "message": { "kind": "inbound", "body_text": "ギフト包装はできますか？" } }),
        )
        .await?;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_str().unwrap().to_owned();
    let agent = browser();
    sign_in(&app, &agent, "agent", PASSWORD).await?;
    let (_, html) = page(&app, &agent, &id).await?;
    let r = agent
        .post(format!("{}/desk/conversations/{id}/messages", app.base))
        .multipart(reply_form(&csrf_of(&html), "outbound", "できます。"))
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&app, &agent, &id).await?;
    assert_eq!(acw_start(&html), 0, "the chat goes on: no wrap-up yet");
    let r = agent
        .post(format!("{}/desk/conversations/{id}/end", app.base))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&app, &agent, &id).await?;
    let started = acw_start(&html);
    let now = chrono::Utc::now().timestamp_millis();
    assert!(started > 0 && started <= now && now - started < 60_000, "from the end of the chat: {started}");
    Ok(())
}
