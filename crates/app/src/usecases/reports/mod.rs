//! Reports: figures for the people who run the desk and the shops it serves, each computed for
//! one merchant the caller may see. A new report is a file here, a route in `api/` and, when
//! people read it on screen, a console page. (Metrics from the contact-event log and the shops'
//! monthly reports will land here.)

pub mod board;
pub mod bot;
pub mod faq_gaps;
