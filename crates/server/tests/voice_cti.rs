//! A centre's own PBX telling the desk about its calls, against the running server: the
//! events Zammad's generic CTI takes (form with `user[]`, or JSON), signed with the number's
//! secret. A call rings at an agent's extension and pops that agent's screen only, is answered
//! and becomes theirs, and its hang-up starts after-call work; a call nobody answers is
//! abandoned; an outgoing call lands on the called customer; unsigned, stale, unknown and
//! malformed requests store nothing.
#![allow(clippy::unwrap_used)] // test helpers fail the test on bad fixtures

mod common;

use common::TestApp;
use madoguchi_channels::shop_webhook;
use madoguchi_core::access::Scope;
use madoguchi_core::presence::Presence;
use madoguchi_core::voice::call::{CallDirection, CallState};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const SECRET: &str = "pbx-shared-secret-0123456789";

/// The server, a PBX number of shop A, and its agent on extension 201.
async fn desk() -> (TestApp, String) {
    let app = TestApp::start().await.unwrap();
    let number = json!({ "number": "03-5555-0101", "label": "代表（PBX）", "provider": "pbx", "auth_token": SECRET });
    let (s, n) = app.send(Method::POST, "/api/v1/merchants/shop-a/phone_numbers", "admin", number).await.unwrap();
    assert_eq!(s, StatusCode::CREATED, "{n}");
    let url = n["voice_url"].as_str().unwrap().to_owned();
    assert!(url.contains("/api/v1/cti/"), "a PBX number is reached at the CTI endpoint: {n}");
    let path = url[url.find("/api/v1/cti/").unwrap()..].to_owned();
    let agent = app.users["agent"];
    let (s, p) = app
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{agent}/agent-profile"),
            "supervisor",
            json!({ "extension": "201" }),
        )
        .await
        .unwrap();
    assert_eq!((s, &p["extension"]), (StatusCode::OK, &json!("201")), "{p}");
    let (s, _) =
        app.send(Method::PUT, "/api/v1/me/presence", "agent", json!({ "presence": "available" })).await.unwrap();
    assert_eq!(s, StatusCode::OK, "the agent starts work");
    (app, path)
}

async fn post(app: &TestApp, path: &str, body: &str, json: bool, ts: Option<i64>, secret: &str) -> (StatusCode, Value) {
    let ts = ts.unwrap_or_else(|| chrono::Utc::now().timestamp());
    let kind = if json { "application/json" } else { "application/x-www-form-urlencoded" };
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .header("content-type", kind)
        .header(shop_webhook::TIMESTAMP_HEADER, ts.to_string())
        .header(shop_webhook::SIGNATURE_HEADER, shop_webhook::sign(secret, ts, body.as_bytes()))
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn form(app: &TestApp, path: &str, body: &str) -> Value {
    let (s, v) = post(app, path, body, false, None, SECRET).await;
    assert_eq!(s, StatusCode::OK, "{body}: {v}");
    v
}

async fn call(app: &TestApp, id: &str) -> Option<madoguchi_store::voice::calls::Call> {
    app.store.call_by_provider_id("pbx", id).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pbx_call_pops_the_ringing_extension_only_is_answered_and_wrapped_up() {
    let (app, path) = desk().await;
    let agent = app.users["agent"];
    let new_call = "event=newCall&from=090-1234-5678&to=0355550101&direction=in&callId=pbx-1&user%5B%5D=201&queue=%E9%85%8D%E9%80%81";
    assert_eq!(form(&app, &path, new_call).await, json!({}), "Zammad's answer");
    // The PBX sends it again: still one call.
    form(&app, &path, new_call).await;
    let c = call(&app, "pbx-1").await.expect("the call is stored");
    assert_eq!((c.state, c.offered_to, c.direction), (CallState::Ringing, Some(agent), CallDirection::Inbound));
    assert_eq!(c.caller.number(), Some("+819012345678"));
    assert_eq!(app.store.calls_of_conversation(&Scope::All, c.conversation_id).await.unwrap().len(), 1);
    let conv = app.store.get_conversation(&Scope::All, c.conversation_id).await.unwrap();
    assert_eq!(conv.queue.as_deref(), Some("配送"), "the PBX's queue is the conversation's");
    // The screen pops at extension 201's agent, and nobody else's.
    let (_, phone) = app.get("/api/v1/me/phone", "agent").await.unwrap();
    assert_eq!(
        (&phone["call"]["state"], &phone["call"]["merchant_name"]),
        (&json!("ringing"), &json!("shop-a 店")),
        "{phone}"
    );
    let (_, other) = app.get("/api/v1/me/phone", "shared_agent").await.unwrap();
    assert_eq!(other["call"], Value::Null, "{other}");

    // Answered at 201 (JSON this time): the call and its conversation are the agent's.
    let answer = r#"{"event":"answer","from":"09012345678","to":"0355550101","direction":"in","callId":"pbx-1","user":"agent","answeringNumber":"201"}"#;
    let (s, v) = post(&app, &path, answer, true, None, SECRET).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let c = call(&app, "pbx-1").await.unwrap();
    assert_eq!((c.state, c.agent_id), (CallState::Connected, Some(agent)));
    let conv = app.store.get_conversation(&Scope::All, c.conversation_id).await.unwrap();
    assert_eq!(conv.assignee_id, Some(agent));
    assert!(conv.accepted_at.is_some(), "answering takes it");

    // The hang-up: over, and the agent is in after-call work until the wrap-up.
    form(&app, &path, "event=hangup&callId=pbx-1&direction=in&cause=normalClearing&answeringNumber=201").await;
    let c = call(&app, "pbx-1").await.unwrap();
    assert_eq!(c.state, CallState::Ended);
    assert!(!c.record.abandoned && c.record.answered_at.is_some(), "{:?}", c.record);
    assert_eq!(app.store.agent_profile(agent).await.unwrap().presence, Presence::AfterContactWork);
    let wrap = json!({ "disposition_code": "DELIVERY_INFO" });
    let (s, body) =
        app.send(Method::POST, &format!("/api/v1/conversations/{}/wrap-ups", conv.id), "agent", wrap).await.unwrap();
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(app.store.agent_profile(agent).await.unwrap().presence, Presence::Available, "free again");
    let (_, board) = app.get("/api/v1/merchants/shop-a/board", "supervisor").await.unwrap();
    assert_eq!((&board["calls"]["offered"], &board["calls"]["answered"]), (&json!(1), &json!(1)), "{board}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_call_is_abandoned_an_outgoing_one_is_the_customers_and_bad_requests_store_nothing() {
    let (app, path) = desk().await;
    // Waiting in the PBX's queue, a call is the PBX's to route: the desk rings nobody.
    form(&app, &path, "event=newCall&from=0312349999&to=0355550101&direction=in&callId=pbx-q&queue=%E9%85%8D%E9%80%81")
        .await;
    madoguchi_app::usecases::routing::route_merchants(&app.store, &[app.a.id]).await;
    let c = call(&app, "pbx-q").await.unwrap();
    assert_eq!((c.state, c.offered_to), (CallState::Queued, None), "an available agent is not rung by the desk");
    assert_eq!(app.store.call_commands_pending().await.unwrap(), 0, "and nothing is asked of the PBX");
    // Rings at an extension nobody has, then the caller gives up.
    form(&app, &path, "event=newCall&from=0312340000&to=0355550101&direction=in&callId=pbx-2&user%5B%5D=999").await;
    let c = call(&app, "pbx-2").await.unwrap();
    assert_eq!((c.state, c.offered_to), (CallState::Ivr, None), "it rings at nobody the desk knows");
    form(&app, &path, "event=hangup&callId=pbx-2&direction=in&cause=cancel").await;
    let c = call(&app, "pbx-2").await.unwrap();
    assert!(c.state == CallState::Ended && c.record.abandoned, "{:?}", c.record);

    // The agent dials a customer from the desk phone: the call is on the called customer.
    form(&app, &path, "event=newCall&from=0355550101&to=08011112222&direction=out&callId=pbx-3&user%5B%5D=201").await;
    form(&app, &path, "event=answer&from=0355550101&to=08011112222&direction=out&callId=pbx-3&user=201").await;
    let c = call(&app, "pbx-3").await.unwrap();
    assert_eq!(
        (c.direction, c.caller.number(), c.agent_id),
        (CallDirection::Outbound, Some("+818011112222"), Some(app.users["agent"]))
    );

    // An answer whose newCall was lost still makes the call.
    form(&app, &path, "event=answer&from=0311112222&to=0355550101&direction=in&callId=pbx-4&answeringNumber=agent")
        .await;
    assert_eq!(call(&app, "pbx-4").await.unwrap().state, CallState::Connected, "the login works as the extension");

    let fresh = "event=newCall&from=0312340000&to=0355550101&direction=in&callId=pbx-bad";
    let (s, v) = post(&app, &path, fresh, false, None, "not-the-secret-at-all").await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("bad_signature")), "{v}");
    let stale = chrono::Utc::now().timestamp() - 3600;
    let (s, v) = post(&app, &path, fresh, false, Some(stale), SECRET).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("signature_expired")), "{v}");
    let r = app.client.post(format!("{}{path}", app.base)).body(fresh).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "unsigned");
    assert!(call(&app, "pbx-bad").await.is_none(), "nothing refused is stored");
    let (s, _) = post(&app, "/api/v1/cti/no-such-token", fresh, false, None, SECRET).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for (body, code) in [
        ("event=ring&callId=pbx-5", "unknown_event"),
        ("event=newCall&from=0312340000", "invalid_call_id"),
        ("event=newCall&callId=pbx-6&direction=sideways", "invalid_direction"),
    ] {
        let (s, v) = post(&app, &path, body, false, None, SECRET).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::BAD_REQUEST, Some(code)), "{body}: {v}");
    }
    let (s, v) = post(&app, &path, "{\"event\":", true, None, SECRET).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_json")), "{v}");
    assert!(call(&app, "pbx-5").await.is_none() && call(&app, "pbx-6").await.is_none());

    // An extension is one agent's.
    let other = app.users["shared_agent"];
    let (s, v) = app
        .send(Method::PATCH, &format!("/api/v1/users/{other}/agent-profile"), "admin", json!({ "extension": "201" }))
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
}
