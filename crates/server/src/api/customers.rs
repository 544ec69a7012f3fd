//! Customers: CRUD, lookup by any identity, identities, merge. Every read is audit-logged.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use madoguchi_core::customer::{Customer, CustomerPatch, IdentityInput, NewCustomer};
use madoguchi_core::enums::SubjectType;
use madoguchi_core::identity::{IdentityKind, normalize};
use madoguchi_core::ids::{CustomerId, IdentityId};
use madoguchi_core::page::{Page, PageRequest};
use madoguchi_store::customers::CustomerFilter;
use madoguchi_store::duplicates::DuplicateSuggestion;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, Json, created, id};
use madoguchi_app::usecases::audit::audit_read;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// Merchant id or slug.
    pub merchant: Option<String>,
    pub tag: Option<String>,
    pub rank: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// Merchant id or slug.
    pub merchant: String,
    pub kind: IdentityKind,
    /// In any common form: `090-1234-5678`, `０９０１２３４５６７８`, `+81 90 1234 5678`.
    pub value: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The customer to merge into this one; it is deleted afterwards.
    pub from: CustomerId,
}

#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(CustomerQuery),
    responses((status = 200, body = Page<Customer>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_customers(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<CustomerQuery>,
) -> ApiResult<Json<Page<Customer>>> {
    let scope = p.scope();
    let merchant = match &q.merchant {
        Some(m) => Some(st.store.resolve_merchant(&scope, m).await?),
        None => None,
    };
    let f = CustomerFilter { merchant, tag: q.tag, rank: q.rank };
    let page = st.store.list_customers(&scope, &f, PageRequest::parse(q.cursor.as_deref(), q.limit)?).await?;
    let seen: Vec<_> = page.items.iter().map(|c| (c.merchant_id, c.id.to_string())).collect();
    audit_read(&st, &p, SubjectType::Customer, &seen).await?;
    Ok(Json(page))
}

#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = NewCustomer,
    responses((status = 201, body = Customer), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn create_customer(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewCustomer>,
) -> ApiResult<(StatusCode, Json<Customer>)> {
    let scope = p.scope();
    let merchant = st.store.resolve_merchant(&scope, &req.merchant).await?;
    let (profile, identities) = req.validate()?;
    Ok(created(st.store.create_customer(&scope, Some(p.user_id), merchant, &profile, &identities).await?))
}

/// Finds a merchant's customer by phone, e-mail, LINE id or chat visitor id (screen pop).
#[utoipa::path(get, path = "/api/v1/customers/lookup", tag = "customers", params(LookupQuery),
    responses((status = 200, body = Customer), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn lookup_customer(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<LookupQuery>,
) -> ApiResult<Json<Customer>> {
    let scope = p.scope();
    let merchant = st.store.resolve_merchant(&scope, &q.merchant).await?;
    let n = normalize(q.kind, &q.value)?;
    let c = st.store.find_customer_by_identity(&scope, merchant, n.kind, &n.value).await?;
    audit_read(&st, &p, SubjectType::Customer, &[(c.merchant_id, c.id.to_string())]).await?;
    Ok(Json(c))
}

#[utoipa::path(get, path = "/api/v1/customers/{customer}", tag = "customers", params(("customer" = String, Path)),
    responses((status = 200, body = Customer), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_customer(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(customer): Path<String>,
) -> ApiResult<Json<Customer>> {
    let c = st.store.get_customer(&p.scope(), id(&customer)?).await?;
    audit_read(&st, &p, SubjectType::Customer, &[(c.merchant_id, c.id.to_string())]).await?;
    Ok(Json(c))
}

#[utoipa::path(patch, path = "/api/v1/customers/{customer}", tag = "customers", params(("customer" = String, Path)),
    request_body = CustomerPatch,
    responses((status = 200, body = Customer), (status = 404, body = crate::error::ErrorBody)))]
pub async fn update_customer(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(customer): Path<String>,
    ApiJson(req): ApiJson<CustomerPatch>,
) -> ApiResult<Json<Customer>> {
    let scope = p.scope();
    let current = st.store.get_customer(&scope, id(&customer)?).await?;
    let profile = req.apply(&current)?;
    Ok(Json(st.store.update_customer(&scope, Some(p.user_id), current.id, &profile).await?))
}

/// Deletes a customer without history (one with history is merged instead).
#[utoipa::path(delete, path = "/api/v1/customers/{customer}", tag = "customers", params(("customer" = String, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn delete_customer(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(customer): Path<String>,
) -> ApiResult<StatusCode> {
    let scope = p.scope();
    let c = st.store.get_customer(&scope, id(&customer)?).await?;
    if !p.can_delete_records() {
        return Err(ApiError::forbidden("only supervisors and admins delete customers"));
    }
    st.store.delete_customer(&scope, Some(p.user_id), c.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/customers/{customer}/identities", tag = "customers", params(("customer" = String, Path)),
    request_body = IdentityInput,
    responses((status = 200, body = Customer), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn add_identity(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(customer): Path<String>,
    ApiJson(req): ApiJson<IdentityInput>,
) -> ApiResult<Json<Customer>> {
    let cid: CustomerId = id(&customer)?;
    let scope = p.scope();
    st.store.get_customer(&scope, cid).await?;
    let n = req.normalize()?;
    Ok(Json(st.store.add_identity(&scope, Some(p.user_id), cid, &n).await?))
}

#[utoipa::path(delete, path = "/api/v1/customers/{customer}/identities/{identity}", tag = "customers",
    params(("customer" = String, Path), ("identity" = String, Path)),
    responses((status = 200, body = Customer), (status = 404, body = crate::error::ErrorBody)))]
pub async fn remove_identity(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path((customer, identity)): Path<(String, String)>,
) -> ApiResult<Json<Customer>> {
    let cid: CustomerId = id(&customer)?;
    let iid: IdentityId = id(&identity)?;
    Ok(Json(st.store.remove_identity(&p.scope(), Some(p.user_id), cid, iid).await?))
}

/// Merges another customer of the same merchant into this one; history follows.
#[utoipa::path(post, path = "/api/v1/customers/{customer}/merge", tag = "customers", params(("customer" = String, Path)),
    request_body = MergeRequest,
    responses((status = 200, body = Customer), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn merge_customer(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(customer): Path<String>,
    ApiJson(req): ApiJson<MergeRequest>,
) -> ApiResult<Json<Customer>> {
    let scope = p.scope();
    let into = st.store.get_customer(&scope, id(&customer)?).await?;
    st.store.get_customer(&scope, req.from).await?;
    if !p.can_merge_customers() {
        return Err(ApiError::forbidden("merchant staff cannot merge customers"));
    }
    Ok(Json(st.store.merge_customers(&scope, Some(p.user_id), into.id, req.from).await?))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DuplicateList {
    pub suggestions: Vec<DuplicateSuggestion>,
}

/// Customers of the same merchant who are likely the same person, strongest first, with why.
#[utoipa::path(get, path = "/api/v1/customers/{customer}/duplicates", tag = "customers", params(("customer" = String, Path)),
    responses((status = 200, body = DuplicateList), (status = 404, body = crate::error::ErrorBody)))]
pub async fn duplicates(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(customer): Path<String>,
) -> ApiResult<Json<DuplicateList>> {
    let scope = p.scope();
    let suggestions = st.store.duplicate_suggestions(&scope, id(&customer)?, 10).await?;
    let seen: Vec<_> = suggestions.iter().map(|d| (d.customer.merchant_id, d.customer.id.to_string())).collect();
    audit_read(&st, &p, SubjectType::Customer, &seen).await?;
    Ok(Json(DuplicateList { suggestions }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DistinctRequest {
    /// A customer of the same merchant judged to be a different person.
    pub other: CustomerId,
}

/// Records that two customers are different people, so they are no longer suggested as
/// duplicates of each other.
#[utoipa::path(post, path = "/api/v1/customers/{customer}/distinct", tag = "customers", params(("customer" = String, Path)),
    request_body = DistinctRequest,
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn mark_distinct(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(customer): Path<String>,
    ApiJson(req): ApiJson<DistinctRequest>,
) -> ApiResult<StatusCode> {
    let scope = p.scope();
    let cid: CustomerId = id(&customer)?;
    st.store.get_customer(&scope, cid).await?;
    st.store.get_customer(&scope, req.other).await?;
    if !p.can_merge_customers() {
        return Err(ApiError::forbidden("merchant staff cannot decide on duplicate customers"));
    }
    st.store.mark_distinct(&scope, Some(p.user_id), cid, req.other).await?;
    Ok(StatusCode::NO_CONTENT)
}
