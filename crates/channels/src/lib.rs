//! Channel adapters that need no database: decoding inbound mail, reading and verifying LINE
//! webhooks, and web-chat identity signatures. The server stores what these return.

pub mod chat;
pub mod delivery;
pub mod email;
pub mod files;
pub mod line;
pub mod shop_webhook;
mod signature;
pub mod voice;
