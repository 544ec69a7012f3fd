//! Calls reaching agents, against the running server: the caller is the stand-in for Twilio's
//! webhooks (as in `voice.rs`), and a stand-in for Twilio's REST API takes the calls the desk
//! places and changes — checking the account's credentials, answering as Twilio does — so a
//! test sees each agent's phone ring, answers it by fetching the TwiML Twilio would, and lets
//! it ring out. Whole calls: queued → rung → answered → put through → hung up → wrapped up;
//! a ring nobody takes going to the next agent; a caller who hangs up while it rings; a
//! voicemail's recording copied into the desk and played on the call's card.
#![allow(clippy::unwrap_used)] // test helpers fail the test on bad fixtures

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine;
use common::TestApp;
use common::voice::{ACCOUNT, AUTH, app_with, follows, twilio};
use madoguchi_core::access::Scope;
use madoguchi_core::ids::UserId;
use madoguchi_core::presence::Presence;
use madoguchi_core::voice::call::{CallEventKind, CallState, HungUpBy};
use madoguchi_core::voice::control::client_identity;
use madoguchi_server::Settings;
use reqwest::Method;
use serde_json::json;

/// One request the desk made to the REST API.
#[derive(Debug, Clone)]
struct Sent {
    /// The call it changes (`None`: a new call was placed).
    call: Option<String>,
    form: Vec<(String, String)>,
    /// The SID Twilio gave a placed call.
    placed: Option<String>,
}

impl Sent {
    fn get(&self, name: &str) -> &str {
        self.form.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }
}

#[derive(Clone, Default)]
struct Rest {
    sent: Arc<Mutex<Vec<Sent>>>,
    /// Recordings fetched (their paths), and the API's address.
    fetched: Arc<Mutex<Vec<String>>>,
    base: String,
    /// What `GET …/Calls/{sid}.json` says of a call (`in-progress` unless set).
    statuses: Arc<Mutex<std::collections::HashMap<String, String>>>,
}

/// `GET /2010-04-01/Accounts/{sid}/Calls/{call}.json`, as Twilio reports a call.
async fn call_status(
    State(rest): State<Rest>,
    Path((account, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> axum::response::Response {
    if account != ACCOUNT || !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let sid = file.trim_end_matches(".json").to_owned();
    let status = rest.statuses.lock().unwrap().get(&sid).cloned().unwrap_or_else(|| "in-progress".into());
    axum::Json(json!({ "sid": sid, "status": status })).into_response()
}

/// `POST …/Calls/{call}.json` reaches [`calls`] as the other requests do.
async fn call_update(
    rest: State<Rest>,
    Path((account, file)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> axum::response::Response {
    calls(rest, Path((account, format!("Calls/{file}"))), headers, body).await
}

/// The bytes a recording is served as (an MP3 frame header, then silence).
const MP3: &[u8] = b"\xff\xfb\x90\x64\x00\x00\x00\x00recorded-voice";

/// `GET /2010-04-01/Accounts/{sid}/Recordings/{sid}.mp3`, as Twilio serves a recording.
async fn recording(
    State(rest): State<Rest>,
    Path((account, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> axum::response::Response {
    if account != ACCOUNT || !authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    rest.fetched.lock().unwrap().push(file.clone());
    if !file.ends_with(".mp3") {
        return StatusCode::NOT_FOUND.into_response();
    }
    ([(axum::http::header::CONTENT_TYPE, "audio/mpeg")], MP3).into_response()
}

fn authorized(headers: &HeaderMap) -> bool {
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{AUTH}")));
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str())
}

/// `POST /2010-04-01/Accounts/{sid}/Calls.json` and `…/Calls/{call}.json`, as Twilio answers.
async fn calls(
    State(rest): State<Rest>,
    Path((account, tail)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> axum::response::Response {
    if account != ACCOUNT || !authorized(&headers) {
        let body = json!({ "code": 20003, "message": "Authenticate", "status": 401 });
        return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    }
    let form: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let mut sent = rest.sent.lock().unwrap();
    if tail == "Calls.json" {
        let sid = format!("CA{:032}", 900 + sent.len());
        sent.push(Sent { call: None, form, placed: Some(sid.clone()) });
        let body = json!({ "sid": sid, "status": "queued", "account_sid": ACCOUNT });
        return (StatusCode::CREATED, axum::Json(body)).into_response();
    }
    let call = tail.strip_prefix("Calls/").and_then(|t| t.strip_suffix(".json")).unwrap_or_default().to_owned();
    sent.push(Sent { call: Some(call.clone()), form, placed: None });
    (StatusCode::OK, axum::Json(json!({ "sid": call, "status": "in-progress" }))).into_response()
}

async fn rest_api() -> (Rest, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let rest = Rest { base: base.clone(), ..Rest::default() };
    let router = axum::Router::new()
        .route("/2010-04-01/Accounts/{account}/Recordings/{file}", axum::routing::get(recording))
        .route("/2010-04-01/Accounts/{account}/Calls/{file}", axum::routing::get(call_status).post(call_update))
        .route("/2010-04-01/Accounts/{account}/{*tail}", axum::routing::post(calls))
        .with_state(rest.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (rest, base)
}

impl Rest {
    /// Waits for the `n`-th request (from 1) the desk makes.
    async fn nth(&self, n: usize) -> Sent {
        for _ in 0..200 {
            if let Some(s) = self.sent.lock().unwrap().get(n - 1).cloned() {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the desk made no request #{n}: {:?}", self.sent.lock().unwrap());
    }

    fn count(&self) -> usize {
        self.sent.lock().unwrap().len()
    }
}

/// The server, with routing's ring-out sweep left to the test (offers never ring out on their
/// own), and the REST API's stand-in.
async fn desk() -> (TestApp, Rest) {
    let (rest, base) = rest_api().await;
    let settings = Settings {
        twilio_api_base: base,
        offer_timeout_seconds: 0,
        twilio_account_sid: Some(ACCOUNT.into()),
        twilio_api_key_sid: Some("SK00000000000000000000000000000000".into()),
        twilio_api_key_secret: Some("api-key-secret".into()),
        ..Settings::default()
    };
    (app_with(settings).await, rest)
}

async fn available(app: &TestApp, who: &str) -> UserId {
    let (s, body) =
        app.send(Method::PUT, "/api/v1/me/presence", who, json!({ "presence": "available" })).await.unwrap();
    assert_eq!(s, StatusCode::OK, "{body}");
    app.users[who]
}

async fn presence(app: &TestApp, who: &str) -> Presence {
    app.store.agent_profile(app.users[who]).await.unwrap().presence
}

/// A caller reaching shop A's "other" queue (menu key 3).
async fn queued<'a>(app: &'a TestApp, sid: &str) -> common::voice::Twilio<'a> {
    let t = twilio(app, sid, "+819012345678");
    t.post(None, &[("CallStatus", "ringing")]).await;
    let xml = t.post(Some("keys"), &[("Digits", "3")]).await;
    assert!(xml.contains("<Enqueue"), "{xml}");
    t
}

/// The agent rung by the desk's `n`-th request answers (Twilio fetches the ring's URL for
/// their leg), and the caller follows the desk's next request into their room. The ring, and
/// the agent's leg.
async fn answer_and_bridge<'a>(
    app: &'a TestApp,
    rest: &Rest,
    caller: &common::voice::Twilio<'_>,
    n: usize,
) -> (Sent, common::voice::Twilio<'a>) {
    let ring = rest.nth(n).await;
    let leg = twilio(app, ring.placed.as_deref().unwrap(), "client:anonymous");
    leg.post_to(ring.get("Url"), &[("CallStatus", "in-progress")]).await;
    caller.post_to(rest.nth(n + 1).await.get("Url"), &[("CallStatus", "in-progress")]).await;
    (ring, leg)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_is_rung_answers_is_put_through_hangs_up_and_wraps_up() {
    let (app, rest) = desk().await;
    let agent = available(&app, "agent").await;
    let t = queued(&app, "CA0000000000000000000000000000101").await;

    // The desk rings the agent's browser phone, from the shop's number.
    let ring = rest.nth(1).await;
    assert_eq!(ring.call, None, "a new call is placed: {ring:?}");
    assert_eq!(ring.get("To"), format!("client:{}", client_identity(agent)));
    assert_eq!(ring.get("From"), common::voice::NUMBER);
    assert_eq!(ring.get("Timeout"), "25");
    let call = t.call().await;
    assert_eq!((call.state, call.offered_to), (CallState::Ringing, Some(agent)));
    let conv = app.store.get_conversation(&Scope::All, call.conversation_id).await.unwrap();
    assert_eq!(conv.assignee_id, Some(agent), "the conversation is offered to the agent who rings");
    assert_eq!(conv.accepted_at, None, "not taken until the phone is answered");
    // The agent's phone pops the call: which shop to answer for, and who calls.
    let (s, phone) = app.get("/api/v1/me/phone", "agent").await.unwrap();
    assert_eq!(s, StatusCode::OK, "{phone}");
    assert_eq!(phone["call"]["state"], "ringing", "{phone}");
    assert_eq!(phone["call"]["merchant_name"], "shop-a 店");
    assert_eq!(phone["call"]["conversation_id"], conv.id.to_string());
    assert!(phone["call"]["caller"].as_str().is_some_and(|c| c.ends_with('様')), "the customer by name: {phone}");
    assert_eq!(phone["identity"], client_identity(agent));
    // On the board, the caller still waits while it rings.
    let (_, board) = app.get("/api/v1/merchants/shop-a/board", "supervisor").await.unwrap();
    assert_eq!(board["calls"]["queues"][0]["waiting"], 1, "{board}");
    assert_eq!(board["calls"]["offered"], 1, "{board}");
    let (s, other) = app.get("/api/v1/me/phone", "shared_agent").await.unwrap();
    assert_eq!((s, &other["call"]), (StatusCode::OK, &serde_json::Value::Null), "it rings for one agent only");
    let (s, token) = app.send(Method::POST, "/api/v1/me/phone/token", "agent", json!({})).await.unwrap();
    assert_eq!((s, token["identity"].as_str()), (StatusCode::OK, Some(client_identity(agent).as_str())), "{token}");
    let (s, _) = app.send(Method::POST, "/api/v1/me/phone/token", "merchant_admin", json!({})).await.unwrap();
    assert_eq!(s, StatusCode::FORBIDDEN, "the shop has no desk phone");
    // Opening the screen does not take the call.
    let (s, _) = app.get(&format!("/api/v1/conversations/{}", conv.id), "agent").await.unwrap();
    assert_eq!(s, StatusCode::OK);

    // The agent answers: Twilio fetches the ring's URL for the agent's leg.
    let leg = twilio(&app, ring.placed.as_deref().unwrap(), "client:anonymous");
    let xml = leg.post_to(ring.get("Url"), &[("CallStatus", "in-progress")]).await;
    let room = format!("call-{}", call.id.0.simple());
    assert!(xml.contains(&format!(">{room}</Conference>")), "the agent joins the call's room: {xml}");
    let call = t.call().await;
    assert_eq!((call.state, call.agent_id), (CallState::Connected, Some(agent)));
    assert!(app.store.get_conversation(&Scope::All, conv.id).await.unwrap().accepted_at.is_some());

    // The caller is taken out of the queue into the same room.
    let bridge = rest.nth(2).await;
    assert_eq!(bridge.call.as_deref(), Some(t.sid.as_str()), "the caller's call is moved: {bridge:?}");
    let xml = t.post_to(bridge.get("Url"), &[("CallStatus", "in-progress")]).await;
    assert!(xml.contains(&format!(">{room}</Conference>")), "{xml}");
    assert!(follows(&xml, "action").ends_with("?e=talked"), "{xml}");
    // Leaving the queue for the room: the queue's action adds nothing.
    let xml = t.post(Some("dequeued"), &[("QueueResult", "redirected")]).await;
    assert!(!xml.contains("Hangup"), "{xml}");
    let shown = madoguchi_app::usecases::presence::shown(&app.store, agent).await.unwrap();
    assert_eq!(shown, Presence::Busy, "on a call the agent shows 対応中");

    // On hold: the caller leaves the room for the hold announcement, then comes back.
    let hold = format!("/api/v1/calls/{}/hold", call.id);
    let (s, body) = app.send(Method::POST, &hold, "shared_agent", json!({ "hold": true })).await.unwrap();
    assert_eq!((s, body["code"].as_str()), (StatusCode::CONFLICT, Some("not_your_call")), "{body}");
    let (s, body) = app.send(Method::POST, &hold, "agent", json!({ "hold": true })).await.unwrap();
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let held = rest.nth(3).await;
    assert_eq!(held.call.as_deref(), Some(t.sid.as_str()));
    let xml = t.post_to(held.get("Url"), &[("CallStatus", "in-progress")]).await;
    assert!(xml.contains("少々お待ちください") && xml.contains("<Pause"), "{xml}");
    assert!(xml.contains("?e=held</Redirect>"), "the announcement repeats: {xml}");
    assert_eq!(app.get("/api/v1/me/phone", "agent").await.unwrap().1["call"]["on_hold"], true);
    app.send(Method::POST, &hold, "agent", json!({ "hold": false })).await.unwrap();
    let back = rest.nth(4).await;
    let xml = t.post_to(back.get("Url"), &[("CallStatus", "in-progress")]).await;
    assert!(xml.contains(&format!(">{room}</Conference>")), "back in the room: {xml}");

    // The agent hangs up: the call is over, by the agent, and after-contact work starts.
    leg.post_to(ring.get("StatusCallback"), &[("CallStatus", "completed"), ("CallDuration", "95")]).await;
    let xml = t.post(Some("talked"), &[("DialCallStatus", "completed")]).await;
    assert!(xml.contains("<Hangup/>"), "{xml}");
    t.post(Some("status"), &[("CallStatus", "completed"), ("CallDuration", "120")]).await;
    let call = t.call().await;
    assert_eq!(call.state, CallState::Ended);
    assert_eq!(call.record.hung_up_by, Some(HungUpBy::Agent), "{:?}", call.record);
    assert_eq!(call.record.agent, Some(agent));
    assert_eq!(presence(&app, "agent").await, Presence::AfterContactWork);
    assert!(app.store.get_conversation(&Scope::All, conv.id).await.unwrap().contact_ended_at.is_some());

    // The wrap-up ends the after-contact work on the call's record, and the agent is free.
    let wrap = json!({ "disposition_code": "DELIVERY_INFO", "note": "お届け日をご案内" });
    let (s, body) =
        app.send(Method::POST, &format!("/api/v1/conversations/{}/wrap-ups", conv.id), "agent", wrap).await.unwrap();
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(presence(&app, "agent").await, Presence::Available);
    let kinds: Vec<CallEventKind> =
        app.store.call_events(&Scope::All, call.id).await.unwrap().into_iter().map(|e| e.kind).collect();
    for k in [CallEventKind::AgentOffered, CallEventKind::Answered, CallEventKind::AcwStarted, CallEventKind::AcwEnded]
    {
        assert!(kinds.contains(&k), "{k:?} in {kinds:?}");
    }
    let r = &call.record;
    assert_eq!((r.holds, r.missed_offers, r.transfers), (1, 0, 0), "{r:?}");
    assert_eq!(rest.count(), 4, "nothing else was asked of the provider");

    // The board counts it answered, nobody waits; the conversation shows how the call went.
    let (_, board) = app.get("/api/v1/merchants/shop-a/board", "supervisor").await.unwrap();
    let calls = &board["calls"];
    assert_eq!(
        (&calls["offered"], &calls["answered"], &calls["abandoned"]),
        (&json!(1), &json!(1), &json!(0)),
        "{board}"
    );
    assert_eq!((calls["queues"].as_array().map(Vec::len), &calls["on_call"]), (Some(0), &json!(0)), "{board}");
    let c = common::console::browser();
    common::console::sign_in(&app, &c, "supervisor", common::PASSWORD).await.unwrap();
    let (s, html) = common::console::page(&app, &c, &conv.id.to_string()).await.unwrap();
    assert_eq!(s, StatusCode::OK);
    let section = &html[html.find("id=\"calls\"").expect("the calls section")..];
    let section = &section[..section.find("id=\"timeline\"").unwrap_or(section.len())];
    assert!(section.contains("class=\"call answered\""), "{section}");
    for shown in ["応答", "「3」", "保留", "1回", "切断", "担当者", "後処理開始", "呼び出し — agent"]
    {
        assert!(section.contains(shown), "{shown} in {section}");
    }
    let board = c.get(format!("{}/board", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(board.contains("本日の着信") && board.contains("calls-answered\">1<"), "{board}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ring_nobody_takes_goes_to_the_next_agent_and_stops_when_the_caller_hangs_up() {
    let (app, rest) = desk().await;
    // The first available is idle the longest and is rung first.
    let first = available(&app, "agent").await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = available(&app, "shared_agent").await;
    let t = queued(&app, "CA0000000000000000000000000000102").await;

    let ring = rest.nth(1).await;
    assert_eq!(ring.get("To"), format!("client:{}", client_identity(first)));
    // It rings out at the first agent's phone.
    let leg = twilio(&app, ring.placed.as_deref().unwrap(), "client:anonymous");
    leg.post_to(ring.get("StatusCallback"), &[("CallStatus", "no-answer")]).await;
    assert_eq!(presence(&app, "agent").await, Presence::NotResponding, "who let it ring is not offered more");

    let ring2 = rest.nth(2).await;
    assert_eq!(ring2.get("To"), format!("client:{}", client_identity(second)), "{ring2:?}");
    let call = t.call().await;
    assert_eq!((call.state, call.offered_to), (CallState::Ringing, Some(second)));
    assert_eq!(call.record.missed_offers, 1);
    let conv = app.store.get_conversation(&Scope::All, call.conversation_id).await.unwrap();
    assert_eq!(conv.assignee_id, Some(second));

    // A late answer at the first agent's phone finds the call gone from them.
    let xml = leg.post_to(ring.get("Url"), &[("CallStatus", "in-progress")]).await;
    assert!(xml.contains("すでに終了しました") && xml.contains("<Hangup/>"), "{xml}");

    // The caller gives up while it rings at the second: the ring is stopped there.
    t.post(Some("status"), &[("CallStatus", "completed")]).await;
    let cancel = rest.nth(3).await;
    assert_eq!(cancel.call.as_deref(), ring2.placed.as_deref(), "{cancel:?}");
    assert_eq!(cancel.get("Status"), "canceled");
    let call = t.call().await;
    assert!(call.record.abandoned && call.state == CallState::Ended, "{:?}", call.record);
    let conv = app.store.get_conversation(&Scope::All, call.conversation_id).await.unwrap();
    assert_eq!(conv.assignee_id, None, "the missed call waits in the inbox for a call back");
    assert_eq!(presence(&app, "shared_agent").await, Presence::Available, "nothing to wrap up");
    // The provider's report of the cancelled ring changes nothing.
    let leg2 = twilio(&app, ring2.placed.as_deref().unwrap(), "client:anonymous");
    leg2.post_to(ring2.get("StatusCallback"), &[("CallStatus", "canceled")]).await;
    assert_eq!(presence(&app, "shared_agent").await, Presence::Available);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ring_that_runs_out_on_the_desks_clock_is_stopped_and_offered_again() {
    let (app, rest) = desk().await;
    let agent = available(&app, "agent").await;
    let t = queued(&app, "CA0000000000000000000000000000103").await;
    let ring = rest.nth(1).await;
    assert_eq!(ring.get("To"), format!("client:{}", client_identity(agent)));

    // The provider never reported the ring's end; the sweep's ring-out takes it back.
    let timeouts = madoguchi_app::usecases::presence::Timeouts {
        console: chrono::Duration::hours(1),
        offer: Some(chrono::Duration::zero()),
    };
    let out = madoguchi_app::usecases::presence::sweep(&app.store, timeouts).await.unwrap();
    assert_eq!(out.withdrawn, 1);
    let cancel = rest.nth(2).await;
    assert_eq!((cancel.call.as_deref(), cancel.get("Status")), (ring.placed.as_deref(), "canceled"));
    let call = t.call().await;
    assert_eq!((call.state, call.offered_to, call.record.missed_offers), (CallState::Queued, None, 1));
    assert_eq!(presence(&app, "agent").await, Presence::NotResponding);

    // Back at the desk, the agent is rung again for the same caller.
    available(&app, "agent").await;
    let again = rest.nth(3).await;
    assert_eq!(again.get("To"), format!("client:{}", client_identity(agent)), "{again:?}");
    assert_eq!(t.call().await.state, CallState::Ringing);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_caller_hangs_up_first_the_agents_phone_is_hung_up_too() {
    let (app, rest) = desk().await;
    available(&app, "agent").await;
    let t = queued(&app, "CA0000000000000000000000000000104").await;
    let ring = rest.nth(1).await;
    let leg = twilio(&app, ring.placed.as_deref().unwrap(), "client:anonymous");
    leg.post_to(ring.get("Url"), &[("CallStatus", "in-progress")]).await;
    rest.nth(2).await;
    t.post(Some("status"), &[("CallStatus", "completed"), ("CallDuration", "61")]).await;
    let call = t.call().await;
    assert_eq!((call.state, call.record.hung_up_by), (CallState::Ended, Some(HungUpBy::Customer)));
    // Both legs are ended at the provider: the caller's (already gone) and the agent's.
    let first = rest.nth(3).await;
    let second = rest.nth(4).await;
    assert_eq!((first.call.as_deref(), first.get("Status")), (Some(t.sid.as_str()), "completed"));
    assert_eq!((second.call.as_deref(), second.get("Status")), (ring.placed.as_deref(), "completed"));
    assert_eq!(presence(&app, "agent").await, Presence::AfterContactWork);
    let (_, phone) = app.get("/api/v1/me/phone", "agent").await.unwrap();
    assert!(phone["call"].is_null(), "nothing on the phone after the call: {phone}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voicemail_is_copied_into_the_desk_once_and_played_on_the_call() {
    let (app, rest) = desk().await;
    common::chat::set_hours(&app, "shop-a", false).await;
    let t = twilio(&app, "CA0000000000000000000000000000201", "+819012345678");
    let xml = t.post(None, &[("CallStatus", "ringing")]).await;
    assert!(xml.contains("<Record"), "after hours, a message: {xml}");
    let url = format!("{}/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE0000000000000000000000000000001", rest.base);
    let done = [
        ("RecordingSid", "RE0000000000000000000000000000001"),
        ("RecordingUrl", url.as_str()),
        ("RecordingDuration", "7"),
    ];
    t.post(Some("recorded"), &done).await;
    // The file is ready: the recording callback, told twice as a provider may.
    let ready = [done.as_slice(), &[("RecordingStatus", "completed")]].concat();
    t.post(Some("recording"), &ready).await;
    t.post(Some("recording"), &ready).await;
    t.post(Some("status"), &[("CallStatus", "completed")]).await;
    let call = t.call().await;
    let mut stored = vec![];
    for _ in 0..200 {
        let events = app.store.call_events(&Scope::All, call.id).await.unwrap();
        stored = events.into_iter().filter(|e| e.kind == CallEventKind::RecordingStored).collect();
        if !stored.is_empty() && app.store.call_commands_pending().await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stored.len(), 1, "one recording, stored once: {stored:?}");
    assert_eq!((&stored[0].data["seconds"], &stored[0].data["voicemail"]), (&json!(7), &json!(true)));
    assert!(t.call().await.record.recorded);
    let file = stored[0].data["file"].as_str().unwrap().to_owned();

    // The agent plays it from the call's card; the file is the shop's, served by the desk.
    let c = common::console::browser();
    common::console::sign_in(&app, &c, "agent", common::PASSWORD).await.unwrap();
    let r = c.get(format!("{}/desk/files/{file}", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "audio/mpeg");
    assert_eq!(r.bytes().await.unwrap().as_ref(), MP3);
    let (_, html) = common::console::page(&app, &c, &call.conversation_id.to_string()).await.unwrap();
    assert!(html.contains(&format!("<audio controls preload=\"none\" src=\"/desk/files/{file}\"")), "{html}");
    assert!(html.contains("留守電 0:07"), "{html}");

    // A recording URL that is not the account's is never fetched.
    let before = rest.fetched.lock().unwrap().len();
    let elsewhere = [
        ("RecordingSid", "RE0000000000000000000000000000002"),
        ("RecordingUrl", "http://127.0.0.1:9/2010-04-01/Accounts/AC1/Recordings/RE2"),
        ("RecordingStatus", "completed"),
    ];
    t.post(Some("recording"), &elsewhere).await;
    for _ in 0..100 {
        if app.store.call_commands_pending().await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(rest.fetched.lock().unwrap().len(), before);
    let events = app.store.call_events(&Scope::All, call.id).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == CallEventKind::RecordingStored).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_is_transferred_to_a_queue_answered_there_and_transferred_out_to_a_number() {
    let (app, rest) = desk().await;
    let (s, q) = app
        .send(Method::POST, "/api/v1/merchants/shop-a/queues", "supervisor", json!({ "name": "返品・交換" }))
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{q}");
    let first = available(&app, "agent").await;
    let t = queued(&app, "CA0000000000000000000000000000301").await;
    let (ring, leg) = answer_and_bridge(&app, &rest, &t, 1).await;
    let call = t.call().await;
    assert_eq!((call.state, call.agent_id), (CallState::Connected, Some(first)));
    // 鈴木 takes 返品・交換 and is at work.
    let other = app.users["shared_agent"];
    let body = json!({ "skills": ["返品・交換"] });
    let (s, _) = app.send(Method::PATCH, &format!("/api/v1/users/{other}/agent-profile"), "admin", body).await.unwrap();
    assert_eq!(s, StatusCode::OK);
    available(&app, "shared_agent").await;

    let transfer = format!("/api/v1/calls/{}/transfer", call.id);
    let (s, b) = app.send(Method::POST, &transfer, "shared_agent", json!({ "queue": "返品・交換" })).await.unwrap();
    assert_eq!((s, b["code"].as_str()), (StatusCode::CONFLICT, Some("not_your_call")), "{b}");
    let (s, b) = app.send(Method::POST, &transfer, "agent", json!({ "queue": "存在しない窓口" })).await.unwrap();
    assert_eq!((s, b["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_queue")), "{b}");
    let (s, b) = app
        .send(Method::POST, &transfer, "agent", json!({ "queue": "返品・交換", "number": "0312345678" }))
        .await
        .unwrap();
    assert_eq!((s, b["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_target")), "{b}");
    assert_eq!(rest.count(), 2, "nothing refused reached the provider");

    // To the queue: the agent's phone hangs up, the caller waits there again.
    let (s, b) = app.send(Method::POST, &transfer, "agent", json!({ "queue": "返品・交換" })).await.unwrap();
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let end = rest.nth(3).await;
    assert_eq!((end.call.as_deref(), end.get("Status")), (ring.placed.as_deref(), "completed"), "{end:?}");
    let requeue = rest.nth(4).await;
    assert_eq!(requeue.call.as_deref(), Some(t.sid.as_str()));
    let xml = t.post_to(requeue.get("Url"), &[("CallStatus", "in-progress")]).await;
    assert!(xml.contains("担当の窓口におつなぎします") && xml.contains("<Enqueue"), "{xml}");
    leg.post_to(ring.get("StatusCallback"), &[("CallStatus", "completed")]).await;
    assert_ne!(t.call().await.state, CallState::Ended, "the agent leaving a transferred call does not end it");
    assert_eq!(presence(&app, "agent").await, Presence::AfterContactWork);

    // Its next agent is rung and answers: the transfer is complete, the call theirs.
    let (ring2, _) = answer_and_bridge(&app, &rest, &t, 5).await;
    assert_eq!(ring2.get("To"), format!("client:{}", client_identity(other)), "{ring2:?}");
    let call = t.call().await;
    assert_eq!((call.state, call.agent_id), (CallState::Connected, Some(other)));
    assert_eq!((call.record.transfers, call.record.agent), (1, Some(other)), "{:?}", call.record);
    let conv = app.store.get_conversation(&Scope::All, call.conversation_id).await.unwrap();
    assert_eq!((conv.assignee_id, conv.queue.as_deref()), (Some(other), Some("返品・交換")));
    // The first agent wraps up their part and is free.
    let wrap = json!({ "disposition_code": "DELIVERY_INFO", "note": "返品窓口へ転送" });
    let (s, b) =
        app.send(Method::POST, &format!("/api/v1/conversations/{}/wrap-ups", conv.id), "agent", wrap).await.unwrap();
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(presence(&app, "agent").await, Presence::Available);
    let events = app.store.call_events(&Scope::All, call.id).await.unwrap();
    assert!(
        events.iter().any(|e| e.kind == CallEventKind::AcwEnded && e.agent == Some(first)),
        "the first agent's after-call work on the call ends with their wrap-up: {events:?}"
    );

    // Out to the shop's own line: put through with the shop's number shown, and the desk's
    // part is over.
    let (s, b) = app.send(Method::POST, &transfer, "shared_agent", json!({ "number": "電話" })).await.unwrap();
    assert_eq!((s, b["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_phone")), "{b}");
    let (s, b) = app.send(Method::POST, &transfer, "shared_agent", json!({ "number": "03-1234-5678" })).await.unwrap();
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    assert_eq!(rest.nth(7).await.call.as_deref(), ring2.placed.as_deref(), "the agent's phone hangs up");
    let out = rest.nth(8).await;
    let xml = t.post_to(out.get("Url"), &[("CallStatus", "in-progress")]).await;
    assert!(
        xml.contains(">+81312345678</Number>") && xml.contains(&format!("callerId=\"{}\"", common::voice::NUMBER)),
        "{xml}"
    );
    assert_eq!(t.call().await.agent_id, None, "nobody at the desk holds it now");
    assert_eq!(presence(&app, "shared_agent").await, Presence::AfterContactWork);
    let xml = t.post(Some("dial"), &[("DialCallStatus", "completed"), ("DialCallDuration", "80")]).await;
    assert!(xml.contains("<Hangup/>"), "{xml}");
    t.post(Some("status"), &[("CallStatus", "completed")]).await;
    let call = t.call().await;
    assert_eq!((call.state, call.record.transfers), (CallState::Ended, 2), "{:?}", call.record);
    assert!(app.store.get_conversation(&Scope::All, call.conversation_id).await.unwrap().contact_ended_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_whose_end_was_never_reported_is_ended_by_asking_the_provider() {
    let (app, rest) = desk().await;
    let agent = available(&app, "agent").await;
    let t = queued(&app, "CA0000000000000000000000000000401").await;
    answer_and_bridge(&app, &rest, &t, 1).await;
    assert_eq!(t.call().await.state, CallState::Connected);
    let control = madoguchi_app::jobs::call_control::CallControl::new(&app.app);
    let later = chrono::Utc::now() + chrono::Duration::minutes(10);
    // Still talking at Twilio: left alone, and asked again only after another quiet spell.
    assert_eq!(control.reconcile(later).await.unwrap(), 0);
    assert_eq!(t.call().await.state, CallState::Connected);
    // Both status callbacks were lost; Twilio says it is over.
    rest.statuses.lock().unwrap().insert(t.sid.clone(), "completed".into());
    assert_eq!(control.reconcile(later).await.unwrap(), 0, "asked again too soon");
    let much_later = later + chrono::Duration::minutes(10);
    assert_eq!(control.reconcile(much_later).await.unwrap(), 1);
    let call = t.call().await;
    assert_eq!(call.state, CallState::Ended);
    assert_eq!(presence(&app, "agent").await, Presence::AfterContactWork, "the agent is not held on it for ever");
    assert_eq!(call.record.agent, Some(agent));
    assert_eq!(control.reconcile(much_later).await.unwrap(), 0, "an ended call is not asked about");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_sends_a_waiting_call_to_an_agent_routing_would_not_ring() {
    let (app, rest) = desk().await;
    let agent = available(&app, "agent").await;
    // Into the 配送 queue, which the agent at work does not take.
    let t = twilio(&app, "CA0000000000000000000000000000501", "+819012345678");
    t.post(None, &[("CallStatus", "ringing")]).await;
    t.post(Some("keys"), &[("Digits", "1")]).await;
    let xml = t.post(Some("keys"), &[("Digits", "12345")]).await;
    assert!(xml.contains("<Enqueue"), "{xml}");
    madoguchi_app::usecases::routing::route_merchants(&app.store, &[app.a.id]).await;
    let call = t.call().await;
    assert_eq!((call.state, rest.count()), (CallState::Queued, 0), "routing rings nobody without the skill");

    let offer = format!("/api/v1/calls/{}/offer", call.id);
    let to = |who: UserId| json!({ "agent": who.to_string() });
    let (s, _) = app.send(Method::POST, &offer, "agent", to(agent)).await.unwrap();
    assert_eq!(s, StatusCode::FORBIDDEN, "agents do not send calls to each other");
    let (s, b) = app.send(Method::POST, &offer, "supervisor", to(app.users["admin"])).await.unwrap();
    assert_eq!((s, b["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_agent")), "{b}");
    let (s, b) = app.send(Method::POST, &offer, "supervisor", to(app.users["shared_agent"])).await.unwrap();
    assert_eq!((s, b["code"].as_str()), (StatusCode::CONFLICT, Some("agent_not_available")), "{b}");
    // On the board: the waiting call, with the agents at work to send it to.
    let c = common::console::browser();
    common::console::sign_in(&app, &c, "supervisor", common::PASSWORD).await.unwrap();
    let board = c.get(format!("{}/board", app.base)).send().await.unwrap().text().await.unwrap();
    let row = &board[board.find(&format!("data-call=\"{}\"", call.id)).expect("the waiting call is listed")..];
    assert!(row.contains("配送") && row.contains(&format!("<option value=\"{agent}\">")), "{row}");
    let r = c
        .post(format!("{}/board/calls/{}/offer", app.base, call.id))
        .form(&[("csrf", common::console::csrf_of(row).as_str()), ("agent", &agent.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!((r.status(), r.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/board"));
    let ring = rest.nth(1).await;
    assert_eq!(ring.get("To"), format!("client:{}", client_identity(agent)));
    let call = t.call().await;
    assert_eq!((call.state, call.offered_to), (CallState::Ringing, Some(agent)));
    let (s, b) = app.send(Method::POST, &offer, "supervisor", to(agent)).await.unwrap();
    assert_eq!((s, b["code"].as_str()), (StatusCode::CONFLICT, Some("not_waiting")), "{b}");
    // Sent again from the board, the refusal is said there.
    let r = c
        .post(format!("{}/board/calls/{}/offer", app.base, call.id))
        .form(&[("csrf", common::console::csrf_of(row).as_str()), ("agent", &agent.to_string())])
        .send()
        .await
        .unwrap();
    let back = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(back, "/board?refused=not_waiting");
    let board = c.get(format!("{}{back}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(board.contains("つなげませんでした"), "{board}");
}
