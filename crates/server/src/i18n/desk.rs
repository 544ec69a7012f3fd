//! The live desk's texts: the header every console page shares, presence, the live
//! conversation page (new messages, collisions, ending a contact) and notifications.

use super::Lang;

pub struct DeskTexts {
    pub nav: &'static str,
    pub inbox: &'static str,
    pub menu_settings: &'static str,
    pub offline_prompt: &'static str,
    pub start_work: &'static str,
    pub now: &'static str,
    pub notify: &'static str,
    pub notify_on: &'static str,
    pub new_messages: &'static str,
    pub also_viewing: &'static str,
    pub also_replying: &'static str,
    pub end_contact: &'static str,
    pub contact_ended: &'static str,
    pub acw_since: &'static str,
    pub sending_failed: &'static str,
    pub new_message_title: &'static str,
    pub offered: &'static str,
    pub shortcuts: &'static str,
}

const JA: DeskTexts = DeskTexts {
    nav: "メニュー",
    inbox: "受信箱",
    menu_settings: "ショップ設定",
    offline_prompt: "現在オフラインのため、新しいお問い合わせは割り当てられません。",
    start_work: "受付を開始する",
    now: "現在",
    notify: "通知",
    notify_on: "新着を音とデスクトップ通知で知らせる",
    new_messages: "新着メッセージ",
    also_viewing: "さんもこの問い合わせを開いています",
    also_replying: "さんが返信を入力中です。二重回答にご注意ください",
    end_contact: "対応を終了して後処理へ",
    contact_ended: "対応終了",
    acw_since: "後処理の経過",
    sending_failed: "送信できませんでした。入力内容はそのまま残っています。もう一度お試しください。",
    new_message_title: "お客様から新着メッセージ",
    offered: "新しいお問い合わせが割り当てられています。開くと受付になります。",
    shortcuts: "j/k：移動　Enter：開く　/：検索",
};

const EN: DeskTexts = DeskTexts {
    nav: "Menu",
    inbox: "Inbox",
    menu_settings: "Shop settings",
    offline_prompt: "You are offline: no new contacts are assigned to you.",
    start_work: "Start taking contacts",
    now: "Now",
    notify: "Notify",
    notify_on: "Sound and desktop notification for new messages",
    new_messages: "New messages",
    also_viewing: " also has this conversation open",
    also_replying: " is typing a reply: take care not to answer twice",
    end_contact: "End contact and start wrap-up",
    contact_ended: "Contact ended",
    acw_since: "After-contact work",
    sending_failed: "Could not send. What you typed is still here; please try again.",
    new_message_title: "New message from a customer",
    offered: "A new contact is assigned to you. Opening it accepts it.",
    shortcuts: "j/k: move  Enter: open  /: search",
};

pub fn desk(lang: Lang) -> &'static DeskTexts {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
    }
}
