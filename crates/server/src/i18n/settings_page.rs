//! The shop settings page's own texts beyond the shared ones.

use super::Lang;

pub struct SettingsTexts {
    pub duration_hint: &'static str,
    pub confirm_delete: &'static str,
    pub report_code: &'static str,
    pub report_code_hint: &'static str,
}

const JA: SettingsTexts = SettingsTexts {
    duration_hint: "「30分」「4時間」「2日」のように入力します",
    confirm_delete: "削除します。よろしいですか？",
    report_code: "集計用のコード（任意）",
    report_code_hint: "空欄なら自動で付けます",
};

const EN: SettingsTexts = SettingsTexts {
    duration_hint: "For example 30分 (minutes), 4時間 (hours) or 2日 (days)",
    confirm_delete: "Delete this? This cannot be undone.",
    report_code: "Code for reports (optional)",
    report_code_hint: "Made for you when left empty",
};

pub fn settings_texts(lang: Lang) -> &'static SettingsTexts {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
    }
}
