//! Instants. Stored and compared in UTC at microsecond precision (what PostgreSQL keeps), shown
//! in the merchant's zone (JST by default).

use chrono::{DateTime, SubsecRound, Utc};

pub type Timestamp = DateTime<Utc>;

/// The current instant, truncated to microseconds so it round-trips through either database
/// unchanged.
pub fn now() -> Timestamp {
    Utc::now().trunc_subsecs(6)
}
