//! Use cases that span several store calls and run in the background.

pub mod background;
pub mod bot;
pub mod decisions;
pub mod delivery;
pub mod order_import;
pub mod routing;
