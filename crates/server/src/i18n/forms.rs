//! A rejected form field as a page says it, in the reader's language.

use super::Lang;

/// A rejected form field as a page shows it: the field's code (for scripts and tests) and, in
/// the reader's language, what it is called on the page and what is wrong. The error's own
/// message is English, written for API clients.
#[derive(Debug, Clone)]
pub struct FormError {
    pub field: String,
    pub text: String,
}

pub fn form_error(lang: Lang, label: &str, e: &madoguchi_core::ValidationError) -> FormError {
    form_error_of(lang, label, &e.field, e.code, &e.message)
}

/// [`form_error`] from the parts of an error (a page that was redirected to with them).
pub fn form_error_of(lang: Lang, label: &str, field: &str, code: &str, message: &str) -> FormError {
    let reason = match lang {
        Lang::En => message.to_owned(),
        Lang::Ja => reason_ja(code, message),
    };
    FormError { field: field.to_owned(), text: format!("{label}: {reason}") }
}

/// The Japanese for the checks the settings pages make; anything else keeps its message.
fn reason_ja(code: &str, message: &str) -> String {
    // "1–366 days" → "1–366日"; "sla.first_response_minutes must be 1–86400 minutes" → "1–86400分"
    let units = |m: &str| {
        let m = m.rsplit("must be ").next().unwrap_or(m);
        [
            (" days", "日"),
            (" hours", "時間"),
            (" minutes", "分"),
            (" yen", "円"),
            (" tasks", "件"),
            (" characters", "文字"),
        ]
        .iter()
        .fold(m.to_owned(), |m, (en, ja)| m.replace(en, ja))
    };
    match code {
        "not_a_number" => "数字で入力してください".into(),
        "invalid_text" => format!("{}で入力してください", units(message)),
        "out_of_range" => format!("{}の範囲で入力してください", units(message)),
        "too_many" => format!("{}件までです", message.trim_start_matches("at most ")),
        // "body must be at most 2000 characters" → "2000文字以内で入力してください"
        "too_long" => format!("{}以内で入力してください", units(message).trim_start_matches("at most ")),
        "duplicate" => "同じものが重複しています".into(),
        // One text left empty, or a list with nothing in it.
        "required" if message.ends_with("must not be empty") => "入力してください".into(),
        "required" => "少なくとも1つ入力してください".into(),
        "invalid_code" => "英数字と _ で入力してください（例: DELIVERY_INFO）".into(),
        "unknown_placeholder" => {
            "使えない差し込み項目があります（{お客様名}・{注文番号}・{配送状況URL} が使えます）".into()
        }
        "invalid_choice" => "選択肢から選んでください".into(),
        "invalid_key" => "英小文字・数字・_ で入力してください".into(),
        "invalid_header" => "見出しは1〜100文字で入力してください".into(),
        "header_used_twice" => "同じ見出しがほかの項目に使われています".into(),
        "code_exists" | "queue_exists" | "conflict" => "同じものがすでに登録されています".into(),
        "invalid_duration" => "「30分」「4時間」「2日」のように入力してください".into(),
        "invalid_hours" => "「9:00-18:00」「9:00-12:00, 13:00-18:00」のように、開始が終了より前で重ならないように入力してください（休みの日は空欄）".into(),
        // "line 2: … " → 「2行目」
        "invalid_closed_day" => {
            let line = message.strip_prefix("line ").and_then(|m| m.split(':').next()).unwrap_or("?");
            format!("{line}行目を「2026-12-29 年末年始」「2026-12-29~2027-01-03 年末年始」のように入力してください（同じ日は1回だけ）")
        }
        "invalid_email" => "メールアドレスの形で入力してください（例: support@shop.example.jp）".into(),
        "invalid_origin" => "「https://shop.example.jp」のようにサイトのアドレスを1行に1つ入力してください".into(),
        "invalid_colour" => "「#1f6f5c」のように色を指定してください".into(),
        "low_contrast" => "白い文字が読みにくい明るい色です。もっと濃い色を選んでください".into(),
        "incomplete" => "サーバー名・ポート番号・ユーザー名を入力してください".into(),
        "invalid_login" => "ログインIDは3〜64文字の英数字と . _ @ - で入力してください".into(),
        "weak_password" => "パスワードは10文字以上にしてください".into(),
        "invalid_memberships" => "管理者はショップを選ばず、ショップの管理者・スタッフは1つ、スーパーバイザー・オペレーターは1つ以上選んでください".into(),
        "email_or_password" => "招待メールを送るメールアドレスか、最初のパスワードを入力してください".into(),
        "no_email" => "メールアドレスが登録されていません。送り先を入力してください".into(),
        "inactive_user" => "無効のスタッフには送れません。先に有効にしてください".into(),
        "password_mismatch" => "確認のため、同じパスワードを2回入力してください".into(),
        "login_taken" => "このログインIDはすでに使われています".into(),
        "last_admin" => "有効な管理者がいなくなるため変更できません".into(),
        // A check without its own Japanese sentence: its English message stays off the page.
        _ => "入力内容を確認してください".into(),
    }
}
