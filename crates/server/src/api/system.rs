//! Liveness, readiness and metrics.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use std::sync::OnceLock;

use crate::app::AppState;
use crate::extract::Json;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "system", security(()),
    responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready` or `database_unreachable`.
    pub status: &'static str,
    /// This node's role: `all`, `web` or `jobs`.
    pub role: &'static str,
    /// The background jobs this node runs.
    pub jobs: Vec<&'static str>,
    /// This node's search index: `indexing` while it catches up after start-up (exact lookups
    /// already answer; word matches may be missing), then `ready`; `not_served` on a jobs node.
    pub search: &'static str,
}

/// The database answers; load balancers send traffic only then. Also says what this node runs.
#[utoipa::path(get, path = "/readyz", tag = "system", security(()),
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub async fn readyz(State(st): State<AppState>) -> impl IntoResponse {
    let role = st.settings.role;
    let jobs = madoguchi_app::jobs::Job::for_role(role).into_iter().map(madoguchi_app::jobs::Job::name).collect();
    let (code, status) = match st.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = ?e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database_unreachable")
        }
    };
    let search = match (role.serves_web(), st.search.is_building()) {
        (false, _) => "not_served",
        (true, true) => "indexing",
        (true, false) => "ready",
    };
    (code, Json(Readiness { status, role: role.as_str(), jobs, search }))
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "system", security(()),
    responses((status = 200, content_type = "text/plain", body = String)))]
pub async fn metrics(state: State<AppState>) -> impl IntoResponse {
    crate::app::render_metrics(state).await
}

/// The generated document, set once when the router is built.
pub(crate) static OPENAPI: OnceLock<serde_json::Value> = OnceLock::new();

/// This document: every route of the API, generated from the code.
#[utoipa::path(get, path = "/api/openapi.json", tag = "system", security(()),
    responses((status = 200, description = "OpenAPI 3.1 document", body = Object)))]
pub async fn openapi_json() -> Json<serde_json::Value> {
    Json(OPENAPI.get().cloned().unwrap_or_default())
}
