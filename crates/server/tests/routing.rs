//! Routing end to end: presence, skills and capacity decide who is offered a new contact.

mod common;

use common::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn presence(app: &TestApp, role: &str, state: &str) -> anyhow::Result<(StatusCode, Value)> {
    app.send(Method::PUT, "/api/v1/me/presence", role, json!({ "presence": state })).await
}

async fn new_contact(app: &TestApp, body: Value) -> anyhow::Result<Value> {
    let mut b = json!({ "merchant": "shop-a", "channel": "phone" });
    if let (Some(obj), Some(extra)) = (b.as_object_mut(), body.as_object()) {
        obj.extend(extra.clone());
    }
    let (s, c) = app.send(Method::POST, "/api/v1/conversations", "supervisor", b).await?;
    anyhow::ensure!(s == StatusCode::CREATED, "create: {s} {c}");
    Ok(c)
}

#[tokio::test]
async fn new_contacts_go_to_an_available_agent_with_the_skill() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let agent = app.users["agent"].to_string();
    let (s, profile) = app
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{agent}/agent-profile"),
            "supervisor",
            json!({ "skills": ["配送"] }),
        )
        .await?;
    assert_eq!((s, profile["skills"].clone()), (StatusCode::OK, json!(["配送"])));

    // Offline: nothing is offered.
    let waiting = new_contact(&app, json!({ "queue": "配送" })).await?;
    assert!(waiting["assignee_id"].is_null());
    assert_eq!(waiting["status"], "new");

    // Becoming available offers the waiting contact at once.
    let (s, p) = presence(&app, "agent", "available").await?;
    assert_eq!((s, p["presence"].as_str()), (StatusCode::OK, Some("available")));
    let (_, c) =
        app.get(&format!("/api/v1/conversations/{}", waiting["id"].as_str().unwrap_or_default()), "agent").await?;
    assert_eq!(c["conversation"]["assignee_id"].as_str(), Some(agent.as_str()));
    assert_eq!(c["conversation"]["status"], "open");
    assert!(
        c["timeline"]
            .as_array()
            .is_some_and(|t| t.iter().any(|i| i["kind"] == "assigned" && i["data"]["by"] == "routing"))
    );

    // A new contact for the skill is offered on arrival; one for another skill waits.
    let direct = new_contact(&app, json!({ "queue": "配送" })).await?;
    assert_eq!(direct["assignee_id"].as_str(), Some(agent.as_str()));
    let other = new_contact(&app, json!({ "queue": "返品・交換" })).await?;
    assert!(other["assignee_id"].is_null());

    // On a break nothing more comes.
    let (s, _) = presence(&app, "agent", "break").await?;
    assert_eq!(s, StatusCode::OK);
    let later = new_contact(&app, json!({ "queue": "配送" })).await?;
    assert!(later["assignee_id"].is_null());
    Ok(())
}

#[tokio::test]
async fn chat_capacity_and_vip_first() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let agent = app.users["agent"].to_string();
    app.send(
        Method::PATCH,
        &format!("/api/v1/users/{agent}/agent-profile"),
        "supervisor",
        json!({ "max_messaging": 1 }),
    )
    .await?;
    // A VIP customer.
    let (_, vip) = app
        .send(
            Method::POST,
            "/api/v1/customers",
            "agent",
            json!({ "merchant": "shop-a", "name": "上得意", "rank": "VIP" }),
        )
        .await?;
    let ordinary = new_contact(&app, json!({ "channel": "chat" })).await?;
    let special = new_contact(&app, json!({ "channel": "chat", "customer_id": vip["id"] })).await?;
    presence(&app, "agent", "available").await?;
    let (_, v) =
        app.get(&format!("/api/v1/conversations/{}", special["id"].as_str().unwrap_or_default()), "agent").await?;
    let (_, o) =
        app.get(&format!("/api/v1/conversations/{}", ordinary["id"].as_str().unwrap_or_default()), "agent").await?;
    assert_eq!(v["conversation"]["assignee_id"].as_str(), Some(agent.as_str()), "the VIP jumps the queue");
    assert!(o["conversation"]["assignee_id"].is_null(), "one chat slot only");
    // Freeing the slot lets the next one in (a chat is wrapped up before it is closed).
    let wrap = format!("/api/v1/conversations/{}/wrap-ups", special["id"].as_str().unwrap_or_default());
    let (s, _) = app
        .send(Method::POST, &wrap, "agent", json!({ "disposition_code": "DELIVERY_INFO", "acw_seconds": 45 }))
        .await?;
    assert_eq!(s, StatusCode::CREATED);
    app.send(
        Method::PATCH,
        &format!("/api/v1/conversations/{}", special["id"].as_str().unwrap_or_default()),
        "agent",
        json!({ "status": "resolved" }),
    )
    .await?;
    presence(&app, "agent", "after_contact_work").await?;
    presence(&app, "agent", "available").await?;
    let (_, o) =
        app.get(&format!("/api/v1/conversations/{}", ordinary["id"].as_str().unwrap_or_default()), "agent").await?;
    assert_eq!(o["conversation"]["assignee_id"].as_str(), Some(agent.as_str()));
    Ok(())
}

#[tokio::test]
async fn presence_rules_and_who_may_set_profiles() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let (s, j) = presence(&app, "agent", "busy").await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_presence_change")));
    let (s, _) = presence(&app, "merchant_staff", "available").await?;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, j) = presence(&app, "agent", "sleeping").await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body")));
    let agent = app.users["agent"].to_string();
    let (s, _) = app
        .send(Method::PATCH, &format!("/api/v1/users/{agent}/agent-profile"), "agent", json!({ "max_messaging": 9 }))
        .await?;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, j) = app
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{agent}/agent-profile"),
            "supervisor",
            json!({ "max_messaging": 0 }),
        )
        .await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("out_of_range")));
    let (s, list) = app.get("/api/v1/merchants/shop-a/agents", "supervisor").await?;
    assert_eq!(s, StatusCode::OK);
    assert!(list.as_array().is_some_and(|a| a.iter().any(|p| p["user_id"].as_str() == Some(agent.as_str()))));
    let (s, _) = app.get("/api/v1/merchants/shop-a/agents", "merchant_staff").await?;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Queues.
    let (s, q) = app
        .send(Method::POST, "/api/v1/merchants/shop-a/queues", "merchant_admin", json!({ "name": "返品・交換" }))
        .await?;
    assert_eq!(s, StatusCode::CREATED, "{q}");
    let (s, j) = app
        .send(Method::POST, "/api/v1/merchants/shop-a/queues", "supervisor", json!({ "name": "返品・交換" }))
        .await?;
    assert_eq!((s, j["code"].as_str()), (StatusCode::CONFLICT, Some("queue_exists")));
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/queues/{}", q["id"].as_str().unwrap_or_default()),
            Some(app.token("agent")),
            None,
        )
        .await?;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/queues/{}", q["id"].as_str().unwrap_or_default()),
            Some(app.token("supervisor")),
            None,
        )
        .await?;
    assert_eq!(s, StatusCode::NO_CONTENT);
    Ok(())
}
