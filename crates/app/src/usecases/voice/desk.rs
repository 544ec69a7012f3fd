//! The agent's side of a call in the console: what their phone shows (the call ringing or
//! connected, with the shop to answer for and who calls — the screen pop), the access token
//! their browser phone registers with, and holding the caller.

use madoguchi_core::access::Principal;
use madoguchi_core::enums::SubjectType;
use madoguchi_core::ids::{CallId, ConversationId, CustomerId, MerchantId};
use madoguchi_core::voice::call::{CallEventKind, CallState};
use madoguchi_core::voice::control::{CallCommand, client_identity};
use madoguchi_store::StoreError;
use madoguchi_store::voice::calls::NewCallEvent;
use serde::Serialize;

use super::merchant_of;
use crate::App;
use crate::usecases::audit::audit_read;
use crate::usecases::error::{UseCaseError, UseCaseResult};

/// How long a browser phone's access token lasts; the console asks for a new one before.
pub const TOKEN_SECONDS: i64 = 3600;

/// The call on the agent's phone now, as the softphone and the screen pop show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PhoneCall {
    #[schema(value_type = String)]
    pub id: CallId,
    /// `ringing` or `connected`.
    pub state: String,
    pub on_hold: bool,
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    #[schema(value_type = String)]
    pub merchant_id: MerchantId,
    /// The shop the call is for, and what to say when answering for it (名のり).
    pub merchant_name: String,
    pub greeting: String,
    /// The caller as the screen shows them: the customer's name, else the number, else why
    /// there is none (非通知).
    pub caller: String,
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<CustomerId>,
    /// Since when it rings, or since when the agent talks.
    pub since: chrono::DateTime<chrono::Utc>,
    /// What the caller chose and typed in the shop's menu (the queue, an order number).
    pub queue: Option<String>,
    pub typed: std::collections::BTreeMap<String, String>,
    /// The shop's queues, which the call can be transferred to.
    pub queues: Vec<String>,
}

/// The agent's phone: the identity calls ring at, and the call on it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Phone {
    pub identity: String,
    /// Whether the desk gives browser phones access tokens (an API key is set).
    pub browser_phone: bool,
    pub call: Option<PhoneCall>,
}

/// An access token for the agent's browser phone.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PhoneToken {
    pub identity: String,
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

fn desk_only(p: &Principal) -> UseCaseResult<()> {
    if p.role.is_merchant_role() {
        return Err(UseCaseError::Forbidden("the phone is the desk's".into()));
    }
    Ok(())
}

/// What the agent's phone shows now. A call shown for the first time at ringing is the screen
/// pop: the read of the caller's name is audited.
pub async fn phone(app: &App, p: &Principal) -> UseCaseResult<Phone> {
    desk_only(p)?;
    let identity = client_identity(p.user_id);
    let browser_phone = app.settings.twilio_api_key().is_some();
    let Some(call) = app.store.agent_live_call(p.user_id).await? else {
        return Ok(Phone { identity, browser_phone, call: None });
    };
    let merchant = merchant_of(&app.store, &call).await?;
    let conv = app.store.get_conversation(&p.scope(), call.conversation_id).await?;
    let customer = match conv.customer_id {
        Some(c) => Some(app.store.get_customer(&p.scope(), c).await?),
        None => None,
    };
    let events = app.store.call_events(&p.scope(), call.id).await?;
    let on_hold = events
        .iter()
        .rev()
        .find(|e| matches!(e.kind, CallEventKind::Hold | CallEventKind::Unhold))
        .is_some_and(|e| e.kind == CallEventKind::Hold);
    let since = match call.state {
        CallState::Connected => call.record.answered_at,
        _ => events.iter().rev().find(|e| e.kind == CallEventKind::AgentOffered).map(|e| e.at),
    }
    .unwrap_or(call.updated_at);
    let named = customer.as_ref().and_then(|c| c.name.as_deref()).map(str::trim).filter(|n| !n.is_empty());
    let caller = named.map_or_else(|| call.caller.shown_ja(), |n| format!("{n} 様"));
    if let Some(c) = &customer {
        audit_read(app, p, SubjectType::Customer, &[(c.merchant_id, c.id.to_string())]).await?;
    }
    Ok(Phone {
        identity,
        browser_phone,
        call: Some(PhoneCall {
            id: call.id,
            state: call.state.as_str().to_owned(),
            on_hold,
            conversation_id: call.conversation_id,
            merchant_id: merchant.id,
            merchant_name: merchant.name.clone(),
            greeting: merchant.greeting.clone(),
            caller,
            customer_id: conv.customer_id,
            since,
            queue: call.skill.clone(),
            typed: call.vars.clone().into_iter().collect(),
            queues: app.store.list_queues(&p.scope(), merchant.id).await?.into_iter().map(|q| q.name).collect(),
        }),
    })
}

/// A token for the agent's browser phone; `not_configured` when the desk has no API key.
pub async fn phone_token(app: &App, p: &Principal) -> UseCaseResult<PhoneToken> {
    desk_only(p)?;
    let Some(key) = app.settings.twilio_api_key() else {
        return Err(StoreError::conflict("not_configured", "no Twilio API key is set for browser phones").into());
    };
    let identity = client_identity(p.user_id);
    let now = chrono::Utc::now();
    let token = madoguchi_channels::voice::twilio_token::access_token(&key, &identity, now.timestamp(), TOKEN_SECONDS)
        .map_err(|e| UseCaseError::Internal(anyhow::anyhow!("access token: {e}")))?;
    Ok(PhoneToken { identity, token, expires_at: now + chrono::Duration::seconds(TOKEN_SECONDS) })
}

/// Puts the caller on hold or takes them back; only the agent on the call may.
pub async fn hold(app: &App, p: &Principal, call: CallId, on: bool) -> UseCaseResult<()> {
    // Another shop's call is not found, whoever asks; then only the desk holds calls.
    let call = app.store.get_call(&p.scope(), call).await?;
    desk_only(p)?;
    if call.state != CallState::Connected || call.agent_id != Some(p.user_id) {
        return Err(StoreError::conflict("not_your_call", "hold is for the agent on the call").into());
    }
    let kind = if on { CallEventKind::Hold } else { CallEventKind::Unhold };
    let e = NewCallEvent {
        kind,
        at: madoguchi_core::time::now(),
        agent: Some(p.user_id),
        data: serde_json::json!({}),
        dedupe_key: None,
    };
    app.store.record_call_event(call.id, &e).await?;
    app.store.enqueue_call_command(call.merchant_id, call.id, &CallCommand::HoldCaller { hold: on }).await?;
    Ok(())
}
