//! The public help center of each shop at `/help/{slug}`: categories, search, article pages
//! and 「この回答は役に立ちましたか？」. Only published articles are shown. Searches that find
//! nothing and the readers' votes feed the shop's FAQ-gap report.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use madoguchi_core::access::Scope;
use madoguchi_core::ids::ArticleId;
use madoguchi_core::kb::Article;
use madoguchi_core::merchant::Merchant;
use madoguchi_store::merchants::MerchantKey;
use serde::Deserialize;

use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::Lang;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/help/{slug}", get(home))
        .route("/help/{slug}/search", get(search))
        .route("/help/{slug}/articles/{id}", get(article))
        .route("/help/{slug}/articles/{id}/feedback", post(feedback))
}

/// Markdown to HTML that is safe to show: raw HTML in the source is escaped by the Markdown
/// renderer's output passing through the sanitiser.
pub fn markdown(source: &str) -> String {
    let mut html = String::new();
    let parser = pulldown_cmark::Parser::new_ext(
        source,
        pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_STRIKETHROUGH,
    );
    pulldown_cmark::html::push_html(&mut html, parser);
    // An answer nested past the sanitiser's limits is shown as its plain source, escaped.
    madoguchi_app::sanitize::clean_html(&html)
        .unwrap_or_else(|_| format!("<p>{}</p>", madoguchi_app::sanitize::text_as_html(source)))
}

#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
    q: Option<String>,
    voted: Option<String>,
}

fn lang_of(jar: &CookieJar, headers: &HeaderMap, q: &LangQuery) -> Lang {
    q.lang.as_deref().and_then(Lang::parse).unwrap_or_else(|| Lang::from_request(jar, headers))
}

async fn shop(st: &AppState, slug: &str) -> Result<Merchant, ApiError> {
    st.store.get_merchant(&Scope::All, MerchantKey::Slug(slug)).await.map_err(|_| ApiError::not_found())
}

/// Whether the shop has a contact form (a mail inbox), for the "contact us" link.
async fn form_url(st: &AppState, m: &Merchant) -> Option<String> {
    let scope = Scope::Merchants(vec![m.id]);
    st.store
        .channel_account(&scope, m.id, madoguchi_core::enums::Channel::Email)
        .await
        .ok()
        .flatten()
        .map(|_| format!("/form/{}", m.slug))
}

#[derive(Template)]
#[template(path = "help_home.html")]
struct HomePage<'a> {
    lang: &'static str,
    h: &'static crate::i18n::HcTexts,
    shop: &'a Merchant,
    categories: Vec<(String, Vec<(String, String)>)>,
    form_url: Option<String>,
}

async fn home(
    State(st): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = lang_of(&jar, &headers, &q);
    let m = shop(&st, &slug).await?;
    let articles = st.store.list_articles(&Scope::Merchants(vec![m.id]), m.id, None, true).await?;
    let categories = madoguchi_core::kb::categories(&articles)
        .into_iter()
        .map(|c| {
            let qs =
                articles.iter().filter(|a| a.category == c).map(|a| (a.id.to_string(), a.question.clone())).collect();
            (c, qs)
        })
        .filter(|(_, qs): &(String, Vec<(String, String)>)| !qs.is_empty())
        .collect();
    let form_url = form_url(&st, &m).await;
    Ok(crate::render::render(
        StatusCode::OK,
        &HomePage { lang: lang.code(), h: crate::i18n::help_center(lang), shop: &m, categories, form_url },
    ))
}

#[derive(Template)]
#[template(path = "help_search.html")]
struct SearchPage<'a> {
    lang: &'static str,
    h: &'static crate::i18n::HcTexts,
    shop: &'a Merchant,
    q: String,
    results: Vec<madoguchi_app::usecases::kb::KbResult>,
    form_url: Option<String>,
}

async fn search(
    State(st): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = lang_of(&jar, &headers, &q);
    let m = shop(&st, &slug).await?;
    let text: String = q.q.clone().unwrap_or_default().trim().chars().take(200).collect();
    if text.is_empty() {
        return Ok(Redirect::to(&format!("/help/{slug}")).into_response());
    }
    let results = madoguchi_app::usecases::kb::kb_search(&st, m.id, &text, 10).await?;
    if results.is_empty() {
        // Counted per normalised question: ぎふとけん and ギフト券 are one gap.
        let key = madoguchi_search::analysis::normalize(&text).split_whitespace().collect::<Vec<_>>().join(" ");
        if let Err(e) = st.store.record_unanswered(m.id, &key, &text).await {
            tracing::warn!(error = %e, "unanswered help-center search not recorded");
        }
    }
    let form_url = form_url(&st, &m).await;
    Ok(crate::render::render(
        StatusCode::OK,
        &SearchPage { lang: lang.code(), h: crate::i18n::help_center(lang), shop: &m, q: text, results, form_url },
    ))
}

#[derive(Template)]
#[template(path = "help_article.html")]
struct ArticlePage<'a> {
    lang: &'static str,
    h: &'static crate::i18n::HcTexts,
    shop: &'a Merchant,
    article: &'a Article,
    answer_html: String,
    voted: bool,
    form_url: Option<String>,
}

async fn published(st: &AppState, m: &Merchant, id: &str) -> Result<Article, ApiError> {
    let aid: ArticleId = id.parse().map_err(|_| ApiError::not_found())?;
    let a = st.store.get_article(&Scope::Merchants(vec![m.id]), aid).await.map_err(|_| ApiError::not_found())?;
    if !a.published {
        return Err(ApiError::not_found());
    }
    Ok(a)
}

fn vote_cookie(id: &str) -> String {
    format!("madoguchi_hc_voted_{}", id.replace('-', ""))
}

async fn article(
    State(st): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let lang = lang_of(&jar, &headers, &q);
    let m = shop(&st, &slug).await?;
    let a = published(&st, &m, &id).await?;
    let voted = q.voted.is_some() || jar.get(&vote_cookie(&id)).is_some();
    let page = ArticlePage {
        lang: lang.code(),
        h: crate::i18n::help_center(lang),
        shop: &m,
        answer_html: markdown(&a.answer),
        article: &a,
        voted,
        form_url: form_url(&st, &m).await,
    };
    Ok(crate::render::render(StatusCode::OK, &page))
}

#[derive(Debug, Deserialize)]
pub struct Vote {
    helpful: String,
}

/// One vote per article per browser (a cookie remembers it); the page says thank you. A vote
/// posted from another site is refused, so no page can stuff the counts from readers' browsers.
async fn feedback(
    State(st): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, String)>,
    Form(v): Form<Vote>,
) -> Result<Response, ApiError> {
    let header = |name| headers.get(name).and_then(|v: &axum::http::HeaderValue| v.to_str().ok());
    if let Some(origin) = header(axum::http::header::ORIGIN) {
        let host = header(axum::http::header::HOST).unwrap_or_default();
        if origin.split_once("://").map(|(_, h)| h) != Some(host) {
            return Err(ApiError::forbidden("votes are taken from the help center's own pages"));
        }
    }
    let m = shop(&st, &slug).await?;
    let a = published(&st, &m, &id).await?;
    let back = Redirect::to(&format!("/help/{slug}/articles/{id}?voted=1"));
    if jar.get(&vote_cookie(&id)).is_some() {
        return Ok(back.into_response());
    }
    let helpful = match v.helpful.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(ApiError::bad_request("invalid_vote", "helpful must be yes or no")),
    };
    st.store.article_feedback(m.id, a.id, helpful).await?;
    let cookie = Cookie::build((vote_cookie(&id), "1"))
        .path(format!("/help/{slug}"))
        .http_only(true)
        .same_site(SameSite::Lax)
        .build();
    Ok((jar.add(cookie), back).into_response())
}

#[cfg(test)]
mod tests {
    use super::markdown;

    #[test]
    fn markdown_is_rendered_and_scripts_are_not() {
        let html = markdown(
            "**8日以内**にご連絡ください。\n\n- 未使用\n- 未開封\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2)) [規約](https://example.jp/terms)",
        );
        assert!(html.contains("<strong>8日以内</strong>"), "{html}");
        assert!(html.contains("<li>未使用</li>"));
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(html.contains("href=\"https://example.jp/terms\""), "{html}");
    }
}
