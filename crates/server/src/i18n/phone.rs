//! The softphone panel's words, in every console header: the call's state, the screen pop
//! (which shop to answer for, who calls) and the buttons.

use super::Lang;

pub struct PhoneTexts {
    pub title: &'static str,
    /// No call on the phone.
    pub idle: &'static str,
    pub ringing: &'static str,
    pub connected: &'static str,
    pub on_hold: &'static str,
    /// Before the shop's name on a ringing call: 「ギフトの花まる」への着信.
    pub call_for: &'static str,
    /// Before the shop's 名のり.
    pub say: &'static str,
    pub queue: &'static str,
    pub answer: &'static str,
    pub decline: &'static str,
    pub hold: &'static str,
    pub resume: &'static str,
    pub mute: &'static str,
    pub unmute: &'static str,
    pub hang_up: &'static str,
    pub keypad: &'static str,
    /// Blind transfer: to a queue of the shop, or an outside number.
    pub transfer: &'static str,
    pub transfer_queue: &'static str,
    pub transfer_number: &'static str,
    pub transfer_go: &'static str,
    pub transfer_error: &'static str,
    pub open_conversation: &'static str,
    /// The desk gives no browser phone: answer on a desk phone.
    pub no_browser_phone: &'static str,
    /// The browser phone could not start (microphone refused, network).
    pub phone_error: &'static str,
}

const JA: PhoneTexts = PhoneTexts {
    title: "電話",
    idle: "待機中",
    ringing: "着信中",
    connected: "通話中",
    on_hold: "保留中",
    call_for: "着信先",
    say: "名のり",
    queue: "窓口",
    answer: "応答",
    decline: "拒否",
    hold: "保留",
    resume: "保留解除",
    mute: "ミュート",
    unmute: "ミュート解除",
    hang_up: "切断",
    keypad: "ダイヤル",
    transfer: "転送",
    transfer_queue: "窓口へ",
    transfer_number: "外線番号へ",
    transfer_go: "転送する",
    transfer_error: "転送できませんでした。窓口か番号を確かめてください。",
    open_conversation: "対応画面を開く",
    no_browser_phone: "ブラウザ電話は未設定です。卓上の電話で応答してください。",
    phone_error: "ブラウザ電話を開始できません。マイクの許可とネットワークを確認してください。",
};

const EN: PhoneTexts = PhoneTexts {
    title: "Phone",
    idle: "Idle",
    ringing: "Ringing",
    connected: "On a call",
    on_hold: "On hold",
    call_for: "Call for",
    say: "Answer with",
    queue: "Queue",
    answer: "Answer",
    decline: "Decline",
    hold: "Hold",
    resume: "Resume",
    mute: "Mute",
    unmute: "Unmute",
    hang_up: "Hang up",
    keypad: "Keypad",
    transfer: "Transfer",
    transfer_queue: "To a queue",
    transfer_number: "To a number",
    transfer_go: "Transfer",
    transfer_error: "The call could not be transferred. Check the queue or the number.",
    open_conversation: "Open the conversation",
    no_browser_phone: "No browser phone is set up. Answer on your desk phone.",
    phone_error: "The browser phone could not start. Check the microphone permission and the network.",
};

pub fn phone_texts(lang: Lang) -> &'static PhoneTexts {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
    }
}
