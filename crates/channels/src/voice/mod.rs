//! Telephony wire formats: what a provider posts and what it is answered with.

pub mod twilio;
pub mod twilio_api;
pub mod twilio_token;
pub mod twiml_read;
