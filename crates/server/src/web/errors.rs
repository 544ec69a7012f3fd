//! Error pages for the console. Handlers share the API's error type, whose answer is JSON and
//! carries the error itself in its extensions; for people at a screen, this layer turns it into
//! a page in their language, with the same status and a way back.

use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::CookieJar;

use crate::i18n::Lang;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    lang: &'static str,
    t: &'static crate::i18n::Texts,
    heading: &'a str,
    text: &'a str,
    detail: String,
    back: String,
    back_label: &'a str,
}

/// The same-origin page the user came from, else `home`.
fn back_link(headers: &HeaderMap, home: &str) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.strip_prefix(host))
        .filter(|path| path.starts_with('/') && !path.starts_with("//"))
        .map_or_else(|| home.to_owned(), str::to_owned)
}

/// Pages a shop's customers see (help center, form, demo shop): their errors lead back to the
/// top page, not to the staff's inbox.
fn is_public(path: &str) -> bool {
    ["/help/", "/form/", "/demo/", "/chat/"].iter().any(|p| path.starts_with(p))
}

pub async fn html_errors(req: Request, next: Next) -> Response {
    let headers = req.headers().clone();
    let public = is_public(req.uri().path());
    let lang = Lang::from_request(&CookieJar::from_headers(&headers), &headers);
    let resp = next.run(req).await;
    let status = resp.status();
    let Some(error) = resp.extensions().get::<crate::error::ErrorBody>().cloned() else { return resp };
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    page(&headers, lang, status, &error, public)
}

/// The error page for `error`, in the reader's language.
fn page(
    headers: &HeaderMap,
    lang: Lang,
    status: axum::http::StatusCode,
    error: &crate::error::ErrorBody,
    public: bool,
) -> Response {
    let (heading, text) = crate::i18n::error_page(lang, status, &error.code);
    // The field and the server's wording help with a form; they are written in English, so a
    // Japanese page keeps to its own sentence. A server fault shows nothing more.
    let detail = match (&error.field, status.is_client_error() && lang == Lang::En) {
        (Some(f), true) => format!("{f}: {}", error.message),
        (None, true) => error.message.clone(),
        (_, false) => String::new(),
    };
    let (home, back_label) = match public {
        true => ("/", lang.t().back_public),
        false => ("/desk", lang.t().back_to_inbox.trim_start_matches("← ")),
    };
    let page =
        ErrorPage { lang: lang.code(), t: lang.t(), heading, text, detail, back: back_link(headers, home), back_label };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, Html(text.to_owned())).into_response(),
    }
}

/// An address nobody serves: programs (the API, anyone asking for JSON) get the API's error,
/// people a page.
pub async fn no_such_page(req: Request) -> Response {
    let headers = req.headers();
    let wants_json = req.uri().path().starts_with("/api/")
        || headers.get(header::ACCEPT).and_then(|a| a.to_str().ok()).is_some_and(|a| a.contains("json"));
    let error = crate::error::ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "no such route");
    if wants_json {
        return error.into_response();
    }
    let lang = Lang::from_request(&CookieJar::from_headers(headers), headers);
    let body = crate::error::ErrorBody { code: "not_found".into(), message: "no such page".into(), field: None };
    page(headers, lang, axum::http::StatusCode::NOT_FOUND, &body, is_public(req.uri().path()))
}
