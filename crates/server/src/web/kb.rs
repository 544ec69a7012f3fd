//! The knowledge-base editor: a shop's articles by category, a form for a new one, the same
//! form filled in to change one, delete. For admins, supervisors and the shop's admins; the
//! same validation as the API.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use madoguchi_core::access::Principal;
use madoguchi_core::ids::ArticleId;
use madoguchi_core::kb::{Article, ArticleInput};
use madoguchi_core::merchant::Merchant;
use madoguchi_store::merchants::MerchantKey;
use serde::Deserialize;

use super::render;
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{Lang, Texts};
use crate::web::ConsoleUser;

#[derive(Template)]
#[template(path = "kb.html")]
struct Page {
    lang: &'static str,
    t: &'static Texts,
    chrome: crate::web::chrome::Chrome,
    csrf: String,
    slug: String,
    merchant_name: String,
    categories: Vec<String>,
    /// Articles by category, in the categories' order.
    groups: Vec<(String, Vec<Article>)>,
    /// The article being edited, or an empty form.
    form: FormValues,
    error: Option<String>,
    saved: bool,
}

#[derive(Default)]
struct FormValues {
    id: String,
    category: String,
    question: String,
    answer: String,
    keywords: String,
    published: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    edit: Option<String>,
    error: Option<String>,
    saved: Option<String>,
}

async fn editable(st: &AppState, p: &Principal, slug: &str) -> Result<Merchant, ApiError> {
    let m = st.store.get_merchant(&p.scope(), MerchantKey::Slug(slug)).await?;
    if !p.can_edit_kb() {
        return Err(ApiError::forbidden("only admins, supervisors and the shop's admins edit the knowledge base"));
    }
    Ok(m)
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
    let articles = st.store.list_articles(&p.scope(), m.id, None, false).await?;
    let categories = madoguchi_core::kb::categories(&articles);
    let form = match q.edit.as_deref().and_then(|e| e.parse::<ArticleId>().ok()) {
        Some(id) => {
            let a = articles.iter().find(|a| a.id == id).ok_or_else(ApiError::not_found)?;
            FormValues {
                id: a.id.to_string(),
                category: a.category.clone(),
                question: a.question.clone(),
                answer: a.answer.clone(),
                keywords: a.keywords.join("、"),
                published: a.published,
            }
        }
        None => FormValues { category: categories[0].clone(), published: true, ..FormValues::default() },
    };
    let groups = categories
        .iter()
        .map(|c| (c.clone(), articles.iter().filter(|a| &a.category == c).cloned().collect::<Vec<_>>()))
        .filter(|(_, list)| !list.is_empty())
        .collect();
    let page = Page {
        lang: lang.code(),
        t: lang.t(),
        chrome: crate::web::chrome::Chrome::of(&st, &session, lang).await?,
        csrf: session.csrf_token.clone(),
        slug: m.slug.clone(),
        merchant_name: m.name.clone(),
        categories,
        groups,
        form,
        error: q.error.as_deref().map(|e| error_text(lang, e)),
        saved: q.saved.is_some(),
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Debug, Deserialize)]
pub struct ArticleForm {
    csrf: String,
    #[serde(default)]
    id: String,
    category: String,
    question: String,
    answer: String,
    #[serde(default)]
    keywords: String,
    #[serde(default)]
    published: Option<String>,
}

/// What was wrong with the form, from `field:code`, in the user's language.
fn error_text(lang: Lang, e: &str) -> String {
    let (field, code) = e.split_once(':').unwrap_or((e, ""));
    let ja = lang == Lang::Ja;
    let name = match (field, ja) {
        ("category", true) => "カテゴリ",
        ("question", true) => "質問",
        ("answer", true) => "回答",
        ("keywords", true) => "キーワード",
        ("category", false) => "Category",
        ("question", false) => "Question",
        ("answer", false) => "Answer",
        ("keywords", false) => "Keywords",
        (_, true) => "入力",
        (_, false) => "Input",
    };
    match (code, ja) {
        ("required", true) => format!("{name}を入力してください。"),
        ("too_long", true) => format!("{name}が長すぎます。"),
        ("too_many", true) => format!("{name}は{}個までです。", madoguchi_core::kb::MAX_KEYWORDS),
        (_, true) => format!("{name}の内容を確認してください。"),
        ("required", false) => format!("{name} is required."),
        ("too_long", false) => format!("{name} is too long."),
        ("too_many", false) => format!("At most {} keywords.", madoguchi_core::kb::MAX_KEYWORDS),
        (_, false) => format!("Please check the {}.", name.to_lowercase()),
    }
}

fn back(slug: &str, error: Option<String>) -> Response {
    match error {
        None => Redirect::to(&format!("/settings/{slug}/kb?saved=1")).into_response(),
        Some(e) => Redirect::to(&format!("/settings/{slug}/kb?error={}", super::query_value(&e))).into_response(),
    }
}

/// Creates an article, or changes the one named by `id`.
pub async fn save(
    State(st): State<AppState>,
    user: ConsoleUser,
    _jar: CookieJar,
    Path(slug): Path<String>,
    Form(f): Form<ArticleForm>,
) -> Result<Response, ApiError> {
    let p = user.checked(&f.csrf)?.clone();
    let m = editable(&st, &p, &slug).await?;
    let scope = p.scope();
    let existing = match f.id.trim() {
        "" => None,
        id => Some(st.store.get_article(&scope, id.parse().map_err(|_| ApiError::not_found())?).await?),
    };
    if existing.as_ref().is_some_and(|a| a.merchant_id != m.id) {
        return Err(ApiError::not_found());
    }
    let input = ArticleInput {
        external_id: existing.as_ref().and_then(|a| a.external_id.clone()),
        category: f.category,
        question: f.question,
        answer: f.answer,
        keywords: f.keywords.split([',', '、', '\n']).map(str::to_owned).collect(),
        published: Some(f.published.is_some()),
    };
    let fields = match input.validate() {
        Ok(fields) => fields,
        Err(e) => return Ok(back(&slug, Some(format!("{}:{}", e.field, e.code)))),
    };
    match existing {
        Some(a) => st.store.update_article(&scope, Some(p.user_id), a.id, &fields).await?,
        None => st.store.create_article(&scope, Some(p.user_id), m.id, &fields).await?,
    };
    Ok(back(&slug, None))
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

pub async fn delete(
    State(st): State<AppState>,
    user: ConsoleUser,
    _jar: CookieJar,
    Path((slug, id)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, ApiError> {
    let p = user.checked(&f.csrf)?.clone();
    let m = editable(&st, &p, &slug).await?;
    let a = st.store.get_article(&p.scope(), id.parse().map_err(|_| ApiError::not_found())?).await?;
    if a.merchant_id != m.id {
        return Err(ApiError::not_found());
    }
    st.store.delete_article(&p.scope(), Some(p.user_id), a.id).await?;
    Ok(back(&slug, None))
}
