//! The first page at `/`: what Madoguchi is, where staff sign in, and — on a demo install —
//! every demo shop's pages a customer would see (shop page with the chat, help center, form).
//! A production desk lists no shops here: which shops it serves is its own business.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum_extra::extract::CookieJar;
use madoguchi_core::access::Scope;
use madoguchi_core::page::PageRequest;

use super::render;
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::Lang;

/// Written by `madoguchi demo` beside the data: its presence makes this a demo install.
const DEMO_MARKER: &str = "demo-credentials.json";

#[derive(Template)]
#[template(path = "landing.html")]
struct Page {
    lang: &'static str,
    t: &'static crate::i18n::Texts,
    l: &'static crate::i18n::LandingTexts,
    signed_in: bool,
    /// Demo shops as (name, slug).
    shops: Vec<(String, String)>,
}

pub async fn show(State(st): State<AppState>, jar: CookieJar, headers: HeaderMap) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let signed_in = super::current_session(&st, &jar).await?.is_some();
    let shops = if st.settings.data_dir.join(DEMO_MARKER).exists() {
        st.store
            .list_merchants(&Scope::All, PageRequest::first(20))
            .await?
            .items
            .into_iter()
            .map(|m| (m.name, m.slug))
            .collect()
    } else {
        vec![]
    };
    let page = Page { lang: lang.code(), t: lang.t(), l: crate::i18n::landing(lang), signed_in, shops };
    Ok(render(StatusCode::OK, &page))
}
