//! Merchants: listing, onboarding (admin), settings (admin, merchant admin) and the calendar.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{Duration, NaiveDate};
use madoguchi_core::calendar::{BusinessCalendar, DayStatus, parse_timezone};
use madoguchi_core::merchant::{Merchant, MerchantPatch, NewMerchant};
use madoguchi_core::page::Page;
use madoguchi_store::merchants::parse_key;
use serde::{Deserialize, Serialize};

use super::users::PageQuery;
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, Json, created};

/// Merchants the caller works for (all, for an admin).
#[utoipa::path(get, path = "/api/v1/merchants", tag = "merchants", params(PageQuery),
    responses((status = 200, body = Page<Merchant>)))]
pub async fn list_merchants(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Merchant>>> {
    Ok(Json(st.store.list_merchants(&p.scope(), q.page()?).await?))
}

/// Onboards a merchant (admin only).
#[utoipa::path(post, path = "/api/v1/merchants", tag = "merchants", request_body = NewMerchant,
    responses((status = 201, body = Merchant), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn create_merchant(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewMerchant>,
) -> ApiResult<(StatusCode, Json<Merchant>)> {
    if !p.is_admin() {
        return Err(ApiError::forbidden("only an admin onboards merchants"));
    }
    Ok(created(st.store.create_merchant(Some(p.user_id), req.validate()?).await?))
}

/// A merchant by id or slug.
#[utoipa::path(get, path = "/api/v1/merchants/{merchant}", tag = "merchants", params(("merchant" = String, Path, description = "id or slug")),
    responses((status = 200, body = Merchant), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_merchant(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
) -> ApiResult<Json<Merchant>> {
    Ok(Json(st.store.get_merchant(&p.scope(), parse_key(&merchant)).await?))
}

/// Changes a merchant's name, greeting, time zone, hours or closed days.
#[utoipa::path(patch, path = "/api/v1/merchants/{merchant}", tag = "merchants", params(("merchant" = String, Path, description = "id or slug")),
    request_body = MerchantPatch,
    responses((status = 200, body = Merchant), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn update_merchant(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiJson(req): ApiJson<MerchantPatch>,
) -> ApiResult<Json<Merchant>> {
    let scope = p.scope();
    let current = st.store.get_merchant(&scope, parse_key(&merchant)).await?;
    if !p.can_edit_merchant() {
        return Err(ApiError::forbidden("only an admin or the merchant's admin changes its settings"));
    }
    let next = req.apply(&current)?;
    Ok(Json(st.store.update_merchant(&scope, Some(p.user_id), current.id, next).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// First day (YYYY-MM-DD); default today in the merchant's zone.
    pub from: Option<NaiveDate>,
    /// Number of days, 1–366; default 14.
    pub days: Option<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalendarDay {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub status: DayStatus,
}

/// Which days the merchant's desk is open: weekly hours, national holidays (祝日) and the
/// merchant's own closed days.
#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/calendar", tag = "merchants",
    params(("merchant" = String, Path, description = "id or slug"), CalendarQuery),
    responses((status = 200, body = Vec<CalendarDay>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn calendar(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> ApiResult<Json<Vec<CalendarDay>>> {
    let m = st.store.get_merchant(&p.scope(), parse_key(&merchant)).await?;
    let days = q.days.unwrap_or(14);
    if !(1..=366).contains(&days) {
        return Err(madoguchi_core::ValidationError::new("days", "out_of_range", "days must be 1–366").into());
    }
    let tz = parse_timezone(&m.timezone)?;
    let from = q.from.unwrap_or_else(|| chrono::Utc::now().with_timezone(&tz).date_naive());
    let closed: Vec<(NaiveDate, String)> = m.closed_days.iter().map(|d| (d.date, d.label.clone())).collect();
    let cal = BusinessCalendar { timezone: tz, hours: &m.business_hours, closed_days: &closed };
    let out = (0..days)
        .filter_map(|i| from.checked_add_signed(Duration::days(i64::from(i))))
        .map(|date| CalendarDay { date, status: cal.day_status(date) })
        .collect();
    Ok(Json(out))
}
