//! A merchant's policies (versioned; the shop's admins edit them, with a preview on a sample
//! order) and the decisions on an order's requests: computed on the server by the policies in
//! force, and recorded with the agent's choice and the version used.

use axum::extract::{Path, State};
use madoguchi_core::decision::{Choice, Decision, Request};
use madoguchi_core::ids::{ConversationId, OrderId};
use madoguchi_core::policy::Policies;
use madoguchi_store::policies::{NewDecision, PolicyVersion, RecordedDecision};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, Json, created, id};
use madoguchi_app::usecases::decisions::{ShopRules, shop_rules};

fn policy_editor(p: &madoguchi_core::access::Principal) -> ApiResult<()> {
    if p.can_edit_merchant() {
        Ok(())
    } else {
        Err(ApiError::forbidden("only admins and the shop's admins edit its policies"))
    }
}

/// The merchant's policies in force (version 0: the defaults, never edited).
#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/policies", tag = "policies",
    params(("merchant" = String, Path, description = "id or slug")),
    responses((status = 200, body = PolicyVersion), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_policies(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
) -> ApiResult<Json<PolicyVersion>> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    Ok(Json(st.store.current_policies(&scope, m).await?))
}

/// Saves the merchant's policies as a new version, in force at once.
#[utoipa::path(put, path = "/api/v1/merchants/{merchant}/policies", tag = "policies",
    params(("merchant" = String, Path, description = "id or slug")), request_body = Policies,
    responses((status = 200, body = PolicyVersion), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_policies(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiJson(req): ApiJson<Policies>,
) -> ApiResult<Json<PolicyVersion>> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    policy_editor(&p)?;
    let policies = req.validate()?;
    Ok(Json(st.store.save_policies(&scope, Some(p.user_id), m, &policies).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// The policies as edited, not yet saved.
    pub policies: Policies,
    /// One of the merchant's orders to try them on.
    pub order_id: OrderId,
    pub request: Request,
}

/// What edited (unsaved) policies would decide on one of the merchant's orders.
#[utoipa::path(post, path = "/api/v1/merchants/{merchant}/policies/preview", tag = "policies",
    params(("merchant" = String, Path, description = "id or slug")), request_body = PreviewRequest,
    responses((status = 200, body = Decision), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn preview(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiJson(req): ApiJson<PreviewRequest>,
) -> ApiResult<Json<Decision>> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    policy_editor(&p)?;
    let policies = req.policies.validate()?;
    let order = st.store.get_order(&scope, req.order_id).await?;
    if order.merchant_id != m {
        return Err(ApiError::not_found());
    }
    let rules = ShopRules { policies, ..shop_rules(&st.store, &scope, m).await? };
    Ok(Json(rules.decide(&order, req.request)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DecisionQuery {
    pub request: Request,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DecisionView {
    pub policy_version: i32,
    pub decision: Decision,
}

/// The decision on a request for this order, by the merchant's policies in force, now.
#[utoipa::path(get, path = "/api/v1/orders/{order}/decision", tag = "policies",
    params(("order" = String, Path), DecisionQuery),
    responses((status = 200, body = DecisionView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_decision(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(order): Path<String>,
    ApiQuery(q): ApiQuery<DecisionQuery>,
) -> ApiResult<Json<DecisionView>> {
    let scope = p.scope();
    let order = st.store.get_order(&scope, id(&order)?).await?;
    let rules = shop_rules(&st.store, &scope, order.merchant_id).await?;
    let decision = rules.decide(&order, q.request);
    Ok(Json(DecisionView { policy_version: rules.version, decision }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordDecision {
    pub request: Request,
    pub choice: Choice,
    /// The conversation the customer asked in.
    #[serde(default)]
    pub conversation_id: Option<ConversationId>,
    /// With `offer_accepted`: which of the decision's offers.
    #[serde(default)]
    pub offer_code: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Records the agent's choice on a request: the decision is computed again here, by the
/// policies in force, and stored with their version.
#[utoipa::path(post, path = "/api/v1/orders/{order}/decisions", tag = "policies",
    params(("order" = String, Path)), request_body = RecordDecision,
    responses((status = 201, body = RecordedDecision), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn record_decision(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(order): Path<String>,
    ApiJson(req): ApiJson<RecordDecision>,
) -> ApiResult<(axum::http::StatusCode, Json<RecordedDecision>)> {
    let scope = p.scope();
    let order = st.store.get_order(&scope, id(&order)?).await?;
    let rules = shop_rules(&st.store, &scope, order.merchant_id).await?;
    let decision = rules.decide(&order, req.request);
    decision.check_choice(req.choice, req.offer_code.as_deref())?;
    let note = req.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(|n| n.chars().take(2000).collect());
    let new = NewDecision {
        order: order.id,
        conversation: req.conversation_id,
        policy_version: rules.version,
        decision: &decision,
        choice: req.choice,
        offer_code: req.offer_code.clone(),
        note,
    };
    Ok(created(st.store.record_decision(&scope, Some(p.user_id), order.merchant_id, &new).await?))
}

/// The decisions recorded on an order, oldest first.
#[utoipa::path(get, path = "/api/v1/orders/{order}/decisions", tag = "policies", params(("order" = String, Path)),
    responses((status = 200, body = Vec<RecordedDecision>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_decisions(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(order): Path<String>,
) -> ApiResult<Json<Vec<RecordedDecision>>> {
    Ok(Json(st.store.order_decisions(&p.scope(), id(&order)?).await?))
}
