//! Calls on a centre's own PBX, told by its CTI events: `POST /api/v1/cti/{token}` with the
//! events Zammad's generic CTI takes (`newCall`, `answer`, `hangup`; JSON or a form with
//! `user[]`), so a PBX script written for Zammad can point here. The token is a number's
//! (provider `pbx`), and every request is signed like the order webhook: HMAC-SHA256 of
//! `"{timestamp}.{body}"` under the number's secret, checked before anything is read.
//!
//! The PBX carries the audio and routes the call itself; Madoguchi keeps the call on the
//! customer's conversation with its events and contact record, pops the screen for the agent
//! whose extension rings — that agent only — and starts after-call work at the hang-up.

use madoguchi_channels::shop_webhook;
use madoguchi_core::access::Scope;
use madoguchi_core::enums::ConversationStatus;
use madoguchi_core::ids::UserId;
use madoguchi_core::time::now;
use madoguchi_core::voice::call::{CallDirection, CallEventKind, CallState};
use madoguchi_core::voice::caller::Caller;
use madoguchi_store::conversations::ConversationChange;
use madoguchi_store::voice::calls::{Call, NewCall, NewCallEvent};
use madoguchi_store::voice::numbers::PhoneNumber;
use serde::Deserialize;

use super::agents;
use crate::App;
use crate::usecases::error::{UseCaseError, UseCaseResult};

/// The provider name of numbers on a PBX, and of the calls it reports.
pub const PROVIDER: &str = "pbx";

/// A CTI request as it arrived.
pub struct Request<'a> {
    pub token: &'a str,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    /// `application/json`, else a form.
    pub json: bool,
    pub body: &'a [u8],
}

pub enum Answer {
    /// Taken (or already known): Zammad's answer, an empty object.
    Taken,
    NotFound,
    /// Unsigned, wrongly signed or too old: nothing was read or stored.
    Refused(shop_webhook::Rejection),
}

/// The fields of Zammad's events; `user` is the names (or extensions) of the people involved.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    event: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    call_id: String,
    #[serde(default)]
    user: Vec<String>,
    #[serde(default)]
    answering_number: Option<String>,
    #[serde(default)]
    cause: Option<String>,
    #[serde(default)]
    queue: Option<String>,
}

fn malformed(code: &'static str, message: impl Into<String>) -> UseCaseError {
    UseCaseError::Malformed { code, message: message.into() }
}

fn parse(json: bool, body: &[u8]) -> UseCaseResult<Event> {
    if json {
        // `user` may be one name or a list.
        let mut v: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| malformed("invalid_json", format!("the body is not JSON: {e}")))?;
        if let Some(u) = v.get_mut("user").filter(|u| u.is_string()) {
            *u = serde_json::Value::Array(vec![u.take()]);
        }
        return serde_json::from_value(v).map_err(|e| malformed("invalid_event", e.to_string()));
    }
    let mut e = Event::default();
    for (k, v) in form_urlencoded::parse(body) {
        let v = v.into_owned();
        match k.as_ref() {
            "event" => e.event = v,
            "from" => e.from = v,
            "to" => e.to = v,
            "direction" => e.direction = v,
            "callId" => e.call_id = v,
            "user[]" | "user" => e.user.push(v),
            "answeringNumber" => e.answering_number = Some(v),
            "cause" => e.cause = Some(v),
            "queue" => e.queue = Some(v),
            _ => {}
        }
    }
    Ok(e)
}

pub async fn event(app: &App, r: Request<'_>) -> UseCaseResult<Answer> {
    let number = match app.store.phone_number_by_token(r.token).await? {
        Some(n) if n.provider == PROVIDER => n,
        _ => return Ok(Answer::NotFound),
    };
    let secret = number.auth_token.as_deref().unwrap_or_default();
    let at = now().timestamp();
    if let Err(rejection) = shop_webhook::verify(secret, at, r.timestamp, r.signature, r.body) {
        metrics::counter!("madoguchi_webhook_rejected_total", "channel" => "cti").increment(1);
        return Ok(Answer::Refused(rejection));
    }
    let e = parse(r.json, r.body)?;
    let call_id = e.call_id.trim();
    if call_id.is_empty() || call_id.len() > 250 {
        return Err(malformed("invalid_call_id", "callId is required (at most 250 characters)"));
    }
    let direction = match e.direction.as_str() {
        "in" | "" => CallDirection::Inbound,
        "out" => CallDirection::Outbound,
        other => return Err(malformed("invalid_direction", format!("direction is in or out, not {other:?}"))),
    };
    match e.event.as_str() {
        "newCall" | "answer" | "hangup" => {}
        other => {
            return Err(malformed("unknown_event", format!("the event is newCall, answer or hangup, not {other:?}")));
        }
    }
    // An answer or hang-up whose newCall was lost still makes the call: nothing is dropped.
    let call = start(app, &number, &e, call_id, direction).await?;
    match e.event.as_str() {
        "newCall" => ringing(app, &call, &e).await?,
        "answer" => answered(app, &call, &e).await?,
        _ => hung_up(app, &call, &e).await?,
    }
    Ok(Answer::Taken)
}

/// The call, stored once under the PBX's call id on the customer's conversation: the caller
/// of an incoming call, the one called on an outgoing one.
async fn start(app: &App, number: &PhoneNumber, e: &Event, call_id: &str, dir: CallDirection) -> UseCaseResult<Call> {
    let customer_side = if dir == CallDirection::Inbound { &e.from } else { &e.to };
    let new = NewCall {
        merchant: number.merchant_id,
        phone_number: Some(number.id),
        provider: PROVIDER.into(),
        provider_call_id: call_id.to_owned(),
        direction: dir,
        caller: Caller::parse(customer_side),
        to_e164: number.e164.clone(),
        flow_name: None,
        flow_version: None,
        at: now(),
    };
    let (call, _) = app.store.start_call(&new).await?;
    Ok(call)
}

fn once(kind: CallEventKind, agent: Option<UserId>, data: serde_json::Value, key: &str) -> NewCallEvent {
    NewCallEvent { kind, at: now(), agent, data, dedupe_key: Some(key.to_owned()) }
}

/// The first of `names` that is an agent of the shop (by extension, login or e-mail).
async fn agent_among(app: &App, call: &Call, names: &[&str]) -> UseCaseResult<Option<UserId>> {
    for n in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if let Some(agent) = app.store.agent_by_extension(call.merchant_id, n).await? {
            return Ok(Some(agent));
        }
    }
    Ok(None)
}

/// `newCall`: it waits in the PBX's queue (when it says which) and rings at the agent whose
/// extension it names, whose screen pops.
async fn ringing(app: &App, call: &Call, e: &Event) -> UseCaseResult<()> {
    if let Some(q) = e.queue.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        app.store.set_call_flow(call.id, None, &call.vars, Some(q)).await?;
        app.store
            .record_call_event(call.id, &once(CallEventKind::Queued, None, serde_json::json!({ "queue": q }), "queued"))
            .await?;
    }
    // An outgoing call is the agent's own dialling: nothing rings at the desk.
    if call.direction == CallDirection::Outbound {
        return Ok(());
    }
    let names: Vec<&str> = e.user.iter().map(String::as_str).collect();
    if let Some(agent) = agent_among(app, call, &names).await? {
        let key = format!("ring:{agent}");
        app.store
            .record_call_event(call.id, &once(CallEventKind::AgentOffered, Some(agent), serde_json::json!({}), &key))
            .await?;
    } else if !names.is_empty() {
        tracing::info!(call = %call.id, users = ?names, "a PBX call rings at nobody the desk knows");
    }
    Ok(())
}

/// `answer`: the call is the answering agent's, and so is its conversation.
async fn answered(app: &App, call: &Call, e: &Event) -> UseCaseResult<()> {
    let mut names: Vec<&str> = e.answering_number.iter().map(String::as_str).collect();
    names.extend(e.user.iter().map(String::as_str));
    let agent = agent_among(app, call, &names).await?.or(call.offered_to);
    let data = serde_json::json!({ "answering_number": e.answering_number });
    if !app.store.record_call_event(call.id, &once(CallEventKind::Answered, agent, data, "answer")).await? {
        return Ok(());
    }
    let Some(agent) = agent else { return Ok(()) };
    let conv = app.store.get_conversation(&Scope::All, call.conversation_id).await?;
    let change = ConversationChange {
        assignee_id: (conv.assignee_id != Some(agent)).then_some(Some(agent)),
        status: (conv.status == ConversationStatus::New).then_some(ConversationStatus::Open),
        ..Default::default()
    };
    if change.assignee_id.is_some() || change.status.is_some() {
        app.store.update_conversation(&Scope::All, None, conv.id, &change).await?;
    }
    app.store.accept_offer(agent, conv.id).await?;
    Ok(())
}

/// `hangup`: over, or given up before anyone answered (Zammad's causes: `normalClearing`,
/// `cancel`, `noAnswer`, `busy`, `congestion`, `notFound`, `forwarded`).
async fn hung_up(app: &App, call: &Call, e: &Event) -> UseCaseResult<()> {
    let cause = e.cause.clone().unwrap_or_default();
    let answered = call.record.answered_at.is_some();
    let kind = if answered || cause == "forwarded" { CallEventKind::Ended } else { CallEventKind::Abandoned };
    // The PBX does not say who hung up an answered call.
    let by = (!answered).then_some("customer");
    let data = serde_json::json!({ "cause": cause, "by": by });
    if !app.store.record_call_event(call.id, &once(kind, None, data, "hangup")).await? {
        return Ok(());
    }
    if answered {
        let call = app.store.get_call(&Scope::All, call.id).await?;
        agents::after_call(&app.store, &call).await?;
    } else if call.state == CallState::Ringing {
        tracing::info!(call = %call.id, cause, "a PBX call ended while it rang");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zammad_events_read_as_form_or_json() {
        let form = b"event=newCall&from=09012345678&to=0501234567&direction=in&callId=abc&user%5B%5D=201&user%5B%5D=Sato&queue=%E9%85%8D%E9%80%81";
        let e = parse(false, form).unwrap_or_default();
        assert_eq!(
            (e.event.as_str(), e.call_id.as_str(), e.user.clone()),
            ("newCall", "abc", vec!["201".into(), "Sato".into()])
        );
        assert_eq!(e.queue.as_deref(), Some("配送"));
        let json = br#"{"event":"answer","from":"0312345678","to":"0501234567","direction":"in","callId":"abc","user":"Sato","answeringNumber":"201"}"#;
        let e = parse(true, json).unwrap_or_default();
        assert_eq!((e.user.clone(), e.answering_number.as_deref()), (vec!["Sato".to_owned()], Some("201")));
        assert!(parse(true, b"{not json").is_err());
        assert!(parse(true, br#"{"callId":"a"}"#).is_err(), "the event is required");
    }
}
