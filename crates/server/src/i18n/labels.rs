//! The names of the domain's values on screen: channels, statuses, priorities, presence,
//! roles, events, shipments, carriers, orders, requests and choices.

use madoguchi_core::enums::{Channel, ConversationStatus, Priority, Role};
use madoguchi_core::policy::{DayCount, RefundMethod, Remedy, ReturnCondition, ShippingPayer};

use super::Lang;

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
        (Lang::Ja, ConversationStatus::Bot) => "ボット対応中",
        (Lang::Ja, ConversationStatus::New) => "新規",
        (Lang::Ja, ConversationStatus::Open) => "対応中",
        (Lang::Ja, ConversationStatus::Pending) => "保留",
        (Lang::Ja, ConversationStatus::Escalated) => "エスカレーション中",
        (Lang::Ja, ConversationStatus::Resolved) => "解決済み",
        (Lang::Ja, ConversationStatus::Closed) => "完了",
        (Lang::En, ConversationStatus::Bot) => "With the bot",
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
        (Lang::Ja, P::NotResponding) => "応答なし",
        (Lang::En, P::Available) => "Available",
        (Lang::En, P::Busy) => "Busy",
        (Lang::En, P::AfterContactWork) => "After-contact work",
        (Lang::En, P::Break) => "Break",
        (Lang::En, P::Offline) => "Offline",
        (Lang::En, P::NotResponding) => "Not responding",
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
        (Lang::Ja, E::BotHandedOver) => "ボットから有人対応へ引き継ぎ",
        (Lang::Ja, E::BotResolved) => "ボットの回答で解決",
        (Lang::Ja, E::OfferWithdrawn) => "応答がないため割り当てを戻しました",
        (Lang::Ja, E::ContactEnded) => "対応を終了（後処理へ）",
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
        (Lang::En, E::BotHandedOver) => "Handed over by the bot",
        (Lang::En, E::BotResolved) => "Resolved by the bot",
        (Lang::En, E::OfferWithdrawn) => "Offer returned to the queue (no answer)",
        (Lang::En, E::ContactEnded) => "Contact ended (after-contact work)",
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

pub fn order_status(lang: Lang, s: madoguchi_core::enums::OrderStatus) -> &'static str {
    use madoguchi_core::enums::OrderStatus as S;
    match (lang, s) {
        (Lang::Ja, S::Pending) => "受付",
        (Lang::Ja, S::Confirmed) => "確定",
        (Lang::Ja, S::Shipped) => "発送済み",
        (Lang::Ja, S::Delivered) => "配達済み",
        (Lang::Ja, S::Cancelled) => "キャンセル",
        (Lang::Ja, S::Returned) => "返品",
        (Lang::En, S::Pending) => "pending",
        (Lang::En, S::Confirmed) => "confirmed",
        (Lang::En, S::Shipped) => "shipped",
        (Lang::En, S::Delivered) => "delivered",
        (Lang::En, S::Cancelled) => "cancelled",
        (Lang::En, S::Returned) => "returned",
    }
}

pub fn request(lang: Lang, r: madoguchi_core::decision::Request) -> &'static str {
    use madoguchi_core::decision::Request as R;
    match (lang, r) {
        (Lang::Ja, R::Cancel) => "キャンセル",
        (Lang::Ja, R::Return) => "返品",
        (Lang::Ja, R::Exchange) => "交換",
        (Lang::Ja, R::Defect) => "不良品",
        (Lang::Ja, R::Refund) => "返金",
        (Lang::En, R::Cancel) => "Cancellation",
        (Lang::En, R::Return) => "Return",
        (Lang::En, R::Exchange) => "Exchange",
        (Lang::En, R::Defect) => "Defective item",
        (Lang::En, R::Refund) => "Refund",
    }
}

pub fn choice(lang: Lang, c: madoguchi_core::decision::Choice) -> &'static str {
    use madoguchi_core::decision::Choice as C;
    match (lang, c) {
        (Lang::Ja, C::Accepted) => "受付",
        (Lang::Ja, C::OfferAccepted) => "提案を受け入れ",
        (Lang::Ja, C::Withdrawn) => "取り下げ",
        (Lang::Ja, C::Escalated) => "ショップに確認",
        (Lang::En, C::Accepted) => "accepted",
        (Lang::En, C::OfferAccepted) => "offer taken",
        (Lang::En, C::Withdrawn) => "withdrawn",
        (Lang::En, C::Escalated) => "escalated",
    }
}

pub fn return_condition(lang: Lang, c: ReturnCondition) -> &'static str {
    match (lang, c) {
        (Lang::Ja, c) => c.label_ja(),
        (Lang::En, ReturnCondition::Unopened) => "unopened",
        (Lang::En, ReturnCondition::Unused) => "unused",
        (Lang::En, ReturnCondition::TagsAttached) => "tags still attached",
    }
}

pub fn refund_method(lang: Lang, m: RefundMethod) -> &'static str {
    match (lang, m) {
        (Lang::Ja, m) => m.label_ja(),
        (Lang::En, RefundMethod::BankTransfer) => "bank transfer",
        (Lang::En, RefundMethod::CashRegistered) => "cash by registered mail",
        (Lang::En, RefundMethod::Points) => "shop points",
        (Lang::En, RefundMethod::CardReversal) => "card reversal",
    }
}

pub fn remedy(lang: Lang, r: Remedy) -> &'static str {
    match (lang, r) {
        (Lang::Ja, r) => r.label_ja(),
        (Lang::En, Remedy::Exchange) => "exchange for a good one",
        (Lang::En, Remedy::Repair) => "repair",
        (Lang::En, Remedy::Refund) => "refund",
    }
}

pub fn day_count(lang: Lang, d: DayCount) -> &'static str {
    match (lang, d) {
        (Lang::Ja, DayCount::Calendar) => "暦日（土日祝も数える）",
        (Lang::Ja, DayCount::BusinessDays) => "営業日（土日祝を除く）",
        (Lang::En, DayCount::Calendar) => "calendar days",
        (Lang::En, DayCount::BusinessDays) => "business days",
    }
}

pub fn shipping_payer(lang: Lang, p: ShippingPayer) -> &'static str {
    match (lang, p) {
        (Lang::Ja, ShippingPayer::Customer) => "お客様（元払い）",
        (Lang::Ja, ShippingPayer::Merchant) => "ショップ（着払い）",
        (Lang::En, ShippingPayer::Customer) => "the customer (prepaid)",
        (Lang::En, ShippingPayer::Merchant) => "the shop (cash on arrival)",
    }
}

/// A weekday as dates are written beside it: 12/3（木）.
pub fn weekday_short(lang: Lang, d: chrono::Weekday) -> &'static str {
    use chrono::Weekday::*;
    let i = d.num_days_from_monday() as usize;
    match lang {
        Lang::Ja => ["月", "火", "水", "木", "金", "土", "日"][i],
        Lang::En => match d {
            Mon => "Mon",
            Tue => "Tue",
            Wed => "Wed",
            Thu => "Thu",
            Fri => "Fri",
            Sat => "Sat",
            Sun => "Sun",
        },
    }
}
