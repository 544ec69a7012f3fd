//! The console's server-rendered pages. This module holds sign-in and the session helpers
//! every page uses: sessions live in an HttpOnly, SameSite cookie; every state-changing form
//! carries a CSRF token; sign-in is rate-limited per login and per address.

pub mod audit;
pub mod board;
pub mod channels;
pub mod checklists;
pub mod chrome;
pub mod contact;
pub mod conversation;
pub mod customers;
pub mod errors;
pub mod events;
pub mod files;
pub mod hours;
pub mod inbox;
pub mod kb;
pub mod landing;
pub mod orders;
pub mod password;
pub mod phone;
pub mod policies;
pub mod portal;
pub mod search;
pub mod session;
pub mod settings;
pub mod settings_home;
pub mod staff;
pub mod tasks;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use madoguchi_core::access::Principal;
use madoguchi_store::sessions::Session;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::{Refusal, hash_token, new_token};
use crate::error::ApiError;
use crate::extract::ClientAddr;
use crate::i18n::{LANG_COOKIE, Lang, Texts};
pub(crate) use crate::render::render;
pub use session::ConsoleUser;

pub const SESSION_COOKIE: &str = "madoguchi_session";
/// Double-submit token of the sign-in form (there is no session yet to hold one).
pub const LOGIN_CSRF_COOKIE: &str = "madoguchi_login_csrf";

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", get(landing::show))
        .route("/login", get(login_page).post(login))
        .route("/password/{secret}", get(password::show).post(password::choose))
        .route("/logout", post(logout))
        .route("/desk", get(inbox::show))
        .route("/desk/presence", post(inbox::set_presence))
        .route("/desk/heartbeat", post(inbox::heartbeat))
        .route("/desk/phone", get(phone::show))
        .route("/desk/phone/token", post(phone::token))
        .route("/desk/calls/{id}/hold", post(phone::hold))
        .route("/desk/calls/{id}/transfer", post(phone::transfer))
        .route("/desk/conversations/{id}", get(conversation::show))
        .route(
            "/desk/conversations/{id}/messages",
            post(conversation::add_message)
                .layer(axum::extract::DefaultBodyLimit::max(conversation::MAX_REPLY_FORM_BYTES)),
        )
        .route("/desk/conversations/{id}/update", post(conversation::update))
        .route("/desk/conversations/{id}/typing", post(conversation::typing))
        .route("/desk/conversations/{id}/escalations", post(conversation::escalate))
        .route("/desk/conversations/{id}/decisions", post(conversation::record_decision))
        .route("/desk/conversations/{id}/cases", post(conversation::open_case))
        .route("/desk/conversations/{id}/wrap-up", post(conversation::wrap_up))
        .route("/desk/conversations/{id}/end", post(conversation::end_contact))
        .route("/desk/conversations/{id}/merge-customer", post(conversation::merge_customer))
        .route("/desk/conversations/{id}/distinct-customer", post(conversation::distinct_customer))
        .route("/desk/events", get(events::stream))
        .route("/desk/search", get(search::show))
        .route("/desk/customers/{id}", get(customers::show))
        .route("/desk/tasks", get(tasks::show))
        .route("/desk/tasks/{case}/{task}/done", post(tasks::done))
        .route("/desk/files/{id}", get(files::desk_file))
        .route("/portal", get(portal::show))
        .route("/board", get(board::show))
        .route("/board/calls/{id}/offer", post(board::offer))
        .route("/settings", get(settings_home::show))
        .route("/admin", get(settings_home::admin))
        .route("/settings/staff", get(staff::show).post(staff::create))
        .route("/settings/staff/{id}", post(staff::update))
        .route("/settings/staff/{id}/unlock", post(staff::unlock))
        .route("/settings/staff/{id}/password-link", post(staff::password_link))
        .route("/settings/staff/{id}/profile", post(staff::profile))
        .route("/settings/staff/{id}/tokens", get(staff::tokens).post(staff::create_token))
        .route("/settings/staff/{id}/tokens/{token}/delete", post(staff::delete_token))
        .route("/settings/audit", get(audit::show))
        .route("/settings/audit.csv", get(audit::csv))
        .route("/settings/{slug}", get(settings::show))
        .route("/settings/{slug}/hours", get(hours::show).post(hours::save))
        .route("/settings/{slug}/channels", get(channels::show))
        .route("/settings/{slug}/channels/{kind}", post(channels::save))
        .route("/settings/{slug}/channels/email/test", post(channels::test_mail))
        .route("/settings/{slug}/general", post(settings::general))
        .route("/settings/{slug}/scripts", post(settings::script))
        .route("/settings/{slug}/canned", post(settings::canned))
        .route("/settings/{slug}/canned/{id}", post(settings::update_canned))
        .route("/settings/{slug}/canned/{id}/delete", post(settings::delete_canned))
        .route("/settings/{slug}/dispositions", post(settings::disposition))
        .route("/settings/{slug}/dispositions/{code}", post(settings::relabel_disposition))
        .route("/settings/{slug}/queues", post(settings::queue))
        .route("/settings/{slug}/queues/{id}", post(settings::edit_queue))
        .route("/settings/{slug}/kb", get(kb::show).post(kb::save))
        .route("/settings/{slug}/policies", get(policies::show).post(policies::submit))
        .route("/settings/{slug}/checklists", get(checklists::show))
        .route("/settings/{slug}/checklists/{kind}", post(checklists::submit))
        .route("/settings/{slug}/kb/{id}/delete", post(kb::delete))
        .route("/portal/escalations/{id}/answer", post(portal::answer))
        .route("/static/console.css", get(css))
        .route("/static/console.js", get(js))
        .route("/static/softphone.js", get(softphone_js))
        .route("/static/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .merge(contact::routes())
        .merge(orders::routes())
        .layer(axum::middleware::from_fn(errors::html_errors))
}

/// The tab's icon: a window (窓), drawn small enough to read at 16 px.
async fn favicon() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")],
        include_str!("../../static/favicon.svg"),
    )
}

async fn css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../../static/console.css"))
}

async fn js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../../static/console.js"))
}

async fn softphone_js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../../static/softphone.js"))
}

/// A browser-session cookie: gone when the browser closes (shared desk PCs), and the server
/// enforces the session's own expiry besides.
fn cookie(settings: &crate::Settings, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(settings.cookie_secure)
        .build()
}

/// Constant-time comparison, so a token cannot be guessed byte by byte from response times.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    pub(crate) lang: Option<String>,
}

/// Applies `?lang=` (remembered in a cookie) or the request's language.
pub(crate) fn language(jar: CookieJar, headers: &HeaderMap, q: &LangQuery) -> (CookieJar, Lang) {
    match q.lang.as_deref().and_then(Lang::parse) {
        Some(l) => (jar.add(Cookie::build((LANG_COOKIE, l.code())).path("/").same_site(SameSite::Lax).build()), l),
        None => {
            let l = Lang::from_request(&jar, headers);
            (jar, l)
        }
    }
}

/// Who a signed-in user is, for the store's scoping and the permission checks.
pub(crate) fn principal_of(u: &madoguchi_core::user::User) -> Principal {
    Principal { user_id: u.id, login: u.login.clone(), role: u.role, merchants: u.merchants.clone() }
}

/// A value for a URL's query string, percent-encoded (unreserved characters stay as they are).
pub(crate) fn query_value(v: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const QUERY: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    utf8_percent_encode(v, QUERY).to_string()
}

/// The first value of a field in a form read as pairs (forms with repeated or numbered fields).
pub(crate) fn form_value<'a>(form: &'a [(String, String)], key: &str) -> &'a str {
    form.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
}

/// The signed-in user's session, if the cookie names a live one (its idle time restarts).
pub async fn current_session(state: &AppState, jar: &CookieJar) -> Result<Option<Session>, ApiError> {
    let Some(c) = jar.get(SESSION_COOKIE) else { return Ok(None) };
    Ok(state.store.session(&hash_token(c.value()), state.settings.session_lifetime()).await?)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    lang: &'static str,
    t: &'static Texts,
    csrf: String,
    login: &'a str,
    error: Option<String>,
    /// Said above the form after a password was chosen through a mailed link.
    notice: Option<&'static str>,
}

fn login_form(
    settings: &crate::Settings,
    jar: CookieJar,
    lang: Lang,
    login: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    login_form_with(settings, jar, lang, login, error, None, status)
}

fn login_form_with(
    settings: &crate::Settings,
    jar: CookieJar,
    lang: Lang,
    login: &str,
    error: Option<String>,
    notice: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let (csrf, _) = new_token();
    let jar = jar.add(cookie(settings, LOGIN_CSRF_COOKIE, csrf.clone()));
    (jar, render(status, &LoginPage { lang: lang.code(), t: lang.t(), csrf, login, error, notice })).into_response()
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    lang: Option<String>,
    /// The login to fill in, after a password was set through a link.
    login: Option<String>,
    password_set: Option<String>,
}

async fn login_page(
    State(st): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let (jar, lang) = language(jar, &headers, &LangQuery { lang: q.lang });
    let notice = q.password_set.is_some().then(|| crate::i18n::password_texts(lang).done);
    match current_session(&st, &jar).await {
        Ok(Some(_)) => (jar, Redirect::to("/desk")).into_response(),
        _ => login_form_with(&st.settings, jar, lang, q.login.as_deref().unwrap_or(""), None, notice, StatusCode::OK),
    }
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    csrf: String,
}

async fn login(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let t = lang.t();
    let settings = &st.settings;
    if !jar.get(LOGIN_CSRF_COOKIE).is_some_and(|c| same(c.value(), &form.csrf)) {
        return Ok(login_form(settings, jar, lang, &form.login, Some(t.form_expired.into()), StatusCode::FORBIDDEN));
    }
    let user = match crate::auth::sign_in(&st.store, &form.login, &form.password, addr).await? {
        Ok(user) => user,
        Err(refusal) => {
            let (msg, status) = match refusal {
                Refusal::BadCredentials => (t.bad_credentials.to_owned(), StatusCode::UNAUTHORIZED),
                Refusal::LoginLocked { seconds } => (
                    t.locked.replace("{minutes}", &crate::auth::minutes(seconds).to_string()),
                    StatusCode::TOO_MANY_REQUESTS,
                ),
                Refusal::AddressPaused { seconds } => {
                    (t.too_many_from_address.replace("{seconds}", &seconds.to_string()), StatusCode::TOO_MANY_REQUESTS)
                }
            };
            return Ok(login_form(settings, jar, lang, &form.login, Some(msg), status));
        }
    };
    let (secret, _) = new_token();
    let (csrf, _) = new_token();
    let life = settings.session_lifetime();
    st.store.create_session(&hash_token(&secret), user.id, &csrf, life).await?;
    let jar = jar.remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/")).add(cookie(settings, SESSION_COOKIE, secret));
    tracing::info!(user = %user.login, "signed in");
    Ok((jar, Redirect::to("/desk")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub(crate) csrf: String,
}

async fn logout(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> Result<Response, ApiError> {
    user.checked(&form.csrf)?;
    if let Some(c) = jar.get(SESSION_COOKIE) {
        st.store.delete_session(&hash_token(c.value())).await?;
    }
    // Someone who signed out takes no new contacts: routing must not offer them any (their
    // other signed-in browsers, if any, can switch them back).
    st.store.set_presence(user.session.user.id, madoguchi_core::presence::Presence::Offline).await?;
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}
