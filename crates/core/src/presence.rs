//! Agent presence: what an agent is doing right now, and which changes are allowed.

use serde::{Deserialize, Serialize};

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
            _ => true,
        }
    }
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

    #[test]
    fn channels_load_agents_differently() {
        assert_eq!(Load::of(Channel::Phone), Load::Voice);
        assert_eq!(Load::of(Channel::Line), Load::Messaging);
        assert_eq!(Load::of(Channel::Email), Load::Deferred);
        assert_eq!(Load::of(Channel::Fax), Load::Deferred);
    }
}
