//! Calls through Twilio's webhooks, against the running server: a stand-in for Twilio posts
//! its parameters signed with the number's Auth Token over the desk's public URL, and follows
//! the TwiML's action, redirect and wait URLs as Twilio would — the shop's menu, digits read
//! back, the queue's wait and overflow, voicemail, after hours, a caller who gives up, a
//! withheld number, and requests that are tampered with or unknown.
#![allow(clippy::unwrap_used)] // test helpers fail the test on bad fixtures

mod common;

use common::chat::set_hours;
use common::voice::{AUTH, NUMBER, PUBLIC, TOKEN, app, follows, twilio};
use madoguchi_channels::voice::twilio::signature;
use madoguchi_core::access::Scope;
use madoguchi_core::voice::call::{CallEventKind, CallState, HungUpBy};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_goes_through_the_menu_types_an_order_number_waits_and_leaves_a_message() {
    let app = app().await;
    let t = twilio(&app, "CA0000000000000000000000000000001", "+819012345678");

    let xml = t.post(None, &[("CallStatus", "ringing")]).await;
    assert!(xml.contains("<Say language=\"ja-JP\">お電話ありがとうございます。A店です。この通話は品質向上のため録音させていただきます。</Say>"), "{xml}");
    assert!(
        xml.contains("<Gather input=\"dtmf\"") && xml.contains("numDigits=\"1\""),
        "the menu asks for one key: {xml}"
    );
    assert_eq!(follows(&xml, "action"), format!("{PUBLIC}/api/v1/inbound/voice/twilio/{TOKEN}?e=keys"));
    assert!(xml.contains("?e=silence</Redirect>"), "no key goes on to the silence URL: {xml}");
    let call = t.call().await;
    let conv = app.store.get_conversation(&Scope::All, call.conversation_id).await.unwrap();
    assert_eq!(conv.customer_id, Some(app.a.customer), "the caller's number is shop A's customer");
    assert_eq!(conv.merchant_id, app.a.id, "the dialled number decided the shop");

    // Twilio asks again for the same call (a retry): the same call, the same menu.
    let again = t.post(None, &[("CallStatus", "ringing")]).await;
    assert!(again.contains("numDigits=\"1\""), "{again}");
    assert_eq!(app.store.calls_of_conversation(&Scope::All, conv.id).await.unwrap().len(), 1);

    // 1 → the order number, read back; no parcel known → the delivery queue.
    let xml = t.post(Some("keys"), &[("Digits", "1")]).await;
    assert!(xml.contains("finishOnKey=\"#\"") && xml.contains("ご注文番号を入力"), "{xml}");
    let xml = t.post(Some("keys"), &[("Digits", "20261208#")]).await;
    assert!(xml.contains("ご入力の番号は、2、0、2、6、1、2、0、8、です。"), "{xml}");
    assert!(xml.contains("<Enqueue"), "{xml}");
    let call = t.call().await;
    assert_eq!((call.state, call.skill.as_deref()), (CallState::Queued, Some("配送")));
    assert_eq!(call.vars.get("order").map(String::as_str), Some("20261208"), "kept for the agent");

    // Waiting: told the place in line; past five minutes, out of the queue to voicemail.
    let wait = t.post(Some("wait"), &[("QueuePosition", "2"), ("QueueTime", "30")]).await;
    assert!(wait.contains("2番目でお待ちいただいております") && wait.contains("<Pause"), "{wait}");
    let wait = t.post(Some("wait"), &[("QueuePosition", "1"), ("QueueTime", "301")]).await;
    assert!(wait.contains("<Leave/>"), "{wait}");
    let xml = t.post(Some("dequeued"), &[("QueueResult", "leave"), ("QueueTime", "301")]).await;
    assert!(xml.contains("ただいま混み合っております") && xml.contains("<Record"), "{xml}");
    assert!(follows(&xml, "recordingStatusCallback").ends_with("?e=recording"), "{xml}");
    let xml = t
        .post(
            Some("recorded"),
            &[
                ("RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1"),
                ("RecordingDuration", "14"),
            ],
        )
        .await;
    assert!(xml.contains("メッセージを承りました") && xml.ends_with("<Hangup/></Response>"), "{xml}");
    t.post(Some("status"), &[("CallStatus", "completed"), ("CallDuration", "340")]).await;
    // The status callback again (Twilio retries): nothing new.
    t.post(Some("status"), &[("CallStatus", "completed"), ("CallDuration", "340")]).await;

    let call = t.call().await;
    assert_eq!(call.state, CallState::Ended);
    let r = &call.record;
    assert!(r.voicemail && !r.abandoned && r.answered_at.is_none(), "{r:?}");
    assert_eq!(r.ivr_keys, ["1", "20261208#"]);
    let kinds: Vec<CallEventKind> =
        app.store.call_events(&Scope::All, call.id).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            CallEventKind::Offered,
            CallEventKind::IvrInput,
            CallEventKind::IvrInput,
            CallEventKind::Queued,
            CallEventKind::VoicemailLeft,
            CallEventKind::Ended
        ],
        "each event once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_hours_the_caller_is_asked_for_a_message_at_once() {
    let app = app().await;
    set_hours(&app, "shop-a", false).await;
    let t = twilio(&app, "CA0000000000000000000000000000002", "+819012345678");
    let xml = t.post(None, &[("CallStatus", "ringing")]).await;
    assert!(xml.contains("本日の受付は終了しました") && xml.contains("<Record"), "{xml}");
    assert!(!xml.contains("<Gather"), "no menu after hours: {xml}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_who_gives_up_in_the_queue_is_an_abandoned_call_and_a_withheld_number_is_nobodys() {
    let app = app().await;
    let t = twilio(&app, "CA0000000000000000000000000000003", "anonymous");
    t.post(None, &[("CallStatus", "ringing")]).await;
    // A wrong key, then 3.
    let xml = t.post(Some("keys"), &[("Digits", "7")]).await;
    assert!(xml.contains("<Gather"), "asked again: {xml}");
    let xml = t.post(Some("keys"), &[("Digits", "3")]).await;
    assert!(xml.contains("<Enqueue"), "{xml}");
    t.post(Some("dequeued"), &[("QueueResult", "hangup"), ("QueueTime", "45")]).await;
    t.post(Some("status"), &[("CallStatus", "completed")]).await;
    let call = t.call().await;
    // Abandoned by the caller; over within seconds on the desk's clock, so a short abandon.
    let r = &call.record;
    assert!(r.abandoned && r.short_abandon && r.hung_up_by == Some(HungUpBy::Customer), "{r:?}");
    assert_eq!(r.ivr_keys, ["7", "3"]);
    assert_eq!(call.caller.shown_ja(), "非通知");
    let conv = app.store.get_conversation(&Scope::All, call.conversation_id).await.unwrap();
    assert_eq!(conv.customer_id, None, "a withheld number is put on nobody's history");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_not_signed_by_the_numbers_account_is_refused_and_stores_nothing() {
    let app = app().await;
    let t = twilio(&app, "CA0000000000000000000000000000004", "+819012345678");
    let path = format!("/api/v1/inbound/voice/twilio/{TOKEN}");
    let params = t.params(&[("CallStatus", "ringing")]);
    let good = signature(&format!("{PUBLIC}{path}"), &params, AUTH);

    // A parameter changed after signing, another account's token, the URL as this host sees
    // it (not the public one), no signature at all.
    let mut tampered = params.clone();
    tampered.retain(|(k, _)| k != "From");
    tampered.push(("From".into(), "+819099999999".into()));
    let local = signature(&format!("{}{path}", app.base), &params, AUTH);
    for (what, p, sig) in [
        ("tampered", &tampered, Some(good.clone())),
        ("other account", &params, Some(signature(&format!("{PUBLIC}{path}"), &params, "other"))),
        ("signed for the Host", &params, Some(local)),
        ("unsigned", &params, None),
    ] {
        let (s, body) = t.post_signed(&path, p, sig).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{what}: {body}");
        assert!(body.contains("invalid_signature"), "{what}: {body}");
    }
    assert!(app.store.call_by_provider_id("twilio", &t.sid).await.unwrap().is_none(), "nothing stored");

    // An unknown number token.
    let (s, _) = t.post_signed("/api/v1/inbound/voice/twilio/nope", &params, Some(good.clone())).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Signed, but for a number this URL does not serve: a polite notice, no call.
    let wrong = t.params(&[("To", "+815099999999")]);
    let sig = signature(&format!("{PUBLIC}{path}"), &wrong, AUTH);
    let (s, xml) = t.post_signed(&path, &wrong, Some(sig)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(xml.contains("お問い合わせを承っておりません") && xml.contains("<Hangup/>"), "{xml}");
    assert!(app.store.call_by_provider_id("twilio", &t.sid).await.unwrap().is_none());
    // A callback for a call never seen is answered with a hang-up, not an error.
    let unseen = twilio(&app, "CA0000000000000000000000000000099", "+819012345678");
    let xml = unseen.post(Some("keys"), &[("Digits", "1")]).await;
    assert!(xml.contains("<Hangup/>"), "{xml}");
    // No CallSid: refused with a code.
    let bare = vec![("To".to_owned(), NUMBER.to_owned())];
    let sig = signature(&format!("{PUBLIC}{path}"), &bare, AUTH);
    let (s, body) = t.post_signed(&path, &bare, Some(sig)).await;
    assert_eq!((s, body.contains("missing_param")), (StatusCode::BAD_REQUEST, true), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_delivery_gets_the_first_answer_and_moves_the_call_once() {
    let app = app().await;
    let t = twilio(&app, "CA0000000000000000000000000000005", "+819012345678");
    t.post(None, &[("CallStatus", "ringing")]).await;
    let first = t.post_delivery("keys", &[("Digits", "1")], "idem-keys-1").await;
    assert!(first.contains("ご注文番号を入力"), "{first}");
    // Twilio did not get our answer in time and sends the same key press again.
    let retry = t.post_delivery("keys", &[("Digits", "1")], "idem-keys-1").await;
    assert_eq!(retry, first, "the same answer, not the next step's");
    let events = app.store.call_events(&Scope::All, t.call().await.id).await.unwrap();
    let inputs = events.iter().filter(|e| e.kind == CallEventKind::IvrInput).count();
    assert_eq!(inputs, 1, "the key press is taken once: {events:?}");
    // A new delivery is new input.
    let next = t.post_delivery("keys", &[("Digits", "20261208#")], "idem-keys-2").await;
    assert!(next.contains("<Enqueue"), "{next}");
}
