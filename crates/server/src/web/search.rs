//! The console's search page: one box for words, order numbers, phone numbers and mail
//! addresses, within the user's shops; exact matches first, then by relevance or newest.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum_extra::extract::CookieJar;
use madoguchi_core::enums::SubjectType;
use madoguchi_core::page::PageRequest;
use madoguchi_search::DocKind;
use serde::Deserialize;

use super::conversation::jst;
use super::render;
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{Lang, Texts};
use crate::web::ConsoleUser;
use madoguchi_app::usecases::search::SearchQuery;

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    order: String,
}

pub struct ResultView {
    kind: &'static str,
    merchant: String,
    title: String,
    link: Option<String>,
    /// Escaped text with `<mark>` around the matches (made by the index).
    snippet: String,
    at: String,
    exact: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct Page {
    lang: &'static str,
    t: &'static Texts,
    chrome: crate::web::chrome::Chrome,
    q: String,
    kind: String,
    newest: bool,
    results: Vec<ResultView>,
    error: Option<String>,
    searched: bool,
}

pub async fn show(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let t = lang.t();
    let ConsoleUser { session, principal: p } = user;
    let mut page = Page {
        lang: lang.code(),
        t,
        chrome: crate::web::chrome::Chrome::of(&st, &session, lang).await?,
        q: q.q.clone(),
        kind: q.kind.clone(),
        newest: q.order == "newest",
        results: vec![],
        error: None,
        searched: !q.q.trim().is_empty(),
    };
    if !page.searched {
        return Ok(render(StatusCode::OK, &page));
    }
    let query = SearchQuery {
        q: q.q.clone(),
        merchant: None,
        kind: Some(q.kind.clone()),
        channel: None,
        status: None,
        from: None,
        to: None,
        order: Some(q.order.clone()),
        limit: Some(50),
    };
    let request = match madoguchi_app::usecases::search::request(&st, &p, &query).await {
        Ok(r) => r,
        Err(e) => {
            page.error = Some(ApiError::from(e).to_string());
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let hits =
        madoguchi_app::search::run(&st.search, &p, request).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    let merchants = st.store.list_merchants(&p.scope(), PageRequest::first(200)).await?.items;
    let customers: Vec<_> = hits
        .iter()
        .filter(|h| h.kind == DocKind::Customer)
        .filter_map(|h| Some((h.merchant.parse().ok()?, h.id.clone())))
        .collect();
    madoguchi_app::usecases::audit::audit_read(&st, &p, SubjectType::Customer, &customers).await?;
    page.results = hits
        .into_iter()
        .map(|h| ResultView {
            kind: match (h.kind, lang) {
                (DocKind::Message, Lang::Ja) => "メッセージ",
                (DocKind::Customer, Lang::Ja) => "お客様",
                (DocKind::Article, Lang::Ja) => "FAQ",
                (DocKind::Message, Lang::En) => "Message",
                (DocKind::Customer, Lang::En) => "Customer",
                (DocKind::Article, Lang::En) => "FAQ",
            },
            merchant: merchants
                .iter()
                .find(|m| m.id.to_string() == h.merchant)
                .map(|m| m.name.clone())
                .unwrap_or_default(),
            title: if h.title.is_empty() { t.no_subject.to_owned() } else { h.title.clone() },
            link: h.conversation.as_ref().map(|c| format!("/desk/conversations/{c}")),
            snippet: h.snippet,
            at: jst(h.at),
            exact: h.exact,
        })
        .collect();
    Ok(render(StatusCode::OK, &page))
}
