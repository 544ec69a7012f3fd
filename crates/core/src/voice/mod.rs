//! The phone channel's domain, free of any provider: who calls ([`caller`]), a shop's IVR flow
//! as data ([`flow`]) and the walk through it ([`ivr`]), and a call's events with the contact
//! record derived from them ([`call`]). Telephony adapters (a cloud provider's webhooks, a PBX's
//! CTI events) sit below these and only carry the audio.

pub mod call;
pub mod caller;
pub mod control;
pub mod flow;
pub mod ivr;

#[cfg(test)]
mod tests;
