//! The typed-in contact page's texts (FAX, postcard, phone memo, visit).

use super::Lang;

/// The texts of the page staff type a contact in on.
pub struct ContactTexts {
    pub title: &'static str,
    pub back: &'static str,
    pub shop: &'static str,
    pub channel: &'static str,
    pub received_at: &'static str,
    pub name: &'static str,
    pub phone: &'static str,
    pub email: &'static str,
    pub contact_hint: &'static str,
    pub order_number: &'static str,
    pub category: &'static str,
    pub subject: &'static str,
    pub body: &'static str,
    pub scans: &'static str,
    pub scans_hint: &'static str,
    pub submit: &'static str,
}

const JA: ContactTexts = ContactTexts {
    title: "受付入力（FAX・はがき・電話メモ・来店）",
    back: "受信箱へ戻る",
    shop: "ショップ",
    channel: "受付方法",
    received_at: "受付日時",
    name: "お名前",
    phone: "電話番号",
    email: "メールアドレス",
    contact_hint: "電話番号かメールアドレスがあれば、そのお客様の履歴につながります。なければお名前で新しいお客様として登録します。",
    order_number: "注文番号",
    category: "種別",
    subject: "件名（空欄なら本文の1行目）",
    body: "内容",
    scans: "スキャン画像・PDF",
    scans_hint: "PNG・JPEG・GIF・WebP・TIFF・PDF、1件20MBまで、5件まで",
    submit: "登録する",
};

const EN: ContactTexts = ContactTexts {
    title: "Log a contact (fax, postcard, phone memo, walk-in)",
    back: "Back to the inbox",
    shop: "Shop",
    channel: "Received by",
    received_at: "Received at",
    name: "Name",
    phone: "Phone",
    email: "E-mail",
    contact_hint: "A phone number or e-mail address joins the customer's history; without one, a new customer is created by name.",
    order_number: "Order number",
    category: "Category",
    subject: "Subject (first line of the text if empty)",
    body: "What the customer said",
    scans: "Scans (image or PDF)",
    scans_hint: "PNG, JPEG, GIF, WebP, TIFF or PDF, up to 20 MB each, at most 5",
    submit: "Save",
};

pub fn typed_in(lang: Lang) -> &'static ContactTexts {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
    }
}
