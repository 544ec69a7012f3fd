//! What the console's error pages tell a person, by status and error code.

use axum::http::StatusCode;

use super::Lang;

/// The heading and text of an error page for an answer's status and error code.
pub fn error_page(lang: Lang, status: StatusCode, code: &str) -> (&'static str, &'static str) {
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
