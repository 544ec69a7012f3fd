//! The shop's checklists per kind of case: the shop's admin renames, reorders, reassigns and
//! re-times the tasks a new case gets, or goes back to the built-in list. A rejected list comes
//! back as typed, with the reason.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use madoguchi_core::ValidationError;
use madoguchi_core::cases::{CaseKind, ChecklistTask, TaskOwner, validate_checklist};
use madoguchi_core::validation::nfkc;
use serde::Deserialize;

use super::conversation::case_label;
use super::settings::editable;
use super::{form_value, render};
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{FormError, Lang, Texts, form_error};
use crate::web::ConsoleUser;

/// Blank rows below a list, for adding tasks.
const SPARE_ROWS: usize = 2;
const MAX_ROWS: usize = 20;

/// One row as typed: key (hidden), title, owner code, hours.
type Row = (String, String, String, String);

struct KindView {
    code: &'static str,
    label: String,
    custom: bool,
    rows: Vec<Row>,
    error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "checklists.html")]
struct Page {
    lang: &'static str,
    t: &'static Texts,
    chrome: crate::web::chrome::Chrome,
    csrf: String,
    slug: String,
    merchant_name: String,
    kinds: Vec<KindView>,
    saved: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    saved: Option<String>,
}

fn owner_code(o: TaskOwner) -> String {
    match o {
        TaskOwner::Desk => "desk".into(),
        TaskOwner::Merchant => "merchant".into(),
    }
}

fn rows_of(tasks: &[ChecklistTask]) -> Vec<Row> {
    let mut rows: Vec<Row> =
        tasks.iter().map(|t| (t.key.clone(), t.title.clone(), owner_code(t.owner), t.due_hours.to_string())).collect();
    rows.extend(std::iter::repeat_n(Default::default(), SPARE_ROWS));
    rows
}

/// The rows of a posted form, blank rows left out.
fn rows_from_form(form: &[(String, String)]) -> Vec<Row> {
    let get = |k: String| form_value(form, &k).to_owned();
    (0..MAX_ROWS)
        .map(|i| {
            (
                get(format!("task.{i}.key")),
                get(format!("task.{i}.title")),
                get(format!("task.{i}.owner")),
                get(format!("task.{i}.hours")),
            )
        })
        .filter(|(_, title, _, hours)| !(title.trim().is_empty() && hours.trim().is_empty()))
        .collect()
}

fn tasks_of(rows: &[Row]) -> Result<Vec<ChecklistTask>, ValidationError> {
    let tasks = rows
        .iter()
        .enumerate()
        .map(|(i, (key, title, owner, hours))| {
            Ok(ChecklistTask {
                key: key.clone(),
                title: title.clone(),
                owner: match owner.as_str() {
                    "merchant" => TaskOwner::Merchant,
                    _ => TaskOwner::Desk,
                },
                due_hours: nfkc(hours).trim().parse().map_err(|_| {
                    ValidationError::new(format!("tasks.{i}.due_hours"), "not_a_number", "hours as a whole number")
                })?,
            })
        })
        .collect::<Result<Vec<_>, ValidationError>>()?;
    validate_checklist(&tasks)
}

/// "2行目の期限" for `tasks.1.due_hours`: rows as the page numbers them.
fn row_label(lang: Lang, field: &str) -> String {
    let t = lang.t();
    let mut parts = field.split('.').skip(1);
    let (Some(i), Some(what)) = (parts.next().and_then(|i| i.parse::<usize>().ok()), parts.next()) else {
        return t.task_title.to_owned();
    };
    let what = match what {
        "due_hours" => t.due_hours,
        "owner" => t.task_owner,
        _ => t.task_title,
    };
    match lang {
        Lang::Ja => format!("{}行目の{what}", i + 1),
        Lang::En => format!("row {}, {what}", i + 1),
    }
}

async fn page(
    st: &AppState,
    user: &ConsoleUser,
    jar: &CookieJar,
    headers: &HeaderMap,
    slug: &str,
    typed: Option<(CaseKind, Vec<Row>, FormError)>,
    saved: Option<String>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(jar, headers);
    let session = &user.session;
    let p = user.principal.clone();
    let m = editable(st, &p, slug).await?;
    let mut kinds = Vec::with_capacity(CaseKind::ALL.len());
    for kind in CaseKind::ALL {
        let (tasks, custom) = st.store.case_checklist(&p.scope(), m.id, kind).await?;
        let mut view =
            KindView { code: kind.as_str(), label: case_label(lang, kind), custom, rows: rows_of(&tasks), error: None };
        if let Some((k, rows, error)) = &typed
            && *k == kind
        {
            view.rows = rows.clone();
            view.rows.extend(std::iter::repeat_n(Default::default(), SPARE_ROWS));
            view.error = Some(error.clone());
        }
        kinds.push(view);
    }
    let status = if typed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = Page {
        lang: lang.code(),
        t: lang.t(),
        chrome: crate::web::chrome::Chrome::of(&st, &session, lang).await?,
        csrf: session.csrf_token.clone(),
        slug: m.slug.clone(),
        merchant_name: m.name.clone(),
        kinds,
        saved,
    };
    Ok(render(status, &page))
}

pub async fn show(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    page(&st, &user, &jar, &headers, &slug, None, q.saved).await
}

/// Saves or resets one kind's checklist, by the button pressed (`action`).
pub async fn submit(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path((slug, kind)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let get = |k: &str| form_value(&form, k);
    let p = user.checked(get("csrf"))?.clone();
    let m = editable(&st, &p, &slug).await?;
    let kind: CaseKind = kind.parse().map_err(|_| ApiError::not_found())?;
    if get("action") == "reset" {
        st.store.reset_case_checklist(&p.scope(), Some(p.user_id), m.id, kind).await?;
    } else {
        let rows = rows_from_form(&form);
        match tasks_of(&rows) {
            Ok(tasks) => st.store.save_case_checklist(&p.scope(), Some(p.user_id), m.id, kind, &tasks).await?,
            Err(e) => {
                let lang = Lang::from_request(&jar, &headers);
                let error = form_error(lang, &row_label(lang, &e.field), &e);
                return page(&st, &user, &jar, &headers, &slug, Some((kind, rows, error)), None).await;
            }
        }
    }
    Ok(Redirect::to(&format!("/settings/{slug}/checklists?saved={}#kind-{}", kind.as_str(), kind.as_str()))
        .into_response())
}
