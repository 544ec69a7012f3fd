//! The customer page's texts, and how a customer's contact details are labelled.

use super::Lang;
use madoguchi_core::identity::IdentityKind;

pub struct CustomerTexts {
    pub title: &'static str,
    pub profile: &'static str,
    pub contacts: &'static str,
    pub conversations: &'static str,
    pub no_conversations: &'static str,
    pub orders: &'static str,
    pub merges: &'static str,
    pub merged_from: &'static str,
    pub new_contact: &'static str,
    pub col_ticket: &'static str,
    pub col_received: &'static str,
    pub col_channel: &'static str,
    pub col_status: &'static str,
    pub col_subject: &'static str,
    pub search_orders: &'static str,
    pub order_result: &'static str,
    pub tracking_result: &'static str,
}

const JA: CustomerTexts = CustomerTexts {
    title: "お客様情報",
    profile: "プロフィール",
    contacts: "連絡先",
    conversations: "お問い合わせ履歴",
    no_conversations: "お問い合わせはまだありません。",
    orders: "注文と配送",
    merges: "統合の履歴",
    merged_from: "別のお客様情報を統合",
    new_contact: "このお客様の新しいお問い合わせを記録",
    col_ticket: "番号",
    col_received: "受付",
    col_channel: "窓口",
    col_status: "状態",
    col_subject: "件名",
    search_orders: "注文",
    order_result: "注文番号",
    tracking_result: "伝票番号",
};

const EN: CustomerTexts = CustomerTexts {
    title: "Customer",
    profile: "Profile",
    contacts: "Contact details",
    conversations: "Conversations",
    no_conversations: "No conversations yet.",
    orders: "Orders and parcels",
    merges: "Merge history",
    merged_from: "Merged another customer record",
    new_contact: "Record a new contact for this customer",
    col_ticket: "Ticket",
    col_received: "Received",
    col_channel: "Channel",
    col_status: "Status",
    col_subject: "Subject",
    search_orders: "Order",
    order_result: "Order number",
    tracking_result: "Tracking number",
};

pub fn customer_texts(lang: Lang) -> &'static CustomerTexts {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
    }
}

/// A contact detail as staff read it: the kind in words, then the value. A web-chat visitor's
/// id means nothing to a person and is not shown.
pub fn identity(lang: Lang, kind: IdentityKind, display: &str) -> String {
    match (lang, kind) {
        (Lang::Ja, IdentityKind::Phone) => format!("電話 {display}"),
        (Lang::Ja, IdentityKind::Email) => format!("メール {display}"),
        (Lang::Ja, IdentityKind::Line) => "LINE（友だち登録済み）".to_owned(),
        (Lang::Ja, IdentityKind::ChatVisitor) => "Webチャットの訪問者".to_owned(),
        (Lang::En, IdentityKind::Phone) => format!("Phone {display}"),
        (Lang::En, IdentityKind::Email) => format!("Email {display}"),
        (Lang::En, IdentityKind::Line) => "LINE (follows the shop)".to_owned(),
        (Lang::En, IdentityKind::ChatVisitor) => "Web chat visitor".to_owned(),
    }
}

/// The top page's texts.
pub struct LandingTexts {
    pub what: &'static str,
    pub sign_in: &'static str,
    pub to_desk: &'static str,
    pub demo: &'static str,
    pub demo_hint: &'static str,
    pub shop_page: &'static str,
    pub help_center: &'static str,
    pub form: &'static str,
}

const LANDING_JA: LandingTexts = LandingTexts {
    what: "ECショップのお問い合わせ窓口をまとめて受ける、コンタクトセンターのためのシステムです。電話・メール・チャット・LINE・フォーム・FAXやはがきを、お客様ごとの履歴と注文・配送状況と並べて一つの受信箱で扱います。",
    sign_in: "スタッフのログイン",
    to_desk: "受信箱を開く",
    demo: "デモのショップ",
    demo_hint: "お客様の立場で、チャット・ヘルプセンター・お問い合わせフォームを試せます。",
    shop_page: "ショップページ（チャット）",
    help_center: "ヘルプセンター",
    form: "お問い合わせフォーム",
};

const LANDING_EN: LandingTexts = LandingTexts {
    what: "A contact centre for online shops: phone, mail, chat, LINE, web forms, faxes and postcards in one inbox, each customer's history beside their orders and parcels.",
    sign_in: "Staff sign-in",
    to_desk: "Open the inbox",
    demo: "Demo shops",
    demo_hint: "Try the chat, the help center and the contact form as a customer would.",
    shop_page: "Shop page (chat)",
    help_center: "Help center",
    form: "Contact form",
};

pub fn landing(lang: Lang) -> &'static LandingTexts {
    match lang {
        Lang::Ja => &LANDING_JA,
        Lang::En => &LANDING_EN,
    }
}
