//! The knowledge base of a merchant: articles (CRUD), search, import and export.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use madoguchi_core::ids::ArticleId;
use madoguchi_core::kb::{Article, ArticleInput, ArticlePatch};
use madoguchi_core::validation::ValidationError;
use madoguchi_store::kb::Imported;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiBytes, ApiJson, ApiQuery, Json, created, id};
use madoguchi_app::kb_files::{self, Format};
use madoguchi_app::usecases::kb::{KbResult, kb_search};
use madoguchi_app::usecases::reports::bot::BotReport;
use madoguchi_app::usecases::reports::faq_gaps::FaqGaps;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub category: Option<String>,
    /// Only published articles.
    pub published: Option<bool>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ArticleList {
    /// The default categories followed by any others in use.
    pub categories: Vec<String>,
    pub articles: Vec<Article>,
}

fn editor(p: &madoguchi_core::access::Principal) -> ApiResult<()> {
    if p.can_edit_kb() {
        Ok(())
    } else {
        Err(ApiError::forbidden("only admins, supervisors and the shop's admins edit the knowledge base"))
    }
}

/// The merchant's articles by category.
#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/kb/articles", tag = "knowledge base",
    params(("merchant" = String, Path, description = "id or slug"), ListQuery),
    responses((status = 200, body = ArticleList), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_articles(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<ArticleList>> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    let all = st.store.list_articles(&scope, m, None, false).await?;
    let categories = madoguchi_core::kb::categories(&all);
    let articles = all
        .into_iter()
        .filter(|a| {
            q.category.as_ref().is_none_or(|c| &a.category == c) && (a.published || !q.published.unwrap_or(false))
        })
        .collect();
    Ok(Json(ArticleList { categories, articles }))
}

#[utoipa::path(post, path = "/api/v1/merchants/{merchant}/kb/articles", tag = "knowledge base",
    params(("merchant" = String, Path, description = "id or slug")), request_body = ArticleInput,
    responses((status = 201, body = Article), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_article(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiJson(req): ApiJson<ArticleInput>,
) -> ApiResult<(StatusCode, Json<Article>)> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    editor(&p)?;
    Ok(created(st.store.create_article(&scope, Some(p.user_id), m, &req.validate()?).await?))
}

#[utoipa::path(get, path = "/api/v1/kb/articles/{article}", tag = "knowledge base", params(("article" = String, Path)),
    responses((status = 200, body = Article), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_article(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(article): Path<String>,
) -> ApiResult<Json<Article>> {
    let aid: ArticleId = id(&article)?;
    Ok(Json(st.store.get_article(&p.scope(), aid).await?))
}

#[utoipa::path(patch, path = "/api/v1/kb/articles/{article}", tag = "knowledge base", params(("article" = String, Path)),
    request_body = ArticlePatch,
    responses((status = 200, body = Article), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_article(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(article): Path<String>,
    ApiJson(req): ApiJson<ArticlePatch>,
) -> ApiResult<Json<Article>> {
    let scope = p.scope();
    let a = st.store.get_article(&scope, id(&article)?).await?;
    editor(&p)?;
    Ok(Json(st.store.update_article(&scope, Some(p.user_id), a.id, &req.apply(&a)?).await?))
}

#[utoipa::path(delete, path = "/api/v1/kb/articles/{article}", tag = "knowledge base", params(("article" = String, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete_article(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(article): Path<String>,
) -> ApiResult<StatusCode> {
    let scope = p.scope();
    let a = st.store.get_article(&scope, id(&article)?).await?;
    editor(&p)?;
    st.store.delete_article(&scope, Some(p.user_id), a.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KbSearchQuery {
    pub q: String,
    /// 1–50, default 5.
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KbResults {
    pub results: Vec<KbResult>,
}

/// Best-matching published articles of one merchant, best first.
#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/kb/search", tag = "knowledge base",
    params(("merchant" = String, Path, description = "id or slug"), KbSearchQuery),
    responses((status = 200, body = KbResults), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn search_articles(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiQuery(q): ApiQuery<KbSearchQuery>,
) -> ApiResult<Json<KbResults>> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    let limit = q.limit.unwrap_or(5);
    if !(1..=50).contains(&limit) {
        return Err(ValidationError::new("limit", "out_of_range", "limit must be 1–50").into());
    }
    if q.q.trim().is_empty() {
        return Err(ValidationError::new("q", "required", "type a question").into());
    }
    Ok(Json(KbResults { results: kb_search(&st, m, &q.q, limit).await? }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// `jsonl` (default) or `csv`.
    pub format: Option<String>,
}

fn format_of(q: &FileQuery) -> ApiResult<Format> {
    Format::parse(q.format.as_deref().unwrap_or("jsonl"))
        .ok_or_else(|| ValidationError::new("format", "invalid_format", "jsonl or csv").into())
}

/// The merchant's articles as JSON Lines or CSV (UTF-8 with BOM).
#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/kb/export", tag = "knowledge base",
    params(("merchant" = String, Path, description = "id or slug"), FileQuery),
    responses((status = 200, content_type = "application/x-ndjson"), (status = 404, body = crate::error::ErrorBody)))]
pub async fn export_articles(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiQuery(q): ApiQuery<FileQuery>,
) -> ApiResult<Response> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    let format = format_of(&q)?;
    let articles = st.store.list_articles(&scope, m, None, false).await?;
    let (ct, ext) = match format {
        Format::Jsonl => ("application/x-ndjson; charset=utf-8", "jsonl"),
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    let disposition = format!("attachment; filename=\"kb-{merchant}.{ext}\"").replace(|c: char| !c.is_ascii(), "_");
    Ok((
        [(header::CONTENT_TYPE, ct.to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        kb_files::write(format, &articles),
    )
        .into_response())
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Imports a JSON Lines or CSV file (the request body) by external id, whole or not at all;
/// every bad line is reported.
#[utoipa::path(post, path = "/api/v1/merchants/{merchant}/kb/import", tag = "knowledge base",
    params(("merchant" = String, Path, description = "id or slug"), FileQuery),
    request_body(description = "The file: JSON Lines or CSV, as `format` says (any content type is read as that)",
        content((String = "application/x-ndjson"), (String = "text/csv"), (String = "text/plain"))),
    responses((status = 200, body = ImportSummary), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn import_articles(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiQuery(q): ApiQuery<FileQuery>,
    ApiBytes(body): ApiBytes,
) -> ApiResult<Json<ImportSummary>> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    editor(&p)?;
    let articles = kb_files::read(format_of(&q)?, &body).map_err(|errors| {
        let lines: Vec<String> = errors.iter().take(20).map(ToString::to_string).collect();
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_file", lines.join("; "))
    })?;
    Ok(Json(summary(&st.store.import_articles(&scope, Some(p.user_id), m, &articles).await?)))
}

pub fn summary(done: &[Imported]) -> ImportSummary {
    ImportSummary {
        created: done.iter().filter(|d| **d == Imported::Created).count(),
        updated: done.iter().filter(|d| **d == Imported::Updated).count(),
        unchanged: done.iter().filter(|d| **d == Imported::Unchanged).count(),
    }
}

/// What the shop's knowledge base is missing: unanswered help-center searches and articles
/// readers did not find helpful.
#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/kb/gaps", tag = "knowledge base",
    params(("merchant" = String, Path, description = "id or slug")),
    responses((status = 200, body = FaqGaps), (status = 404, body = crate::error::ErrorBody)))]
pub async fn faq_gaps(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
) -> ApiResult<Json<FaqGaps>> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    Ok(Json(madoguchi_app::usecases::reports::faq_gaps::faq_gaps(&st.store, &scope, m).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// First day (JST, `2026-11-01`) or an RFC 3339 instant; 30 days ago by default.
    pub from: Option<String>,
    /// Last day (JST, inclusive) or an instant; today by default.
    pub to: Option<String>,
}

/// How the chat bot did with the chats opened in a period: how many it resolved (the customer
/// said an answer helped) and how many it handed to a person, with their rates.
#[utoipa::path(get, path = "/api/v1/merchants/{merchant}/bot/figures", tag = "knowledge base",
    params(("merchant" = String, Path, description = "id or slug"), FiguresQuery),
    responses((status = 200, body = BotReport), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn bot_figures(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(merchant): Path<String>,
    ApiQuery(q): ApiQuery<FiguresQuery>,
) -> ApiResult<Json<BotReport>> {
    let scope = p.scope();
    let m = st.store.resolve_merchant(&scope, &merchant).await?;
    let day = |raw: &Option<String>, field, end| {
        raw.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| madoguchi_app::usecases::search::parse_time(field, s, end))
            .transpose()
    };
    let to = day(&q.to, "to", true)?.unwrap_or_else(chrono::Utc::now);
    let from = day(&q.from, "from", false)?.unwrap_or(to - chrono::Duration::days(30));
    Ok(Json(madoguchi_app::usecases::reports::bot::bot_report(&st.store, &scope, m, from, to).await?))
}
