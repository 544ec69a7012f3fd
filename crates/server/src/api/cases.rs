//! Delivery cases (事務処理): opened on an order with the form of their kind, worked through
//! their checklist; the task queue is every open task by due time.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use madoguchi_core::cases::{CaseKind, ChecklistTask, FormField, TaskOwner, validate_checklist, validate_form};
use madoguchi_core::ids::ConversationId;
use madoguchi_store::cases::{Case, CaseTask, TaskFilter};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, Json, created, id};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseKindView {
    pub kind: CaseKind,
    pub label_ja: &'static str,
    pub form: &'static [FormField],
    /// The tasks a new case gets: the built-in list, or with `?merchant=` that shop's own.
    pub checklist: Vec<ChecklistTask>,
    /// Whether `checklist` is the shop's own.
    pub custom: bool,
    /// Closed by the desk alone when its tasks are done (no task is the shop's).
    pub settled_on_desk: bool,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseKindsQuery {
    /// A merchant (id or slug) whose own checklists to show.
    pub merchant: Option<String>,
}

/// The kinds of case, each with its form and checklist.
#[utoipa::path(get, path = "/api/v1/case-kinds", tag = "cases", params(CaseKindsQuery),
    responses((status = 200, body = Vec<CaseKindView>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn case_kinds(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<CaseKindsQuery>,
) -> ApiResult<Json<Vec<CaseKindView>>> {
    let scope = p.scope();
    let merchant = match &q.merchant {
        Some(m) => Some(st.store.resolve_merchant(&scope, m).await?),
        None => None,
    };
    let mut kinds = Vec::with_capacity(CaseKind::ALL.len());
    for k in CaseKind::ALL {
        let (checklist, custom) = match merchant {
            Some(m) => st.store.case_checklist(&scope, m, k).await?,
            None => (k.default_checklist(), false),
        };
        kinds.push(CaseKindView {
            kind: k,
            label_ja: k.label_ja(),
            form: k.form(),
            settled_on_desk: checklist.iter().all(|t| t.owner == TaskOwner::Desk),
            checklist,
            custom,
        });
    }
    Ok(Json(kinds))
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    /// On reading: whether the shop saved its own (else the built-in one is shown).
    #[serde(default)]
    pub custom: bool,
    pub tasks: Vec<ChecklistTask>,
}

fn kind_of(kind: &str) -> ApiResult<CaseKind> {
    kind.parse().map_err(|_| ApiError::not_found())
}

/// The checklist a new case of this kind gets at the merchant.
#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/case-kinds/{kind}/checklist", tag = "cases",
    params(("merchant" = String, Path, description = "id or slug"), ("kind" = CaseKind, Path)),
    responses((status = 200, body = Checklist), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_checklist(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((merchant, kind)): Path<(String, String)>,
) -> ApiResult<Json<Checklist>> {
    let m = st.store.resolve_merchant(&p.scope(), &merchant).await?;
    let (tasks, custom) = st.store.case_checklist(&p.scope(), m, kind_of(&kind)?).await?;
    Ok(Json(Checklist { custom, tasks }))
}

/// Saves the merchant's own checklist for a kind; cases opened from now on get it.
#[utoipa::path(put, path = "/api/v1/merchants/{merchant}/case-kinds/{kind}/checklist", tag = "cases",
    params(("merchant" = String, Path, description = "id or slug"), ("kind" = CaseKind, Path)), request_body = Checklist,
    responses((status = 200, body = Checklist), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_checklist(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((merchant, kind)): Path<(String, String)>,
    ApiJson(req): ApiJson<Checklist>,
) -> ApiResult<Json<Checklist>> {
    let m = st.store.resolve_merchant(&p.scope(), &merchant).await?;
    let kind = kind_of(&kind)?;
    checklist_editor(&p)?;
    let tasks = validate_checklist(&req.tasks)?;
    st.store.save_case_checklist(&p.scope(), Some(p.user_id), m, kind, &tasks).await?;
    Ok(Json(Checklist { custom: true, tasks }))
}

/// Goes back to the built-in checklist for a kind.
#[utoipa::path(delete, path = "/api/v1/merchants/{merchant}/case-kinds/{kind}/checklist", tag = "cases",
    params(("merchant" = String, Path, description = "id or slug"), ("kind" = CaseKind, Path)),
    responses((status = 200, body = Checklist), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn reset_checklist(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((merchant, kind)): Path<(String, String)>,
) -> ApiResult<Json<Checklist>> {
    let m = st.store.resolve_merchant(&p.scope(), &merchant).await?;
    let kind = kind_of(&kind)?;
    checklist_editor(&p)?;
    st.store.reset_case_checklist(&p.scope(), Some(p.user_id), m, kind).await?;
    Ok(Json(Checklist { custom: false, tasks: kind.default_checklist() }))
}

fn checklist_editor(p: &madoguchi_core::access::Principal) -> ApiResult<()> {
    if p.can_edit_merchant() {
        Ok(())
    } else {
        Err(ApiError::forbidden("only admins and the shop's admins edit its checklists"))
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    pub kind: CaseKind,
    #[serde(default)]
    pub conversation_id: Option<ConversationId>,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// Opens a case on an order: its form is checked and its checklist becomes tasks.
#[utoipa::path(post, path = "/api/v1/orders/{order}/cases", tag = "cases", params(("order" = String, Path)),
    request_body = NewCase,
    responses((status = 201, body = Case), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn open_case(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(order): Path<String>,
    ApiJson(req): ApiJson<NewCase>,
) -> ApiResult<(axum::http::StatusCode, Json<Case>)> {
    let order = id(&order)?;
    // The order first: another shop's order is not found before its form is read.
    st.store.get_order(&p.scope(), order).await?;
    let fields = validate_form(req.kind, &req.fields)?;
    Ok(created(st.store.open_case(&p.scope(), Some(p.user_id), order, req.conversation_id, req.kind, &fields).await?))
}

#[utoipa::path(get, path = "/api/v1/cases/{case}", tag = "cases", params(("case" = String, Path)),
    responses((status = 200, body = Case), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_case(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(case): Path<String>,
) -> ApiResult<Json<Case>> {
    Ok(Json(st.store.get_case(&p.scope(), id(&case)?).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskDone {
    #[serde(default)]
    pub note: Option<String>,
}

/// Marks a task done (audited); the last one closes the case.
#[utoipa::path(post, path = "/api/v1/cases/{case}/tasks/{task}/done", tag = "cases",
    params(("case" = String, Path), ("task" = String, Path)), request_body = TaskDone,
    responses((status = 200, body = Case), (status = 404, body = crate::error::ErrorBody)))]
pub async fn complete_task(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((case, task)): Path<(String, String)>,
    ApiJson(req): ApiJson<TaskDone>,
) -> ApiResult<Json<Case>> {
    let note: Option<String> =
        req.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(|n| n.chars().take(2000).collect());
    Ok(Json(st.store.complete_task(&p.scope(), Some(p.user_id), id(&case)?, id(&task)?, note.as_deref()).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// Merchant id or slug.
    pub merchant: Option<String>,
    pub owner: Option<TaskOwner>,
    /// Open tasks only (default true).
    pub open: Option<bool>,
    pub limit: Option<u32>,
}

/// The task queue: open tasks of the caller's shops, soonest due first.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "cases", params(TaskQuery),
    responses((status = 200, body = Vec<CaseTask>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_tasks(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<TaskQuery>,
) -> ApiResult<Json<Vec<CaseTask>>> {
    let scope = p.scope();
    let merchant = match &q.merchant {
        Some(m) => Some(st.store.resolve_merchant(&scope, m).await?),
        None => None,
    };
    let f = TaskFilter { merchant, owner: q.owner, open_only: q.open.unwrap_or(true) };
    Ok(Json(st.store.list_tasks(&scope, &f, i64::from(q.limit.unwrap_or(100).clamp(1, 500))).await?))
}
