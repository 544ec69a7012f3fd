//! Routing: which waiting contact goes to which agent. A pure function of the queue and the
//! agents' states, so every rule is testable without a database or a clock.
//!
//! Rules, in order:
//! 1. Contacts are served urgent first, then VIP, then high priority, then by waiting time.
//! 2. A contact goes only to an agent who is `available`, works for the contact's merchant,
//!    has the queue's skill (a contact without a queue needs no skill) and has room for the
//!    channel: no call in progress for a call, a free chat slot for chat and LINE.
//! 3. Among those, the agent idle the longest gets it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::enums::{Channel, Priority};
use crate::ids::{ConversationId, MerchantId, UserId};
use crate::presence::{Load, Presence};

/// An agent as routing sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentState {
    pub user_id: UserId,
    pub presence: Presence,
    pub merchants: Vec<MerchantId>,
    /// Queue names the agent can take (配送, 返品・交換, …).
    pub skills: Vec<String>,
    /// Live messaging conversations in hand.
    pub active_messaging: u32,
    /// At most this many live messaging conversations at once.
    pub max_messaging: u32,
    /// On a call now.
    pub on_call: bool,
    /// Since when the agent has had nothing new offered: the longest idle gets the next one.
    pub idle_since: DateTime<Utc>,
}

/// A contact waiting for an agent.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingContact {
    pub conversation_id: ConversationId,
    pub merchant_id: MerchantId,
    pub channel: Channel,
    pub queue: Option<String>,
    pub priority: Priority,
    /// The customer's rank says VIP.
    pub vip: bool,
    pub waiting_since: DateTime<Utc>,
}

/// One routing decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Offer {
    pub conversation_id: ConversationId,
    pub user_id: UserId,
}

/// Serving order: urgent, then VIP, then high, then normal and low; oldest first within each.
pub fn serving_key(c: &WaitingContact) -> (u8, DateTime<Utc>) {
    let class = match (c.priority, c.vip) {
        (Priority::Urgent, _) => 0,
        (_, true) => 1,
        (Priority::High, false) => 2,
        (Priority::Normal, false) => 3,
        (Priority::Low, false) => 4,
    };
    (class, c.waiting_since)
}

/// Whether this agent may take this contact now.
pub fn eligible(agent: &AgentState, contact: &WaitingContact) -> bool {
    agent.presence.accepts_contacts()
        && agent.merchants.contains(&contact.merchant_id)
        && contact.queue.as_ref().is_none_or(|q| agent.skills.contains(q))
        && match Load::of(contact.channel) {
            Load::Voice => !agent.on_call,
            Load::Messaging => !agent.on_call && agent.active_messaging < agent.max_messaging,
            Load::Deferred => true,
        }
}

/// The best agent for one contact: eligible, idle the longest (ties by id, for determinism).
pub fn choose_agent<'a>(contact: &WaitingContact, agents: &'a [AgentState]) -> Option<&'a AgentState> {
    agents.iter().filter(|a| eligible(a, contact)).min_by_key(|a| (a.idle_since, a.user_id))
}

/// Offers as many waiting contacts as the agents can take, in serving order. Each offer
/// updates the chosen agent's load and idle time, so one pass never overloads anyone.
pub fn route(contacts: &[WaitingContact], agents: &[AgentState], now: DateTime<Utc>) -> Vec<Offer> {
    let mut queue: Vec<&WaitingContact> = contacts.iter().collect();
    queue.sort_by_key(|c| (serving_key(c), c.conversation_id));
    let mut agents: Vec<AgentState> = agents.to_vec();
    let mut offers = Vec::new();
    for contact in queue {
        let Some(chosen) = choose_agent(contact, &agents).map(|a| a.user_id) else { continue };
        if let Some(a) = agents.iter_mut().find(|a| a.user_id == chosen) {
            match Load::of(contact.channel) {
                Load::Voice => a.on_call = true,
                Load::Messaging => a.active_messaging += 1,
                Load::Deferred => {}
            }
            a.idle_since = now;
        }
        offers.push(Offer { conversation_id: contact.conversation_id, user_id: chosen });
    }
    offers
}

/// How long a customer in the chat queue should expect to wait, in seconds, rounded up to a
/// whole minute: `position` customers (theirs included) each wait for a chat slot to come free,
/// and `capacity` slots (agents at work × their chats at once) come free once per
/// `handle_seconds` each. `None` when nobody is at work to answer.
pub fn expected_wait_seconds(position: u32, capacity: u32, handle_seconds: f64) -> Option<u64> {
    if capacity == 0 || !handle_seconds.is_finite() || handle_seconds <= 0.0 {
        return None;
    }
    let seconds = f64::from(position) * handle_seconds / f64::from(capacity);
    let minutes = (seconds / 60.0).ceil().max(1.0);
    Some(minutes as u64 * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expected_wait_grows_with_the_queue_and_shrinks_with_agents() {
        // Third in line, two agents with two chats each, five minutes a chat: 3 × 300 / 4 s.
        assert_eq!(expected_wait_seconds(3, 4, 300.0), Some(240));
        assert_eq!(expected_wait_seconds(1, 4, 300.0), Some(120), "75 s is said as two minutes");
        assert_eq!(expected_wait_seconds(1, 8, 300.0), Some(60), "never under a minute");
        assert_eq!(expected_wait_seconds(12, 4, 300.0), Some(900));
        assert_eq!(expected_wait_seconds(12, 8, 300.0), Some(480));
        assert_eq!(expected_wait_seconds(1, 0, 300.0), None, "nobody at work: no promise");
        assert_eq!(expected_wait_seconds(1, 2, f64::NAN), None);
    }
    use chrono::{Duration, TimeZone};

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 1, 0, 0).unwrap() + Duration::minutes(min)
    }

    fn agent(m: MerchantId, idle: i64, skills: &[&str]) -> AgentState {
        AgentState {
            user_id: UserId::new(),
            presence: Presence::Available,
            merchants: vec![m],
            skills: skills.iter().map(|s| s.to_string()).collect(),
            active_messaging: 0,
            max_messaging: 3,
            on_call: false,
            idle_since: t(idle),
        }
    }

    fn contact(m: MerchantId, channel: Channel, queue: Option<&str>, waiting: i64) -> WaitingContact {
        WaitingContact {
            conversation_id: ConversationId::new(),
            merchant_id: m,
            channel,
            queue: queue.map(String::from),
            priority: Priority::Normal,
            vip: false,
            waiting_since: t(waiting),
        }
    }

    #[test]
    fn the_longest_idle_skilled_agent_of_the_merchant_gets_it() {
        let m = MerchantId::new();
        let other = MerchantId::new();
        let long_idle_other_shop = agent(other, -60, &["配送"]);
        let long_idle_no_skill = agent(m, -50, &["返品・交換"]);
        let idle_skilled = agent(m, -30, &["配送"]);
        let fresh_skilled = agent(m, -1, &["配送"]);
        let agents = vec![long_idle_other_shop, long_idle_no_skill, idle_skilled.clone(), fresh_skilled];
        let c = contact(m, Channel::Phone, Some("配送"), 0);
        assert_eq!(choose_agent(&c, &agents).map(|a| a.user_id), Some(idle_skilled.user_id));
    }

    #[test]
    fn agents_who_are_not_available_or_full_are_skipped() {
        let m = MerchantId::new();
        let mut on_break = agent(m, -60, &[]);
        on_break.presence = Presence::Break;
        let mut acw = agent(m, -50, &[]);
        acw.presence = Presence::AfterContactWork;
        let mut full = agent(m, -40, &[]);
        full.active_messaging = 3;
        let mut calling = agent(m, -30, &[]);
        calling.on_call = true;
        let agents = vec![on_break, acw, full.clone(), calling.clone()];
        assert!(choose_agent(&contact(m, Channel::Chat, None, 0), &agents).is_none());
        assert!(choose_agent(&contact(m, Channel::Phone, None, 0), &agents).is_some_and(|a| a.user_id == full.user_id));
        // A mail does not need live capacity.
        assert!(choose_agent(&contact(m, Channel::Email, None, 0), &agents).is_some_and(|a| a.user_id == full.user_id));
    }

    #[test]
    fn urgent_and_vip_jump_the_queue() {
        let m = MerchantId::new();
        let old = contact(m, Channel::Phone, None, 0);
        let mut vip = contact(m, Channel::Phone, None, 5);
        vip.vip = true;
        let mut urgent = contact(m, Channel::Phone, None, 9);
        urgent.priority = Priority::Urgent;
        let one = agent(m, -10, &[]);
        let offers = route(&[old.clone(), vip.clone(), urgent.clone()], std::slice::from_ref(&one), t(10));
        assert_eq!(offers, vec![Offer { conversation_id: urgent.conversation_id, user_id: one.user_id }]);
        let two = agent(m, -5, &[]);
        let offers = route(&[old.clone(), vip.clone()], &[one.clone(), two.clone()], t(10));
        assert_eq!(
            offers.iter().map(|o| o.conversation_id).collect::<Vec<_>>(),
            vec![vip.conversation_id, old.conversation_id]
        );
        assert_eq!(offers[0].user_id, one.user_id, "the longest idle agent takes the VIP");
    }

    #[test]
    fn one_pass_respects_chat_capacity_and_spreads_work() {
        let m = MerchantId::new();
        let a = agent(m, -20, &[]);
        let b = agent(m, -10, &[]);
        let chats: Vec<WaitingContact> = (0..8).map(|i| contact(m, Channel::Chat, None, i)).collect();
        let offers = route(&chats, &[a.clone(), b.clone()], t(30));
        assert_eq!(offers.len(), 6, "two agents with three chat slots each");
        let per = |u: UserId| offers.iter().filter(|o| o.user_id == u).count();
        assert_eq!((per(a.user_id), per(b.user_id)), (3, 3));
        assert_eq!(offers[0].user_id, a.user_id);
        assert_eq!(offers[1].user_id, b.user_id, "after an offer the agent is no longer the longest idle");
        // Calls: one each.
        let calls: Vec<WaitingContact> = (0..3).map(|i| contact(m, Channel::Phone, None, i)).collect();
        assert_eq!(route(&calls, &[a, b], t(30)).len(), 2);
    }
}
