//! The public pages' texts: the help center and the web form, which customers read.

use super::Lang;

/// The help center's texts.
pub struct HcTexts {
    pub title: &'static str,
    pub search: &'static str,
    pub search_hint: &'static str,
    pub no_results: &'static str,
    pub results_for: &'static str,
    pub back: &'static str,
    pub helpful: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub thanks: &'static str,
    pub contact: &'static str,
    pub empty: &'static str,
}

const HC_JA: HcTexts = HcTexts {
    title: "ヘルプセンター",
    search: "検索",
    search_hint: "ご質問を入力してください（例：送料はいくら？）",
    no_results: "該当する質問が見つかりませんでした。お手数ですがお問い合わせください。",
    results_for: "の検索結果",
    back: "ヘルプセンターのトップへ",
    helpful: "この回答は役に立ちましたか？",
    yes: "はい",
    no: "いいえ",
    thanks: "ご回答ありがとうございました。",
    contact: "解決しない場合はお問い合わせください",
    empty: "まだ質問が登録されていません。",
};

const HC_EN: HcTexts = HcTexts {
    title: "Help center",
    search: "Search",
    search_hint: "Type your question (e.g. how much is shipping?)",
    no_results: "No matching question. Please contact us.",
    results_for: ": results",
    back: "Back to the help center",
    helpful: "Was this answer helpful?",
    yes: "Yes",
    no: "No",
    thanks: "Thank you for your answer.",
    contact: "Still need help? Contact us",
    empty: "No questions yet.",
};

pub fn help_center(lang: Lang) -> &'static HcTexts {
    match lang {
        Lang::Ja => &HC_JA,
        Lang::En => &HC_EN,
    }
}

/// The form's texts in Japanese and English.
pub struct FormTexts {
    pub title: &'static str,
    pub intro: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub phone: &'static str,
    pub order_number: &'static str,
    pub category: &'static str,
    pub message: &'static str,
    pub files: &'static str,
    pub optional: &'static str,
    pub required: &'static str,
    pub submit: &'static str,
    pub done_title: &'static str,
    pub done_body: &'static str,
    pub receipt: &'static str,
    pub another: &'static str,
}

const FORM_JA: FormTexts = FormTexts {
    title: "お問い合わせフォーム",
    intro: "内容を確認のうえ、担当者よりメールでご連絡いたします。",
    name: "お名前",
    email: "メールアドレス",
    phone: "電話番号",
    order_number: "ご注文番号",
    category: "お問い合わせの種類",
    message: "お問い合わせ内容",
    files: "添付ファイル（画像・PDF、3点まで、各5MBまで）",
    optional: "任意",
    required: "必須",
    submit: "送信する",
    done_title: "お問い合わせを受け付けました",
    done_body: "確認のメールをお送りしました。担当者より順にご連絡いたします。",
    receipt: "受付番号",
    another: "別のお問い合わせをする",
};

const FORM_EN: FormTexts = FormTexts {
    title: "Contact form",
    intro: "We will read your message and answer by email.",
    name: "Name",
    email: "Email",
    phone: "Phone",
    order_number: "Order number",
    category: "Topic",
    message: "Message",
    files: "Attachments (images or PDF, up to 3, 5 MB each)",
    optional: "optional",
    required: "required",
    submit: "Send",
    done_title: "Thank you — we have your message",
    done_body: "A confirmation has been sent by email. We will answer in turn.",
    receipt: "Reference number",
    another: "Send another message",
};

pub fn web_form(lang: Lang) -> &'static FormTexts {
    match lang {
        Lang::Ja => &FORM_JA,
        Lang::En => &FORM_EN,
    }
}
