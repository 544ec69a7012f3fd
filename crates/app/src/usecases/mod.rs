//! Use cases: what the API, the console, the public pages, the webhooks and the jobs do, each
//! written once here and called from there. Nothing in here knows about HTTP requests.

pub mod audit;
pub mod bot;
pub mod channel_settings;
pub mod conversations;
pub mod decisions;
pub mod error;
pub mod intake;
pub mod kb;
pub mod messages;
pub mod order_import;
pub mod orders;
pub mod password_links;
pub mod presence;
pub mod reports;
pub mod routing;
pub mod search;
pub mod staff;
pub mod transcript;
pub mod voice;
