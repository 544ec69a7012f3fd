//! Use cases that span several store calls (their background loops are in `crate::jobs`).

pub mod bot;
pub mod decisions;
pub mod order_import;
pub mod routing;
