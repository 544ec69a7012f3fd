//! Presence, agent profiles (skills, chat capacity) and queues.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use madoguchi_core::ValidationError;
use madoguchi_core::agent::{AgentProfile, AgentProfilePatch, NewQueue, PresenceChange, Queue};
use madoguchi_core::enums::Role;
use madoguchi_core::ids::QueueId;

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Json, created, id};
use madoguchi_app::usecases::routing::route_merchants;

/// The caller's presence and routing profile.
#[utoipa::path(get, path = "/api/v1/me/presence", tag = "routing", responses((status = 200, body = AgentProfile)))]
pub async fn my_presence(State(st): State<AppState>, Caller(p): Caller) -> ApiResult<Json<AgentProfile>> {
    Ok(Json(st.store.agent_profile(p.user_id).await?))
}

/// Sets the caller's presence (available, after_contact_work, break, offline). Becoming
/// available offers waiting contacts at once.
#[utoipa::path(put, path = "/api/v1/me/presence", tag = "routing", request_body = PresenceChange,
    responses((status = 200, body = AgentProfile), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_my_presence(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<PresenceChange>,
) -> ApiResult<Json<AgentProfile>> {
    if p.role.is_merchant_role() {
        return Err(ApiError::forbidden("presence is for the desk's agents and supervisors"));
    }
    let before = st.store.agent_profile(p.user_id).await?;
    if before.presence != req.presence && !before.presence.can_switch_to(req.presence) {
        return Err(ValidationError::new(
            "presence",
            "invalid_presence_change",
            format!("cannot change presence from {} to {}", before.presence, req.presence),
        )
        .into());
    }
    let after = st.store.set_presence(p.user_id, req.presence).await?;
    if after.presence.accepts_contacts() {
        route_merchants(&st.store, &p.merchants).await;
    }
    Ok(Json(st.store.agent_profile(p.user_id).await?))
}

#[utoipa::path(get, path = "/api/v1/users/{user}/agent-profile", tag = "routing", params(("user" = String, Path)),
    responses((status = 200, body = AgentProfile), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_agent_profile(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(user): Path<String>,
) -> ApiResult<Json<AgentProfile>> {
    let u = st.store.get_user(&p.scope(), p.user_id, id(&user)?).await?;
    Ok(Json(st.store.agent_profile(u.id).await?))
}

/// Sets an agent's skills and chat capacity (supervisors and admins).
#[utoipa::path(patch, path = "/api/v1/users/{user}/agent-profile", tag = "routing", params(("user" = String, Path)),
    request_body = AgentProfilePatch,
    responses((status = 200, body = AgentProfile), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn update_agent_profile(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(user): Path<String>,
    ApiJson(req): ApiJson<AgentProfilePatch>,
) -> ApiResult<Json<AgentProfile>> {
    Ok(Json(madoguchi_app::usecases::staff::set_agent_profile(&st, &p, id(&user)?, &req).await?))
}

/// Agents of a merchant with presence, skills and capacity (the desk's roles).
#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/agents", tag = "routing", params(("merchant" = String, Path, description = "id or slug")),
    responses((status = 200, body = Vec<AgentProfile>), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn merchant_agents(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
) -> ApiResult<Json<Vec<AgentProfile>>> {
    let m = st.store.resolve_merchant(&p.scope(), &merchant).await?;
    if p.role.is_merchant_role() {
        return Err(ApiError::forbidden("the desk's staffing is not shown to merchant staff"));
    }
    Ok(Json(st.store.merchant_agents(m).await?))
}

#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/queues", tag = "routing", params(("merchant" = String, Path, description = "id or slug")),
    responses((status = 200, body = Vec<Queue>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_queues(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
) -> ApiResult<Json<Vec<Queue>>> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    Ok(Json(st.store.list_queues(&scope, m).await?))
}

fn may_edit_queues(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Supervisor | Role::MerchantAdmin)
}

#[utoipa::path(post, path = "/api/v1/merchants/{merchant}/queues", tag = "routing", params(("merchant" = String, Path, description = "id or slug")),
    request_body = NewQueue,
    responses((status = 201, body = Queue), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn create_queue(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiJson(req): ApiJson<NewQueue>,
) -> ApiResult<(StatusCode, Json<Queue>)> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    if !may_edit_queues(p.role) {
        return Err(ApiError::forbidden("only supervisors, merchant admins and admins edit queues"));
    }
    let name = req.validate()?;
    Ok(created(st.store.create_queue(&scope, p.user_id, m, &name).await?))
}

#[utoipa::path(delete, path = "/api/v1/queues/{queue}", tag = "routing", params(("queue" = String, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete_queue(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(queue): Path<String>,
) -> ApiResult<StatusCode> {
    let scope = p.scope();
    // Scope first: another merchant's queue is "not found" whatever the role.
    let q = st.store.get_queue(&scope, id::<QueueId>(&queue)?).await?.id;
    if !may_edit_queues(p.role) {
        return Err(ApiError::forbidden("only supervisors, merchant admins and admins edit queues"));
    }
    st.store.delete_queue(&scope, p.user_id, q).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Live figures per queue: waiting now, longest wait, today's offered / answered / abandoned
/// and service level against the merchant's first-response target; agents by presence.
#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/board", tag = "routing", params(("merchant" = String, Path, description = "id or slug")),
    responses((status = 200, body = madoguchi_core::board::Board), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn board(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
) -> ApiResult<Json<madoguchi_core::board::Board>> {
    let m = st.store.resolve_merchant(&p.scope(), &merchant).await?;
    Ok(Json(madoguchi_app::usecases::reports::board::today(&st.store, &p, m).await?))
}
