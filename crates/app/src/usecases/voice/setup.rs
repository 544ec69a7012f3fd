//! A shop's phone set-up: its IVR flows (checked whole, each save a new version) and its
//! numbers (one shop per number, the provider's secret kept and never shown again). For the
//! centre's admins and the shop's own admin, as the other channels are; audited.

use madoguchi_core::access::Principal;
use madoguchi_core::audit::NewAuditEvent;
use madoguchi_core::enums::{AuditAction, SubjectType};
use madoguchi_core::identity::normalize_phone;
use madoguchi_core::ids::MerchantId;
use madoguchi_core::validation::ValidationError;
use madoguchi_core::voice::flow::VoiceFlow;
use madoguchi_store::voice::numbers::{NewPhoneNumber, PhoneNumber, StoredFlow};
use serde_json::json;

use crate::App;
use crate::usecases::channel_settings::shop_for_setup;
use crate::usecases::error::UseCaseResult;

/// The providers a number can be connected through: Twilio's webhooks, or the centre's PBX
/// reporting its calls (CTI).
pub const PROVIDERS: [&str; 2] = [super::twilio::PROVIDER, super::cti::PROVIDER];

/// A flow's name: what a number refers to it by.
pub fn check_flow_name(name: &str) -> Result<(), ValidationError> {
    let ok = (1..=40).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("name", "invalid_key", "a flow's name is 1 to 40 of a-z, 0-9, _ and -"))
    }
}

/// Stores a new version of the shop's flow `name` after checking it whole.
pub async fn save_flow(
    app: &App,
    p: &Principal,
    merchant: &str,
    name: &str,
    flow: &VoiceFlow,
) -> UseCaseResult<(MerchantId, i32)> {
    let (id, _) = shop_for_setup(app, p, merchant).await?;
    check_flow_name(name)?;
    flow.validate()?;
    // A shop's recorded prompts are not uploaded or served yet: a flow using one would play
    // nothing to the caller, so it is refused until they are.
    if let Some(step) = flow.steps.iter().find(|(_, s)| s.uses_recording()).map(|(n, _)| n) {
        return Err(ValidationError::new(
            format!("steps.{step}"),
            "not_supported",
            "recorded prompts cannot be used yet: use a text prompt",
        )
        .into());
    }
    let version = app.store.save_voice_flow(&p.scope(), Some(p.user_id), id, name, flow).await?;
    audit(app, p, id, AuditAction::Update, json!({ "voice_flow": name, "version": version })).await?;
    Ok((id, version))
}

/// The newest version of the shop's flow `name`.
pub async fn flow(app: &App, p: &Principal, merchant: &str, name: &str) -> UseCaseResult<Option<StoredFlow>> {
    let (id, _) = shop_for_setup(app, p, merchant).await?;
    Ok(app.store.voice_flow(&p.scope(), id, name, None).await?)
}

/// A number as typed in the set-up.
pub struct NumberInput {
    pub number: String,
    pub label: Option<String>,
    pub flow: String,
    pub provider: String,
    pub account_sid: Option<String>,
    pub auth_token: String,
}

/// Adds a number to the shop, in E.164 whatever way it was typed (050-1234-5678, +8150…).
pub async fn add_number(app: &App, p: &Principal, merchant: &str, n: NumberInput) -> UseCaseResult<PhoneNumber> {
    let (id, _) = shop_for_setup(app, p, merchant).await?;
    let (e164, _) = normalize_phone(&n.number).map_err(|_| {
        ValidationError::new(
            "number",
            "invalid_phone",
            "the number is not a phone number (050-1234-5678, +81501234567)",
        )
    })?;
    check_flow_name(&n.flow).map_err(|e| ValidationError { field: "flow".into(), ..e })?;
    if !PROVIDERS.contains(&n.provider.as_str()) {
        return Err(ValidationError::new(
            "provider",
            "invalid_choice",
            format!("the provider is one of {PROVIDERS:?}"),
        )
        .into());
    }
    let token = n.auth_token.trim();
    if token.len() < 8 {
        let what =
            if n.provider == super::cti::PROVIDER { "the PBX's shared secret" } else { "the provider's Auth Token" };
        return Err(ValidationError::new(
            "auth_token",
            "required",
            format!("{what} (8 characters or more) is required"),
        )
        .into());
    }
    let new = NewPhoneNumber {
        e164: e164.clone(),
        label: n.label.map(|l| l.trim().chars().take(100).collect()).unwrap_or_default(),
        flow_name: n.flow,
        provider: n.provider,
        inbound_token: crate::new_inbound_token(),
        account_sid: n.account_sid.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
        auth_token: Some(token.to_owned()),
    };
    let added = app.store.add_phone_number(&p.scope(), id, &new).await?;
    audit(app, p, id, AuditAction::Create, json!({ "phone_number": e164 })).await?;
    Ok(added)
}

pub async fn numbers(app: &App, p: &Principal, merchant: &str) -> UseCaseResult<(String, Vec<PhoneNumber>)> {
    let (id, slug) = shop_for_setup(app, p, merchant).await?;
    Ok((slug, app.store.phone_numbers(&p.scope(), id).await?))
}

async fn audit(
    app: &App,
    p: &Principal,
    merchant: MerchantId,
    action: AuditAction,
    details: serde_json::Value,
) -> UseCaseResult<()> {
    app.store
        .record_audit(NewAuditEvent {
            merchant_id: Some(merchant),
            actor_user_id: Some(p.user_id),
            action,
            subject_type: SubjectType::Merchant,
            subject_id: merchant.to_string(),
            details,
        })
        .await?;
    Ok(())
}
