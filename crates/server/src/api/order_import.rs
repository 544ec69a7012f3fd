//! Orders from shop systems: the column mapping and import of their order files (CSV in UTF-8 or
//! Shift_JIS; a dry run reports every bad row and stores nothing), and the secret of the order
//! webhook they push to.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use madoguchi_store::merchants::parse_key;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiBytes, ApiJson, ApiQuery, Json};
use madoguchi_app::order_files::{Column, ColumnMapping};
use madoguchi_app::usecases::order_import::{self, ImportOptions, ImportReport};

fn importer(p: &madoguchi_core::access::Principal) -> ApiResult<()> {
    if p.can_import_orders() {
        Ok(())
    } else {
        Err(ApiError::forbidden("only admins, supervisors and the shop's admins import orders"))
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KnownColumn {
    pub column: Column,
    /// Headers found without a mapping.
    pub usual_headers: Vec<&'static str>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MappingView {
    /// The merchant's saved mapping (column → their header).
    pub mapping: ColumnMapping,
    /// Every column an order file may have.
    pub known: Vec<KnownColumn>,
}

/// The merchant's column mapping for order files, and the columns there are.
#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/orders/import/mapping", tag = "orders",
    params(("merchant" = String, Path, description = "id or slug")),
    responses((status = 200, body = MappingView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_mapping(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
) -> ApiResult<Json<MappingView>> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    importer(&p)?;
    let mapping = order_import::mapping(&st.store, &scope, m).await?;
    let known =
        Column::ALL.into_iter().map(|c| KnownColumn { column: c, usual_headers: c.usual_headers().to_vec() }).collect();
    Ok(Json(MappingView { mapping, known }))
}

/// Saves the merchant's column mapping (replaces the last one).
#[utoipa::path(put, path = "/api/v1/merchants/{merchant}/orders/import/mapping", tag = "orders",
    params(("merchant" = String, Path, description = "id or slug")), request_body = ColumnMapping,
    responses((status = 200, body = ColumnMapping), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_mapping(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiJson(req): ApiJson<ColumnMapping>,
) -> ApiResult<Json<ColumnMapping>> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    importer(&p)?;
    let mapping = req.validate()?;
    order_import::save_mapping(&st.store, &scope, Some(p.user_id), m, &mapping).await?;
    Ok(Json(mapping))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check the file and report; store nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Store the orders without bad rows even when others have them.
    #[serde(default)]
    pub skip_invalid: bool,
}

/// Imports an order file (CSV, one row an order line). Orders are matched by order number:
/// new ones are created, known ones updated. With bad rows and without `skip_invalid` nothing is
/// stored and the answer is 422 with the same report.
#[utoipa::path(post, path = "/api/v1/merchants/{merchant}/orders/import", tag = "orders",
    params(("merchant" = String, Path, description = "id or slug"), ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = ImportReport)))]
pub async fn import_orders(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    ApiBytes(body): ApiBytes,
) -> ApiResult<(StatusCode, Json<ImportReport>)> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    importer(&p)?;
    let opts = ImportOptions { dry_run: q.dry_run, skip_invalid: q.skip_invalid };
    let report = order_import::import_orders(&st.store, &scope, Some(p.user_id), m, &body, opts).await?;
    let status = if !q.dry_run && !report.stored { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, Json(report)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    /// Where the shop system posts `{"orders": [...]}`, signed (docs/orders.md).
    pub url: String,
    /// Whether a secret has been made; until then every call is refused.
    pub configured: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookSecret {
    pub url: String,
    /// Shown this once: the shop system signs with it. Making a new one retires this one.
    pub secret: String,
}

/// The merchant's order webhook: its address and whether it has a secret.
#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/orders/webhook", tag = "orders",
    params(("merchant" = String, Path, description = "id or slug")),
    responses((status = 200, body = WebhookView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_webhook(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
) -> ApiResult<Json<WebhookView>> {
    let scope = p.scope();
    let m = st.store.get_merchant(&scope, parse_key(&merchant)).await?;
    importer(&p)?;
    let configured = st.store.order_webhook_secret(m.id).await?.is_some();
    Ok(Json(WebhookView { url: madoguchi_app::usecases::order_import::webhook_url(&st, &m.slug), configured }))
}

/// Makes a new webhook secret for the merchant (the old one stops working at once) and shows
/// it this once.
#[utoipa::path(post, path = "/api/v1/merchants/{merchant}/orders/webhook", tag = "orders",
    params(("merchant" = String, Path, description = "id or slug")),
    responses((status = 201, body = WebhookSecret), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn rotate_webhook_secret(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
) -> ApiResult<(StatusCode, Json<WebhookSecret>)> {
    let scope = p.scope();
    let m = st.store.get_merchant(&scope, parse_key(&merchant)).await?;
    importer(&p)?;
    let secret = order_import::new_webhook_secret();
    st.store.set_order_webhook_secret(&scope, Some(p.user_id), m.id, &secret).await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookSecret { url: madoguchi_app::usecases::order_import::webhook_url(&st, &m.slug), secret }),
    ))
}
