//! Madoguchi's server: settings, authentication, the HTTP API, the console and the background
//! jobs. `main.rs` in the
//! `madoguchi` crate only parses the command line and calls into here.

pub mod api;
pub mod app;
pub mod auth;
pub mod chat;
pub mod cpu;
pub mod error;
pub mod extract;
pub mod files;
pub mod helpcenter;
pub mod hub;
pub mod i18n;
pub mod inbound;
pub mod jobs;
pub mod kb_files;
pub mod order_files;
pub mod render;
pub mod sanitize;
pub mod search;
pub mod settings;
pub mod spreadsheet;
pub mod telemetry;
pub mod usecases;
pub mod web;

pub use app::{AppState, launch, router};
pub use settings::Settings;
