//! A shop's phone set-up over the API: its IVR flows (a save checks the whole flow and adds a
//! version) and its numbers, with the URLs to enter at the provider; the provider's secret goes
//! in and never comes out. For admins and the shop's own admin (see docs/voice.md).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use madoguchi_app::usecases::voice::desk::{self, Phone, PhoneToken};
use madoguchi_app::usecases::voice::setup::{self, NumberInput};
use madoguchi_core::voice::flow::VoiceFlow;
use madoguchi_store::voice::numbers::PhoneNumber;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Json};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FlowView {
    pub name: String,
    pub version: i32,
    pub flow: VoiceFlow,
}

/// Stores a new version of the shop's flow, checked whole: a step that leads nowhere, is never
/// reached, can never end the call or loops without asking is refused with the step named.
#[utoipa::path(put, path = "/api/v1/merchants/{merchant}/voice/flows/{name}", tag = "voice",
    params(("merchant" = String, Path, description = "id or slug"), ("name" = String, Path, description = "the flow's name, e.g. main")),
    request_body = VoiceFlow,
    responses((status = 200, body = FlowView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_flow(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((merchant, name)): Path<(String, String)>,
    ApiJson(flow): ApiJson<VoiceFlow>,
) -> ApiResult<Json<FlowView>> {
    let (_, version) = setup::save_flow(&st, &p, &merchant, &name, &flow).await?;
    Ok(Json(FlowView { name, version, flow }))
}

/// The newest version of the shop's flow.
#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/voice/flows/{name}", tag = "voice",
    params(("merchant" = String, Path, description = "id or slug"), ("name" = String, Path)),
    responses((status = 200, body = FlowView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_flow(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((merchant, name)): Path<(String, String)>,
) -> ApiResult<Json<FlowView>> {
    let stored = setup::flow(&st, &p, &merchant, &name).await?.ok_or_else(ApiError::not_found)?;
    Ok(Json(FlowView { name, version: stored.version, flow: stored.flow }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNumber {
    /// As people write it: 050-1234-5678, ０５０（１２３４）５６７８, +81501234567.
    pub number: String,
    pub label: Option<String>,
    /// The flow calls to this number run (`main` when omitted).
    pub flow: Option<String>,
    /// `twilio` (or a provider speaking its format), or `pbx` for the centre's own PBX
    /// reporting its calls over the CTI endpoint.
    pub provider: String,
    pub account_sid: Option<String>,
    /// The provider's Auth Token, which its requests are signed with (for a PBX, the secret it
    /// signs its CTI events with). Never shown again.
    pub auth_token: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NumberView {
    pub id: String,
    /// E.164.
    pub number: String,
    pub label: String,
    pub flow: String,
    pub provider: String,
    /// Enter at the provider as the number's voice URL (HTTP POST); for a PBX, where its CTI
    /// events go.
    pub voice_url: String,
    /// Enter at the provider as the number's status callback URL (none for a PBX).
    pub status_callback_url: String,
    pub auth_token_set: bool,
}

fn view(st: &AppState, n: &PhoneNumber) -> NumberView {
    let base = st.settings.public_base();
    // A PBX posts its CTI events to one URL and has no status callback.
    if n.provider == madoguchi_app::usecases::voice::cti::PROVIDER {
        return NumberView {
            id: n.id.to_string(),
            number: n.e164.clone(),
            label: n.label.clone(),
            flow: n.flow_name.clone(),
            provider: n.provider.clone(),
            voice_url: format!("{base}/api/v1/cti/{}", n.inbound_token),
            status_callback_url: String::new(),
            auth_token_set: n.auth_token.as_deref().is_some_and(|t| !t.is_empty()),
        };
    }
    let voice_url = format!("{base}/api/v1/inbound/voice/twilio/{}", n.inbound_token);
    NumberView {
        id: n.id.to_string(),
        number: n.e164.clone(),
        label: n.label.clone(),
        flow: n.flow_name.clone(),
        provider: n.provider.clone(),
        status_callback_url: format!("{voice_url}?e=status"),
        voice_url,
        auth_token_set: n.auth_token.as_deref().is_some_and(|t| !t.is_empty()),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NumberList {
    pub numbers: Vec<NumberView>,
}

/// Adds a number to the shop. A number another shop has is refused (`number_taken`): the
/// dialled number decides the shop.
#[utoipa::path(post, path = "/api/v1/merchants/{merchant}/phone_numbers", tag = "voice",
    params(("merchant" = String, Path, description = "id or slug")),
    request_body = NewNumber,
    responses((status = 201, body = NumberView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn add_number(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiJson(req): ApiJson<NewNumber>,
) -> ApiResult<(StatusCode, Json<NumberView>)> {
    let input = NumberInput {
        number: req.number,
        label: req.label,
        flow: req.flow.unwrap_or_else(|| "main".into()),
        provider: req.provider,
        account_sid: req.account_sid,
        auth_token: req.auth_token,
    };
    let n = setup::add_number(&st, &p, &merchant, input).await?;
    Ok((StatusCode::CREATED, Json(view(&st, &n))))
}

/// The shop's numbers, with their URLs and without their secrets.
#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/phone_numbers", tag = "voice",
    params(("merchant" = String, Path, description = "id or slug")),
    responses((status = 200, body = NumberList), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_numbers(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
) -> ApiResult<Json<NumberList>> {
    let (_, numbers) = setup::numbers(&st, &p, &merchant).await?;
    Ok(Json(NumberList { numbers: numbers.iter().map(|n| view(&st, n)).collect() }))
}

/// The caller's phone: the identity calls ring at, whether the desk gives browser phones
/// tokens, and the call ringing or connected now with the shop to answer for (the screen pop;
/// the caller's name shown is an audited read).
#[utoipa::path(get, path = "/api/v1/me/phone", tag = "voice",
    responses((status = 200, body = Phone), (status = 403, body = crate::error::ErrorBody)))]
pub async fn my_phone(State(st): State<AppState>, Caller(p): Caller) -> ApiResult<Json<Phone>> {
    Ok(Json(desk::phone(&st, &p).await?))
}

/// An access token for the caller's browser phone (`@twilio/voice-sdk`), an hour long.
#[utoipa::path(post, path = "/api/v1/me/phone/token", tag = "voice",
    responses((status = 200, body = PhoneToken), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn my_phone_token(State(st): State<AppState>, Caller(p): Caller) -> ApiResult<Json<PhoneToken>> {
    Ok(Json(desk::phone_token(&st, &p).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldInput {
    /// `true` puts the caller on hold, `false` takes them back.
    pub hold: bool,
}

/// Where a blind transfer sends the call: one of `queue` and `number`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    /// A queue of the shop (返品・交換): the caller waits there for its next agent.
    pub queue: Option<String>,
    /// An outside number (03-1234-5678): the caller is put through, shown the shop's number.
    pub number: Option<String>,
}

/// Hands the call on (blind): to a queue of the shop or to an outside number. The agent's
/// phone hangs up and their after-call work starts. Only the agent on the call may (`409
/// not_your_call`); a PBX's calls are transferred on the PBX (`409 not_supported`).
#[utoipa::path(post, path = "/api/v1/calls/{call}/transfer", tag = "voice", params(("call" = String, Path)),
    request_body = TransferInput,
    responses((status = 204), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn transfer_call(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(call): Path<String>,
    ApiJson(req): ApiJson<TransferInput>,
) -> ApiResult<StatusCode> {
    use madoguchi_app::usecases::voice::transfer::{self, Target};
    let to = match (req.queue, req.number) {
        (Some(q), None) => Target::Queue(q),
        (None, Some(n)) => Target::Number(n),
        _ => return Err(ApiError::bad_request("invalid_target", "give one of queue and number")),
    };
    transfer::blind(&st, &p, crate::extract::id(&call)?, to).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferInput {
    /// The agent (user id) whose phone should ring.
    pub agent: String,
}

/// Sends a waiting call to an agent (supervisors and admins): offered and rung as routing
/// would. `409 not_waiting` when the call no longer waits, `agent_not_available` when the
/// agent is not 受付可, `agent_busy` when they have a call; `422 unknown_agent` for someone
/// who does not serve the shop.
#[utoipa::path(post, path = "/api/v1/calls/{call}/offer", tag = "voice", params(("call" = String, Path)),
    request_body = OfferInput,
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn offer_call(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(call): Path<String>,
    ApiJson(req): ApiJson<OfferInput>,
) -> ApiResult<StatusCode> {
    let agent = madoguchi_core::ids::UserId(
        req.agent.parse().map_err(|_| ApiError::bad_request("invalid_id", "agent is a user id"))?,
    );
    madoguchi_app::usecases::voice::agents::offer_to(&st.store, &p, crate::extract::id(&call)?, agent).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Puts the caller on hold (they hear that someone is looking into it) or takes them back.
/// Only the agent on the call may (`409 not_your_call`).
#[utoipa::path(post, path = "/api/v1/calls/{call}/hold", tag = "voice", params(("call" = String, Path)),
    request_body = HoldInput,
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn hold_call(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(call): Path<String>,
    ApiJson(req): ApiJson<HoldInput>,
) -> ApiResult<StatusCode> {
    desk::hold(&st, &p, crate::extract::id(&call)?, req.hold).await?;
    Ok(StatusCode::NO_CONTENT)
}
