//! The shop settings page: greeting, SLA targets, talk scripts, canned responses (with a
//! preview filled for a sample customer), disposition codes and queues. For the shop's admin
//! and the centre's admins; every change is validated by the same rules as the API.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use madoguchi_core::ValidationError;
use madoguchi_core::access::Principal;
use madoguchi_core::enums::Role;
use madoguchi_core::ids::{CannedResponseId, MerchantId};
use madoguchi_core::merchant::{Merchant, MerchantPatch};
use madoguchi_core::playbook::{
    CannedResponseInput, DispositionCodeInput, PlaceholderValues, ScriptInput, fill_placeholders,
};
use madoguchi_core::sla::SlaPolicy;
use madoguchi_store::merchants::MerchantKey;
use serde::Deserialize;

use super::{query_value, render};
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{FormError, Lang, Texts, form_error_of};
use crate::web::ConsoleUser;

#[derive(Template)]
#[template(path = "settings.html")]
struct Page {
    lang: &'static str,
    t: &'static Texts,
    chrome: crate::web::chrome::Chrome,
    csrf: String,
    slug: String,
    merchant_name: String,
    greeting: String,
    first_response: u32,
    resolution: u32,
    scripts: Vec<(String, String)>,
    canned: Vec<(String, String, String, String)>,
    dispositions: Vec<(String, String)>,
    queues: Vec<String>,
    error: Option<FormError>,
    saved: bool,
}

/// After a change, the page is shown again with what went wrong: the check's code, the field it
/// names and its (English) message, which the page says in the reader's language.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    error: Option<String>,
    field: Option<String>,
    detail: Option<String>,
    saved: Option<String>,
}

/// What the page calls a field a check names.
fn field_label(t: &'static Texts, field: &str) -> &'static str {
    match field {
        "greeting" => t.greeting,
        "sla.first_response_minutes" => t.sla_first_response,
        "sla.resolution_minutes" => t.sla_resolution,
        "category" => t.col_category,
        "title" => t.title,
        "body" => t.body,
        "code" => t.code,
        "label" => t.label,
        "name" => t.col_queue,
        _ => t.invalid_input,
    }
}

/// The merchant, if the user may edit its settings: outside the scope is "not found",
/// inside it without the role is "forbidden".
pub(super) async fn editable(st: &AppState, p: &Principal, slug: &str) -> Result<Merchant, ApiError> {
    let m = st.store.get_merchant(&p.scope(), MerchantKey::Slug(slug)).await?;
    if !matches!(p.role, Role::Admin | Role::MerchantAdmin) {
        return Err(ApiError::forbidden("only the shop's admin or an admin changes its settings"));
    }
    Ok(m)
}

/// The sample a canned response is previewed with.
fn sample() -> PlaceholderValues {
    PlaceholderValues {
        customer_name: Some("山田 花子".into()),
        order_number: Some("HM-10001".into()),
        tracking_url: madoguchi_core::order::tracking_url(madoguchi_core::enums::Carrier::Yamato, "123456789012"),
    }
}

pub async fn show(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let ConsoleUser { session, principal: p } = user;
    let m = editable(&st, &p, &slug).await?;
    let scope = p.scope();
    let sample = sample();
    let page = Page {
        lang: lang.code(),
        t: lang.t(),
        chrome: crate::web::chrome::Chrome::of(&st, &session, lang).await?,
        csrf: session.csrf_token.clone(),
        slug: m.slug.clone(),
        merchant_name: m.name.clone(),
        greeting: m.greeting.clone(),
        first_response: m.sla.first_response_minutes,
        resolution: m.sla.resolution_minutes,
        scripts: st.store.list_scripts(&scope, m.id).await?.into_iter().map(|s| (s.category, s.body)).collect(),
        canned: st
            .store
            .list_canned_responses(&scope, m.id)
            .await?
            .into_iter()
            .map(|c| {
                let preview = fill_placeholders(&c.body, &sample);
                (c.id.to_string(), c.title, c.body, preview)
            })
            .collect(),
        dispositions: st
            .store
            .list_disposition_codes(&scope, m.id)
            .await?
            .into_iter()
            .map(|d| (d.code, d.label))
            .collect(),
        queues: st.store.list_queues(&scope, m.id).await?.into_iter().map(|q| q.name).collect(),
        error: q.error.as_deref().map(|code| {
            let field = q.field.as_deref().unwrap_or_default();
            form_error_of(lang, field_label(lang.t(), field), field, code, q.detail.as_deref().unwrap_or_default())
        }),
        saved: q.saved.is_some(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// After a change: back to the page, with the validation message when there was one.
fn back(slug: &str, result: Result<(), ApiError>) -> Result<Response, ApiError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/settings/{slug}?saved=1")).into_response()),
        Err(ApiError::Client { status, code, message, field })
            if status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::CONFLICT =>
        {
            let (code, field, detail) =
                (query_value(code), query_value(field.as_deref().unwrap_or_default()), query_value(&message));
            Ok(Redirect::to(&format!("/settings/{slug}?error={code}&field={field}&detail={detail}")).into_response())
        }
        Err(e) => Err(e),
    }
}

/// Checks the session and the form token, and the right to edit this merchant.
async fn authorize(
    st: &AppState,
    user: &ConsoleUser,
    csrf: &str,
    slug: &str,
) -> Result<(Principal, MerchantId), ApiError> {
    let p = user.checked(csrf)?.clone();
    let m = editable(st, &p, slug).await?;
    Ok((p, m.id))
}

#[derive(Debug, Deserialize)]
pub struct GeneralForm {
    csrf: String,
    greeting: String,
    first_response_minutes: String,
    resolution_minutes: String,
}

pub async fn general(
    State(st): State<AppState>,
    user: ConsoleUser,
    _jar: CookieJar,
    Path(slug): Path<String>,
    Form(f): Form<GeneralForm>,
) -> Result<Response, ApiError> {
    let (p, id) = authorize(&st, &user, &f.csrf, &slug).await?;
    let result = async {
        let minutes = |field: &str, v: &str| {
            madoguchi_core::validation::nfkc(v)
                .trim()
                .parse::<u32>()
                .map_err(|_| ValidationError::new(field, "not_a_number", "a whole number of minutes"))
        };
        let sla = SlaPolicy {
            first_response_minutes: minutes("sla.first_response_minutes", &f.first_response_minutes)?,
            resolution_minutes: minutes("sla.resolution_minutes", &f.resolution_minutes)?,
        };
        let current = st.store.get_merchant(&p.scope(), MerchantKey::Id(id)).await?;
        let next =
            MerchantPatch { greeting: Some(f.greeting), sla: Some(sla), ..Default::default() }.apply(&current)?;
        st.store.update_merchant(&p.scope(), Some(p.user_id), id, next).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    back(&slug, result)
}

#[derive(Debug, Deserialize)]
pub struct ScriptForm {
    csrf: String,
    category: String,
    body: String,
}

pub async fn script(
    State(st): State<AppState>,
    user: ConsoleUser,
    _jar: CookieJar,
    Path(slug): Path<String>,
    Form(f): Form<ScriptForm>,
) -> Result<Response, ApiError> {
    let (p, id) = authorize(&st, &user, &f.csrf, &slug).await?;
    let result = async {
        let (category, body) = ScriptInput { category: f.category, body: f.body }.validate()?;
        st.store.put_script(&p.scope(), p.user_id, id, &category, &body).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    back(&slug, result)
}

#[derive(Debug, Deserialize)]
pub struct CannedForm {
    csrf: String,
    title: String,
    body: String,
}

pub async fn canned(
    State(st): State<AppState>,
    user: ConsoleUser,
    _jar: CookieJar,
    Path(slug): Path<String>,
    Form(f): Form<CannedForm>,
) -> Result<Response, ApiError> {
    let (p, id) = authorize(&st, &user, &f.csrf, &slug).await?;
    let result = async {
        let (title, body) = CannedResponseInput { title: f.title, body: f.body }.validate()?;
        st.store.create_canned_response(&p.scope(), p.user_id, id, &title, &body).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    back(&slug, result)
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

pub async fn delete_canned(
    State(st): State<AppState>,
    user: ConsoleUser,
    _jar: CookieJar,
    Path((slug, canned)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, ApiError> {
    let (p, id) = authorize(&st, &user, &f.csrf, &slug).await?;
    let cid: CannedResponseId = canned.parse().map_err(|_| ApiError::not_found())?;
    if st.store.canned_response_merchant(&p.scope(), cid).await? != id {
        return Err(ApiError::not_found());
    }
    st.store.delete_canned_response(&p.scope(), p.user_id, cid).await?;
    back(&slug, Ok(()))
}

#[derive(Debug, Deserialize)]
pub struct DispositionForm {
    csrf: String,
    code: String,
    label: String,
}

pub async fn disposition(
    State(st): State<AppState>,
    user: ConsoleUser,
    _jar: CookieJar,
    Path(slug): Path<String>,
    Form(f): Form<DispositionForm>,
) -> Result<Response, ApiError> {
    let (p, id) = authorize(&st, &user, &f.csrf, &slug).await?;
    let result = async {
        let (code, label) = DispositionCodeInput { code: f.code, label: f.label }.validate()?;
        st.store.create_disposition_code(&p.scope(), p.user_id, id, &code, &label).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    back(&slug, result)
}

#[derive(Debug, Deserialize)]
pub struct QueueForm {
    csrf: String,
    name: String,
}

pub async fn queue(
    State(st): State<AppState>,
    user: ConsoleUser,
    _jar: CookieJar,
    Path(slug): Path<String>,
    Form(f): Form<QueueForm>,
) -> Result<Response, ApiError> {
    let (p, id) = authorize(&st, &user, &f.csrf, &slug).await?;
    let result = async {
        let name = madoguchi_core::agent::NewQueue { name: f.name }.validate()?;
        st.store.create_queue(&p.scope(), p.user_id, id, &name).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    back(&slug, result)
}
