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

/// The same-origin page the user came from, else the inbox.
fn back_link(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.strip_prefix(host))
        .filter(|path| path.starts_with('/') && !path.starts_with("//"))
        .map_or_else(|| "/desk".to_owned(), str::to_owned)
}

pub async fn html_errors(req: Request, next: Next) -> Response {
    let headers = req.headers().clone();
    let lang = Lang::from_request(&CookieJar::from_headers(&headers), &headers);
    let resp = next.run(req).await;
    let status = resp.status();
    let Some(error) = resp.extensions().get::<crate::error::ErrorBody>().cloned() else { return resp };
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let (heading, text) = crate::i18n::error_page(lang, status, &error.code);
    // The field and the server's wording help with a form; a server fault shows nothing more.
    let detail = match (&error.field, status.is_client_error()) {
        (Some(f), true) => format!("{f}: {}", error.message),
        (None, true) => error.message.clone(),
        (_, false) => String::new(),
    };
    let back_label = lang.t().back_to_inbox.trim_start_matches("← ");
    let page =
        ErrorPage { lang: lang.code(), t: lang.t(), heading, text, detail, back: back_link(&headers), back_label };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, Html(text.to_owned())).into_response(),
    }
}
