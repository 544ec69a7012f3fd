//! Error pages for the console. Handlers share the API's error type, whose answer is JSON and
//! carries the error itself in its extensions; for people at a screen, this layer turns it into
//! a page in their language, with the same status and a way back.

use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
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

/// What to tell a person for an error code, in Japanese and English.
fn explain(lang: Lang, status: StatusCode, code: &str) -> (&'static str, &'static str) {
    let ja = lang == Lang::Ja;
    match (status.as_u16(), code) {
        (403, _) => {
            if ja {
                (
                    "操作できません",
                    "この操作を行う権限がないか、画面の有効期限が切れています。画面を更新してもう一度お試しください。",
                )
            } else {
                ("Not allowed", "You may not do this, or the page has expired. Reload the page and try again.")
            }
        }
        (404, _) => {
            if ja {
                ("見つかりません", "お探しの情報は見つかりません。")
            } else {
                ("Not found", "What you are looking for does not exist.")
            }
        }
        (401, _) => {
            if ja {
                ("ログインが必要です", "もう一度ログインしてください。")
            } else {
                ("Please sign in", "Please sign in again.")
            }
        }
        (409, "already_answered") => {
            if ja {
                ("回答済みです", "このエスカレーションはすでに回答されています。")
            } else {
                ("Already answered", "This escalation has already been answered.")
            }
        }
        (409, _) => {
            if ja {
                ("ほかの操作と重なりました", "画面を更新してから、もう一度お試しください。")
            } else {
                ("Conflict", "Reload the page and try again.")
            }
        }
        (422 | 400 | 413 | 415, _) => {
            if ja {
                ("入力内容を確認してください", "入力に誤りがあります。内容を確認して、もう一度お試しください。")
            } else {
                ("Please check the input", "Something in the form is not right. Check it and try again.")
            }
        }
        _ => {
            if ja {
                ("問題が発生しました", "時間をおいて、もう一度お試しください。問題は記録されています。")
            } else {
                ("Something went wrong", "Please try again later; the problem has been logged.")
            }
        }
    }
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
    let (heading, text) = explain(lang, status, &error.code);
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
