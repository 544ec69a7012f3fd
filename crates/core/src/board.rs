//! The supervisor board: live figures per queue, computed from conversations and their clocks
//! (never from counters that could drift).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::presence::Presence;
use crate::voice::call::{CallState, ContactRecord};

/// A call answered within this many seconds of joining the queue counts for the service level
/// (the 80/20 the trade quotes: 80 % of calls answered within 20 seconds).
pub const CALL_ANSWER_TARGET_SECONDS: i64 = 20;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QueueFigures {
    /// Queue name; empty for contacts without a queue.
    pub queue: String,
    /// New and unassigned now.
    pub waiting: i64,
    /// Since when the longest-waiting contact waits.
    pub oldest_waiting_since: Option<DateTime<Utc>>,
    /// Contacts that arrived today (JST).
    pub offered: i64,
    /// …of which got a first response.
    pub answered: i64,
    /// …of which were closed without any response (the customer gave up).
    pub abandoned: i64,
    /// …of which were answered within the merchant's first-response target.
    pub answered_within_target: i64,
}

impl QueueFigures {
    /// 応答率: answered / offered, in percent; `None` before the first contact of the day.
    pub fn answer_rate(&self) -> Option<f64> {
        (self.offered > 0).then(|| self.answered as f64 * 100.0 / self.offered as f64)
    }

    /// Service level: answered within the target / offered, in percent.
    pub fn service_level(&self) -> Option<f64> {
        (self.offered > 0).then(|| self.answered_within_target as f64 * 100.0 / self.offered as f64)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PresenceCount {
    pub presence: Presence,
    pub agents: i64,
}

/// Callers waiting in one queue now (ringing at an agent included: they still wait).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CallQueueFigures {
    /// Queue name; empty for calls queued without one.
    pub queue: String,
    pub waiting: i64,
    pub oldest_waiting_since: Option<DateTime<Utc>>,
}

/// The phone, live and today: computed from each call's contact record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CallFigures {
    pub queues: Vec<CallQueueFigures>,
    /// Agents talking to a caller now (on hold included).
    pub on_call: i64,
    /// Calls in the shop's menu now.
    pub in_menu: i64,
    /// Calls that reached the desk today (JST).
    pub offered: i64,
    pub answered: i64,
    /// …of which within [`CALL_ANSWER_TARGET_SECONDS`] in the queue.
    pub answered_within_target: i64,
    /// The caller hung up before an answer, short abandons (a misdial, a hang-up at the
    /// greeting) not counted.
    pub abandoned: i64,
    pub short_abandoned: i64,
    /// Left a message (after hours, or nobody free).
    pub voicemail: i64,
    /// Mean time answered calls waited in the queue, in seconds.
    pub average_answer_seconds: Option<i64>,
}

/// What the board reads of one call.
pub struct CallSnapshot<'a> {
    pub state: CallState,
    /// An agent of the desk holds it (a call transferred out to a number is connected, but to
    /// nobody here).
    pub held: bool,
    pub queue: &'a str,
    pub record: &'a ContactRecord,
    pub created_at: DateTime<Utc>,
}

impl CallFigures {
    /// The figures of the calls live now or started since `day_start`.
    pub fn of(calls: &[CallSnapshot<'_>], day_start: DateTime<Utc>) -> CallFigures {
        let mut f = CallFigures::default();
        let mut waits = std::collections::BTreeMap::<&str, (i64, Option<DateTime<Utc>>)>::new();
        let mut answer_seconds = 0;
        for c in calls {
            match c.state {
                CallState::Queued | CallState::Ringing => {
                    let w = waits.entry(c.queue).or_default();
                    w.0 += 1;
                    let since = c.record.queued_at.unwrap_or(c.created_at);
                    w.1 = Some(w.1.map_or(since, |s| s.min(since)));
                }
                CallState::Connected if c.held => f.on_call += 1,
                CallState::Connected => {}
                CallState::Ivr => f.in_menu += 1,
                CallState::Ended => {}
            }
            if c.created_at < day_start {
                continue;
            }
            let r = c.record;
            f.offered += 1;
            if r.answered_at.is_some() {
                f.answered += 1;
                answer_seconds += r.queue_seconds;
                if r.queue_seconds <= CALL_ANSWER_TARGET_SECONDS {
                    f.answered_within_target += 1;
                }
            }
            f.abandoned += i64::from(r.abandoned && !r.short_abandon);
            f.short_abandoned += i64::from(r.short_abandon);
            f.voicemail += i64::from(r.voicemail);
        }
        f.queues = waits
            .into_iter()
            .map(|(q, (waiting, since))| CallQueueFigures { queue: q.to_owned(), waiting, oldest_waiting_since: since })
            .collect();
        f.average_answer_seconds = (f.answered > 0).then(|| answer_seconds / f.answered);
        f
    }

    /// Calls counted in the rates: short abandons are left out, as most centres do.
    fn counted(&self) -> i64 {
        self.offered - self.short_abandoned
    }

    /// 応答率 of calls, in percent.
    pub fn answer_rate(&self) -> Option<f64> {
        (self.counted() > 0).then(|| self.answered as f64 * 100.0 / self.counted() as f64)
    }

    /// Service level: answered within the target / counted calls, in percent.
    pub fn service_level(&self) -> Option<f64> {
        (self.counted() > 0).then(|| self.answered_within_target as f64 * 100.0 / self.counted() as f64)
    }

    /// Whether there is anything to show: a call today or one live.
    pub fn is_empty(&self) -> bool {
        self.offered == 0 && self.queues.is_empty() && self.on_call == 0 && self.in_menu == 0
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Board {
    pub queues: Vec<QueueFigures>,
    pub agents: Vec<PresenceCount>,
    /// The phone: callers waiting per queue, agents on a call, today's calls.
    pub calls: CallFigures,
    /// The merchant's first-response target the service level is measured against.
    pub first_response_target_minutes: u32,
    pub as_of: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_percentages_of_offered() {
        let q = QueueFigures {
            queue: "配送".into(),
            waiting: 0,
            oldest_waiting_since: None,
            offered: 20,
            answered: 18,
            abandoned: 2,
            answered_within_target: 16,
        };
        assert_eq!(q.answer_rate(), Some(90.0));
        assert_eq!(q.service_level(), Some(80.0));
        let empty = QueueFigures { offered: 0, ..q };
        assert_eq!(empty.answer_rate(), None);
    }

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap_or_default()
    }

    #[test]
    fn calls_wait_per_queue_and_today_counts_what_ended_how() {
        let day = at(0);
        let answered = |wait: i64| ContactRecord {
            queued_at: Some(at(100)),
            answered_at: Some(at(100 + wait)),
            ended_at: Some(at(400)),
            queue_seconds: wait,
            ..ContactRecord::default()
        };
        let fast = answered(12);
        let slow = answered(45);
        let gave_up = ContactRecord { abandoned: true, ended_at: Some(at(90)), ..ContactRecord::default() };
        let misdial = ContactRecord { abandoned: true, short_abandon: true, ..ContactRecord::default() };
        let message = ContactRecord { voicemail: true, ..ContactRecord::default() };
        let waiting_long = ContactRecord { queued_at: Some(at(500)), ..ContactRecord::default() };
        let waiting_short = ContactRecord { queued_at: Some(at(560)), ..ContactRecord::default() };
        // Queued before midnight and still waiting: on the board now, not in today's count.
        let overnight = ContactRecord { queued_at: Some(at(-30)), ..ContactRecord::default() };
        let talking = ContactRecord { answered_at: Some(at(600)), queue_seconds: 3, ..ContactRecord::default() };
        let in_menu = ContactRecord::default();
        let snap = |state, queue, record, created| CallSnapshot {
            state,
            held: state == CallState::Connected,
            queue,
            record,
            created_at: at(created),
        };
        let calls = [
            snap(CallState::Ended, "配送", &fast, 90),
            snap(CallState::Ended, "配送", &slow, 90),
            snap(CallState::Ended, "配送", &gave_up, 60),
            snap(CallState::Ended, "", &misdial, 70),
            snap(CallState::Ended, "", &message, 80),
            snap(CallState::Queued, "返品・交換", &waiting_long, 490),
            snap(CallState::Ringing, "返品・交換", &waiting_short, 550),
            snap(CallState::Queued, "", &overnight, -60),
            snap(CallState::Connected, "配送", &talking, 590),
            snap(CallState::Ivr, "", &in_menu, 700),
        ];
        let f = CallFigures::of(&calls, day);
        assert_eq!(
            f.queues,
            vec![
                CallQueueFigures { queue: String::new(), waiting: 1, oldest_waiting_since: Some(at(-30)) },
                CallQueueFigures { queue: "返品・交換".into(), waiting: 2, oldest_waiting_since: Some(at(500)) },
            ]
        );
        assert_eq!((f.on_call, f.in_menu), (1, 1));
        assert_eq!((f.offered, f.answered, f.answered_within_target), (9, 3, 2));
        assert_eq!((f.abandoned, f.short_abandoned, f.voicemail), (1, 1, 1));
        assert_eq!(f.average_answer_seconds, Some((12 + 45 + 3) / 3));
        // The misdial is not in the rates: 3 answered of 8 counted calls.
        assert_eq!(f.answer_rate(), Some(37.5));
        assert_eq!(f.service_level(), Some(25.0));
        assert!(!f.is_empty());
        assert!(CallFigures::of(&[], day).is_empty());
        assert_eq!(CallFigures::default().answer_rate(), None);
    }
}
