//! The phone channel's records: a shop's numbers and flows ([`numbers`]), calls and their
//! events ([`calls`]), the commands to the provider and the legs they place ([`control`]),
//! and the answers to webhook deliveries a provider may retry ([`replies`]).

pub mod calls;
pub mod control;
pub mod numbers;
pub mod replies;
