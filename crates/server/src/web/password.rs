//! The page a mailed password link opens: someone invited, or sent a reset, chooses their
//! password (typed twice) and goes on to sign in. The link's secret is in the path and is the
//! only credential, so the form needs no CSRF token of its own: whoever could forge the post
//! already holds the link.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use madoguchi_app::usecases::error::UseCaseError;
use madoguchi_app::usecases::password_links;
use madoguchi_store::invitations::LinkState;
use serde::Deserialize;

use super::{query_value, render};
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{FormError, Lang, PasswordTexts, form_error, password_texts};

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    lang: &'static str,
    t: &'static crate::i18n::Texts,
    p: &'static PasswordTexts,
    /// The greeting above the form, or why the link no longer works (then there is no form).
    lead: String,
    login: String,
    open: bool,
    error: Option<FormError>,
}

fn page(lang: Lang, state: &LinkState, error: Option<FormError>) -> Response {
    let p = password_texts(lang);
    let (lead, login, open, status) = match state {
        LinkState::Open(u) => {
            let text = if u.password_set { p.again } else { p.welcome };
            let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            (text.replace("{name}", &u.display_name), u.login.clone(), true, status)
        }
        LinkState::Used => (p.used.to_owned(), String::new(), false, StatusCode::GONE),
        LinkState::Expired => (p.expired.to_owned(), String::new(), false, StatusCode::GONE),
        LinkState::Unknown => (p.unknown.to_owned(), String::new(), false, StatusCode::NOT_FOUND),
    };
    let mut resp = render(status, &PasswordPage { lang: lang.code(), t: lang.t(), p, lead, login, open, error });
    // The secret is in the address: keep it out of other sites' Referer headers.
    resp.headers_mut().insert("referrer-policy", axum::http::HeaderValue::from_static("no-referrer"));
    resp
}

pub async fn show(
    State(st): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    Ok(page(lang, &password_links::open(&st, &secret).await?, None))
}

#[derive(Debug, Deserialize)]
pub struct ChooseForm {
    password: String,
    password_again: String,
}

pub async fn choose(
    State(st): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(secret): Path<String>,
    Form(f): Form<ChooseForm>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let state = password_links::open(&st, &secret).await?;
    if !matches!(state, LinkState::Open(_)) {
        return Ok(page(lang, &state, None));
    }
    match password_links::choose_password(&st, &secret, &f.password, &f.password_again).await {
        Ok(user) => {
            let to = format!("/login?password_set=1&login={}", query_value(&user.login));
            Ok(Redirect::to(&to).into_response())
        }
        Err(UseCaseError::Invalid(v)) => {
            let p = password_texts(lang);
            let label = if v.field == "password_again" { p.password_again } else { p.new_password };
            Ok(page(lang, &state, Some(form_error(lang, label, &v))))
        }
        // Used up by another tab a moment ago: say what the link is now.
        Err(UseCaseError::Store(madoguchi_store::StoreError::NotFound)) => {
            Ok(page(lang, &password_links::open(&st, &secret).await?, None))
        }
        Err(e) => Err(e.into()),
    }
}
