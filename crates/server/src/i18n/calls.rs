//! The words of calls away from the softphone: a call in the conversation (what the caller
//! pressed, how long they waited and talked, who hung up, each event) and the phone on the
//! supervisor board.

use madoguchi_core::voice::call::{CallEventKind, HungUpBy};

use super::Lang;

pub struct CallTexts {
    /// The section of a conversation's calls, and the board's phone table.
    pub calls: &'static str,
    /// The call's events, folded under the summary.
    pub course: &'static str,
    pub incoming: &'static str,
    pub outgoing: &'static str,
    pub to_number: &'static str,
    pub caller: &'static str,
    pub keys: &'static str,
    pub queue_wait: &'static str,
    pub talk: &'static str,
    pub hold: &'static str,
    /// 「2回」
    pub times: &'static str,
    pub hung_up: &'static str,
    pub acw: &'static str,
    pub missed_rings: &'static str,
    // Where the call stands or how it ended.
    pub in_menu: &'static str,
    pub waiting: &'static str,
    pub ringing: &'static str,
    pub connected: &'static str,
    pub answered: &'static str,
    pub abandoned: &'static str,
    pub short_abandoned: &'static str,
    pub voicemail: &'static str,
    /// A recording of the talk, played on the call's card.
    pub recording: &'static str,
    pub callback: &'static str,
    pub ended: &'static str,
    // The board.
    pub col_queue: &'static str,
    pub col_waiting: &'static str,
    pub col_longest: &'static str,
    pub on_call: &'static str,
    pub offered_today: &'static str,
    pub answer_rate: &'static str,
    pub service_level: &'static str,
    pub average_answer: &'static str,
    pub no_queue: &'static str,
    pub nobody_waits: &'static str,
    /// Sending a waiting call to an agent from the board.
    pub send_to: &'static str,
    pub send_refused: &'static str,
}

const JA: CallTexts = CallTexts {
    calls: "通話",
    course: "通話の経過",
    incoming: "着信",
    outgoing: "発信",
    to_number: "着信番号",
    caller: "発信者",
    keys: "音声案内の入力",
    queue_wait: "待ち時間",
    talk: "通話時間",
    hold: "保留",
    times: "回",
    hung_up: "切断",
    acw: "後処理",
    missed_rings: "応答なしの呼び出し",
    in_menu: "音声案内中",
    waiting: "待ち",
    ringing: "呼び出し中",
    connected: "通話中",
    answered: "応答",
    abandoned: "放棄",
    short_abandoned: "短時間放棄",
    voicemail: "留守電",
    recording: "通話録音",
    callback: "折り返し希望",
    ended: "終了",
    col_queue: "窓口",
    col_waiting: "待ち呼",
    col_longest: "最長待ち",
    on_call: "通話中の担当者",
    offered_today: "本日の着信",
    answer_rate: "応答率",
    service_level: "20秒以内の応答",
    average_answer: "平均待ち時間",
    no_queue: "（窓口なし）",
    nobody_waits: "待っているお客様はいません",
    send_to: "この担当者へつなぐ",
    send_refused: "つなげませんでした。担当者が受付可か、お電話がまだ待っているかを確かめてください。",
};

const EN: CallTexts = CallTexts {
    calls: "Calls",
    course: "What happened",
    incoming: "Incoming",
    outgoing: "Outgoing",
    to_number: "Number dialled",
    caller: "Caller",
    keys: "Keys pressed",
    queue_wait: "Wait",
    talk: "Talk time",
    hold: "Hold",
    times: "×",
    hung_up: "Hung up by",
    acw: "After-call work",
    missed_rings: "Rings not answered",
    in_menu: "In the menu",
    waiting: "Waiting",
    ringing: "Ringing",
    connected: "On a call",
    answered: "Answered",
    abandoned: "Abandoned",
    short_abandoned: "Short abandons",
    voicemail: "Voicemail",
    recording: "Recording",
    callback: "Callback requested",
    ended: "Ended",
    col_queue: "Queue",
    col_waiting: "Waiting",
    col_longest: "Longest wait",
    on_call: "Agents on a call",
    offered_today: "Calls today",
    answer_rate: "Answer rate",
    service_level: "Answered within 20 s",
    average_answer: "Average wait",
    no_queue: "(no queue)",
    nobody_waits: "Nobody is waiting",
    send_to: "Send to this agent",
    send_refused: "The call could not be sent. Check that the agent is available and the call still waits.",
};

pub fn call_texts(lang: Lang) -> &'static CallTexts {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
    }
}

pub fn hung_up_by(lang: Lang, by: HungUpBy) -> &'static str {
    match (lang, by) {
        (Lang::Ja, HungUpBy::Customer) => "お客様",
        (Lang::Ja, HungUpBy::Agent) => "担当者",
        (Lang::Ja, HungUpBy::System) => "音声案内",
        (Lang::Ja, HungUpBy::Network) => "回線",
        (Lang::En, HungUpBy::Customer) => "Customer",
        (Lang::En, HungUpBy::Agent) => "Agent",
        (Lang::En, HungUpBy::System) => "The menu",
        (Lang::En, HungUpBy::Network) => "The network",
    }
}

/// An event of a call in a line: 「応答 — 佐藤」.
pub fn call_event(lang: Lang, kind: CallEventKind) -> &'static str {
    use CallEventKind as K;
    let (ja, en) = match kind {
        K::Offered => ("着信", "Call received"),
        K::IvrInput => ("ボタン入力", "Keys pressed"),
        K::Queued => ("待ち呼に入る", "Queued"),
        K::AgentOffered => ("呼び出し", "Ringing"),
        K::AgentMissed => ("応答なし", "Not answered"),
        K::Answered => ("応答", "Answered"),
        K::Hold => ("保留", "On hold"),
        K::Unhold => ("保留解除", "Off hold"),
        K::TransferRequested => ("転送の依頼", "Transfer requested"),
        K::TransferCompleted => ("転送完了", "Transferred"),
        K::RecordingStarted => ("録音開始", "Recording started"),
        K::RecordingStored => ("録音を保存", "Recording stored"),
        K::VoicemailLeft => ("留守電のメッセージ", "Voicemail left"),
        K::CallbackRequested => ("折り返しの希望", "Callback requested"),
        K::Ended => ("通話終了", "Call ended"),
        K::Abandoned => ("応答前に切断（放棄）", "Hung up before an answer"),
        K::AcwStarted => ("後処理開始", "After-call work started"),
        K::AcwEnded => ("後処理終了", "After-call work ended"),
    };
    if lang == Lang::Ja { ja } else { en }
}
