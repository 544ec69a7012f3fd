//! The audit log, for admins and for merchant admins about their own merchant.

use axum::extract::State;
use madoguchi_core::audit::AuditEvent;
use madoguchi_core::enums::SubjectType;
use madoguchi_core::page::{Page, PageRequest};
use madoguchi_store::audit::AuditFilter;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, Json};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Merchant id or slug.
    pub merchant: Option<String>,
    pub subject_type: Option<SubjectType>,
    pub subject_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// Newest first.
#[utoipa::path(get, path = "/api/v1/audit-events", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Page<AuditEvent>), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_audit_events(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditEvent>>> {
    let scope = p.scope();
    // Scope first: a foreign merchant is "not found" whatever the role.
    let merchant = match &q.merchant {
        Some(m) => Some(st.store.resolve_merchant(&scope, m).await?),
        None => None,
    };
    if !p.can_read_audit() {
        return Err(ApiError::forbidden("only admins and merchant admins read the audit log"));
    }
    let page = PageRequest::parse(q.cursor.as_deref(), q.limit)?;
    let f = AuditFilter { merchant, subject_type: q.subject_type, subject_id: q.subject_id, ..Default::default() };
    Ok(Json(st.store.list_audit_events(&scope, &f, page).await?))
}
