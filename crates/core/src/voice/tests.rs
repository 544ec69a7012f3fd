//! The flow, its walk and the contact record, on the flow a gift shop would set up: the
//! recording notice, hours, 1 ご注文・お届け (with the parcel read back), 2 返品・交換, 3 その他,
//! voicemail after hours and when the queue overflows.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::json;

use super::call::{CallEvent, CallEventKind, ContactRecord, HungUpBy};
use super::flow::{Prompt, Step, VoiceFlow};
use super::ivr::{Clock, Input, Position, Turn, Vars, Wait, advance};
use crate::calendar::{BusinessCalendar, BusinessHours};
use crate::ids::UserId;

fn gift_flow() -> VoiceFlow {
    serde_json::from_value(json!({
        "start": "notice",
        "steps": {
            "notice": { "kind": "announce", "prompt": { "kind": "text", "text": "お電話ありがとうございます。ギフトの花まるです。この通話は品質向上のため録音させていただきます。" }, "next": "hours" },
            "hours": { "kind": "hours", "open": "menu", "closed": "after_hours", "holiday": "after_hours" },
            "menu": {
                "kind": "menu",
                "prompt": { "kind": "recording", "file": "prompts/hanamaru-menu.wav" },
                "options": { "1": "order", "2": "returns", "3": "other" },
                "invalid": { "kind": "text", "text": "入力が確認できませんでした。" },
                "otherwise": "other"
            },
            "order": { "kind": "collect", "prompt": { "kind": "text", "text": "ご注文番号を入力し、最後にシャープを押してください。" },
                       "store_as": "order", "min_digits": 4, "max_digits": 12, "read_back": true, "next": "parcel", "otherwise": "delivery" },
            "parcel": { "kind": "parcel_status", "next": "delivery", "not_found": "delivery" },
            "delivery": { "kind": "queue", "skill": "配送", "max_wait_seconds": 300, "overflow": "voicemail" },
            "returns": { "kind": "queue", "skill": "返品・交換" },
            "other": { "kind": "queue" },
            "after_hours": { "kind": "voicemail", "prompt": { "kind": "text", "text": "本日の受付は終了しました。発信音のあとにご用件をお話しください。" } },
            "voicemail": { "kind": "voicemail", "prompt": { "kind": "text", "text": "ただいま大変混み合っております。発信音のあとにご用件をお話しください。" }, "max_seconds": 90 }
        }
    }))
    .expect("the gift shop's flow")
}

fn hours() -> BusinessHours {
    BusinessHours::weekdays_9_to_18()
}

/// A JST wall-clock time.
fn jst(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Tokyo.with_ymd_and_hms(y, m, d, h, 0, 0).single().expect("a JST time").with_timezone(&Utc)
}

fn turn(flow: &VoiceFlow, at: Option<&Position>, input: Input, vars: &mut Vars, now: DateTime<Utc>) -> Turn {
    let h = hours();
    let closed = [(NaiveDate::from_ymd_opt(2026, 12, 29).expect("date"), "年末年始".to_owned())];
    let calendar = BusinessCalendar { timezone: chrono_tz::Asia::Tokyo, hours: &h, closed_days: &closed };
    advance(flow, at, input, vars, &Clock { calendar: &calendar, now })
}

fn text(p: &Prompt) -> &str {
    match p {
        Prompt::Text { text } => text,
        Prompt::Recording { file } => file,
    }
}

#[test]
fn the_gift_shops_flow_is_valid() {
    gift_flow().validate().expect("valid");
}

#[test]
fn open_on_a_weekday_the_caller_hears_the_notice_and_the_menu() {
    let flow = gift_flow();
    let mut vars = Vars::new();
    let t = turn(&flow, None, Input::Arrived, &mut vars, jst(2026, 12, 8, 10));
    assert_eq!(t.path, ["notice", "hours", "menu"]);
    assert!(text(&t.say[0]).contains("録音させていただきます"), "the recording notice first");
    assert!(matches!(t.wait, Wait::Keys { max_digits: 1, finish_on_hash: false, .. }), "{:?}", t.wait);
    assert_eq!(t.at, Position { step: "menu".into(), tries: 0 });

    // 2 → the returns queue with its skill.
    let t2 = turn(&flow, Some(&t.at), Input::Keys("2".into()), &mut vars, jst(2026, 12, 8, 10));
    assert_eq!(t2.wait, Wait::Queue { skill: Some("返品・交換".into()), max_wait_seconds: None });
}

#[test]
fn after_hours_on_a_closed_day_and_on_a_holiday_the_caller_leaves_a_message() {
    let flow = gift_flow();
    for (when, why) in [
        (jst(2026, 12, 8, 19), "after 18:00"),
        (jst(2026, 12, 12, 10), "a Saturday"),
        (jst(2026, 12, 29, 10), "the shop's 年末年始"),
        (jst(2027, 1, 11, 10), "成人の日, a Monday holiday"),
    ] {
        let t = turn(&flow, None, Input::Arrived, &mut Vars::new(), when);
        assert_eq!(t.at.step, "after_hours", "{why}");
        assert_eq!(t.wait, Wait::Voicemail { max_seconds: 120 }, "{why}");
        assert!(text(t.say.last().expect("a prompt")).contains("受付は終了"), "{why}");
    }
}

#[test]
fn a_wrong_key_or_silence_asks_again_then_goes_on() {
    let flow = gift_flow();
    let now = jst(2026, 12, 8, 10);
    let mut vars = Vars::new();
    let menu = Position { step: "menu".into(), tries: 0 };
    let t = turn(&flow, Some(&menu), Input::Keys("9".into()), &mut vars, now);
    assert_eq!(t.at, Position { step: "menu".into(), tries: 1 });
    assert_eq!(text(&t.say[0]), "入力が確認できませんでした。", "a key not offered is said so");
    let t = turn(&flow, Some(&t.at), Input::Silence, &mut vars, now);
    assert_eq!(t.at.tries, 2);
    assert!(t.say.is_empty(), "silence is asked again without the invalid-key notice");
    // Out of retries (2 by default): on to "other", not round again.
    let t = turn(&flow, Some(&t.at), Input::Silence, &mut vars, now);
    assert_eq!(t.wait, Wait::Queue { skill: None, max_wait_seconds: None });
}

#[test]
fn an_order_number_is_read_back_and_the_parcel_looked_up_by_it() {
    let flow = gift_flow();
    let now = jst(2026, 12, 8, 10);
    let mut vars = Vars::new();
    let order = Position { step: "order".into(), tries: 0 };
    // Too short for an order number: asked again.
    let t = turn(&flow, Some(&order), Input::Keys("12#".into()), &mut vars, now);
    assert_eq!(t.at, Position { step: "order".into(), tries: 1 });
    let t = turn(&flow, Some(&t.at), Input::Keys("20261208#".into()), &mut vars, now);
    assert_eq!(text(&t.say[0]), "ご入力の番号は、2、0、2、6、1、2、0、8、です。");
    assert_eq!(vars.get("order").map(String::as_str), Some("20261208"));
    assert_eq!(t.wait, Wait::ParcelLookup { order: Some("20261208".into()) });
    let t = turn(&flow, Some(&t.at), Input::Looked(Some("12月9日にお届け予定です。".into())), &mut vars, now);
    assert_eq!(text(&t.say[0]), "12月9日にお届け予定です。");
    assert_eq!(t.wait, Wait::Queue { skill: Some("配送".into()), max_wait_seconds: Some(300) });
    // The queue overflows to voicemail.
    let t = turn(&flow, Some(&t.at), Input::QueueTimedOut, &mut vars, now);
    assert_eq!(t.wait, Wait::Voicemail { max_seconds: 90 });
}

#[test]
fn a_late_or_repeated_callback_leaves_the_call_where_it_is() {
    let flow = gift_flow();
    let now = jst(2026, 12, 8, 10);
    let queued = Position { step: "returns".into(), tries: 0 };
    let t = turn(&flow, Some(&queued), Input::Keys("1".into()), &mut Vars::new(), now);
    assert_eq!(
        (t.at.step.as_str(), &t.wait),
        ("returns", &Wait::Queue { skill: Some("返品・交換".into()), max_wait_seconds: None })
    );
    let menu = Position { step: "menu".into(), tries: 1 };
    let t = turn(&flow, Some(&menu), Input::Looked(None), &mut Vars::new(), now);
    assert_eq!(t.at, menu, "the menu is asked again with its tries kept");
    // A position from an older version of the flow starts the call over.
    let gone = Position { step: "removed".into(), tries: 0 };
    assert_eq!(turn(&flow, Some(&gone), Input::Silence, &mut Vars::new(), now).at.step, "menu");
}

fn refused(flow: serde_json::Value) -> (String, &'static str) {
    let f: VoiceFlow = serde_json::from_value(flow).expect("parses");
    let e = f.validate().expect_err("refused");
    (e.field, e.code)
}

#[test]
fn a_flow_that_would_strand_a_caller_is_refused() {
    let say = json!({ "kind": "text", "text": "ご案内します" });
    let hang = json!({ "kind": "hangup" });
    // A step that leads nowhere.
    assert_eq!(
        refused(json!({ "start": "a", "steps": { "a": { "kind": "announce", "prompt": say, "next": "b" } } })),
        ("steps.a".into(), "unknown_step")
    );
    assert_eq!(refused(json!({ "start": "x", "steps": { "a": hang } })), ("start".into(), "unknown_step"));
    // A step no call reaches.
    assert_eq!(refused(json!({ "start": "a", "steps": { "a": hang, "b": hang } })), ("steps.b".into(), "unreachable"));
    // Two announcements round and round, never asking and never ending.
    let spin = json!({ "start": "a", "steps": {
        "a": { "kind": "announce", "prompt": say, "next": "b" },
        "b": { "kind": "announce", "prompt": say, "next": "a" } } });
    assert_eq!(refused(spin).1, "no_exit");
    // A loop that can end but spins without asking on one branch.
    let spin = json!({ "start": "h", "steps": {
        "h": { "kind": "hours", "open": "a", "closed": "end" },
        "a": { "kind": "announce", "prompt": say, "next": "h" },
        "end": hang } });
    assert_eq!(refused(spin).1, "loop");
    // A menu that asks again is a loop through the caller's choice: allowed.
    let again: VoiceFlow = serde_json::from_value(json!({ "start": "m", "steps": {
        "m": { "kind": "menu", "prompt": say, "options": { "9": "m", "0": "end" }, "otherwise": "end" },
        "end": hang } }))
    .expect("parses");
    again.validate().expect("a menu may lead back to itself");
    // Keys that are not on a phone, prompts with nothing in them, a number that is not E.164.
    let bad_key = json!({ "start": "m", "steps": {
        "m": { "kind": "menu", "prompt": say, "options": { "10": "end" }, "otherwise": "end" }, "end": hang } });
    assert_eq!(refused(bad_key).1, "invalid_key");
    let empty = json!({ "start": "a", "steps": { "a": { "kind": "announce", "prompt": { "kind": "text", "text": " " }, "next": "end" }, "end": hang } });
    assert_eq!(refused(empty).1, "invalid_prompt");
    let number = json!({ "start": "t", "steps": { "t": { "kind": "transfer", "number": "03-1234-5678" } } });
    assert_eq!(refused(number).1, "invalid_phone");
    // A step kind or field that does not exist is not silently dropped.
    assert!(
        serde_json::from_value::<VoiceFlow>(json!({ "start": "a", "steps": { "a": { "kind": "dance" } } })).is_err()
    );
    assert!(serde_json::from_value::<Step>(json!({ "kind": "hangup", "music": true })).is_err());
}

fn ev(kind: CallEventKind, second: i64) -> CallEvent {
    let t0 = jst(2026, 12, 8, 10);
    CallEvent { kind, at: t0 + chrono::Duration::seconds(second), agent: None, data: json!({}) }
}

#[test]
fn the_contact_record_of_an_answered_call_with_a_hold_and_a_transfer() {
    let agent = UserId(uuid::Uuid::from_u128(7));
    let other = UserId(uuid::Uuid::from_u128(8));
    let events = vec![
        CallEvent { data: json!({ "by": "customer" }), ..ev(CallEventKind::Ended, 400) },
        ev(CallEventKind::Offered, 0),
        CallEvent { data: json!({ "keys": "1" }), ..ev(CallEventKind::IvrInput, 12) },
        ev(CallEventKind::Queued, 15),
        CallEvent { agent: Some(agent), ..ev(CallEventKind::AgentOffered, 40) },
        ev(CallEventKind::AgentMissed, 55),
        CallEvent { agent: Some(agent), ..ev(CallEventKind::Answered, 75) },
        // The same callback twice counts once.
        CallEvent { agent: Some(agent), ..ev(CallEventKind::Answered, 75) },
        ev(CallEventKind::Hold, 100),
        ev(CallEventKind::Unhold, 160),
        ev(CallEventKind::Hold, 200),
        ev(CallEventKind::Unhold, 220),
        CallEvent { agent: Some(other), ..ev(CallEventKind::TransferCompleted, 300) },
        ev(CallEventKind::RecordingStored, 405),
        ev(CallEventKind::AcwStarted, 400),
        ev(CallEventKind::AcwEnded, 460),
    ];
    let r = ContactRecord::of(&events, 5);
    assert_eq!((r.queue_seconds, r.talk_seconds), (60, 325));
    assert_eq!((r.holds, r.hold_seconds, r.longest_hold_seconds), (2, 80, 60));
    assert_eq!((r.missed_offers, r.transfers, r.agent), (1, 1, Some(other)));
    assert_eq!((r.abandoned, r.recorded, r.hung_up_by), (false, true, Some(HungUpBy::Customer)));
    assert_eq!((r.ivr_keys.as_slice(), r.acw_seconds), (["1".to_owned()].as_slice(), 60));
}

#[test]
fn after_a_transfer_each_agents_after_call_work_is_counted() {
    let (first, second) = (UserId(uuid::Uuid::from_u128(7)), UserId(uuid::Uuid::from_u128(8)));
    let by = |agent, e: CallEvent| CallEvent { agent: Some(agent), ..e };
    let events = vec![
        by(first, ev(CallEventKind::Answered, 10)),
        by(first, ev(CallEventKind::TransferRequested, 60)),
        by(first, ev(CallEventKind::AcwStarted, 60)),
        by(second, ev(CallEventKind::Answered, 90)),
        // The first agent wraps up while the second talks.
        by(first, ev(CallEventKind::AcwEnded, 100)),
        CallEvent { data: json!({ "by": "customer" }), ..ev(CallEventKind::Ended, 200) },
        by(second, ev(CallEventKind::AcwStarted, 200)),
        by(second, ev(CallEventKind::AcwEnded, 230)),
    ];
    assert_eq!(ContactRecord::of(&events, 5).acw_seconds, 40 + 30);
}

#[test]
fn unanswered_calls_are_abandoned_short_or_not_unless_a_message_was_left() {
    let gone =
        |end: i64| vec![ev(CallEventKind::Offered, 0), ev(CallEventKind::Queued, 2), ev(CallEventKind::Abandoned, end)];
    let r = ContactRecord::of(&gone(3), 5);
    assert!(r.abandoned && r.short_abandon, "gone within 5 seconds: {r:?}");
    let r = ContactRecord::of(&gone(90), 5);
    assert!(r.abandoned && !r.short_abandon);
    assert_eq!(r.queue_seconds, 88, "waited until the end");
    let mut left = gone(90);
    left.insert(2, ev(CallEventKind::VoicemailLeft, 80));
    assert!(!ContactRecord::of(&left, 5).abandoned, "a message left is not a caller who gave up");
}
