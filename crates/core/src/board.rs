//! The supervisor board: live figures per queue, computed from conversations and their clocks
//! (never from counters that could drift).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::presence::Presence;

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

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Board {
    pub queues: Vec<QueueFigures>,
    pub agents: Vec<PresenceCount>,
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
}
