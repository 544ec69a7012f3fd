//! Instants. Stored and compared in UTC at microsecond precision (what PostgreSQL keeps), shown
//! in the merchant's zone (JST by default).

use chrono::{DateTime, SubsecRound, Utc};

pub type Timestamp = DateTime<Utc>;

/// The current instant, truncated to microseconds so it round-trips through either database
/// unchanged.
pub fn now() -> Timestamp {
    Utc::now().trunc_subsecs(6)
}

/// Midnight of today in Japan: the board's day.
pub fn jst_day_start() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    let tz = chrono_tz::Asia::Tokyo;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    tz.from_local_datetime(&today.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map_or_else(chrono::Utc::now, |t| t.with_timezone(&chrono::Utc))
}
