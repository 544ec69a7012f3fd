//! A shop's hours and closed days (営業時間・休業日): weekly hours typed as people write them,
//! national holidays on or off, the shop's own closed days one a line (ranges for 年末年始 and
//! お盆), and the next two weeks as the desk will keep them. For the shop's admin and the
//! centre's admins; a refused change shows the form again with what was typed.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use chrono::{Datelike, Utc};
use madoguchi_core::ValidationError;
use madoguchi_core::calendar::{BusinessCalendar, BusinessHours, DayStatus};
use madoguchi_core::calendar_text::{closed_days_text, day_hours_text, parse_closed_days, parse_day_hours};
use madoguchi_core::merchant::{Merchant, MerchantPatch, ValidatedMerchant};
use madoguchi_store::merchants::MerchantKey;
use serde::Deserialize;

use super::render;
use super::settings::editable;
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{AdminTexts, FormError, Lang, Texts, form_error};
use crate::web::ConsoleUser;

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

#[derive(Template)]
#[template(path = "hours.html")]
struct Page {
    lang: &'static str,
    t: &'static Texts,
    a: &'static AdminTexts,
    chrome: crate::web::chrome::Chrome,
    slug: String,
    merchant_name: String,
    timezone: String,
    /// (field, weekday label, hours as typed)
    days: Vec<(&'static str, &'static str, String)>,
    holidays_closed: bool,
    closed_days: String,
    /// The next 14 days: (date as shown, what the desk does, open).
    upcoming: Vec<(String, String, bool)>,
    error: Option<FormError>,
    saved: bool,
}

#[derive(Debug, Deserialize, Default)]
pub struct HoursForm {
    csrf: String,
    #[serde(default)]
    mon: String,
    #[serde(default)]
    tue: String,
    #[serde(default)]
    wed: String,
    #[serde(default)]
    thu: String,
    #[serde(default)]
    fri: String,
    #[serde(default)]
    sat: String,
    #[serde(default)]
    sun: String,
    /// A checkbox: present when ticked.
    holidays_closed: Option<String>,
    #[serde(default)]
    closed_days: String,
}

impl HoursForm {
    fn day(&self, d: &str) -> &str {
        match d {
            "mon" => &self.mon,
            "tue" => &self.tue,
            "wed" => &self.wed,
            "thu" => &self.thu,
            "fri" => &self.fri,
            "sat" => &self.sat,
            _ => &self.sun,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    saved: Option<String>,
}

pub async fn show(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let m = editable(&st, &user.principal, &slug).await?;
    page(&st, &user, lang, &m, None, None, q.saved.is_some()).await
}

/// Saves the hours and closed days; a refused form comes back with what was typed.
pub async fn save(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<HoursForm>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let p = user.checked(&f.csrf)?.clone();
    let m = editable(&st, &p, &slug).await?;
    let current = st.store.get_merchant(&p.scope(), MerchantKey::Id(m.id)).await?;
    match checked(&f, &current) {
        Ok(next) => {
            st.store.update_merchant(&p.scope(), Some(p.user_id), m.id, next).await?;
            Ok(Redirect::to(&format!("/settings/{slug}/hours?saved=1")).into_response())
        }
        Err(e) => {
            let error = form_error(lang, field_label(lang, &e.field), &e);
            page(&st, &user, lang, &m, Some(error), Some(f), false).await
        }
    }
}

/// The shop with the typed hours and closed days, if they are right.
fn checked(f: &HoursForm, current: &Merchant) -> Result<ValidatedMerchant, ValidationError> {
    let day = |d: &str| parse_day_hours(d, f.day(d));
    let hours = BusinessHours {
        mon: day("mon")?,
        tue: day("tue")?,
        wed: day("wed")?,
        thu: day("thu")?,
        fri: day("fri")?,
        sat: day("sat")?,
        sun: day("sun")?,
        closed_on_national_holidays: f.holidays_closed.is_some(),
    };
    let closed_days = parse_closed_days(&f.closed_days)?;
    MerchantPatch { business_hours: Some(hours), closed_days: Some(closed_days), ..Default::default() }.apply(current)
}

fn field_label(lang: Lang, field: &str) -> &'static str {
    let a = crate::i18n::admin_texts(lang);
    match DAYS.iter().position(|d| *d == field) {
        Some(i) => a.weekdays[i],
        None if field.starts_with("closed_days") => a.closed_days,
        None => a.weekly_hours,
    }
}

async fn page(
    st: &AppState,
    user: &ConsoleUser,
    lang: Lang,
    m: &Merchant,
    error: Option<FormError>,
    typed: Option<HoursForm>,
    saved: bool,
) -> Result<Response, ApiError> {
    let a = crate::i18n::admin_texts(lang);
    let h = &m.business_hours;
    let stored = [&h.mon, &h.tue, &h.wed, &h.thu, &h.fri, &h.sat, &h.sun];
    let days = DAYS
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let shown = typed.as_ref().map_or_else(|| day_hours_text(stored[i]), |f| f.day(d).to_owned());
            (*d, a.weekdays[i], shown)
        })
        .collect();
    let closed = m.closed_day_pairs();
    let cal = BusinessCalendar { timezone: m.tz(), hours: h, closed_days: &closed };
    let today = Utc::now().with_timezone(&m.tz()).date_naive();
    let upcoming = today
        .iter_days()
        .take(14)
        .map(|d| {
            let wd = crate::i18n::weekday_short(lang, d.weekday());
            let date = format!("{}/{}（{wd}）", d.month(), d.day());
            match cal.day_status(d) {
                DayStatus::Open { intervals } => (date, format!("{} {}", a.open, day_hours_text(&intervals)), true),
                DayStatus::WeeklyClosed => (date, a.closed_weekly.to_owned(), false),
                DayStatus::NationalHoliday { name } => (date, format!("{}（{name}）", a.holiday), false),
                DayStatus::ClosedDay { label } => (date, format!("{} {label}", a.closed_day), false),
            }
        })
        .collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = Page {
        lang: lang.code(),
        t: lang.t(),
        a,
        chrome: crate::web::chrome::Chrome::of(st, &user.session, lang).await?,
        slug: m.slug.clone(),
        merchant_name: m.name.clone(),
        timezone: if m.timezone == "Asia/Tokyo" { a.tz_japan.to_owned() } else { m.timezone.clone() },
        days,
        holidays_closed: typed.as_ref().map_or(h.closed_on_national_holidays, |f| f.holidays_closed.is_some()),
        closed_days: typed.map_or_else(|| closed_days_text(&m.closed_days), |f| f.closed_days),
        upcoming,
        error,
        saved,
    };
    Ok(render(status, &page))
}
