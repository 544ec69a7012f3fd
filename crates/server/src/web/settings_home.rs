//! The settings home (設定): everything the signed-in person may set up, on one page — each
//! shop's pages for its admins, staff and the audit log for those who manage staff, and one's
//! own API tokens for everyone. What it lists is what the header's menu offers.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Redirect, Response};
use axum_extra::extract::CookieJar;

use super::render;
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{AdminTexts, Lang, Texts};
use crate::web::ConsoleUser;

#[derive(Template)]
#[template(path = "settings_home.html")]
struct Page {
    lang: &'static str,
    t: &'static Texts,
    a: &'static AdminTexts,
    chrome: crate::web::chrome::Chrome,
}

pub async fn show(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let chrome = crate::web::chrome::Chrome::of(&st, &user.session, lang).await?;
    Ok(render(StatusCode::OK, &Page { lang: lang.code(), t: lang.t(), a: crate::i18n::admin_texts(lang), chrome }))
}

/// `/admin`, where people from other consoles look first.
pub async fn admin() -> Redirect {
    Redirect::to("/settings")
}
