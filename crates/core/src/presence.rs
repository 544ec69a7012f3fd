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

/// The agent's own last word on a conversation: when, and whether it was a contact they typed
/// in (a call or a FAX recorded afterwards) rather than a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnLast {
    pub at: DateTime<Utc>,
    pub typed_in: bool,
}

/// Where `agent`'s after-contact work on a conversation starts, if it has: when the contact
/// ended (a chat or call ended), or for mail and other deferred channels when the agent last
/// answered and the customer has not written since; a contact the agent typed in ends when it
/// was recorded. Nobody's work starts on a conversation they did not handle (neither hold nor
/// answered), nor while a chat or call is still going or a customer still waits.
pub fn acw_start(
    c: &crate::conversation::Conversation,
    agent: crate::ids::UserId,
    own: Option<OwnLast>,
) -> Option<DateTime<Utc>> {
    if c.assignee_id != Some(agent) && own.is_none() {
        return None;
    }
    if let Some(end) = c.contact_ended_at {
        return Some(end);
    }
    let own = own?;
    let answered = c.waiting_since.is_none_or(|w| own.at >= w);
    match Load::of(c.channel) {
        Load::Deferred if answered => Some(own.at),
        Load::Voice | Load::Messaging if own.typed_in => Some(own.at),
        _ => None,
    }
}

/// After-contact work in seconds: from its start ([`acw_start`]) to the wrap-up, measured on
/// the server; a wrap-up with no start, or before it, is 0.
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

    fn conversation(channel: Channel) -> crate::conversation::Conversation {
        let t = DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z").unwrap().to_utc();
        crate::conversation::Conversation {
            id: crate::ids::ConversationId::new(),
            merchant_id: crate::ids::MerchantId::new(),
            number: 1,
            channel,
            status: crate::enums::ConversationStatus::Open,
            priority: crate::enums::Priority::Normal,
            subject: None,
            customer_id: None,
            order_id: None,
            assignee_id: None,
            queue: None,
            category: None,
            tags: vec![],
            created_at: t,
            updated_at: t,
            first_response_at: None,
            resolved_at: None,
            first_response_due_at: None,
            resolution_due_at: None,
            first_response_breached_at: None,
            resolution_breached_at: None,
            bot_outcome: None,
            last_message_at: None,
            waiting_since: None,
            offered_at: None,
            accepted_at: None,
            contact_ended_at: None,
        }
    }

    #[test]
    fn after_contact_work_starts_at_the_end_of_the_contact_and_only_for_its_agent() {
        let t = |m: i64| {
            DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z").unwrap().to_utc() + chrono::Duration::minutes(m)
        };
        let me = crate::ids::UserId::new();
        let other = crate::ids::UserId::new();
        // An untouched mail that waits for an answer: no work has started, for anyone.
        let mut mail = conversation(Channel::Email);
        mail.last_message_at = Some(t(0));
        mail.waiting_since = Some(t(0));
        assert_eq!(acw_start(&mail, me, None), None);
        mail.assignee_id = Some(me);
        assert_eq!(acw_start(&mail, me, None), None, "held but not answered");
        // Answered: the work starts at the reply; the customer writing again stops it.
        mail.waiting_since = None;
        let reply = OwnLast { at: t(5), typed_in: false };
        assert_eq!(acw_start(&mail, me, Some(reply)), Some(t(5)));
        assert_eq!(acw_start(&mail, other, None), None, "not the other agent's");
        mail.waiting_since = Some(t(7));
        assert_eq!(acw_start(&mail, me, Some(reply)), None);
        // A chat: replies do not end it; ending it does.
        let mut chat = conversation(Channel::Chat);
        chat.assignee_id = Some(me);
        assert_eq!(acw_start(&chat, me, Some(reply)), None, "still chatting");
        chat.contact_ended_at = Some(t(9));
        assert_eq!(acw_start(&chat, me, Some(reply)), Some(t(9)));
        assert_eq!(acw_start(&chat, other, None), None);
        // A call typed in afterwards ended when it was recorded.
        let phone = conversation(Channel::Phone);
        assert_eq!(acw_start(&phone, me, Some(OwnLast { at: t(3), typed_in: true })), Some(t(3)));
        assert_eq!(acw_seconds(Some(t(3)), t(4)), 60);
        assert_eq!(acw_seconds(None, t(4)), 0);
    }

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
