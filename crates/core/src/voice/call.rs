//! A call as Madoguchi keeps it, whatever carried it (a cloud provider's webhooks, a PBX's CTI
//! events, later a native SIP path): typed events with their times, and the contact record
//! derived from them — one row per call, in the manner of Amazon Connect's CTR — which the
//! board and the reports count from (answered, abandoned, queue wait, talk and hold time).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::UserId;

crate::enums::string_enum!(
    /// What happened on a call.
    CallEventKind {
        /// The call reached Madoguchi (the dialled number decided the shop).
        Offered,
        /// The caller pressed keys in the flow (`data.keys`, `data.step`).
        IvrInput,
        /// The caller waits for an agent (`data.queue`).
        Queued,
        /// An agent's phone rings (`agent`).
        AgentOffered,
        /// It rang out unanswered: the call goes to someone else, the agent is set not ready.
        AgentMissed,
        Answered,
        Hold,
        Unhold,
        /// `data.kind` blind or warm; `data.to` an agent, a queue or an outside number.
        TransferRequested,
        TransferCompleted,
        RecordingStarted,
        /// The recording is in Madoguchi's file store (`data.file`, `data.seconds`).
        RecordingStored,
        VoicemailLeft,
        /// The caller asked to be called back (`data.number`).
        CallbackRequested,
        /// `data.by`: customer, agent, system (the flow hung up) or network.
        Ended,
        /// Ended before anyone answered, in the flow or in the queue.
        Abandoned,
        AcwStarted,
        AcwEnded,
    }
);

crate::enums::string_enum!(
    /// Which way the call went.
    CallDirection { Inbound, Outbound }
);

crate::enums::string_enum!(
    /// Where a call stands now.
    CallState {
        /// In the shop's flow (announcements, menus).
        Ivr,
        /// Waiting for an agent.
        Queued,
        /// Ringing at an agent.
        Ringing,
        /// Talking to an agent (on hold included).
        Connected,
        Ended,
    }
);

impl CallState {
    /// The state after `kind`; events that do not move the call keep it.
    pub fn after(self, kind: CallEventKind) -> CallState {
        use CallEventKind as K;
        match (self, kind) {
            (CallState::Ended, _) => CallState::Ended,
            (_, K::Ended | K::Abandoned | K::VoicemailLeft | K::CallbackRequested) => CallState::Ended,
            (_, K::Queued | K::AgentMissed) => CallState::Queued,
            (_, K::AgentOffered) => CallState::Ringing,
            (_, K::Answered | K::TransferCompleted) => CallState::Connected,
            (s, _) => s,
        }
    }
}

crate::enums::string_enum!(
    /// Who ended the call.
    HungUpBy { Customer, Agent, System, Network }
);

/// One event of a call, at the second it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallEvent {
    pub kind: CallEventKind,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<UserId>,
    #[serde(default)]
    pub data: serde_json::Value,
}

/// A call that ended unanswered within this many seconds is a short abandon (a misdial, a
/// caller who hung up at the recording-consent notice), left out of the abandon rate by most
/// centres; shops may set their own.
pub const DEFAULT_SHORT_ABANDON_SECONDS: i64 = 5;

/// The call's record, derived from its events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContactRecord {
    pub offered_at: Option<DateTime<Utc>>,
    pub queued_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// The agent who answered last (after a transfer, the one who took it).
    #[schema(value_type = Option<String>)]
    pub agent: Option<UserId>,
    /// Waiting for an agent: from queued to answered, or to the end when nobody answered.
    pub queue_seconds: i64,
    /// Connected to an agent, hold included.
    pub talk_seconds: i64,
    pub hold_seconds: i64,
    pub holds: u32,
    pub longest_hold_seconds: i64,
    /// Times it rang at an agent who did not answer.
    pub missed_offers: u32,
    pub transfers: u32,
    pub abandoned: bool,
    pub short_abandon: bool,
    pub voicemail: bool,
    pub callback_requested: bool,
    pub recorded: bool,
    pub hung_up_by: Option<HungUpBy>,
    /// The keys pressed in the flow, in order (「1」「12345#」).
    pub ivr_keys: Vec<String>,
    pub acw_seconds: i64,
}

impl ContactRecord {
    /// The record of a call from its events, in any order (sorted by time here; a callback
    /// that arrives late still lands in its place). Repeated events count once per moment.
    pub fn of(events: &[CallEvent], short_abandon_seconds: i64) -> ContactRecord {
        let mut ev: Vec<&CallEvent> = events.iter().collect();
        ev.sort_by_key(|e| e.at);
        let mut r = ContactRecord::default();
        let mut hold_since: Option<DateTime<Utc>> = None;
        // After-call work per agent: after a transfer, each agent who had the call has their own.
        let mut acw_since: std::collections::HashMap<Option<UserId>, DateTime<Utc>> = Default::default();
        let mut last: Option<(CallEventKind, DateTime<Utc>)> = None;
        for e in ev {
            if last == Some((e.kind, e.at)) {
                continue;
            }
            last = Some((e.kind, e.at));
            match e.kind {
                CallEventKind::Offered => r.offered_at = r.offered_at.or(Some(e.at)),
                CallEventKind::IvrInput => {
                    if let Some(k) = e.data["keys"].as_str() {
                        r.ivr_keys.push(k.to_owned());
                    }
                }
                CallEventKind::Queued => r.queued_at = r.queued_at.or(Some(e.at)),
                CallEventKind::AgentMissed => r.missed_offers += 1,
                CallEventKind::Answered => {
                    r.answered_at = r.answered_at.or(Some(e.at));
                    r.agent = e.agent.or(r.agent);
                }
                CallEventKind::Hold if hold_since.is_none() => {
                    hold_since = Some(e.at);
                    r.holds += 1;
                }
                CallEventKind::Unhold => {
                    if let Some(s) = hold_since.take() {
                        r.add_hold((e.at - s).num_seconds());
                    }
                }
                CallEventKind::TransferCompleted => {
                    r.transfers += 1;
                    r.agent = e.agent.or(r.agent);
                }
                CallEventKind::RecordingStored => r.recorded = true,
                CallEventKind::VoicemailLeft => r.voicemail = true,
                CallEventKind::CallbackRequested => r.callback_requested = true,
                CallEventKind::Ended | CallEventKind::Abandoned => {
                    r.ended_at = r.ended_at.or(Some(e.at));
                    if r.hung_up_by.is_none() {
                        r.hung_up_by = e.data["by"].as_str().and_then(|b| b.parse().ok());
                    }
                    if let Some(s) = hold_since.take() {
                        r.add_hold((e.at - s).num_seconds());
                    }
                }
                CallEventKind::AcwStarted => {
                    acw_since.entry(e.agent).or_insert(e.at);
                }
                CallEventKind::AcwEnded => {
                    if let Some(s) = acw_since.remove(&e.agent) {
                        r.acw_seconds += (e.at - s).num_seconds().max(0);
                    }
                }
                _ => {}
            }
        }
        let end = r.ended_at;
        if let (Some(q), Some(until)) = (r.queued_at, r.answered_at.or(end)) {
            r.queue_seconds = (until - q).num_seconds().max(0);
        }
        if let (Some(a), Some(e)) = (r.answered_at, end) {
            r.talk_seconds = (e - a).num_seconds().max(0);
        }
        // Unanswered and not handed to voicemail or a callback: the caller gave up.
        r.abandoned = end.is_some() && r.answered_at.is_none() && !r.voicemail && !r.callback_requested;
        if r.abandoned
            && let (Some(o), Some(e)) = (r.offered_at, end)
        {
            r.short_abandon = (e - o).num_seconds() < short_abandon_seconds;
        }
        r
    }

    fn add_hold(&mut self, seconds: i64) {
        let s = seconds.max(0);
        self.hold_seconds += s;
        self.longest_hold_seconds = self.longest_hold_seconds.max(s);
    }
}
