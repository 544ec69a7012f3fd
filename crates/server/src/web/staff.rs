//! The desk's staff from the console (スタッフ): who works here, in which role and for which
//! shops, adding someone, changing their role, shops, name or password, switching them off,
//! lifting a sign-in lock; and API tokens, a user's own or those of staff one manages. Admins
//! manage everyone; a shop's admin manages their own shop's staff. Every change goes through
//! the same use cases as the API.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use madoguchi_app::usecases::error::UseCaseError;
use madoguchi_app::usecases::staff;
use madoguchi_core::ValidationError;
use madoguchi_core::enums::Role;
use madoguchi_core::ids::{TokenId, UserId};
use madoguchi_core::page::PageRequest;
use madoguchi_core::user::{NewUser, UserPatch};
use serde::Deserialize;
use strum::IntoEnumIterator;

use super::render;
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{AdminTexts, FormError, Lang, Texts, form_error, form_error_of};
use crate::web::ConsoleUser;

struct StaffRow {
    id: String,
    login: String,
    display_name: String,
    public_name: String,
    role: &'static str,
    role_code: &'static str,
    shops: String,
    /// Slugs of the shops, for the edit form's checkboxes.
    shop_slugs: Vec<String>,
    active: bool,
    email: String,
    /// An open password link: what to say (invited until…, or not sent) and whether it failed.
    link: Option<(String, bool)>,
    manageable: bool,
    /// For the desk's agents and supervisors: the queues they take and their live-chat limit.
    /// Skills, live chats at once, PBX extension.
    profile: Option<(String, u32, String)>,
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage {
    lang: &'static str,
    t: &'static Texts,
    a: &'static AdminTexts,
    chrome: crate::web::chrome::Chrome,
    rows: Vec<StaffRow>,
    /// Roles the reader may give: (code, label).
    roles: Vec<(&'static str, &'static str)>,
    /// Shops the reader may choose: (slug, name).
    shops: Vec<(String, String)>,
    /// The reader sets skills and chat limits (admins; supervisors through the API).
    sets_profiles: bool,
    /// The shops' queue names, offered as skills.
    queue_names: Vec<String>,
    /// The form a refusal came from ("new" or a user id), and why.
    error_form: String,
    error: Option<FormError>,
    /// What was typed in the refused form: login, name, role, shops, mail address.
    kept: Kept,
    notice: Option<String>,
    /// The notice reports a failure (a password link the mail server refused).
    notice_failed: bool,
}

type Kept = (String, String, String, Vec<String>, String);

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    saved: Option<String>,
    unlocked: Option<String>,
    /// A password link was just written for this user: say whether it went out.
    link: Option<String>,
}

/// Whoever may manage some staff: admins and shops' admins.
fn may_manage(user: &ConsoleUser) -> Result<(), ApiError> {
    if matches!(user.principal.role, Role::Admin | Role::MerchantAdmin) {
        Ok(())
    } else {
        Err(ApiError::forbidden("only admins and shops' admins manage staff"))
    }
}

pub async fn show(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Query(q): Query<ShowQuery>,
) -> Result<Response, ApiError> {
    may_manage(&user)?;
    let lang = Lang::from_request(&jar, &headers);
    let a = crate::i18n::admin_texts(lang);
    let mut notice = if q.unlocked.is_some() {
        Some((a.unlocked.to_owned(), false))
    } else if q.saved.is_some() {
        Some((lang.t().saved.to_owned(), false))
    } else {
        None
    };
    if let Some(id) = q.link.as_deref().and_then(|l| l.parse::<UserId>().ok()) {
        let u = st.store.get_user(&user.principal.scope(), user.principal.user_id, id).await?;
        notice = u.invitation.map(|i| match i.send_error {
            None => (a.link_sent.replace("{to}", &i.sent_to), false),
            Some(_) => (a.link_not_sent.to_owned(), true),
        });
    }
    staff_page(&st, &user, lang, Refusal::default(), notice).await
}

#[derive(Default)]
struct Refusal {
    form: String,
    error: Option<FormError>,
    kept: Kept,
}

/// "12/10 16:00" in Japan time.
fn jst(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono_tz::Asia::Tokyo).format("%Y/%m/%d %H:%M").to_string()
}

async fn staff_page(
    st: &AppState,
    user: &ConsoleUser,
    lang: Lang,
    refusal: Refusal,
    notice: Option<(String, bool)>,
) -> Result<Response, ApiError> {
    let p = &user.principal;
    let scope = p.scope();
    let merchants = st.store.list_merchants(&scope, PageRequest::first(200)).await?.items;
    let a = crate::i18n::admin_texts(lang);
    let users = st.store.list_users(&scope, p.user_id, PageRequest::first(200)).await?.items;
    let sets_profiles = p.role == Role::Admin;
    let mut profiles = std::collections::HashMap::new();
    for u in users.iter().filter(|u| matches!(u.role, Role::Agent | Role::Supervisor)) {
        let a = st.store.agent_profile(u.id).await?;
        profiles.insert(u.id, (a.skills.join("、"), a.max_messaging, a.extension.unwrap_or_default()));
    }
    let mut queue_names = Vec::new();
    if sets_profiles {
        for m in &merchants {
            for q in st.store.list_queues(&scope, m.id).await? {
                if !queue_names.contains(&q.name) {
                    queue_names.push(q.name);
                }
            }
        }
    }
    let rows = users
        .iter()
        .map(|u| {
            let mine: Vec<_> = merchants.iter().filter(|m| u.merchants.contains(&m.id)).collect();
            StaffRow {
                id: u.id.to_string(),
                login: u.login.clone(),
                display_name: u.display_name.clone(),
                public_name: u.public_name.clone(),
                role: crate::i18n::role(lang, u.role),
                role_code: u.role.as_str(),
                shops: if u.role == Role::Admin {
                    a.all_shops.to_owned()
                } else {
                    mine.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join("、")
                },
                shop_slugs: mine.iter().map(|m| m.slug.clone()).collect(),
                active: u.active,
                email: u.email.clone().unwrap_or_default(),
                link: u.invitation.as_ref().map(|i| match &i.send_error {
                    None => (a.invited_until.replace("{until}", &jst(i.expires_at)), false),
                    Some(_) => (a.link_not_sent.to_owned(), true),
                }),
                manageable: p.can_manage_user(u.role, &u.merchants),
                profile: profiles.get(&u.id).cloned(),
            }
        })
        .collect();
    // The roles this reader may give someone of their own shops.
    let own: Vec<_> = merchants.iter().map(|m| m.id).collect();
    let roles = Role::iter()
        .filter(|r| p.can_manage_user(*r, &own))
        .map(|r| (r.as_str(), crate::i18n::role(lang, r)))
        .collect();
    let status = if refusal.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = StaffPage {
        lang: lang.code(),
        t: lang.t(),
        a,
        chrome: crate::web::chrome::Chrome::of(st, &user.session, lang).await?,
        rows,
        roles,
        shops: merchants.into_iter().map(|m| (m.slug, m.name)).collect(),
        sets_profiles,
        queue_names,
        error_form: refusal.form,
        error: refusal.error,
        kept: refusal.kept,
        notice_failed: notice.as_ref().is_some_and(|n| n.1),
        notice: notice.map(|n| n.0),
    };
    Ok(render(status, &page))
}

/// The add and edit forms. Shops come as repeated `shop` fields (checkboxes).
#[derive(Debug, Default)]
pub struct StaffForm {
    csrf: String,
    login: String,
    display_name: String,
    public_name: String,
    role: String,
    password: String,
    email: String,
    shops: Vec<String>,
    active: bool,
}

impl StaffForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> StaffForm {
        let mut f = StaffForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "login" => f.login = v,
                "display_name" => f.display_name = v,
                "public_name" => f.public_name = v,
                "role" => f.role = v,
                "password" => f.password = v,
                "email" => f.email = v,
                "shop" => f.shops.push(v),
                "active" => f.active = true,
                _ => {}
            }
        }
        f
    }

    fn role(&self) -> Result<Role, ValidationError> {
        self.role.parse().map_err(|_| ValidationError::new("role", "invalid_choice", "choose a role"))
    }
}

fn field_label(lang: Lang, field: &str) -> &'static str {
    let (t, a) = (lang.t(), crate::i18n::admin_texts(lang));
    match field {
        "login" => t.login,
        "password" => t.password,
        "display_name" => a.display_name,
        "public_name" => a.public_name,
        "role" => a.role,
        "merchants" => a.shops,
        "skills" => a.skills,
        "max_messaging" => a.max_chats,
        "extension" => a.extension,
        "email" => a.email,
        _ => a.staff_title,
    }
}

/// A refused change as the page says it; anything else is the error page's.
fn refused(lang: Lang, e: UseCaseError) -> Result<FormError, ApiError> {
    match e {
        UseCaseError::Invalid(v) => Ok(form_error(lang, field_label(lang, &v.field), &v)),
        UseCaseError::Store(madoguchi_store::StoreError::Conflict { code, message }) => {
            let field = if code == "login_taken" { "login" } else { "role" };
            Ok(form_error_of(lang, field_label(lang, field), field, code, &message))
        }
        e => Err(e.into()),
    }
}

pub async fn create(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let f = StaffForm::from_pairs(pairs);
    let p = user.checked(&f.csrf)?.clone();
    may_manage(&user)?;
    let lang = Lang::from_request(&jar, &headers);
    let result = match f.role() {
        Ok(role) => {
            let req = NewUser {
                login: f.login.clone(),
                display_name: f.display_name.clone(),
                public_name: Some(f.public_name.clone()),
                role,
                password: Some(f.password.clone()).filter(|p| !p.is_empty()),
                email: Some(f.email.clone()),
                merchants: f.shops.clone(),
            };
            staff::create_user(&st, &p, req).await
        }
        Err(e) => Err(e.into()),
    };
    match result {
        // Someone invited: the page says whether the mail went out.
        Ok(u) if u.invitation.is_some() => Ok(Redirect::to(&format!("/settings/staff?link={}", u.id)).into_response()),
        Ok(_) => Ok(Redirect::to("/settings/staff?saved=1").into_response()),
        Err(e) => {
            let error = refused(lang, e)?;
            let kept = (f.login, f.display_name, f.role, f.shops, f.email);
            staff_page(&st, &user, lang, Refusal { form: "new".into(), error: Some(error), kept }, None).await
        }
    }
}

fn user_id(raw: &str) -> Result<UserId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

pub async fn update(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let f = StaffForm::from_pairs(pairs);
    let p = user.checked(&f.csrf)?.clone();
    may_manage(&user)?;
    let lang = Lang::from_request(&jar, &headers);
    let target = user_id(&id)?;
    let result = match f.role() {
        Ok(role) => {
            let patch = UserPatch {
                display_name: Some(f.display_name.clone()),
                public_name: Some(f.public_name.clone()),
                role: Some(role),
                password: Some(f.password.clone()).filter(|p| !p.is_empty()),
                email: Some(f.email.clone()),
                // An admin has no shops; the form sends none for them.
                merchants: Some(if role == Role::Admin { vec![] } else { f.shops.clone() }),
                active: Some(f.active),
            };
            staff::update_user(&st, &p, target, patch).await.map(|_| ())
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/settings/staff?saved=1").into_response()),
        Err(e) => {
            let error = refused(lang, e)?;
            let kept = (String::new(), f.display_name, f.role, f.shops, f.email);
            staff_page(&st, &user, lang, Refusal { form: id, error: Some(error), kept }, None).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ProfileForm {
    csrf: String,
    /// Queue names separated by 、 or commas.
    #[serde(default)]
    skills: String,
    #[serde(default)]
    max_messaging: String,
    #[serde(default)]
    extension: String,
}

/// Sets an agent's skills and live-chat limit; a refusal comes back at that row.
pub async fn profile(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<ProfileForm>,
) -> Result<Response, ApiError> {
    let p = user.checked(&f.csrf)?.clone();
    let lang = Lang::from_request(&jar, &headers);
    let skills: Vec<String> =
        f.skills.split(['、', ',', '，', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let max = madoguchi_core::validation::nfkc(f.max_messaging.trim());
    let patch = match max.parse::<u32>() {
        Ok(m) => Ok(madoguchi_core::agent::AgentProfilePatch {
            skills: Some(skills),
            max_messaging: Some(m),
            extension: Some(f.extension.clone()),
        }),
        Err(_) => Err(ValidationError::new("max_messaging", "out_of_range", "max_messaging must be 1–20")),
    };
    let result = match patch {
        Ok(patch) => staff::set_agent_profile(&st, &p, user_id(&id)?, &patch).await.map(|_| ()),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/settings/staff?saved=1").into_response()),
        Err(e) => {
            let error = refused(lang, e)?;
            staff_page(&st, &user, lang, Refusal { form: id, error: Some(error), ..Default::default() }, None).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
    #[serde(default)]
    label: String,
}

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    csrf: String,
    #[serde(default)]
    email: String,
}

/// Mails a user a new password link (to the address typed, or the one on file).
pub async fn password_link(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<LinkForm>,
) -> Result<Response, ApiError> {
    let p = user.checked(&f.csrf)?.clone();
    may_manage(&user)?;
    let lang = Lang::from_request(&jar, &headers);
    let target = user_id(&id)?;
    match madoguchi_app::usecases::password_links::send_link(&st, &p, target, Some(&f.email)).await {
        Ok(_) => Ok(Redirect::to(&format!("/settings/staff?link={target}")).into_response()),
        Err(e) => {
            let error = refused(lang, e)?;
            staff_page(&st, &user, lang, Refusal { form: id, error: Some(error), ..Default::default() }, None).await
        }
    }
}

pub async fn unlock(
    State(st): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    let p = user.checked(&f.csrf)?.clone();
    staff::unlock(&st, &p, user_id(&id)?).await?;
    Ok(Redirect::to("/settings/staff?unlocked=1").into_response())
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    lang: &'static str,
    t: &'static Texts,
    a: &'static AdminTexts,
    chrome: crate::web::chrome::Chrome,
    owner_id: String,
    owner_name: String,
    /// (id, label, created, last used)
    tokens: Vec<(String, String, String, String)>,
    /// A token just made: shown on this answer only.
    issued: Option<String>,
    error: Option<FormError>,
    label: String,
}

async fn tokens_page(
    st: &AppState,
    user: &ConsoleUser,
    lang: Lang,
    owner: UserId,
    issued: Option<String>,
    error: Option<(FormError, String)>,
) -> Result<Response, ApiError> {
    let p = &user.principal;
    let a = crate::i18n::admin_texts(lang);
    let target = staff::token_owner(st, p, owner).await?;
    let when = jst;
    let tokens = staff::list_tokens(st, p, owner, PageRequest::first(200))
        .await?
        .items
        .into_iter()
        .map(|t| {
            let used = t.last_used_at.map_or_else(|| a.token_never_used.to_owned(), when);
            (t.id.to_string(), t.label, when(t.created_at), used)
        })
        .collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let (error, label) = match error {
        Some((e, l)) => (Some(e), l),
        None => (None, String::new()),
    };
    let page = TokensPage {
        lang: lang.code(),
        t: lang.t(),
        a,
        chrome: crate::web::chrome::Chrome::of(st, &user.session, lang).await?,
        owner_id: target.id.to_string(),
        owner_name: target.display_name,
        tokens,
        issued,
        error,
        label,
    };
    Ok(render(status, &page))
}

/// A user's API tokens: their own, or those of staff the reader manages.
pub async fn tokens(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    tokens_page(&st, &user, lang, user_id(&id)?, None, None).await
}

/// Makes a token and shows its secret on this answer, never again (no redirect).
pub async fn create_token(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    let p = user.checked(&f.csrf)?.clone();
    let lang = Lang::from_request(&jar, &headers);
    let owner = user_id(&id)?;
    match staff::create_token(&st, &p, owner, &f.label).await {
        Ok(t) => tokens_page(&st, &user, lang, owner, Some(t.secret), None).await,
        Err(UseCaseError::Invalid(e)) => {
            let label = crate::i18n::admin_texts(lang).token_label;
            tokens_page(&st, &user, lang, owner, None, Some((form_error(lang, label, &e), f.label))).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_token(
    State(st): State<AppState>,
    user: ConsoleUser,
    Path((id, token)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    let p = user.checked(&f.csrf)?.clone();
    let token: TokenId = token.parse().map_err(|_| ApiError::not_found())?;
    staff::delete_token(&st, &p, user_id(&id)?, token).await?;
    Ok(Redirect::to(&format!("/settings/staff/{id}/tokens")).into_response())
}
