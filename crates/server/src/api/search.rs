//! Search across what the caller may see: messages, customers (and, with the knowledge base,
//! articles). Exact lookups (order number, phone number in any format, mail address) lead.

use axum::extract::State;
use madoguchi_core::enums::SubjectType;
use madoguchi_search::{DocKind, Hit};
use serde::Serialize;

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, Json};
use madoguchi_app::usecases::audit::audit_read;
use madoguchi_app::usecases::search::{SearchQuery, request};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub results: Vec<Hit>,
}

/// Searches the caller's merchants.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchQuery),
    responses((status = 200, body = SearchResults), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn search(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    let r = request(&st, &p, &q).await?;
    let results = madoguchi_app::search::run(&st.search, &p, r)
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e.to_string())))?;
    let customers: Vec<_> = results
        .iter()
        .filter(|h| h.kind == DocKind::Customer)
        .filter_map(|h| Some((h.merchant.parse().ok()?, h.id.clone())))
        .collect();
    audit_read(&st, &p, SubjectType::Customer, &customers).await?;
    Ok(Json(SearchResults { results }))
}
