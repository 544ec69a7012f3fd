//! The audit log from the console (監査ログ): who did what to which record and when, newest
//! first, by shop, kind of record, person and dates (JST) — including every read of a
//! customer's data (APPI) — and the same selection as a CSV file for the shop or an auditor.
//! For admins, and for a shop's admin about their own shop (the store keeps to the reader's
//! scope).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use madoguchi_core::audit::AuditEvent;
use madoguchi_core::enums::SubjectType;
use madoguchi_core::ids::UserId;
use madoguchi_core::merchant::Merchant;
use madoguchi_core::page::PageRequest;
use madoguchi_core::user::User;
use madoguchi_store::audit::AuditFilter;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use strum::IntoEnumIterator;

use super::render;
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{AdminTexts, Lang, Texts};
use crate::web::ConsoleUser;

/// The most rows one CSV file holds; a longer stretch is exported in parts by date.
const MAX_CSV_ROWS: usize = 10_000;

struct Entry {
    when: String,
    who: String,
    action: &'static str,
    subject: &'static str,
    subject_id: String,
    /// Where the record is seen in the console, if it has a page.
    link: Option<String>,
    shop: String,
    details: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    lang: &'static str,
    t: &'static Texts,
    a: &'static AdminTexts,
    chrome: crate::web::chrome::Chrome,
    entries: Vec<Entry>,
    /// (slug, name, chosen)
    shops: Vec<(String, String, bool)>,
    /// (code, label, chosen)
    subjects: Vec<(&'static str, &'static str, bool)>,
    /// (id, name, chosen)
    people: Vec<(String, String, bool)>,
    from: String,
    to: String,
    /// The selection as a query string, for the next page and the CSV file.
    query: String,
    next_link: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct AuditQuery {
    merchant: Option<String>,
    subject: Option<String>,
    user: Option<String>,
    /// Days in JST, both included.
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// What the reader may read, and the selection as the store's filter.
struct Selection {
    merchants: Vec<Merchant>,
    staff: Vec<User>,
    filter: AuditFilter,
}

async fn selection(st: &AppState, user: &ConsoleUser, q: &AuditQuery) -> Result<Selection, ApiError> {
    let p = &user.principal;
    if !p.can_read_audit() {
        return Err(ApiError::forbidden("only admins and shops' admins read the audit log"));
    }
    let scope = p.scope();
    let merchants = st.store.list_merchants(&scope, PageRequest::first(200)).await?.items;
    let staff = st.store.list_users(&scope, p.user_id, PageRequest::first(200)).await?.items;
    let merchant = match given(&q.merchant) {
        Some(slug) => Some(merchants.iter().find(|m| m.slug == slug).ok_or_else(ApiError::not_found)?.id),
        None => None,
    };
    let actor = match given(&q.user) {
        Some(id) => {
            let id: UserId = id.parse().map_err(|_| ApiError::not_found())?;
            Some(staff.iter().find(|u| u.id == id).ok_or_else(ApiError::not_found)?.id)
        }
        None => None,
    };
    use madoguchi_app::usecases::search::parse_time;
    let since = given(&q.from).map(|d| parse_time("from", d, false)).transpose()?;
    let until = given(&q.to).map(|d| parse_time("to", d, true)).transpose()?;
    let filter = AuditFilter {
        merchant,
        subject_type: given(&q.subject).and_then(|s| s.parse::<SubjectType>().ok()),
        subject_id: None,
        actor,
        since,
        until,
    };
    Ok(Selection { merchants, staff, filter })
}

fn entry(lang: Lang, s: &Selection, e: &AuditEvent) -> Entry {
    let a = crate::i18n::admin_texts(lang);
    Entry {
        when: e.created_at.with_timezone(&chrono_tz::Asia::Tokyo).format("%Y/%m/%d %H:%M:%S").to_string(),
        who: match e.actor_user_id {
            None => a.system.to_owned(),
            Some(id) => s
                .staff
                .iter()
                .find(|u| u.id == id)
                .map_or_else(|| id.to_string()[..8].to_owned(), |u| u.display_name.clone()),
        },
        action: crate::i18n::audit_action(lang, e.action),
        subject: crate::i18n::audit_subject(lang, e.subject_type),
        subject_id: e.subject_id.clone(),
        link: match e.subject_type {
            SubjectType::Conversation => Some(format!("/desk/conversations/{}", e.subject_id)),
            SubjectType::Customer => Some(format!("/desk/customers/{}", e.subject_id)),
            _ => None,
        },
        shop: e
            .merchant_id
            .and_then(|m| s.merchants.iter().find(|x| x.id == m))
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        details: if e.details.is_null() || e.details.as_object().is_some_and(|o| o.is_empty()) {
            String::new()
        } else {
            e.details.to_string()
        },
    }
}

/// What a value in the query string keeps as it is: ids and dates stay readable.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// The selection as a query string (without the cursor).
fn query_of(q: &AuditQuery) -> String {
    let mut parts = Vec::new();
    for (k, v) in
        [("merchant", &q.merchant), ("subject", &q.subject), ("user", &q.user), ("from", &q.from), ("to", &q.to)]
    {
        if let Some(v) = given(v) {
            parts.push(format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)));
        }
    }
    parts.join("&")
}

pub async fn show(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let s = selection(&st, &user, &q).await?;
    let page = PageRequest::parse(q.cursor.as_deref(), Some(100))?;
    let events = st.store.list_audit_events(&user.principal.scope(), &s.filter, page).await?;
    let entries = events.items.iter().map(|e| entry(lang, &s, e)).collect();
    let query = query_of(&q);
    let next_link = events.next_cursor.as_ref().map(|c| format!("/settings/audit?cursor={c}&{query}"));
    let chosen_shop = given(&q.merchant);
    let page = AuditPage {
        lang: lang.code(),
        t: lang.t(),
        a: crate::i18n::admin_texts(lang),
        chrome: crate::web::chrome::Chrome::of(&st, &user.session, lang).await?,
        entries,
        shops: s
            .merchants
            .iter()
            .map(|m| (m.slug.clone(), m.name.clone(), Some(m.slug.as_str()) == chosen_shop))
            .collect(),
        subjects: SubjectType::iter()
            .map(|t| (t.as_str(), crate::i18n::audit_subject(lang, t), Some(t) == s.filter.subject_type))
            .collect(),
        people: s
            .staff
            .iter()
            .map(|u| (u.id.to_string(), u.display_name.clone(), Some(u.id) == s.filter.actor))
            .collect(),
        from: given(&q.from).unwrap_or_default().to_owned(),
        to: given(&q.to).unwrap_or_default().to_owned(),
        query,
        next_link,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The selection as CSV (UTF-8 with a BOM, so Excel opens it in Japanese), newest first, at
/// most [`MAX_CSV_ROWS`] rows. Cells that would start a formula are quoted as text.
pub async fn csv(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let s = selection(&st, &user, &q).await?;
    let a = crate::i18n::admin_texts(lang);
    let mut entries = Vec::new();
    let mut page = PageRequest::first(200);
    loop {
        let events = st.store.list_audit_events(&user.principal.scope(), &s.filter, page).await?;
        entries.extend(events.items.iter().map(|e| entry(lang, &s, e)));
        match events.next_cursor {
            Some(c) if entries.len() < MAX_CSV_ROWS => page = PageRequest::parse(Some(&c), Some(200))?,
            _ => break,
        }
    }
    let header =
        [a.audit_when, a.audit_who, a.audit_what, a.audit_subject, a.audit_record_id, a.shops, a.audit_details];
    let rows = entries
        .iter()
        .take(MAX_CSV_ROWS)
        .map(|e| vec![e.when.as_str(), &e.who, e.action, e.subject, &e.subject_id, &e.shop, &e.details]);
    let body = madoguchi_app::spreadsheet::csv_file(&header, rows);
    let name = format!("audit-{}.csv", chrono::Utc::now().with_timezone(&chrono_tz::Asia::Tokyo).format("%Y%m%d"));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response())
}
