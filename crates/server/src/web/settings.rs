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

use super::render;
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{FormError, Lang, Texts, form_error_of};
use crate::web::ConsoleUser;

#[derive(Template)]
#[template(path = "settings.html")]
struct Page {
    lang: &'static str,
    t: &'static Texts,
    st: &'static crate::i18n::SettingsTexts,
    chrome: crate::web::chrome::Chrome,
    csrf: String,
    slug: String,
    merchant_name: String,
    greeting: String,
    greetings: madoguchi_core::merchant::ChannelGreetings,
    staff_may_reply: bool,
    d: &'static crate::i18n::DeskTexts,
    first_response: String,
    resolution: String,
    scripts: Vec<(String, String)>,
    /// The shop's categories, offered when a script is written.
    categories: Vec<String>,
    canned: Vec<(String, String, String, String)>,
    dispositions: Vec<(String, String)>,
    /// Queues as (id, name).
    queues: Vec<(String, String)>,
    error: Option<FormError>,
    saved: bool,
    /// What was typed into the form that was refused, shown again in it.
    kept: Kept,
}

/// The form a refused change came from and what was typed into it.
#[derive(Debug, Default)]
pub struct Kept {
    form: String,
    fields: Vec<(&'static str, String)>,
}

impl Kept {
    fn of(form: impl Into<String>, fields: Vec<(&'static str, String)>) -> Kept {
        Kept { form: form.into(), fields }
    }

    /// What was typed in `field` of `form`, or `current` when that form was not the refused one.
    pub fn or<'a>(&'a self, form: &str, field: &str, current: &'a str) -> &'a str {
        if self.form != form {
            return current;
        }
        self.fields.iter().find(|(f, _)| *f == field).map_or(current, |(_, v)| v.as_str())
    }
}

/// A duration as staff write it — 「30分」「4時間」「2日」, 90 — in minutes (a bare number is
/// minutes, as before).
fn minutes_typed(field: &str, text: &str) -> Result<u32, ValidationError> {
    let t = madoguchi_core::validation::nfkc(text).trim().to_lowercase().replace(' ', "");
    let bad = || ValidationError::new(field, "invalid_duration", "a duration such as 30分, 4時間 or 2日");
    let (number, unit) = [("時間", 60), ("分", 1), ("日", 1440), ("h", 60), ("min", 1), ("m", 1), ("d", 1440)]
        .iter()
        .find_map(|(suffix, unit)| t.strip_suffix(suffix).map(|n| (n.to_owned(), *unit)))
        .unwrap_or((t.clone(), 1));
    let n: f64 = number.parse().map_err(|_| bad())?;
    let minutes = n * f64::from(unit);
    if !(minutes.is_finite() && minutes >= 1.0 && minutes.fract() == 0.0 && minutes <= f64::from(u32::MAX)) {
        return Err(bad());
    }
    Ok(minutes as u32)
}

/// Minutes as the form shows them: in days or hours when they are whole ones.
fn minutes_shown(m: u32) -> String {
    match m {
        m if m % 1440 == 0 => format!("{}日", m / 1440),
        m if m % 60 == 0 => format!("{}時間", m / 60),
        m => format!("{m}分"),
    }
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
fn field_label(lang: Lang, field: &str) -> &'static str {
    let (t, d) = (lang.t(), crate::i18n::desk(lang));
    match field {
        "greeting" => t.greeting,
        "greetings.chat" => d.greeting_chat,
        "greetings.line" => d.greeting_line,
        "greetings.mail_opening" => d.mail_opening,
        "greetings.mail_signature" => d.mail_signature,
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
    let m = editable(&st, &user.principal, &slug).await?;
    let error = q.error.as_deref().map(|code| {
        let field = q.field.as_deref().unwrap_or_default();
        form_error_of(lang, field_label(lang, field), field, code, q.detail.as_deref().unwrap_or_default())
    });
    settings_page(&st, &user, lang, &m, error, Kept::default(), q.saved.is_some(), StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn settings_page(
    st: &AppState,
    user: &ConsoleUser,
    lang: Lang,
    m: &Merchant,
    error: Option<FormError>,
    kept: Kept,
    saved: bool,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let scope = user.principal.scope();
    let sample = sample();
    let scripts: Vec<(String, String)> =
        st.store.list_scripts(&scope, m.id).await?.into_iter().map(|s| (s.category, s.body)).collect();
    let page = Page {
        lang: lang.code(),
        t: lang.t(),
        st: crate::i18n::settings_texts(lang),
        chrome: crate::web::chrome::Chrome::of(st, &user.session, lang).await?,
        csrf: user.session.csrf_token.clone(),
        slug: m.slug.clone(),
        merchant_name: m.name.clone(),
        greeting: m.greeting.clone(),
        greetings: m.greetings.clone(),
        staff_may_reply: m.staff_may_reply,
        d: crate::i18n::desk(lang),
        first_response: minutes_shown(m.sla.first_response_minutes),
        resolution: minutes_shown(m.sla.resolution_minutes),
        categories: madoguchi_core::category::shop_categories(scripts.iter().map(|s| s.0.as_str()), None),
        scripts,
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
        queues: st.store.list_queues(&scope, m.id).await?.into_iter().map(|q| (q.id.to_string(), q.name)).collect(),
        error,
        saved,
        kept,
    };
    Ok(render(status, &page))
}

/// After a change: back to the page. A refused change shows the page again at once, with the
/// reason beside the field and what was typed still in its form.
async fn back(
    st: &AppState,
    user: &ConsoleUser,
    lang: Lang,
    slug: &str,
    kept: Kept,
    result: Result<(), ApiError>,
) -> Result<Response, ApiError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/settings/{slug}?saved=1")).into_response()),
        Err(ApiError::Client { status, code, message, field })
            if status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::CONFLICT =>
        {
            let m = editable(st, &user.principal, slug).await?;
            let field = field.unwrap_or_default();
            let error = form_error_of(lang, field_label(lang, &field), &field, &code, &message);
            settings_page(st, user, lang, &m, Some(error), kept, false, StatusCode::UNPROCESSABLE_ENTITY).await
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

/// What every settings form handler starts with: the reader's language, the user (with the
/// form token checked) and the shop they may change.
struct Change {
    lang: Lang,
    p: Principal,
    id: MerchantId,
}

async fn change(
    st: &AppState,
    user: &ConsoleUser,
    headers: &HeaderMap,
    jar: &CookieJar,
    csrf: &str,
    slug: &str,
) -> Result<Change, ApiError> {
    let (p, id) = authorize(st, user, csrf, slug).await?;
    Ok(Change { lang: Lang::from_request(jar, headers), p, id })
}

#[derive(Debug, Deserialize)]
pub struct GeneralForm {
    csrf: String,
    greeting: String,
    first_response_minutes: String,
    resolution_minutes: String,
    #[serde(default)]
    chat_greeting: String,
    #[serde(default)]
    line_greeting: String,
    #[serde(default)]
    mail_opening: String,
    #[serde(default)]
    mail_signature: String,
    /// A checkbox: present when ticked.
    staff_may_reply: Option<String>,
}

pub async fn general(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<GeneralForm>,
) -> Result<Response, ApiError> {
    let c = change(&st, &user, &headers, &jar, &f.csrf, &slug).await?;
    let result = async {
        let sla = SlaPolicy {
            first_response_minutes: minutes_typed("sla.first_response_minutes", &f.first_response_minutes)?,
            resolution_minutes: minutes_typed("sla.resolution_minutes", &f.resolution_minutes)?,
        };
        let current = st.store.get_merchant(&c.p.scope(), MerchantKey::Id(c.id)).await?;
        let greetings = madoguchi_core::merchant::ChannelGreetings {
            chat: f.chat_greeting.clone(),
            line: f.line_greeting.clone(),
            mail_opening: f.mail_opening.clone(),
            mail_signature: f.mail_signature.clone(),
        };
        let next = MerchantPatch {
            greeting: Some(f.greeting.clone()),
            sla: Some(sla),
            greetings: Some(greetings),
            staff_may_reply: Some(f.staff_may_reply.is_some()),
            ..Default::default()
        }
        .apply(&current)?;
        st.store.update_merchant(&c.p.scope(), Some(c.p.user_id), c.id, next).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    let kept = Kept::of(
        "general",
        vec![
            ("greeting", f.greeting),
            ("first_response", f.first_response_minutes),
            ("resolution", f.resolution_minutes),
            ("chat_greeting", f.chat_greeting),
            ("line_greeting", f.line_greeting),
            ("mail_opening", f.mail_opening),
            ("mail_signature", f.mail_signature),
        ],
    );
    back(&st, &user, c.lang, &slug, kept, result).await
}

#[derive(Debug, Deserialize)]
pub struct ScriptForm {
    csrf: String,
    category: String,
    body: String,
    /// Set by a script's own delete button.
    delete: Option<String>,
}

/// Writes (or rewrites) a category's talk script; with `delete`, removes it.
pub async fn script(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<ScriptForm>,
) -> Result<Response, ApiError> {
    let c = change(&st, &user, &headers, &jar, &f.csrf, &slug).await?;
    let result = async {
        if f.delete.is_some() {
            st.store.delete_script(&c.p.scope(), c.p.user_id, c.id, f.category.trim()).await?;
            return Ok(());
        }
        let (category, body) = ScriptInput { category: f.category.clone(), body: f.body.clone() }.validate()?;
        st.store.put_script(&c.p.scope(), c.p.user_id, c.id, &category, &body).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    let kept = Kept::of("script", vec![("category", f.category), ("body", f.body)]);
    back(&st, &user, c.lang, &slug, kept, result).await
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
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<CannedForm>,
) -> Result<Response, ApiError> {
    let c = change(&st, &user, &headers, &jar, &f.csrf, &slug).await?;
    let result = async {
        let (title, body) = CannedResponseInput { title: f.title.clone(), body: f.body.clone() }.validate()?;
        st.store.create_canned_response(&c.p.scope(), c.p.user_id, c.id, &title, &body).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    back(&st, &user, c.lang, &slug, Kept::of("canned", vec![("title", f.title), ("body", f.body)]), result).await
}

/// A canned response of this shop named in the address; another shop's is not found.
async fn own_canned(st: &AppState, c: &Change, raw: &str) -> Result<CannedResponseId, ApiError> {
    let id: CannedResponseId = raw.parse().map_err(|_| ApiError::not_found())?;
    if st.store.canned_response_merchant(&c.p.scope(), id).await? != c.id {
        return Err(ApiError::not_found());
    }
    Ok(id)
}

pub async fn update_canned(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path((slug, canned)): Path<(String, String)>,
    Form(f): Form<CannedForm>,
) -> Result<Response, ApiError> {
    let c = change(&st, &user, &headers, &jar, &f.csrf, &slug).await?;
    let id = own_canned(&st, &c, &canned).await?;
    let result = async {
        let (title, body) = CannedResponseInput { title: f.title.clone(), body: f.body.clone() }.validate()?;
        st.store.update_canned_response(&c.p.scope(), c.p.user_id, id, &title, &body).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    let kept = Kept::of(format!("canned-{id}"), vec![("title", f.title), ("body", f.body)]);
    back(&st, &user, c.lang, &slug, kept, result).await
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

pub async fn delete_canned(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path((slug, canned)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, ApiError> {
    let c = change(&st, &user, &headers, &jar, &f.csrf, &slug).await?;
    let id = own_canned(&st, &c, &canned).await?;
    st.store.delete_canned_response(&c.p.scope(), c.p.user_id, id).await?;
    back(&st, &user, c.lang, &slug, Kept::default(), Ok(())).await
}

#[derive(Debug, Deserialize)]
pub struct DispositionForm {
    csrf: String,
    /// Empty for a new code: one is made from the count (C01, C02, …); reports use it.
    #[serde(default)]
    code: String,
    label: String,
}

pub async fn disposition(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<DispositionForm>,
) -> Result<Response, ApiError> {
    let c = change(&st, &user, &headers, &jar, &f.csrf, &slug).await?;
    let result = async {
        let scope = c.p.scope();
        let existing = st.store.list_disposition_codes(&scope, c.id).await?;
        let code = match f.code.trim() {
            "" => (existing.len() + 1..)
                .map(|n| format!("C{n:02}"))
                .find(|code| !existing.iter().any(|d| &d.code == code))
                .unwrap_or_default(),
            typed => typed.to_owned(),
        };
        let (code, label) = DispositionCodeInput { code, label: f.label.clone() }.validate()?;
        st.store.create_disposition_code(&scope, c.p.user_id, c.id, &code, &label).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    back(&st, &user, c.lang, &slug, Kept::of("disposition", vec![("code", f.code), ("label", f.label)]), result).await
}

pub async fn relabel_disposition(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path((slug, code)): Path<(String, String)>,
    Form(f): Form<DispositionForm>,
) -> Result<Response, ApiError> {
    let c = change(&st, &user, &headers, &jar, &f.csrf, &slug).await?;
    let result = async {
        let (code, label) = DispositionCodeInput { code: code.clone(), label: f.label.clone() }.validate()?;
        st.store.relabel_disposition_code(&c.p.scope(), c.p.user_id, c.id, &code, &label).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    back(&st, &user, c.lang, &slug, Kept::of(format!("disposition-{code}"), vec![("label", f.label)]), result).await
}

#[derive(Debug, Deserialize)]
pub struct QueueForm {
    csrf: String,
    name: String,
    /// Set by a queue's own delete button.
    delete: Option<String>,
}

pub async fn queue(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<QueueForm>,
) -> Result<Response, ApiError> {
    let c = change(&st, &user, &headers, &jar, &f.csrf, &slug).await?;
    let result = async {
        let name = madoguchi_core::agent::NewQueue { name: f.name.clone() }.validate()?;
        st.store.create_queue(&c.p.scope(), c.p.user_id, c.id, &name).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    back(&st, &user, c.lang, &slug, Kept::of("queue", vec![("name", f.name)]), result).await
}

/// Renames a queue of this shop, or (with `delete`) removes it.
pub async fn edit_queue(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path((slug, queue)): Path<(String, String)>,
    Form(f): Form<QueueForm>,
) -> Result<Response, ApiError> {
    let c = change(&st, &user, &headers, &jar, &f.csrf, &slug).await?;
    let id: madoguchi_core::ids::QueueId = queue.parse().map_err(|_| ApiError::not_found())?;
    if st.store.get_queue(&c.p.scope(), id).await?.merchant_id != c.id {
        return Err(ApiError::not_found());
    }
    let result = async {
        if f.delete.is_some() {
            st.store.delete_queue(&c.p.scope(), c.p.user_id, id).await?;
            return Ok(());
        }
        let name = madoguchi_core::agent::NewQueue { name: f.name.clone() }.validate()?;
        st.store.rename_queue(&c.p.scope(), c.p.user_id, id, &name).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    back(&st, &user, c.lang, &slug, Kept::of(format!("queue-{id}"), vec![("name", f.name)]), result).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_typed_in_minutes_hours_or_days() {
        for (typed, minutes) in
            [("30分", 30), ("4時間", 240), ("2日", 2880), ("90", 90), ("１．５時間", 90), ("8h", 480)]
        {
            assert_eq!(minutes_typed("f", typed).unwrap(), minutes, "{typed}");
        }
        for bad in ["", "0分", "すぐ", "-1日", "0.5分"] {
            assert_eq!(minutes_typed("f", bad).unwrap_err().code, "invalid_duration", "{bad}");
        }
        assert_eq!(minutes_shown(240), "4時間");
        assert_eq!(minutes_shown(2880), "2日");
        assert_eq!(minutes_shown(45), "45分");
    }
}
