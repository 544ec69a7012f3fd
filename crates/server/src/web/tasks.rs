//! The task queue page: the open tasks of the user's shops' delivery cases, soonest due first,
//! each marked done from here.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use chrono::Utc;
use madoguchi_core::cases::TaskOwner;
use madoguchi_store::cases::TaskFilter;
use serde::Deserialize;

use super::conversation::jst;
use super::render;
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{Lang, Texts};
use crate::web::ConsoleUser;

struct TaskRow {
    case_id: String,
    task_id: String,
    title: String,
    case_label: String,
    /// The conversation the case was opened from, if any.
    conversation: Option<String>,
    due: String,
    overdue: bool,
    owner: &'static str,
}

#[derive(Template)]
#[template(path = "tasks.html")]
struct Page {
    lang: &'static str,
    t: &'static Texts,
    chrome: crate::web::chrome::Chrome,
    csrf: String,
    tasks: Vec<TaskRow>,
}

pub async fn show(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let t = lang.t();
    let ConsoleUser { session, principal: p } = user;
    let scope = p.scope();
    let open = st.store.list_tasks(&scope, &TaskFilter { open_only: true, ..Default::default() }, 200).await?;
    let mut cases = HashMap::new();
    for task in &open {
        if let std::collections::hash_map::Entry::Vacant(e) = cases.entry(task.case_id) {
            e.insert(st.store.get_case(&scope, task.case_id).await?);
        }
    }
    let now = Utc::now();
    let tasks = open
        .iter()
        .map(|task| {
            let case = &cases[&task.case_id];
            TaskRow {
                case_id: task.case_id.to_string(),
                task_id: task.id.to_string(),
                title: task.title.clone(),
                case_label: super::conversation::case_label(lang, case.kind),
                conversation: case.conversation_id.map(|c| c.to_string()),
                due: jst(task.due_at),
                overdue: task.due_at < now,
                owner: match task.owner {
                    TaskOwner::Desk => t.owner_desk,
                    TaskOwner::Merchant => t.owner_merchant,
                },
            }
        })
        .collect();
    let page = Page {
        lang: lang.code(),
        t,
        chrome: crate::web::chrome::Chrome::of(&st, &session, lang).await?,
        csrf: session.csrf_token.clone(),
        tasks,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
pub struct DoneForm {
    csrf: String,
}

/// Marks a task done (audited); the last one closes its case.
pub async fn done(
    State(st): State<AppState>,
    user: ConsoleUser,
    _jar: CookieJar,
    Path((case, task)): Path<(String, String)>,
    Form(form): Form<DoneForm>,
) -> Result<Response, ApiError> {
    let p = user.checked(&form.csrf)?.clone();
    let case = case.parse().map_err(|_| ApiError::not_found())?;
    let task = task.parse().map_err(|_| ApiError::not_found())?;
    st.store.complete_task(&p.scope(), Some(p.user_id), case, task, None).await?;
    Ok(Redirect::to("/desk/tasks").into_response())
}
