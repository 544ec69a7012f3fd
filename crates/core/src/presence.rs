//! Agent presence: what an agent is doing right now, and which changes are allowed.

use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};

use crate::enums::Channel;

crate::enums::string_enum!(
    /// An agent's state. Only `available` agents are offered new contacts.
    Presence {
        Available,
        /// Handling a contact at full capacity, or on a call.
        Busy,
        /// 後処理: notes and disposition after a contact.
        AfterContactWork,
        /// 休憩
        Break,
        Offline,
        /// 応答なし: an offered contact was not accepted in time and went to the next agent.
        /// Routing skips the agent until they choose a state again (they may have left the desk).
        NotResponding,
    }
);

impl Presence {
    /// Whether routing may offer this agent a new contact.
    pub fn accepts_contacts(self) -> bool {
        self == Presence::Available
    }

    /// Whether an agent may set this state by hand from `self`. `busy` is set by the system
    /// (a call connects, capacity fills) and cannot be chosen; everything else can be left for
    /// anything else, except that signing in starts from `offline` into `available` or `break`.
    pub fn can_switch_to(self, next: Presence) -> bool {
        match (self, next) {
            (_, Presence::Busy) => false,
            (a, b) if a == b => false,
            (Presence::Offline, Presence::AfterContactWork) => false,
            // Set by routing when an offer rings out, never chosen.
            (_, Presence::NotResponding) => false,
            _ => true,
        }
    }

    /// What the board and the agent's header show: the stored state, except that an available
    /// agent who holds live contacts (chats, LINE, a call) is 対応中. Routing still offers such
    /// an agent more chats up to their limit; "busy" here describes, it does not gate.
    pub fn shown(self, live_contacts: u32) -> Presence {
        match self {
            Presence::Available if live_contacts > 0 => Presence::Busy,
            other => other,
        }
    }
}

/// Whether a console has gone quiet: no heartbeat since `timeout` before `now`. A console
/// that was never seen counts from when the presence was set (API clients set it, and a
/// presence set through the API is a sign of life).
pub fn console_gone(
    last_seen: Option<DateTime<Utc>>,
    presence_since: DateTime<Utc>,
    now: DateTime<Utc>,
    timeout: chrono::Duration,
) -> bool {
    let seen = last_seen.map_or(presence_since, |s| s.max(presence_since));
    now - seen > timeout
}

/// Whether an offer rang out: offered to an agent `timeout` ago or more and not accepted.
pub fn offer_rang_out(
    offered_at: DateTime<Utc>,
    accepted_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    timeout: chrono::Duration,
) -> bool {
    accepted_at.is_none() && now - offered_at >= timeout
}

/// After-contact work in seconds: from the end of the contact to the wrap-up, measured on the
/// server. The contact ends when the agent ends it (chat or call over) or, if nobody did, at
/// its last message; a wrap-up before either is 0.
pub fn acw_seconds(contact_end: Option<DateTime<Utc>>, wrapped_at: DateTime<Utc>) -> i64 {
    contact_end.map_or(0, |end| (wrapped_at - end).num_seconds().max(0))
}

/// How a channel loads an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Load {
    /// A call: the agent does nothing else meanwhile.
    Voice,
    /// Live messaging (chat, LINE): several at once, up to the agent's limit.
    Messaging,
    /// Mail, forms, typed-in FAX and postcards: answered in turn, no live capacity used.
    Deferred,
}

impl Load {
    pub fn of(channel: Channel) -> Load {
        match channel {
            Channel::Phone => Load::Voice,
            Channel::Chat | Channel::Line => Load::Messaging,
            _ => Load::Deferred,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_available_agents_take_contacts() {
        use strum::IntoEnumIterator;
        let accepting: Vec<Presence> = Presence::iter().filter(|p| p.accepts_contacts()).collect();
        assert_eq!(accepting, vec![Presence::Available]);
    }

    #[test]
    fn busy_is_set_by_the_system_only() {
        assert!(!Presence::Available.can_switch_to(Presence::Busy));
        assert!(Presence::Busy.can_switch_to(Presence::AfterContactWork));
        assert!(Presence::AfterContactWork.can_switch_to(Presence::Available));
        assert!(Presence::Offline.can_switch_to(Presence::Available));
        assert!(!Presence::Offline.can_switch_to(Presence::AfterContactWork));
        assert!(!Presence::Break.can_switch_to(Presence::Break));
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn not_responding_is_set_by_routing_only_and_left_by_hand() {
        assert!(!Presence::Available.can_switch_to(Presence::NotResponding));
        assert!(Presence::NotResponding.can_switch_to(Presence::Available));
        assert!(Presence::NotResponding.can_switch_to(Presence::Offline));
        assert!(!Presence::NotResponding.accepts_contacts());
    }

    #[test]
    fn an_available_agent_holding_chats_shows_busy() {
        assert_eq!(Presence::Available.shown(0), Presence::Available);
        assert_eq!(Presence::Available.shown(2), Presence::Busy);
        assert_eq!(Presence::AfterContactWork.shown(1), Presence::AfterContactWork);
        assert_eq!(Presence::Break.shown(3), Presence::Break);
    }

    #[test]
    fn a_console_is_gone_after_the_timeout_without_a_heartbeat() {
        let since = t("2026-12-01T09:00:00Z");
        let timeout = chrono::Duration::seconds(60);
        // Seen 30 s ago: still there; 61 s ago: gone.
        assert!(!console_gone(Some(t("2026-12-01T09:10:00Z")), since, t("2026-12-01T09:10:30Z"), timeout));
        assert!(console_gone(Some(t("2026-12-01T09:10:00Z")), since, t("2026-12-01T09:11:01Z"), timeout));
        // Never seen: counted from when the presence was set.
        assert!(!console_gone(None, since, t("2026-12-01T09:00:59Z"), timeout));
        assert!(console_gone(None, since, t("2026-12-01T09:01:01Z"), timeout));
        // A presence set after the last heartbeat is the newer sign of life.
        assert!(!console_gone(Some(t("2026-12-01T08:00:00Z")), since, t("2026-12-01T09:00:30Z"), timeout));
    }

    #[test]
    fn an_offer_rings_out_only_unaccepted_and_after_the_timeout() {
        let offered = t("2026-12-01T09:00:00Z");
        let timeout = chrono::Duration::seconds(20);
        assert!(!offer_rang_out(offered, None, t("2026-12-01T09:00:19Z"), timeout));
        assert!(offer_rang_out(offered, None, t("2026-12-01T09:00:20Z"), timeout));
        assert!(!offer_rang_out(offered, Some(t("2026-12-01T09:00:05Z")), t("2026-12-01T09:05:00Z"), timeout));
    }

    #[test]
    fn acw_runs_from_the_end_of_the_contact() {
        let wrapped = t("2026-12-01T09:03:10Z");
        assert_eq!(acw_seconds(Some(t("2026-12-01T09:00:00Z")), wrapped), 190);
        // A reload of the page changes nothing: the end is stored, not the page's start.
        assert_eq!(acw_seconds(None, wrapped), 0);
        // Clock skew never gives negative work.
        assert_eq!(acw_seconds(Some(t("2026-12-01T09:04:00Z")), wrapped), 0);
    }

    #[test]
    fn channels_load_agents_differently() {
        assert_eq!(Load::of(Channel::Phone), Load::Voice);
        assert_eq!(Load::of(Channel::Line), Load::Messaging);
        assert_eq!(Load::of(Channel::Email), Load::Deferred);
        assert_eq!(Load::of(Channel::Fax), Load::Deferred);
    }
}
