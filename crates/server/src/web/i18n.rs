//! Screen texts in Japanese (the default) and English. Every text is a field, so a missing
//! translation does not compile.

use axum::http::HeaderMap;
use axum_extra::extract::CookieJar;
use madoguchi_core::enums::{Channel, ConversationStatus, Priority, Role};

pub const LANG_COOKIE: &str = "madoguchi_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The cookie's choice, else Japanese unless the browser prefers English over Japanese.
    pub fn from_request(jar: &CookieJar, headers: &HeaderMap) -> Lang {
        if let Some(l) = jar.get(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
            return l;
        }
        let accept = headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let first = accept.split(',').next().unwrap_or("").trim().to_ascii_lowercase();
        if first.starts_with("en") { Lang::En } else { Lang::Ja }
    }

    pub fn t(self) -> &'static Texts {
        match self {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }
}

pub struct Texts {
    pub product: &'static str,
    pub sign_in: &'static str,
    pub login: &'static str,
    pub password: &'static str,
    pub sign_out: &'static str,
    pub bad_credentials: &'static str,
    /// `{minutes}` is replaced.
    pub locked: &'static str,
    pub too_many_from_address: &'static str,
    pub form_expired: &'static str,
    pub session_ended: &'static str,
    pub inbox: &'static str,
    pub view_mine: &'static str,
    pub view_unassigned: &'static str,
    pub view_all: &'static str,
    pub col_number: &'static str,
    pub col_merchant: &'static str,
    pub col_channel: &'static str,
    pub col_status: &'static str,
    pub col_priority: &'static str,
    pub col_subject: &'static str,
    pub col_updated: &'static str,
    pub col_sla: &'static str,
    pub sla_breached: &'static str,
    pub sla_met: &'static str,
    pub no_conversations: &'static str,
    pub no_subject: &'static str,
    pub next_page: &'static str,
    pub back_to_inbox: &'static str,
    pub shop: &'static str,
    pub greeting: &'static str,
    pub timeline: &'static str,
    pub reply: &'static str,
    pub internal_note: &'static str,
    pub send_reply: &'static str,
    pub add_note: &'static str,
    pub reply_hint_phone: &'static str,
    pub reply_hint_queued: &'static str,
    pub reply_hint_paper: &'static str,
    pub ctrl_enter: &'static str,
    pub update: &'static str,
    pub assignee: &'static str,
    pub unassigned: &'static str,
    pub customer: &'static str,
    pub no_customer: &'static str,
    pub identities: &'static str,
    pub address: &'static str,
    pub notes: &'static str,
    pub orders: &'static str,
    pub no_orders: &'static str,
    pub history: &'static str,
    pub from_customer: &'static str,
    pub from_staff: &'static str,
    pub delivery_queued: &'static str,
    pub empty_message: &'static str,
    pub not_found: &'static str,
    pub rank: &'static str,
    pub tracking: &'static str,
    pub escalations: &'static str,
    pub escalate: &'static str,
    pub question: &'static str,
    pub due: &'static str,
    pub answer: &'static str,
    pub send_answer: &'static str,
    pub overdue: &'static str,
    pub waiting_answer: &'static str,
    pub answered: &'static str,
    pub portal: &'static str,
    pub no_escalations: &'static str,
    pub open_conversation: &'static str,
    pub board: &'static str,
    pub col_queue: &'static str,
    pub no_queue: &'static str,
    pub col_waiting: &'static str,
    pub col_longest_wait: &'static str,
    pub col_offered: &'static str,
    pub col_answered: &'static str,
    pub col_abandoned: &'static str,
    pub col_answer_rate: &'static str,
    pub col_service_level: &'static str,
    pub agents_by_presence: &'static str,
    pub target: &'static str,
    pub minutes: &'static str,
    pub script: &'static str,
    pub canned: &'static str,
    pub canned_hint: &'static str,
    pub wrap_up: &'static str,
    pub disposition: &'static str,
    pub acw_timer: &'static str,
    pub record_wrap_up: &'static str,
    pub wrap_up_required: &'static str,
    pub view_escalated: &'static str,
    pub filter: &'static str,
    pub any: &'static str,
    pub col_category: &'static str,
    pub col_tag: &'static str,
    pub sort: &'static str,
    pub sort_newest: &'static str,
    pub sort_oldest: &'static str,
    pub presence: &'static str,
    pub set_presence: &'static str,
}

const JA: Texts = Texts {
    product: "窓口 Madoguchi",
    sign_in: "ログイン",
    login: "ログインID",
    password: "パスワード",
    sign_out: "ログアウト",
    bad_credentials: "ログインIDまたはパスワードが正しくありません。",
    locked: "ログインに続けて失敗したため、このIDは一時的にロックされています。{minutes}分後にもう一度お試しください。",
    too_many_from_address: "この端末からのログイン失敗が多すぎます。しばらくしてからもう一度お試しください。",
    form_expired: "画面の有効期限が切れました。もう一度お試しください。",
    session_ended: "セッションの有効期限が切れました。もう一度ログインしてください。",
    inbox: "受信箱",
    view_mine: "自分の担当",
    view_unassigned: "未割り当て",
    view_all: "すべて",
    col_number: "番号",
    col_merchant: "ショップ",
    col_channel: "チャネル",
    col_status: "状態",
    col_priority: "優先度",
    col_subject: "件名",
    col_updated: "更新",
    col_sla: "初回応答期限",
    sla_breached: "超過",
    sla_met: "応答済み",
    no_conversations: "該当する問い合わせはありません。",
    no_subject: "（件名なし）",
    next_page: "次へ",
    back_to_inbox: "← 受信箱",
    shop: "ショップ",
    greeting: "名のり",
    timeline: "応対履歴",
    reply: "返信",
    internal_note: "内部メモ",
    send_reply: "返信を記録",
    add_note: "メモを追加",
    reply_hint_phone: "電話での回答内容を記録します。",
    reply_hint_queued: "返信は送信待ちとして記録されます（このチャネルの配信は準備中です）。",
    reply_hint_paper: "FAX・はがき・来店の回答は記録のみです。",
    ctrl_enter: "Ctrl+Enter で記録",
    update: "更新",
    assignee: "担当者",
    unassigned: "未割り当て",
    customer: "お客様",
    no_customer: "お客様が紐づいていません。",
    identities: "連絡先",
    address: "住所",
    notes: "メモ",
    orders: "注文",
    no_orders: "注文はありません。",
    history: "過去の問い合わせ",
    from_customer: "お客様",
    from_staff: "担当",
    delivery_queued: "送信待ち",
    empty_message: "本文を入力してください。",
    not_found: "見つかりません。",
    rank: "ランク",
    tracking: "伝票番号",
    escalations: "エスカレーション",
    escalate: "ショップへエスカレーション",
    question: "確認事項",
    due: "回答期限",
    answer: "回答",
    send_answer: "回答する",
    overdue: "期限超過",
    waiting_answer: "回答待ち",
    answered: "回答済み",
    portal: "ショップ窓口",
    no_escalations: "回答待ちのエスカレーションはありません。",
    open_conversation: "問い合わせを開く",
    board: "スーパーバイザーボード",
    col_queue: "キュー",
    no_queue: "（キューなし）",
    col_waiting: "待ち",
    col_longest_wait: "最長待ち",
    col_offered: "本日受付",
    col_answered: "応答",
    col_abandoned: "放棄",
    col_answer_rate: "応答率",
    col_service_level: "サービスレベル",
    agents_by_presence: "オペレーターの状態",
    target: "目標",
    minutes: "分",
    script: "話法",
    canned: "定型文",
    canned_hint: "Alt+数字で挿入",
    wrap_up: "後処理",
    disposition: "対応結果",
    acw_timer: "後処理時間",
    record_wrap_up: "後処理を記録",
    wrap_up_required: "通話・チャットは後処理（対応結果）を記録してから完了にしてください。",
    view_escalated: "エスカレーション中",
    filter: "絞り込み",
    any: "すべて",
    col_category: "分類",
    col_tag: "タグ",
    sort: "並び順",
    sort_newest: "新しい順",
    sort_oldest: "待ち時間の長い順",
    presence: "状態",
    set_presence: "変更",
};

const EN: Texts = Texts {
    product: "Madoguchi",
    sign_in: "Sign in",
    login: "Login",
    password: "Password",
    sign_out: "Sign out",
    bad_credentials: "The login or password is wrong.",
    locked: "This login is locked for now after repeated failed sign-ins. Try again in {minutes} minutes.",
    too_many_from_address: "Too many failed sign-ins from this device. Please try again later.",
    form_expired: "This form has expired. Please try again.",
    session_ended: "Your session has ended. Please sign in again.",
    inbox: "Inbox",
    view_mine: "Mine",
    view_unassigned: "Unassigned",
    view_all: "All",
    col_number: "No.",
    col_merchant: "Shop",
    col_channel: "Channel",
    col_status: "Status",
    col_priority: "Priority",
    col_subject: "Subject",
    col_updated: "Updated",
    col_sla: "First reply due",
    sla_breached: "Overdue",
    sla_met: "Answered",
    no_conversations: "No conversations here.",
    no_subject: "(no subject)",
    next_page: "Next",
    back_to_inbox: "← Inbox",
    shop: "Shop",
    greeting: "Greeting",
    timeline: "Timeline",
    reply: "Reply",
    internal_note: "Internal note",
    send_reply: "Record reply",
    add_note: "Add note",
    reply_hint_phone: "Records what was said on the phone.",
    reply_hint_queued: "The reply is recorded as queued (delivery on this channel is not available yet).",
    reply_hint_paper: "Replies to FAX, postcards and walk-ins are recorded only.",
    ctrl_enter: "Ctrl+Enter to record",
    update: "Update",
    assignee: "Assignee",
    unassigned: "Unassigned",
    customer: "Customer",
    no_customer: "No customer linked.",
    identities: "Contacts",
    address: "Address",
    notes: "Notes",
    orders: "Orders",
    no_orders: "No orders.",
    history: "Past conversations",
    from_customer: "Customer",
    from_staff: "Staff",
    delivery_queued: "Queued",
    empty_message: "Please write a message.",
    not_found: "Not found.",
    rank: "Rank",
    tracking: "Tracking no.",
    escalations: "Escalations",
    escalate: "Escalate to the shop",
    question: "Question",
    due: "Due",
    answer: "Answer",
    send_answer: "Send answer",
    overdue: "Overdue",
    waiting_answer: "Waiting for answer",
    answered: "Answered",
    portal: "Shop portal",
    no_escalations: "No escalations waiting.",
    open_conversation: "Open conversation",
    board: "Supervisor board",
    col_queue: "Queue",
    no_queue: "(no queue)",
    col_waiting: "Waiting",
    col_longest_wait: "Longest wait",
    col_offered: "Offered today",
    col_answered: "Answered",
    col_abandoned: "Abandoned",
    col_answer_rate: "Answer rate",
    col_service_level: "Service level",
    agents_by_presence: "Agents by state",
    target: "Target",
    minutes: "min",
    script: "Talk script",
    canned: "Canned responses",
    canned_hint: "Alt+number inserts",
    wrap_up: "Wrap-up",
    disposition: "Disposition",
    acw_timer: "After-contact work",
    record_wrap_up: "Record wrap-up",
    wrap_up_required: "Record the wrap-up (disposition) before closing a call or chat.",
    view_escalated: "Escalated",
    filter: "Filter",
    any: "Any",
    col_category: "Category",
    col_tag: "Tag",
    sort: "Order",
    sort_newest: "Newest first",
    sort_oldest: "Longest waiting first",
    presence: "Presence",
    set_presence: "Set",
};

pub fn channel(lang: Lang, c: Channel) -> &'static str {
    match (lang, c) {
        (Lang::Ja, Channel::Phone) => "電話",
        (Lang::Ja, Channel::Email) => "メール",
        (Lang::Ja, Channel::Chat) => "チャット",
        (Lang::Ja, Channel::Line) => "LINE",
        (Lang::Ja, Channel::WebForm) => "フォーム",
        (Lang::Ja, Channel::Fax) => "FAX",
        (Lang::Ja, Channel::Postcard) => "はがき",
        (Lang::Ja, Channel::WalkIn) => "来店",
        (Lang::Ja, Channel::Other) => "その他",
        (Lang::En, Channel::Phone) => "Phone",
        (Lang::En, Channel::Email) => "Email",
        (Lang::En, Channel::Chat) => "Chat",
        (Lang::En, Channel::Line) => "LINE",
        (Lang::En, Channel::WebForm) => "Web form",
        (Lang::En, Channel::Fax) => "Fax",
        (Lang::En, Channel::Postcard) => "Postcard",
        (Lang::En, Channel::WalkIn) => "Walk-in",
        (Lang::En, Channel::Other) => "Other",
    }
}

pub fn status(lang: Lang, s: ConversationStatus) -> &'static str {
    match (lang, s) {
        (Lang::Ja, ConversationStatus::New) => "新規",
        (Lang::Ja, ConversationStatus::Open) => "対応中",
        (Lang::Ja, ConversationStatus::Pending) => "保留",
        (Lang::Ja, ConversationStatus::Escalated) => "エスカレーション中",
        (Lang::Ja, ConversationStatus::Resolved) => "解決済み",
        (Lang::Ja, ConversationStatus::Closed) => "完了",
        (Lang::En, ConversationStatus::New) => "New",
        (Lang::En, ConversationStatus::Open) => "Open",
        (Lang::En, ConversationStatus::Pending) => "Pending",
        (Lang::En, ConversationStatus::Escalated) => "Escalated",
        (Lang::En, ConversationStatus::Resolved) => "Resolved",
        (Lang::En, ConversationStatus::Closed) => "Closed",
    }
}

pub fn priority(lang: Lang, p: Priority) -> &'static str {
    match (lang, p) {
        (Lang::Ja, Priority::Low) => "低",
        (Lang::Ja, Priority::Normal) => "通常",
        (Lang::Ja, Priority::High) => "高",
        (Lang::Ja, Priority::Urgent) => "至急",
        (Lang::En, Priority::Low) => "Low",
        (Lang::En, Priority::Normal) => "Normal",
        (Lang::En, Priority::High) => "High",
        (Lang::En, Priority::Urgent) => "Urgent",
    }
}

pub fn presence(lang: Lang, p: madoguchi_core::presence::Presence) -> &'static str {
    use madoguchi_core::presence::Presence as P;
    match (lang, p) {
        (Lang::Ja, P::Available) => "受付可",
        (Lang::Ja, P::Busy) => "対応中",
        (Lang::Ja, P::AfterContactWork) => "後処理",
        (Lang::Ja, P::Break) => "休憩",
        (Lang::Ja, P::Offline) => "オフライン",
        (Lang::En, P::Available) => "Available",
        (Lang::En, P::Busy) => "Busy",
        (Lang::En, P::AfterContactWork) => "After-contact work",
        (Lang::En, P::Break) => "Break",
        (Lang::En, P::Offline) => "Offline",
    }
}

pub fn role(lang: Lang, r: Role) -> &'static str {
    match (lang, r) {
        (Lang::Ja, Role::Admin) => "管理者",
        (Lang::Ja, Role::Supervisor) => "SV",
        (Lang::Ja, Role::Agent) => "オペレーター",
        (Lang::Ja, Role::MerchantAdmin) => "ショップ管理者",
        (Lang::Ja, Role::MerchantStaff) => "ショップ担当者",
        (Lang::En, Role::Admin) => "Admin",
        (Lang::En, Role::Supervisor) => "Supervisor",
        (Lang::En, Role::Agent) => "Agent",
        (Lang::En, Role::MerchantAdmin) => "Shop admin",
        (Lang::En, Role::MerchantStaff) => "Shop staff",
    }
}

pub fn event(lang: Lang, k: madoguchi_core::enums::EventKind) -> &'static str {
    use madoguchi_core::enums::EventKind as E;
    match (lang, k) {
        (Lang::Ja, E::Created) => "問い合わせを受付",
        (Lang::Ja, E::StatusChanged) => "状態を変更",
        (Lang::Ja, E::PriorityChanged) => "優先度を変更",
        (Lang::Ja, E::Assigned) => "担当者を割り当て",
        (Lang::Ja, E::QueueChanged) => "キューを変更",
        (Lang::Ja, E::CategoryChanged) => "分類を変更",
        (Lang::Ja, E::TagsChanged) => "タグを変更",
        (Lang::Ja, E::SubjectChanged) => "件名を変更",
        (Lang::Ja, E::CustomerLinked) => "お客様を紐づけ",
        (Lang::Ja, E::OrderLinked) => "注文を紐づけ",
        (Lang::Ja, E::FirstResponse) => "初回応答",
        (Lang::Ja, E::Escalated) => "エスカレーション",
        (Lang::Ja, E::Merged) => "お客様を統合",
        (Lang::Ja, E::SlaBreached) => "SLA期限超過",
        (Lang::Ja, E::EscalationAnswered) => "ショップから回答",
        (Lang::En, E::Created) => "Conversation opened",
        (Lang::En, E::StatusChanged) => "Status changed",
        (Lang::En, E::PriorityChanged) => "Priority changed",
        (Lang::En, E::Assigned) => "Assigned",
        (Lang::En, E::QueueChanged) => "Queue changed",
        (Lang::En, E::CategoryChanged) => "Category changed",
        (Lang::En, E::TagsChanged) => "Tags changed",
        (Lang::En, E::SubjectChanged) => "Subject changed",
        (Lang::En, E::CustomerLinked) => "Customer linked",
        (Lang::En, E::OrderLinked) => "Order linked",
        (Lang::En, E::FirstResponse) => "First response",
        (Lang::En, E::Escalated) => "Escalated",
        (Lang::En, E::Merged) => "Customers merged",
        (Lang::En, E::SlaBreached) => "SLA target missed",
        (Lang::En, E::EscalationAnswered) => "The shop answered",
    }
}

pub fn shipment_status(lang: Lang, s: madoguchi_core::enums::ShipmentStatus) -> &'static str {
    use madoguchi_core::enums::ShipmentStatus as S;
    match (lang, s) {
        (Lang::Ja, S::Preparing) => "出荷準備中",
        (Lang::Ja, S::Shipped) => "発送済み",
        (Lang::Ja, S::InTransit) => "輸送中",
        (Lang::Ja, S::OutForDelivery) => "配達中",
        (Lang::Ja, S::Delivered) => "配達完了",
        (Lang::Ja, S::Absent) => "不在持ち戻り",
        (Lang::Ja, S::Returned) => "返送",
        (Lang::Ja, S::Exception) => "事故・調査中",
        (Lang::En, S::Preparing) => "Preparing",
        (Lang::En, S::Shipped) => "Shipped",
        (Lang::En, S::InTransit) => "In transit",
        (Lang::En, S::OutForDelivery) => "Out for delivery",
        (Lang::En, S::Delivered) => "Delivered",
        (Lang::En, S::Absent) => "Not home, taken back",
        (Lang::En, S::Returned) => "Returned",
        (Lang::En, S::Exception) => "Exception",
    }
}

pub fn carrier(lang: Lang, c: madoguchi_core::enums::Carrier) -> &'static str {
    use madoguchi_core::enums::Carrier as C;
    match (lang, c) {
        (Lang::Ja, c) => c.label_ja(),
        (Lang::En, C::Yamato) => "Yamato Transport",
        (Lang::En, C::Sagawa) => "Sagawa Express",
        (Lang::En, C::JapanPost) => "Japan Post",
        (Lang::En, C::Other) => "Other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_unless_english_is_preferred_or_chosen() {
        let jar = CookieJar::new();
        let mut h = HeaderMap::new();
        assert_eq!(Lang::from_request(&jar, &h), Lang::Ja);
        h.insert(axum::http::header::ACCEPT_LANGUAGE, "en-US,en;q=0.9,ja;q=0.8".parse().unwrap());
        assert_eq!(Lang::from_request(&jar, &h), Lang::En);
        let jar = jar.add(axum_extra::extract::cookie::Cookie::new(LANG_COOKIE, "ja"));
        assert_eq!(Lang::from_request(&jar, &h), Lang::Ja);
    }
}
