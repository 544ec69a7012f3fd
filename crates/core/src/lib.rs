//! Madoguchi's domain: the types and pure rules every other crate shares. Nothing here does
//! I/O, so every rule can be tested in isolation.

pub mod access;
pub mod agent;
pub mod audit;
pub mod bank;
pub mod board;
pub mod bot;
pub mod calendar;
pub mod calendar_text;
pub mod cases;
pub mod category;
pub mod conversation;
pub mod customer;
pub mod decision;
pub mod enums;
pub mod escalation;
pub mod identity;
pub mod ids;
pub mod kb;
pub mod merchant;
pub mod order;
pub mod page;
pub mod playbook;
pub mod policy;
pub mod presence;
pub mod routing;
pub mod sla;
pub mod time;
pub mod user;
pub mod validation;
pub mod voice;

pub use validation::ValidationError;
