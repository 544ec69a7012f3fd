//! Calls through Twilio's webhooks (and providers that speak its format): every request to a
//! number's URL is checked against the number's Auth Token before anything in it is read,
//! turned into a step of the call, and answered with the TwiML of the turn. One URL per number,
//! with `?e=` naming what Twilio reports: the incoming call (none), keys (`keys`), no keys
//! (`silence`), the queue's wait music (`wait`), leaving the queue (`dequeued`), a message
//! recorded (`recorded`), the recording file (`recording`), a transfer's end (`dial`) and the
//! call's status (`status`); and where the desk sends a live call: to the agent who answered
//! (`bridge`), on hold (`held`), back to a queue (`requeue`) or to an outside number
//! (`transfer_out`).

use madoguchi_channels::voice::twilio::{Verb, twiml, verify};
use madoguchi_core::voice::call::{CallDirection, CallEventKind, CallState};
use madoguchi_core::voice::caller::Caller;
use madoguchi_core::voice::control::CallCommand;
use madoguchi_core::voice::flow::{Prompt, Step};
use madoguchi_core::voice::ivr::{Input, Turn, Wait};
use madoguchi_store::voice::calls::{Call, NewCall};
use madoguchi_store::voice::numbers::PhoneNumber;

use super::agents::{self, LegEnd};
use super::{event, merchant_of, step};
use crate::App;
use crate::usecases::error::{UseCaseError, UseCaseResult};

/// The provider name calls through this adapter are stored under.
pub const PROVIDER: &str = "twilio";

/// A webhook as it arrived.
pub struct Request {
    pub token: String,
    /// The public URL Twilio requested (the desk's `public_url`, the path and the query).
    pub url: String,
    /// What `?e=` says the request is about.
    pub event: Option<String>,
    pub params: Vec<(String, String)>,
    pub signature: Option<String>,
    /// `I-Twilio-Idempotency-Token`: the same on every retry of one delivery.
    pub delivery: Option<String>,
    /// On an agent's leg (`?e=agent`, `?e=agent_status`): the call it is for (`&call=`) and
    /// the agent (`&agent=`), written into the URLs the desk gave Twilio, so signed.
    pub call: Option<String>,
    pub agent: Option<String>,
}

pub enum Answer {
    TwiML(String),
    /// No number has this token.
    NotFound,
    /// The signature is missing or wrong: nothing was read or stored.
    Forbidden,
}

/// Said when the call cannot be served, rather than leaving the caller in silence.
const UNAVAILABLE: &str = "お電話ありがとうございます。ただいまこの番号ではお問い合わせを承っておりません。恐れ入りますが、しばらくしてからおかけ直しください。";

pub async fn webhook(app: &App, r: Request) -> UseCaseResult<Answer> {
    let Some(number) = app.store.phone_number_by_token(&r.token).await? else { return Ok(Answer::NotFound) };
    let secret = number.auth_token.as_deref().unwrap_or_default();
    if secret.is_empty() || !r.signature.as_deref().is_some_and(|s| verify(&r.url, &r.params, s, secret)) {
        metrics::counter!("madoguchi_webhook_rejected_total", "channel" => "phone").increment(1);
        return Ok(Answer::Forbidden);
    }
    // A retry of a delivery already answered gets that answer: the caller's key press is not
    // taken twice, nor the call queued twice.
    let delivery = r.delivery.as_deref().filter(|d| !d.is_empty());
    if let Some(d) = delivery
        && let Some(answer) = app.store.webhook_reply(PROVIDER, d).await?
    {
        return Ok(Answer::TwiML(answer));
    }
    let answer = respond(app, &number, &r).await?;
    if let Some(d) = delivery {
        app.store.save_webhook_reply(PROVIDER, d, &answer).await?;
    }
    Ok(Answer::TwiML(answer))
}

/// The TwiML for a signed request, after moving the call on.
async fn respond(app: &App, number: &PhoneNumber, r: &Request) -> UseCaseResult<String> {
    let params = Params(&r.params);
    let param = |name: &str| params.get(name);
    let sid = param("CallSid").filter(|s| !s.is_empty()).ok_or_else(|| missing("CallSid"))?;
    let links = Links { base: format!("{}/api/v1/inbound/voice/twilio/{}", app.settings.public_base(), r.token) };
    let event = r.event.as_deref().unwrap_or("voice");
    if event == "voice" {
        return incoming(app, number, sid, &params, &links).await;
    }
    if event == "agent" || event == "agent_status" {
        return agent_leg(app, number, r, event, sid, &params).await;
    }
    // Everything after the first request belongs to a call already stored.
    let Some(call) = app.store.call_by_provider_id(PROVIDER, sid).await? else {
        tracing::warn!(sid, event, "a Twilio callback for a call never seen");
        return Ok(twiml(&[Verb::Hangup]));
    };
    let verbs = match event {
        "keys" => {
            let digits = param("Digits").unwrap_or_default();
            let input = if digits.is_empty() { Input::Silence } else { Input::Keys(digits.to_owned()) };
            proceed(app, &call, input, &links).await?
        }
        "silence" => proceed(app, &call, Input::Silence, &links).await?,
        "wait" => wait_music(app, &call, &params).await?,
        "dequeued" => match param("QueueResult").unwrap_or_default() {
            "leave" => proceed(app, &call, Input::QueueTimedOut, &links).await?,
            "hangup" => {
                let e = event_now(CallEventKind::Abandoned, serde_json::json!({ "by": "customer" }), "abandoned");
                app.store.record_call_event(call.id, &e).await?;
                vec![]
            }
            // Taken out of the queue to the agent who answered: the call goes on where it was
            // sent (`bridge`), nothing to add here.
            "redirected" | "bridged" | "bridging-in-process" => vec![],
            _ => vec![Verb::Hangup],
        },
        "recorded" => {
            let data = serde_json::json!({
                "url": param("RecordingUrl"), "seconds": param("RecordingDuration"), "sid": param("RecordingSid"),
            });
            app.store.record_call_event(call.id, &event_now(CallEventKind::VoicemailLeft, data, "voicemail")).await?;
            vec![Verb::say_ja("メッセージを承りました。お電話ありがとうございました。"), Verb::Hangup]
        }
        // The file is ready at the provider: the call-control job copies it into the desk's
        // file store (a recording that failed is only logged: there is nothing to fetch).
        "recording" => {
            let (sid, url) = (param("RecordingSid").unwrap_or_default(), param("RecordingUrl").unwrap_or_default());
            match param("RecordingStatus").unwrap_or("completed") {
                "completed" if !sid.is_empty() && !url.is_empty() => {
                    let seconds = param("RecordingDuration").and_then(|d| d.parse().ok());
                    let fetch = CallCommand::FetchRecording { sid: sid.to_owned(), url: url.to_owned(), seconds };
                    app.store.enqueue_call_command(call.merchant_id, call.id, &fetch).await?;
                }
                status => tracing::warn!(call = %call.id, sid, status, "a recording the provider could not finish"),
            }
            vec![]
        }
        "dial" => {
            let data = serde_json::json!({ "status": param("DialCallStatus"), "seconds": param("DialCallDuration") });
            app.store.record_call_event(call.id, &event_now(CallEventKind::TransferCompleted, data, "dial")).await?;
            vec![Verb::Hangup]
        }
        // The agent answered and the caller is brought out of the queue to them.
        "bridge" if call.state == CallState::Connected => vec![conference(&call, false, Some(links.to("talked")))],
        // On hold: out of the talk, told to wait, again and again until taken back.
        "held" if call.state == CallState::Connected => vec![
            Verb::say_ja("ただいま担当者がお調べしております。このまま少々お待ちください。"),
            Verb::Pause { seconds: 20 },
            Verb::Redirect { url: links.to("held") },
        ],
        "held" => vec![Verb::Hangup],
        // Transferred to a queue: back to wait for its next agent (whose phone may ring already).
        "requeue" if matches!(call.state, CallState::Queued | CallState::Ringing) => {
            let queue = format!("{}:{}", call.merchant_id, call.skill.as_deref().unwrap_or("all"));
            vec![
                Verb::say_ja("担当の窓口におつなぎします。このままお待ちください。"),
                Verb::Enqueue { queue, wait_url: links.to("wait"), action: links.to("dequeued") },
            ]
        }
        // Transferred to an outside number: put through, shown as the shop's number.
        "transfer_out" => {
            let events = app.store.call_events(&madoguchi_core::access::Scope::All, call.id).await?;
            match super::transfer::transfer_number(&events) {
                Some(number) if call.state == CallState::Connected => vec![
                    Verb::say_ja("担当部署におつなぎします。"),
                    Verb::DialNumber { number, caller_id: call.to_e164.clone(), action: links.to("dial") },
                ],
                _ => vec![Verb::Hangup],
            }
        }
        "requeue" => vec![Verb::Hangup],
        "bridge" => vec![Verb::say_ja(GONE), Verb::Hangup],
        // The talk is over (the agent left the conference).
        "talked" => vec![Verb::Hangup],
        "status" => {
            let status = param("CallStatus").unwrap_or_default();
            if matches!(status, "completed" | "busy" | "failed" | "no-answer" | "canceled") {
                agents::caller_gone(&app.store, &call, status).await?;
            }
            vec![]
        }
        other => {
            return Err(UseCaseError::Malformed { code: "unknown_event", message: format!("unknown event {other:?}") });
        }
    };
    Ok(twiml(&verbs))
}

/// The form parameters of a request, by name.
struct Params<'a>(&'a [(String, String)]);

impl<'a> Params<'a> {
    fn get(&self, name: &str) -> Option<&'a str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn missing(name: &str) -> UseCaseError {
    UseCaseError::Malformed { code: "missing_param", message: format!("{name} is missing") }
}

fn event_now(kind: CallEventKind, data: serde_json::Value, key: &str) -> madoguchi_store::voice::calls::NewCallEvent {
    event(kind, data, key.to_owned())
}

/// The call comes in: stored once (a repeated request finds it), then the flow from its start
/// — or from where it stands, when Twilio asks again.
async fn incoming(
    app: &App,
    number: &PhoneNumber,
    sid: &str,
    params: &Params<'_>,
    links: &Links,
) -> UseCaseResult<String> {
    let to = params.get("To").unwrap_or_default();
    if to != number.e164 {
        tracing::warn!(to, number = %number.e164, "a call to a number this URL does not serve");
        return Ok(twiml(&[Verb::say_ja(UNAVAILABLE), Verb::Hangup]));
    }
    let scope = madoguchi_core::access::Scope::All;
    let flow = app.store.voice_flow(&scope, number.merchant_id, &number.flow_name, None).await?;
    let new = NewCall {
        merchant: number.merchant_id,
        phone_number: Some(number.id),
        provider: PROVIDER.into(),
        provider_call_id: sid.to_owned(),
        direction: CallDirection::Inbound,
        caller: Caller::parse(params.get("From").unwrap_or_default()),
        to_e164: to.to_owned(),
        flow_name: Some(number.flow_name.clone()),
        flow_version: flow.as_ref().map(|f| f.version),
        at: madoguchi_core::time::now(),
    };
    let (call, _) = app.store.start_call(&new).await?;
    if flow.is_none() {
        // Kept as a call (it will show as abandoned), never lost; the shop has no flow yet.
        tracing::warn!(merchant = %number.merchant_id, flow = %number.flow_name, "a call to a number without a flow");
        return Ok(twiml(&[Verb::say_ja(UNAVAILABLE), Verb::Hangup]));
    }
    Ok(twiml(&proceed(app, &call, Input::Arrived, links).await?))
}

/// The call's next turn in its flow (the version it started on), as TwiML verbs.
async fn proceed(app: &App, call: &Call, input: Input, links: &Links) -> UseCaseResult<Vec<Verb>> {
    if call.state == CallState::Ended {
        return Ok(vec![Verb::Hangup]);
    }
    let scope = madoguchi_core::access::Scope::All;
    let name = call.flow_name.as_deref().unwrap_or("main");
    let Some(flow) = app.store.voice_flow(&scope, call.merchant_id, name, call.flow_version).await? else {
        return Ok(vec![Verb::say_ja(UNAVAILABLE), Verb::Hangup]);
    };
    let merchant = merchant_of(&app.store, call).await?;
    let turn = step(&app.store, &merchant, &flow.flow, call, input).await?;
    Ok(render(&turn, call, links))
}

/// Where Twilio is sent next for this number.
struct Links {
    base: String,
}

impl Links {
    fn to(&self, event: &str) -> String {
        format!("{}?e={event}", self.base)
    }
}

fn spoken(p: &Prompt, links: &Links) -> Verb {
    match p {
        Prompt::Text { text } => Verb::say_ja(text),
        Prompt::Recording { file } => Verb::Play { url: format!("{}/prompts/{file}", links.base) },
    }
}

fn render(turn: &Turn, call: &Call, links: &Links) -> Vec<Verb> {
    let mut said: Vec<Verb> = turn.say.iter().map(|p| spoken(p, links)).collect();
    match &turn.wait {
        Wait::Keys { prompt, max_digits, finish_on_hash, timeout_seconds } => {
            said.push(spoken(prompt, links));
            vec![
                Verb::Gather {
                    action: links.to("keys"),
                    num_digits: Some(*max_digits),
                    finish_on_key: finish_on_hash.then_some('#'),
                    timeout: *timeout_seconds,
                    prompts: said,
                },
                // No key in time: Twilio goes on to the next verb.
                Verb::Redirect { url: links.to("silence") },
            ]
        }
        Wait::Queue { skill, .. } => {
            let queue = format!("{}:{}", call.merchant_id, skill.as_deref().unwrap_or("all"));
            said.push(Verb::Enqueue { queue, wait_url: links.to("wait"), action: links.to("dequeued") });
            said
        }
        Wait::Voicemail { max_seconds } => {
            said.push(Verb::Record {
                action: links.to("recorded"),
                max_length: *max_seconds,
                recording_status_callback: links.to("recording"),
            });
            said
        }
        Wait::Transfer { number } => {
            said.push(Verb::DialNumber {
                number: number.clone(),
                caller_id: call.to_e164.clone(),
                action: links.to("dial"),
            });
            said
        }
        Wait::Callback | Wait::Hangup | Wait::ParcelLookup { .. } => {
            said.push(Verb::Hangup);
            said
        }
    }
}

/// While the caller waits in the queue: their place, then a pause (Twilio plays this again
/// when it ends); past the queue step's longest wait, out of the queue to its overflow.
async fn wait_music(app: &App, call: &Call, params: &Params<'_>) -> UseCaseResult<Vec<Verb>> {
    let waited: u32 = params.get("QueueTime").and_then(|t| t.parse().ok()).unwrap_or(0);
    let scope = madoguchi_core::access::Scope::All;
    let name = call.flow_name.as_deref().unwrap_or("main");
    let flow = app.store.voice_flow(&scope, call.merchant_id, name, call.flow_version).await?;
    let longest = flow.zip(call.position.as_ref()).and_then(|(f, at)| match f.flow.steps.get(&at.step) {
        Some(Step::Queue { max_wait_seconds, .. }) => *max_wait_seconds,
        _ => None,
    });
    if longest.is_some_and(|m| waited >= m) {
        return Ok(vec![Verb::Leave]);
    }
    let place = params.get("QueuePosition").and_then(|p| p.parse::<u32>().ok()).unwrap_or(1);
    Ok(vec![
        Verb::say_ja(format!(
            "ただいま電話が大変混み合っております。{place}番目でお待ちいただいております。このままお待ちください。"
        )),
        Verb::Pause { seconds: 20 },
    ])
}

/// Said to an agent whose phone is answered after the call went elsewhere.
const GONE: &str = "このお電話はすでに終了しました。";

/// The room the caller and the agent talk in, named after the call. The agent leaving ends
/// it; the caller may leave it for hold and come back.
fn conference(call: &Call, agent: bool, action: Option<String>) -> Verb {
    Verb::Conference { name: format!("call-{}", call.id.0.simple()), end_on_exit: agent, action }
}

/// A request about an agent's leg: answered (`agent`) or over (`agent_status`). The call and
/// the agent come from the URL the desk gave Twilio; the call must be this number's shop's.
async fn agent_leg(
    app: &App,
    number: &PhoneNumber,
    r: &Request,
    event: &str,
    leg: &str,
    params: &Params<'_>,
) -> UseCaseResult<String> {
    let parse =
        |v: Option<&String>, name: &str| v.and_then(|s| s.parse::<uuid::Uuid>().ok()).ok_or_else(|| missing(name));
    let call_id = madoguchi_core::ids::CallId(parse(r.call.as_ref(), "call")?);
    let agent = madoguchi_core::ids::UserId(parse(r.agent.as_ref(), "agent")?);
    let call =
        match app.store.get_call(&madoguchi_core::access::Scope::Merchants(vec![number.merchant_id]), call_id).await {
            Ok(c) => c,
            Err(madoguchi_store::StoreError::NotFound) => return Ok(twiml(&[Verb::Hangup])),
            Err(e) => return Err(e.into()),
        };
    app.store.add_call_leg(call.merchant_id, call.id, "agent", Some(agent), leg).await?;
    if event == "agent" {
        if agents::answered(&app.store, &call, agent).await? {
            let call = app.store.get_call(&madoguchi_core::access::Scope::All, call.id).await?;
            return Ok(twiml(&[conference(&call, true, None)]));
        }
        return Ok(twiml(&[Verb::say_ja(GONE), Verb::Hangup]));
    }
    let end = match params.get("CallStatus").unwrap_or_default() {
        "no-answer" => LegEnd::NoAnswer,
        "busy" | "failed" => LegEnd::Unreachable,
        "canceled" => LegEnd::Cancelled,
        "completed" => LegEnd::HungUp,
        // Ringing, answered: not the end of the leg.
        _ => return Ok(twiml(&[])),
    };
    agents::agent_leg_ended(&app.store, &call, agent, end).await?;
    Ok(twiml(&[]))
}
