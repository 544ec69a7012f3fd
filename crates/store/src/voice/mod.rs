//! The phone channel's records: a shop's numbers and flows ([`numbers`]), calls and their
//! events ([`calls`]).

pub mod calls;
pub mod numbers;
