//! Madoguchi's HTTP layer: the JSON API, the console, the public pages and the webhooks, with
//! authentication and the error mapping. What they do is in the application crate
//! (`madoguchi_app`); `main.rs` in the `madoguchi` crate parses the command line and calls here.

pub mod api;
pub mod app;
pub mod auth;
pub mod chat;
pub mod error;
pub mod extract;
pub mod files;
pub mod helpcenter;
pub mod i18n;
pub mod inbound;
pub mod render;
pub mod telemetry;
pub mod web;

pub use app::{AppState, launch, router};
pub use madoguchi_app::Settings;
