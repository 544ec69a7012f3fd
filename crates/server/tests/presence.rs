//! Presence that tells the truth, end to end: a console that goes quiet goes offline and its
//! ringing chats go to someone who is there; an offer nobody takes rings out to the next
//! agent; ending a chat puts the agent in 後処理 until the wrap-up, whose after-contact work
//! the server measures. The sweep is called directly with the timeouts under test, so the
//! tests wait only where time itself is what is tested.

mod common;

use chrono::Duration;
use common::TestApp;
use madoguchi_app::usecases::presence::{self, SweepOutcome, Timeouts};
use madoguchi_core::ids::ConversationId;
use madoguchi_core::presence::Presence;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn set_presence(app: &TestApp, role: &str, state: &str) -> anyhow::Result<()> {
    let (s, body) = app.send(Method::PUT, "/api/v1/me/presence", role, json!({ "presence": state })).await?;
    anyhow::ensure!(s == StatusCode::OK, "presence {state}: {s} {body}");
    Ok(())
}

async fn new_chat(app: &TestApp) -> anyhow::Result<Value> {
    let (s, c) = app
        .send(
            Method::POST,
            "/api/v1/conversations",
            "supervisor",
            json!({ "merchant": "shop-a", "channel": "chat", "subject": "配送について" }),
        )
        .await?;
    anyhow::ensure!(s == StatusCode::CREATED, "create: {s} {c}");
    Ok(c)
}

async fn conversation(app: &TestApp, id: &str) -> anyhow::Result<Value> {
    let (s, c) = app.get(&format!("/api/v1/conversations/{id}"), "admin").await?;
    anyhow::ensure!(s == StatusCode::OK, "get: {s} {c}");
    Ok(c)
}

fn id_of(c: &Value) -> String {
    c["id"].as_str().unwrap_or_default().to_owned()
}

async fn presence_of(app: &TestApp, role: &str) -> anyhow::Result<Presence> {
    Ok(app.store.agent_profile(app.users[role]).await?.presence)
}

const LONG: Duration = Duration::seconds(3600);

#[tokio::test]
async fn a_quiet_console_goes_offline_and_its_ringing_chat_goes_to_an_agent_who_is_there() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    set_presence(&app, "agent", "available").await?;
    set_presence(&app, "shared_agent", "available").await?;
    let chat = new_chat(&app).await?;
    let first = chat["assignee_id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(first, app.users["agent"].to_string(), "the longest idle agent is offered the chat");

    // Both consoles were seen a moment ago: nothing changes.
    let keep = Timeouts { console: Duration::seconds(1), offer: None };
    assert_eq!(presence::sweep(&app.store, keep).await?, SweepOutcome::default());

    // The agent closes the tab; the other console keeps beating.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    app.store.heartbeat(&madoguchi_core::access::Scope::All, app.users["shared_agent"], None, false).await?;
    let out = presence::sweep(&app.store, keep).await?;
    assert_eq!(out, SweepOutcome { gone_offline: 1, withdrawn: 1 });
    assert_eq!(presence_of(&app, "agent").await?, Presence::Offline);
    assert_eq!(presence_of(&app, "shared_agent").await?, Presence::Available);

    let c = conversation(&app, &id_of(&chat)).await?;
    assert_eq!(c["conversation"]["assignee_id"].as_str(), Some(app.users["shared_agent"].to_string().as_str()));
    let withdrawn = c["timeline"]
        .as_array()
        .and_then(|t| t.iter().find(|i| i["kind"] == "offer_withdrawn").cloned())
        .expect("the withdrawal is in the timeline");
    assert_eq!(withdrawn["data"]["reason"], "agent_offline");

    // A later chat is not offered to the agent who left.
    let later = new_chat(&app).await?;
    assert_eq!(later["assignee_id"].as_str(), Some(app.users["shared_agent"].to_string().as_str()));
    Ok(())
}

#[tokio::test]
async fn an_offer_nobody_takes_rings_out_to_the_next_agent_and_an_opened_one_stays() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    set_presence(&app, "agent", "available").await?;
    set_presence(&app, "shared_agent", "available").await?;
    let rung = new_chat(&app).await?;
    assert_eq!(rung["assignee_id"].as_str(), Some(app.users["agent"].to_string().as_str()));

    // The offer rings out (a zero timeout: it is overdue at once).
    let ring = Timeouts { console: LONG, offer: Some(Duration::zero()) };
    let out = presence::sweep(&app.store, ring).await?;
    assert_eq!(out.withdrawn, 1);
    assert_eq!(presence_of(&app, "agent").await?, Presence::NotResponding, "who let it ring takes no more");
    let c = conversation(&app, &id_of(&rung)).await?;
    assert_eq!(c["conversation"]["assignee_id"].as_str(), Some(app.users["shared_agent"].to_string().as_str()));
    assert!(
        c["timeline"]
            .as_array()
            .is_some_and(|t| t.iter().any(|i| i["kind"] == "offer_withdrawn" && i["data"]["reason"] == "no_answer"))
    );

    // The next agent opens it: an accepted offer never rings out, however long it is held.
    let id: ConversationId = id_of(&rung).parse()?;
    assert!(app.store.accept_offer(app.users["shared_agent"], id).await?);
    let out = presence::sweep(&app.store, ring).await?;
    assert_eq!(out.withdrawn, 0);
    let c = conversation(&app, &id_of(&rung)).await?;
    assert_eq!(c["conversation"]["assignee_id"].as_str(), Some(app.users["shared_agent"].to_string().as_str()));

    // 応答なし is left by choosing a state again; then offers come again (the other agent
    // goes on a break, so the choice is not the longest idle's).
    set_presence(&app, "shared_agent", "break").await?;
    set_presence(&app, "agent", "available").await?;
    let next = new_chat(&app).await?;
    assert_eq!(next["assignee_id"].as_str(), Some(app.users["agent"].to_string().as_str()));
    assert!(app.store.accept_offer(app.users["agent"], id_of(&next).parse()?).await?);

    // Mail is answered in turn: an assigned mail never rings.
    let (s, mail) = app
        .send(
            Method::POST,
            "/api/v1/conversations",
            "supervisor",
            json!({ "merchant": "shop-a", "channel": "email", "subject": "請求書について" }),
        )
        .await?;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(mail["assignee_id"].as_str(), Some(app.users["agent"].to_string().as_str()), "{mail}");
    assert_eq!(presence::sweep(&app.store, ring).await?.withdrawn, 0);
    let c = conversation(&app, &id_of(&mail)).await?;
    assert_eq!(c["conversation"]["assignee_id"], mail["assignee_id"]);
    Ok(())
}

#[tokio::test]
async fn ending_a_chat_starts_after_contact_work_measured_by_the_server_until_the_wrap_up() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    set_presence(&app, "agent", "available").await?;
    let chat = new_chat(&app).await?;
    let id = id_of(&chat);
    assert_eq!(chat["assignee_id"].as_str(), Some(app.users["agent"].to_string().as_str()));
    let cid: ConversationId = id.parse()?;
    let p = madoguchi_core::access::Principal {
        user_id: app.users["agent"],
        login: "agent".into(),
        role: madoguchi_core::enums::Role::Agent,
        merchants: vec![app.a.id],
    };
    // Holding a chat, the agent shows as 対応中 although routing still counts them available.
    assert_eq!(presence::shown(&app.store, p.user_id).await?, Presence::Busy);

    presence::end_contact(&app.store, &p, cid).await?;
    assert_eq!(presence_of(&app, "agent").await?, Presence::AfterContactWork);
    // In 後処理 nothing new is offered.
    let waiting = new_chat(&app).await?;
    assert!(waiting["assignee_id"].is_null(), "offered during after-contact work: {waiting}");

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let wrap = format!("/api/v1/conversations/{id}/wrap-ups");
    let (s, w) = app
        .send(Method::POST, &wrap, "agent", json!({ "disposition_code": "DELIVERY_INFO", "acw_seconds": 600 }))
        .await?;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let acw = w["acw_seconds"].as_i64().unwrap_or(-1);
    assert!((1..60).contains(&acw), "after-contact work runs from the end of the chat, not the client's 600: {acw}");

    // The wrap-up ends 後処理, and what waited is offered at once.
    assert_eq!(presence_of(&app, "agent").await?, Presence::Available);
    let c = conversation(&app, &id_of(&waiting)).await?;
    assert_eq!(c["conversation"]["assignee_id"].as_str(), Some(app.users["agent"].to_string().as_str()));
    Ok(())
}

#[tokio::test]
async fn a_second_agent_on_the_same_conversation_sees_who_else_is_there() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let chat = new_chat(&app).await?;
    let cid: ConversationId = id_of(&chat).parse()?;
    let scope = madoguchi_core::access::Scope::Merchants(vec![app.a.id]);
    assert!(app.store.heartbeat(&scope, app.users["agent"], Some(cid), false).await?.is_empty());
    let seen = app.store.heartbeat(&scope, app.users["shared_agent"], Some(cid), true).await?;
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].display_name.as_str(), seen[0].replying), ("agent", false));
    let seen = app.store.heartbeat(&scope, app.users["agent"], Some(cid), false).await?;
    assert_eq!((seen[0].display_name.as_str(), seen[0].replying), ("shared_agent", true));
    // Leaving the page ends the warning at once.
    app.store.stop_viewing(app.users["shared_agent"], cid).await?;
    assert!(app.store.heartbeat(&scope, app.users["agent"], Some(cid), false).await?.is_empty());
    // Another shop's conversation cannot be named in a heartbeat.
    let other = madoguchi_core::access::Scope::Merchants(vec![app.b.id]);
    assert!(app.store.heartbeat(&other, app.users["agent"], Some(cid), false).await.is_err());
    Ok(())
}

/// The supervisor board names each agent with the state others see (対応中 while holding a
/// chat), how long they have been in it, and what they hold.
#[tokio::test]
async fn the_board_shows_each_agent_with_state_and_load() -> anyhow::Result<()> {
    use common::console::*;
    let app = TestApp::start().await?;
    set_presence(&app, "agent", "available").await?;
    set_presence(&app, "shared_agent", "break").await?;
    let chat = new_chat(&app).await?;
    let held_by = conversation(&app, &id_of(&chat)).await?["conversation"]["assignee_id"].as_str().map(str::to_owned);
    assert_eq!(held_by, Some(app.users["agent"].to_string()), "the available agent is offered the chat");
    let c = browser();
    sign_in(&app, &c, "supervisor", common::PASSWORD).await?;
    let board = c.get(format!("{}/board", app.base)).send().await?.text().await?;
    let row = |name: &str| -> String {
        board
            .split("<tr class=\"agent\"")
            .skip(1)
            .find(|r| r.contains(&format!("<td>{name}</td>")))
            .map(|r| r.split("</tr>").next().unwrap_or_default().to_owned())
            .unwrap_or_default()
    };
    let agent = row("agent");
    assert!(agent.contains("data-presence=\"busy\"") && agent.contains("対応中"), "holding a chat is 対応中: {agent}");
    assert!(agent.contains("1 / "), "one live chat held: {agent}");
    assert!(agent.contains("秒") || agent.contains("分"), "how long in the state, in words: {agent}");
    let away = row("shared_agent");
    assert!(away.contains("data-presence=\"break\""), "{away}");

    // A call recorded by hand is not a chat: the chat limit counts chats only.
    let (s, body) = app
        .send(
            Method::POST,
            "/api/v1/conversations",
            "admin",
            json!({ "merchant": "shop-a", "channel": "phone", "assignee_id": app.users["agent"],
                "message": { "kind": "inbound", "body_text": "【電話メモ】配送日の確認" } }),
        )
        .await?;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let board = c.get(format!("{}/board", app.base)).send().await?.text().await?;
    let agent = board.split("<tr class=\"agent\"").skip(1).find(|r| r.contains("<td>agent</td>")).unwrap_or_default();
    assert!(agent.contains("1 / "), "still one chat of the limit: {agent}");
    // An ended chat waits for its wrap-up, not for the agent: it no longer counts, on the
    // board as in routing (a second chat may be offered after the wrap-up).
    let p = madoguchi_core::access::Principal {
        user_id: app.users["agent"],
        login: "agent".into(),
        role: madoguchi_core::enums::Role::Agent,
        merchants: vec![app.a.id],
    };
    presence::end_contact(&app.store, &p, id_of(&chat).parse()?).await?;
    let board = c.get(format!("{}/board", app.base)).send().await?.text().await?;
    let agent = board.split("<tr class=\"agent\"").skip(1).find(|r| r.contains("<td>agent</td>")).unwrap_or_default();
    assert!(agent.contains("0 / "), "an ended chat is not held live: {agent}");
    Ok(())
}
