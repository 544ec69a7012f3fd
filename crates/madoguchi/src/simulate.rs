//! `madoguchi simulate-call`: a call to a demo number without a provider. It plays Twilio
//! against the running demo on both sides of the wire: the caller's webhooks, signed with the
//! number's Auth Token and following the TwiML the desk answers (menus get `--digits`, the
//! queue waits), and the REST API the desk rings agents and moves the caller with (the demo
//! points `twilio_api_base` at `phone_simulator` in its credentials). The agent's phone is a
//! desk phone that picks up after `--answer-after` seconds, unless `--no-answer`; the caller
//! hangs up after `--talk` seconds on the line, or at Ctrl-C. Nothing here is in the server:
//! the desk sees what a real provider would send.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, bail};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine;
use madoguchi_channels::voice::twilio::{Verb, signature};
use madoguchi_channels::voice::twiml_read;
use serde_json::json;
use tokio::sync::mpsc;

use crate::demo::Credentials;
use crate::demo::voice::DemoPhoneNumber;

pub struct Options {
    pub to: String,
    pub from: String,
    /// Keys for each menu or prompt, in turn.
    pub digits: Vec<String>,
    pub answer_after: u64,
    pub talk: u64,
    pub no_answer: bool,
}

/// What happens to the call, from the REST API, the agent's phone and the clock.
#[derive(Debug)]
enum Happening {
    /// The desk placed a call (an agent's phone rings).
    Placed {
        sid: String,
        form: HashMap<String, String>,
    },
    /// The desk changed a call: redirected it, or ended it.
    Changed {
        sid: String,
        form: HashMap<String, String>,
    },
    /// The agent's desk phone picks up, or gives up ringing.
    Answered {
        sid: String,
    },
    RangOut {
        sid: String,
    },
    /// Time for the caller to hang up.
    CallerHangsUp,
}

#[derive(Clone)]
struct Rest {
    account: String,
    auth: String,
    tx: mpsc::UnboundedSender<Happening>,
    placed: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

/// `POST /2010-04-01/Accounts/{sid}/Calls.json` and `…/Calls/{call}.json`, as Twilio answers.
async fn calls(
    State(rest): State<Rest>,
    Path((account, tail)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> axum::response::Response {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", rest.account, rest.auth))
    );
    if account != rest.account || headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&expected) {
        let body = json!({ "code": 20003, "message": "Authenticate", "status": 401 });
        return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    }
    let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    if tail == "Calls.json" {
        let n = rest.placed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let sid = format!("CA{:032x}", 0x51u128 << 120 | u128::from(n));
        let _ = rest.tx.send(Happening::Placed { sid: sid.clone(), form });
        return (StatusCode::CREATED, axum::Json(json!({ "sid": sid, "status": "queued" }))).into_response();
    }
    let Some(sid) = tail.strip_prefix("Calls/").and_then(|t| t.strip_suffix(".json")).map(str::to_owned) else {
        return (StatusCode::NOT_FOUND, axum::Json(json!({ "code": 20404, "status": 404 }))).into_response();
    };
    let _ = rest.tx.send(Happening::Changed { sid: sid.clone(), form });
    (StatusCode::OK, axum::Json(json!({ "sid": sid, "status": "in-progress" }))).into_response()
}

/// One leg of the call as the provider posts about it.
pub(crate) struct Leg {
    pub sid: String,
    pub from: String,
    pub to: String,
    pub direction: &'static str,
}

/// The provider's side of one demo number: its webhooks, signed with the number's Auth Token.
pub(crate) struct Provider {
    pub http: reqwest::Client,
    pub number: DemoPhoneNumber,
}

impl Provider {
    /// Posts a signed webhook about `leg` and reads the TwiML it answers with.
    pub async fn post(&self, url: &str, leg: &Leg, extra: &[(&str, &str)]) -> anyhow::Result<Vec<Verb>> {
        let mut params: Vec<(String, String)> = [
            ("AccountSid", self.number.account_sid.as_str()),
            ("ApiVersion", "2010-04-01"),
            ("CallSid", &leg.sid),
            ("From", &leg.from),
            ("To", &leg.to),
            ("Direction", leg.direction),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for (k, v) in extra {
            params.retain(|(name, _)| name != k);
            params.push(((*k).to_owned(), (*v).to_owned()));
        }
        let sig = signature(url, &params, &self.number.auth_token);
        let res = self
            .http
            .post(url)
            .header("X-Twilio-Signature", sig)
            .form(&params)
            .send()
            .await
            .with_context(|| format!("the desk at {url} is not reachable: is `madoguchi demo` running?"))?;
        let status = res.status();
        let body = res.text().await?;
        if !status.is_success() {
            bail!("the desk answered {status} to {url}: {body}");
        }
        Ok(twiml_read::read(&body)?)
    }

    pub fn status_url(&self) -> String {
        format!("{}?e=status", self.number.voice_url)
    }
}

/// Where the caller is.
enum Place {
    /// Going through verbs.
    Flow,
    /// In the queue: its wait music, and the action posted on leaving it.
    Queued { action: String },
    /// In the call's room, with the action posted when the room ends.
    Room { action: Option<String> },
}

fn say(v: &Verb) {
    match v {
        Verb::Say { text, .. } => println!("  🔊 {text}"),
        Verb::Play { url } => println!("  🔊 （録音された案内 {url}）"),
        _ => {}
    }
}

pub async fn run(data_dir: &std::path::Path, o: Options) -> anyhow::Result<()> {
    let creds = Credentials::read(data_dir)?
        .with_context(|| format!("no demo in {}: start `madoguchi demo` first", data_dir.display()))?;
    let to = madoguchi_core::voice::caller::Caller::parse(&o.to);
    let Some(number) = to.number().and_then(|e| creds.phone_numbers.iter().find(|n| n.number == e)).cloned() else {
        let known: Vec<&str> = creds.phone_numbers.iter().map(|n| n.number.as_str()).collect();
        bail!("{} is not a demo number; the demo's are {}", o.to, known.join(", "));
    };
    let api = creds
        .phone_simulator
        .clone()
        .context("this demo predates simulate-call (or has its own Twilio API set): restart `madoguchi demo`")?;
    let addr = api.strip_prefix("http://").unwrap_or(&api).trim_end_matches('/').to_owned();
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot take the provider's address {addr}: is another simulate-call running?"))?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let rest = Rest {
        account: number.account_sid.clone(),
        auth: number.auth_token.clone(),
        tx: tx.clone(),
        placed: Default::default(),
    };
    let router = axum::Router::new()
        .route("/2010-04-01/Accounts/{account}/{*tail}", axum::routing::post(calls))
        .with_state(rest);
    tokio::spawn(async move { axum::serve(listener, router).await });
    let ctrl_c = tx.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = ctrl_c.send(Happening::CallerHangsUp);
        }
    });

    let merchant =
        creds.merchants.iter().find(|m| m.slug == number.merchant).map_or(number.merchant.as_str(), |m| &m.name);
    let from = madoguchi_core::voice::caller::Caller::parse(&o.from);
    let caller = Leg {
        sid: format!("CA{:032x}", rand::random::<u128>()),
        from: from.number().unwrap_or(&o.from).to_owned(),
        to: number.number.clone(),
        direction: "inbound",
    };
    println!("☎ {} → {merchant}（{}）", from.shown_ja(), to.shown_ja());
    let p = Provider { http: reqwest::Client::new(), number: number.clone() };
    let mut digits = o.digits.into_iter();
    let mut verbs: std::collections::VecDeque<Verb> =
        p.post(&number.voice_url, &caller, &[("CallStatus", "ringing")]).await?.into();
    let mut place = Place::Flow;
    let mut agent_legs: HashMap<String, (Leg, HashMap<String, String>)> = HashMap::new();
    let mut connected_once = false;
    let started = std::time::Instant::now();

    loop {
        // Through the verbs, one at a time, minding what the desk does meanwhile (a hold
        // announcement repeats until the desk takes the caller back).
        let next = if matches!(place, Place::Flow) { rx.try_recv().ok() } else { rx.recv().await };
        let Some(h) = next else {
            let Some(v) = verbs.pop_front() else {
                // TwiML that runs out ends the call, as at Twilio.
                println!("  （案内が終わり、通話が切れました）");
                return hang_up(&p, &caller, started).await;
            };
            say(&v);
            match v {
                Verb::Pause { seconds } => tokio::time::sleep(Duration::from_secs(u64::from(seconds.min(3)))).await,
                Verb::Gather { action, prompts, .. } => {
                    prompts.iter().for_each(say);
                    if let Some(keys) = digits.next() {
                        println!("  ⌨ {keys}");
                        verbs =
                            p.post(&action, &caller, &[("CallStatus", "in-progress"), ("Digits", &keys)]).await?.into();
                    }
                }
                Verb::Enqueue { wait_url, action, .. } => {
                    println!("  … 担当者につながるまでお待ちください（待ち呼）");
                    for w in
                        p.post(&wait_url, &caller, &[("CallStatus", "in-progress"), ("QueuePosition", "1")]).await?
                    {
                        say(&w);
                    }
                    place = Place::Queued { action };
                }
                Verb::Record { action, .. } => {
                    println!("  ● 発信音のあとにメッセージ（5秒の録音として送ります）");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    let rec = format!("RE{:032x}", rand::random::<u128>());
                    let url =
                        format!("https://api.twilio.com/2010-04-01/Accounts/{}/Recordings/{rec}", number.account_sid);
                    let extra = [
                        ("CallStatus", "in-progress"),
                        ("RecordingSid", rec.as_str()),
                        ("RecordingUrl", url.as_str()),
                        ("RecordingDuration", "5"),
                        ("Digits", "hangup"),
                    ];
                    verbs = p.post(&action, &caller, &extra).await?.into();
                }
                Verb::DialNumber { number: outside, action, .. } => {
                    println!("  → {outside} へ転送（シミュレーションでは相手が出たものとします）");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    let extra =
                        [("CallStatus", "in-progress"), ("DialCallStatus", "completed"), ("DialCallDuration", "30")];
                    verbs = p.post(&action, &caller, &extra).await?.into();
                }
                Verb::Redirect { url } => verbs = p.post(&url, &caller, &[("CallStatus", "in-progress")]).await?.into(),
                Verb::Conference { action, .. } => {
                    println!("  ☎ 担当者とつながりました");
                    place = Place::Room { action };
                    if !connected_once {
                        connected_once = true;
                        let t = tx.clone();
                        let talk = o.talk;
                        tokio::spawn(async move {
                            tokio::time::sleep(Duration::from_secs(talk)).await;
                            let _ = t.send(Happening::CallerHangsUp);
                        });
                    }
                }
                Verb::Hangup => {
                    println!("  （通話が切れました）");
                    return hang_up(&p, &caller, started).await;
                }
                Verb::Leave | Verb::Say { .. } | Verb::Play { .. } => {}
            }
            continue;
        };
        match h {
            Happening::Placed { sid, form } => {
                let leg = Leg {
                    sid: sid.clone(),
                    from: form.get("From").cloned().unwrap_or_default(),
                    to: form.get("To").cloned().unwrap_or_default(),
                    direction: "outbound-api",
                };
                println!("  🔔 担当者の電話を呼び出しています（{}）", leg.to);
                let t = tx.clone();
                let (wait, then) = if o.no_answer {
                    let ring: u64 = form.get("Timeout").and_then(|s| s.parse().ok()).unwrap_or(25);
                    (ring, Happening::RangOut { sid: sid.clone() })
                } else {
                    (o.answer_after, Happening::Answered { sid: sid.clone() })
                };
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(wait)).await;
                    let _ = t.send(then);
                });
                agent_legs.insert(sid, (leg, form));
            }
            Happening::Answered { sid } => {
                let Some((leg, form)) = agent_legs.get(&sid) else { continue };
                println!("  📞 担当者が卓上の電話で応答しました");
                let url = form.get("Url").cloned().unwrap_or_default();
                for v in p.post(&url, leg, &[("CallStatus", "in-progress")]).await? {
                    say(&v);
                }
            }
            Happening::RangOut { sid } => {
                let Some((leg, form)) = agent_legs.remove(&sid) else { continue };
                println!("  … 担当者は出ませんでした");
                let url = form.get("StatusCallback").cloned().unwrap_or_default();
                p.post(&url, &leg, &[("CallStatus", "no-answer")]).await?;
            }
            Happening::Changed { sid, form } if sid == caller.sid => {
                if form.get("Status").is_some_and(|s| s == "completed" || s == "canceled") {
                    println!("  （窓口が通話を終了しました）");
                    return hang_up(&p, &caller, started).await;
                }
                let Some(url) = form.get("Url") else { continue };
                verbs = p.post(url, &caller, &[("CallStatus", "in-progress")]).await?.into();
                if let Place::Queued { action } = std::mem::replace(&mut place, Place::Flow) {
                    // Out of the queue for the room: the queue's action is told.
                    p.post(&action, &caller, &[("CallStatus", "in-progress"), ("QueueResult", "redirected")]).await?;
                }
            }
            Happening::Changed { sid, form } => {
                let Some((leg, leg_form)) = agent_legs.remove(&sid) else { continue };
                let ringing = form.get("Status").is_some_and(|s| s == "canceled");
                println!(
                    "  {}",
                    if ringing {
                        "（呼び出しが止まりました）"
                    } else {
                        "（担当者が電話を切りました）"
                    }
                );
                let status = leg_form.get("StatusCallback").cloned().unwrap_or_default();
                let end = if ringing { "canceled" } else { "completed" };
                p.post(&status, &leg, &[("CallStatus", end)]).await?;
                if let (false, Place::Room { action: Some(action) }) = (ringing, &place) {
                    // The agent left the room, which ends it: the caller's Dial goes on.
                    let action = action.clone();
                    place = Place::Flow;
                    verbs = p
                        .post(&action, &caller, &[("CallStatus", "in-progress"), ("DialCallStatus", "completed")])
                        .await?
                        .into();
                }
            }
            Happening::CallerHangsUp => {
                println!("  （お客様が電話を切りました）");
                hang_up(&p, &caller, started).await?;
                // The desk ends the agent's phone too; give it a moment to say so.
                let until = tokio::time::Instant::now() + Duration::from_secs(3);
                while let Ok(Some(h)) = tokio::time::timeout_at(until, rx.recv()).await {
                    if let Happening::Changed { sid, .. } = h
                        && let Some((leg, form)) = agent_legs.remove(&sid)
                    {
                        let status = form.get("StatusCallback").cloned().unwrap_or_default();
                        p.post(&status, &leg, &[("CallStatus", "completed")]).await?;
                    }
                }
                return Ok(());
            }
        }
    }
}

/// The caller's side is over: the status callback says so.
async fn hang_up(p: &Provider, caller: &Leg, started: std::time::Instant) -> anyhow::Result<()> {
    let secs = started.elapsed().as_secs().to_string();
    p.post(&p.status_url(), caller, &[("CallStatus", "completed"), ("CallDuration", &secs)]).await?;
    println!("☎ 終了（{secs}秒）");
    Ok(())
}
