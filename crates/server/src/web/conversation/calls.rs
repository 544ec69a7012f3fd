//! A phone conversation's calls, beside its timeline: how each call went (what the caller
//! pressed, the wait, talk and hold, who hung up, after-call work) and its events to the
//! second, from the call's contact record and events; its recordings and voicemail to play.

use madoguchi_core::access::Scope;
use madoguchi_core::conversation::Conversation;
use madoguchi_core::enums::Channel;
use madoguchi_core::ids::UserId;
use madoguchi_core::voice::call::{CallDirection, CallEventKind, CallState, ContactRecord};
use madoguchi_core::voice::caller::Caller;
use madoguchi_store::Store;

use crate::error::ApiError;
use crate::i18n::{self, CallTexts, Lang};

pub struct CallView {
    pub id: String,
    /// Where it stands or how it ended, for the page's style: ivr, queued, ringing,
    /// connected, answered, abandoned, voicemail, callback, ended.
    pub outcome_code: &'static str,
    pub outcome: &'static str,
    /// 「2026/12/07 23:40 着信 050-5550-0101」
    pub head: String,
    pub facts: Vec<(&'static str, String)>,
    /// (time to the second, what happened)
    pub events: Vec<(String, String)>,
    /// The call's recordings in the desk's file store: (what it is, its length, where to play it).
    pub recordings: Vec<(&'static str, String, String)>,
}

/// 「1:05」: minutes and seconds, as a call's times are read.
fn clock(seconds: i64) -> String {
    let s = seconds.max(0);
    format!("{}:{:02}", s / 60, s % 60)
}

fn jst_seconds(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono_tz::Asia::Tokyo).format("%H:%M:%S").to_string()
}

fn outcome(t: &'static CallTexts, state: CallState, r: &ContactRecord) -> (&'static str, &'static str) {
    match state {
        CallState::Ivr => ("ivr", t.in_menu),
        CallState::Queued => ("queued", t.waiting),
        CallState::Ringing => ("ringing", t.ringing),
        CallState::Connected => ("connected", t.connected),
        CallState::Ended if r.answered_at.is_some() => ("answered", t.answered),
        CallState::Ended if r.voicemail => ("voicemail", t.voicemail),
        CallState::Ended if r.callback_requested => ("callback", t.callback),
        CallState::Ended if r.abandoned => ("abandoned", t.abandoned),
        CallState::Ended => ("ended", t.ended),
    }
}

/// The conversation's calls, newest first; none for a conversation on another channel.
pub async fn call_views(
    store: &Store,
    scope: &Scope,
    c: &Conversation,
    lang: Lang,
    name_of: &(dyn Fn(Option<UserId>) -> Option<String> + Sync),
) -> Result<Vec<CallView>, ApiError> {
    if c.channel != Channel::Phone {
        return Ok(vec![]);
    }
    let t = i18n::call_texts(lang);
    let mut views = Vec::new();
    for call in store.calls_of_conversation(scope, c.id).await?.into_iter().rev() {
        let r = &call.record;
        let (outcome_code, outcome) = outcome(t, call.state, r);
        let way = if call.direction == CallDirection::Inbound { t.incoming } else { t.outgoing };
        let mut facts = vec![(t.caller, call.caller.shown_ja())];
        if !r.ivr_keys.is_empty() {
            facts.push((t.keys, r.ivr_keys.iter().map(|k| format!("「{k}」")).collect::<Vec<_>>().join(" → ")));
        }
        if r.queued_at.is_some() {
            facts.push((t.queue_wait, clock(r.queue_seconds)));
        }
        if r.answered_at.is_some() {
            let who = name_of(r.agent).map(|n| format!("（{n}）")).unwrap_or_default();
            facts.push((t.talk, format!("{}{who}", clock(r.talk_seconds))));
        }
        if r.holds > 0 {
            facts.push((t.hold, format!("{}{} {}", r.holds, t.times, clock(r.hold_seconds))));
        }
        if r.missed_offers > 0 {
            facts.push((t.missed_rings, format!("{}{}", r.missed_offers, t.times)));
        }
        if let Some(by) = r.hung_up_by {
            facts.push((t.hung_up, i18n::hung_up_by(lang, by).to_owned()));
        }
        if r.acw_seconds > 0 {
            facts.push((t.acw, clock(r.acw_seconds)));
        }
        let stored = store.call_events(scope, call.id).await?;
        let recordings = stored
            .iter()
            .filter(|e| e.kind == CallEventKind::RecordingStored)
            .filter_map(|e| {
                let file = e.data["file"].as_str()?;
                let what = if e.data["voicemail"] == true { t.voicemail } else { t.recording };
                let length = e.data["seconds"].as_i64().map(clock).unwrap_or_default();
                Some((what, length, format!("/desk/files/{file}")))
            })
            .collect();
        let events = stored
            .into_iter()
            .map(|e| {
                let what = i18n::call_event(lang, e.kind);
                let detail = match e.kind {
                    CallEventKind::IvrInput => e.data["keys"].as_str().map(|k| format!("「{k}」")),
                    CallEventKind::Queued => {
                        e.data["queue"].as_str().filter(|q| !q.is_empty()).map(|q| format!("（{q}）"))
                    }
                    CallEventKind::Ended => e.data["by"]
                        .as_str()
                        .and_then(|b| b.parse().ok())
                        .map(|by| format!("（{}）", i18n::hung_up_by(lang, by))),
                    _ => None,
                };
                let who = name_of(e.agent).map(|n| format!(" — {n}")).unwrap_or_default();
                (jst_seconds(e.at), format!("{what}{}{who}", detail.unwrap_or_default()))
            })
            .collect();
        views.push(CallView {
            id: call.id.to_string(),
            outcome_code,
            outcome,
            head: format!("{} {way} {}", super::jst(call.created_at), Caller::parse(&call.to_e164).shown_ja()),
            facts,
            events,
            recordings,
        });
    }
    Ok(views)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_times_read_as_minutes_and_seconds() {
        assert_eq!(clock(0), "0:00");
        assert_eq!(clock(65), "1:05");
        assert_eq!(clock(3600), "60:00");
        assert_eq!(clock(-4), "0:00");
    }

    #[test]
    fn an_ended_call_says_how_it_ended() {
        let t = i18n::call_texts(Lang::Ja);
        let answered = ContactRecord { answered_at: Some(chrono::Utc::now()), ..Default::default() };
        assert_eq!(outcome(t, CallState::Ended, &answered), ("answered", "応答"));
        let gave_up = ContactRecord { abandoned: true, ..Default::default() };
        assert_eq!(outcome(t, CallState::Ended, &gave_up), ("abandoned", "放棄"));
        let message = ContactRecord { voicemail: true, ..Default::default() };
        assert_eq!(outcome(t, CallState::Ended, &message), ("voicemail", "留守電"));
        assert_eq!(outcome(t, CallState::Queued, &gave_up).0, "queued");
    }
}
