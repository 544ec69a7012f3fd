//! Escalations to the merchant (エスカレーション): the desk asks, the merchant answers.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use madoguchi_core::enums::{EscalationStatus, Role};
use madoguchi_core::escalation::{Escalation, EscalationAnswer, NewEscalation};
use madoguchi_core::ids::{ConversationId, EscalationId};
use madoguchi_core::page::{Page, PageRequest};
use madoguchi_core::time::now;
use madoguchi_store::escalations::EscalationFilter;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, Json, created, id};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EscalationQuery {
    /// Merchant id or slug.
    pub merchant: Option<String>,
    pub status: Option<EscalationStatus>,
    pub conversation: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// Hands a question to the merchant with a due time; the conversation becomes `escalated`.
#[utoipa::path(post, path = "/api/v1/conversations/{conversation}/escalations", tag = "escalations",
    params(("conversation" = String, Path)), request_body = NewEscalation,
    responses((status = 201, body = Escalation), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_escalation(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(conversation): Path<String>,
    ApiJson(req): ApiJson<NewEscalation>,
) -> ApiResult<(StatusCode, Json<Escalation>)> {
    let scope = p.scope();
    let cid: ConversationId = id(&conversation)?;
    st.store.get_conversation(&scope, cid).await?;
    if p.role.is_merchant_role() {
        return Err(ApiError::forbidden("the desk escalates to the merchant, not the other way round"));
    }
    let question = req.validate(now())?;
    Ok(created(st.store.create_escalation(&scope, p.user_id, cid, &question, req.due_at).await?))
}

#[utoipa::path(get, path = "/api/v1/escalations", tag = "escalations", params(EscalationQuery),
    responses((status = 200, body = Page<Escalation>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_escalations(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<EscalationQuery>,
) -> ApiResult<Json<Page<Escalation>>> {
    let scope = p.scope();
    let merchant = match &q.merchant {
        Some(m) => Some(st.store.resolve_merchant(&scope, m).await?),
        None => None,
    };
    let conversation = match &q.conversation {
        Some(c) => Some(st.store.get_conversation(&scope, id(c)?).await?.id),
        None => None,
    };
    let f = EscalationFilter { merchant, status: q.status, conversation };
    Ok(Json(st.store.list_escalations(&scope, &f, PageRequest::parse(q.cursor.as_deref(), q.limit)?).await?))
}

#[utoipa::path(get, path = "/api/v1/escalations/{escalation}", tag = "escalations", params(("escalation" = String, Path)),
    responses((status = 200, body = Escalation), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_escalation(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(escalation): Path<String>,
) -> ApiResult<Json<Escalation>> {
    Ok(Json(st.store.get_escalation(&p.scope(), id(&escalation)?).await?))
}

/// The merchant's answer; it appears in the conversation's timeline and the conversation goes
/// back to the desk as `open`.
#[utoipa::path(post, path = "/api/v1/escalations/{escalation}/answer", tag = "escalations", params(("escalation" = String, Path)),
    request_body = EscalationAnswer,
    responses((status = 200, body = Escalation), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn answer_escalation(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(escalation): Path<String>,
    ApiJson(req): ApiJson<EscalationAnswer>,
) -> ApiResult<Json<Escalation>> {
    let scope = p.scope();
    let eid: EscalationId = id(&escalation)?;
    st.store.get_escalation(&scope, eid).await?;
    if !matches!(p.role, Role::MerchantAdmin | Role::MerchantStaff | Role::Admin) {
        return Err(ApiError::forbidden("the merchant answers its escalations"));
    }
    let answer = req.validate()?;
    Ok(Json(st.store.answer_escalation(&scope, p.user_id, eid, &answer).await?))
}
