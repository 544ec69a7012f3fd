//! Merchant playbooks — talk scripts, canned responses, disposition codes — and wrap-ups.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use madoguchi_core::access::Principal;
use madoguchi_core::enums::Role;
use madoguchi_core::ids::{CannedResponseId, ConversationId};
use madoguchi_core::playbook::{
    CannedResponse, CannedResponseInput, DispositionCode, DispositionCodeInput, Script, ScriptInput, WrapUp,
    WrapUpInput,
};

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Json, created, id};

/// The merchant's admin and the centre's admins keep the playbook.
fn may_edit(p: &Principal) -> ApiResult<()> {
    if matches!(p.role, Role::Admin | Role::MerchantAdmin) {
        Ok(())
    } else {
        Err(ApiError::forbidden("only the merchant's admin or an admin edits the playbook"))
    }
}

#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/scripts", tag = "playbook", params(("merchant" = String, Path, description = "id or slug")),
    responses((status = 200, body = Vec<Script>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_scripts(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
) -> ApiResult<Json<Vec<Script>>> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    Ok(Json(st.store.list_scripts(&scope, m).await?))
}

/// Creates or replaces the talk script (話法) of one category.
#[utoipa::path(put, path = "/api/v1/merchants/{merchant}/scripts", tag = "playbook", params(("merchant" = String, Path, description = "id or slug")),
    request_body = ScriptInput,
    responses((status = 200, body = Script), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn put_script(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiJson(req): ApiJson<ScriptInput>,
) -> ApiResult<Json<Script>> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    may_edit(&p)?;
    let (category, body) = req.validate()?;
    Ok(Json(st.store.put_script(&scope, p.user_id, m, &category, &body).await?))
}

#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/canned-responses", tag = "playbook", params(("merchant" = String, Path, description = "id or slug")),
    responses((status = 200, body = Vec<CannedResponse>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_canned(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
) -> ApiResult<Json<Vec<CannedResponse>>> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    Ok(Json(st.store.list_canned_responses(&scope, m).await?))
}

#[utoipa::path(post, path = "/api/v1/merchants/{merchant}/canned-responses", tag = "playbook", params(("merchant" = String, Path, description = "id or slug")),
    request_body = CannedResponseInput,
    responses((status = 201, body = CannedResponse), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_canned(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiJson(req): ApiJson<CannedResponseInput>,
) -> ApiResult<(StatusCode, Json<CannedResponse>)> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    may_edit(&p)?;
    let (title, body) = req.validate()?;
    Ok(created(st.store.create_canned_response(&scope, p.user_id, m, &title, &body).await?))
}

#[utoipa::path(delete, path = "/api/v1/canned-responses/{canned}", tag = "playbook", params(("canned" = String, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete_canned(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(canned): Path<String>,
) -> ApiResult<StatusCode> {
    let scope = p.scope();
    let cid: CannedResponseId = id(&canned)?;
    st.store.canned_response_merchant(&scope, cid).await?;
    may_edit(&p)?;
    st.store.delete_canned_response(&scope, p.user_id, cid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/disposition-codes", tag = "playbook", params(("merchant" = String, Path, description = "id or slug")),
    responses((status = 200, body = Vec<DispositionCode>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_dispositions(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
) -> ApiResult<Json<Vec<DispositionCode>>> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    Ok(Json(st.store.list_disposition_codes(&scope, m).await?))
}

#[utoipa::path(post, path = "/api/v1/merchants/{merchant}/disposition-codes", tag = "playbook", params(("merchant" = String, Path, description = "id or slug")),
    request_body = DispositionCodeInput,
    responses((status = 201, body = DispositionCode), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn create_disposition(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiJson(req): ApiJson<DispositionCodeInput>,
) -> ApiResult<(StatusCode, Json<DispositionCode>)> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    may_edit(&p)?;
    let (code, label) = req.validate()?;
    Ok(created(st.store.create_disposition_code(&scope, p.user_id, m, &code, &label).await?))
}

#[utoipa::path(get, path = "/api/v1/conversations/{conversation}/wrap-ups", tag = "playbook", params(("conversation" = String, Path)),
    responses((status = 200, body = Vec<WrapUp>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_wrap_ups(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(conversation): Path<String>,
) -> ApiResult<Json<Vec<WrapUp>>> {
    Ok(Json(st.store.list_wrap_ups(&p.scope(), id(&conversation)?).await?))
}

/// Records the wrap-up (後処理) of a contact: a disposition code, a note and the after-contact
/// work time. A call or chat cannot be closed without one.
#[utoipa::path(post, path = "/api/v1/conversations/{conversation}/wrap-ups", tag = "playbook", params(("conversation" = String, Path)),
    request_body = WrapUpInput,
    responses((status = 201, body = WrapUp), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_wrap_up(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(conversation): Path<String>,
    ApiJson(req): ApiJson<WrapUpInput>,
) -> ApiResult<(StatusCode, Json<WrapUp>)> {
    let scope = p.scope();
    let cid: ConversationId = id(&conversation)?;
    st.store.get_conversation(&scope, cid).await?;
    let (code, note) = req.validate()?;
    Ok(created(madoguchi_app::usecases::presence::wrap_up(&st.store, &p, cid, &code, note.as_deref()).await?))
}
