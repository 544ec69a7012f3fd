//! SLA clocks measured in a merchant's business time: a first-response target of "2 hours"
//! given at 17:30 on a Friday before a holiday Monday falls due on Tuesday morning. Time on
//! weekends, national holidays, the merchant's closed days and outside opening hours does not
//! count.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{BusinessCalendar, DayStatus};

/// How far ahead a clock looks for opening hours before giving up (a calendar with no open
/// day in a year has no due time).
const HORIZON_DAYS: i64 = 400;

impl BusinessCalendar<'_> {
    /// The open periods of a local date, as UTC instants, in order.
    pub fn open_periods(&self, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let DayStatus::Open { intervals } = self.day_status(date) else { return vec![] };
        intervals
            .iter()
            .filter_map(|iv| Some((self.local(date, iv.open.minutes())?, self.local(date, iv.close.minutes())?)))
            .collect()
    }

    /// `minutes` after local midnight of `date` (1440 is the next midnight), in UTC.
    fn local(&self, date: NaiveDate, minutes: u16) -> Option<DateTime<Utc>> {
        let (date, minutes) = if minutes >= 1440 { (date.succ_opt()?, minutes - 1440) } else { (date, minutes) };
        let time = NaiveTime::from_hms_opt(u32::from(minutes / 60), u32::from(minutes % 60), 0)?;
        // In a zone with daylight saving a local time can be ambiguous; the earlier one is used.
        self.timezone.from_local_datetime(&date.and_time(time)).earliest().map(|t| t.with_timezone(&Utc))
    }

    fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.timezone).date_naive()
    }

    /// Business time between two instants (zero if `to` is not after `from`).
    pub fn business_time_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        let mut total = Duration::zero();
        // Start a day early: a period of the previous local day may run past midnight.
        let mut date = self.local_date(from).pred_opt().unwrap_or(self.local_date(from));
        let last = self.local_date(to);
        while date <= last {
            for (open, close) in self.open_periods(date) {
                let (s, e) = (open.max(from), close.min(to));
                if e > s {
                    total += e - s;
                }
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        total
    }

    /// The instant at which `work` of business time has passed since `start`; `None` if the
    /// desk does not open enough within the next year.
    pub fn add_business_time(&self, start: DateTime<Utc>, work: Duration) -> Option<DateTime<Utc>> {
        let mut left = work;
        let mut date = self.local_date(start).pred_opt()?;
        let stop = self.local_date(start) + Duration::days(HORIZON_DAYS);
        while date <= stop {
            for (open, close) in self.open_periods(date) {
                let s = open.max(start);
                if close <= s {
                    continue;
                }
                let available = close - s;
                if left <= available {
                    return Some(s + left);
                }
                left -= available;
            }
            date = date.succ_opt()?;
        }
        None
    }
}

/// A merchant's service targets, in business minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicy {
    /// First reply to the customer within this many business minutes.
    pub first_response_minutes: u32,
    /// Resolved within this many business minutes.
    pub resolution_minutes: u32,
}

impl SlaPolicy {
    pub fn validate(&self) -> Result<(), crate::ValidationError> {
        let max = 60 * 24 * 60;
        for (field, v) in [
            ("sla.first_response_minutes", self.first_response_minutes),
            ("sla.resolution_minutes", self.resolution_minutes),
        ] {
            if !(1..=max).contains(&v) {
                return Err(crate::ValidationError::new(
                    field,
                    "out_of_range",
                    format!("{field} must be 1–{max} minutes"),
                ));
            }
        }
        Ok(())
    }

    /// Due times of both targets for a conversation opened at `opened`.
    pub fn due_times(
        &self,
        cal: &BusinessCalendar<'_>,
        opened: DateTime<Utc>,
    ) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        (
            cal.add_business_time(opened, Duration::minutes(i64::from(self.first_response_minutes))),
            cal.add_business_time(opened, Duration::minutes(i64::from(self.resolution_minutes))),
        )
    }
}

impl Default for SlaPolicy {
    /// One business hour to answer, two business days (of 9 hours) to resolve.
    fn default() -> Self {
        SlaPolicy { first_response_minutes: 60, resolution_minutes: 18 * 60 }
    }
}

/// Where one SLA target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SlaState {
    /// Still running: due at `due`.
    Running { due: DateTime<Utc> },
    /// Past `due` and not done.
    Breached { due: DateTime<Utc> },
    /// Done in time.
    Met { due: DateTime<Utc> },
    /// Done, but late.
    MetLate { due: DateTime<Utc> },
    /// The calendar never opens: no due time can be given.
    NoDueTime,
}

/// Judges one target: started at `start`, done at `done` (if it is), as of `now`.
pub fn sla_state(
    cal: &BusinessCalendar<'_>,
    start: DateTime<Utc>,
    minutes: u32,
    done: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> SlaState {
    let Some(due) = cal.add_business_time(start, Duration::minutes(i64::from(minutes))) else {
        return SlaState::NoDueTime;
    };
    match done {
        Some(d) if d <= due => SlaState::Met { due },
        Some(_) => SlaState::MetLate { due },
        None if now > due => SlaState::Breached { due },
        None => SlaState::Running { due },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{BusinessHours, HourMinute, OpenInterval};
    use chrono_tz::Asia::Tokyo;
    use proptest::prelude::*;

    fn jst(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Tokyo.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
    }

    fn cal<'a>(hours: &'a BusinessHours, closed: &'a [(NaiveDate, String)]) -> BusinessCalendar<'a> {
        BusinessCalendar { timezone: Tokyo, hours, closed_days: closed }
    }

    fn iv(open: &str, close: &str) -> OpenInterval {
        OpenInterval { open: HourMinute::parse(open).unwrap(), close: HourMinute::parse(close).unwrap() }
    }

    #[test]
    fn friday_evening_before_a_holiday_monday_is_due_on_tuesday() {
        let hours = BusinessHours::weekdays_9_to_18();
        let c = cal(&hours, &[]);
        // Fri 2026-11-20 17:30 + 60 min: 30 min on Friday, Mon 11-23 is 勤労感謝の日, so Tue 09:30.
        assert_eq!(
            c.add_business_time(jst(2026, 11, 20, 17, 30), Duration::minutes(60)),
            Some(jst(2026, 11, 24, 9, 30))
        );
        assert_eq!(c.business_time_between(jst(2026, 11, 20, 17, 30), jst(2026, 11, 24, 9, 30)), Duration::minutes(60));
    }

    #[test]
    fn before_opening_counts_from_opening_and_closed_days_are_skipped() {
        let hours = BusinessHours::weekdays_9_to_18();
        let closed = vec![(NaiveDate::from_ymd_opt(2026, 12, 30).unwrap(), "年末休業".to_string())];
        let c = cal(&hours, &closed);
        assert_eq!(c.add_business_time(jst(2026, 12, 29, 7, 0), Duration::minutes(30)), Some(jst(2026, 12, 29, 9, 30)));
        // Tue 12-29 17:00 + 2 h: 1 h on the 29th, the 30th is closed, so Thu 12-31 10:00.
        assert_eq!(c.add_business_time(jst(2026, 12, 29, 17, 0), Duration::hours(2)), Some(jst(2026, 12, 31, 10, 0)));
    }

    #[test]
    fn a_late_night_desk_counts_across_midnight() {
        let mut hours = BusinessHours { closed_on_national_holidays: false, ..BusinessHours::default() };
        for d in [
            &mut hours.mon,
            &mut hours.tue,
            &mut hours.wed,
            &mut hours.thu,
            &mut hours.fri,
            &mut hours.sat,
            &mut hours.sun,
        ] {
            *d = vec![iv("00:00", "02:00"), iv("20:00", "24:00")];
        }
        let c = cal(&hours, &[]);
        assert_eq!(
            c.add_business_time(jst(2026, 11, 24, 23, 30), Duration::minutes(60)),
            Some(jst(2026, 11, 25, 0, 30))
        );
        assert_eq!(c.business_time_between(jst(2026, 11, 24, 23, 0), jst(2026, 11, 25, 3, 0)), Duration::hours(3));
        // 01:30 + 60 min: 30 min until 02:00, then 30 min from 20:00.
        assert_eq!(
            c.add_business_time(jst(2026, 11, 25, 1, 30), Duration::minutes(60)),
            Some(jst(2026, 11, 25, 20, 30))
        );
    }

    #[test]
    fn a_calendar_that_never_opens_has_no_due_time() {
        let hours = BusinessHours::default();
        let c = cal(&hours, &[]);
        assert_eq!(c.add_business_time(jst(2026, 11, 24, 9, 0), Duration::minutes(1)), None);
        assert_eq!(sla_state(&c, jst(2026, 11, 24, 9, 0), 60, None, jst(2026, 11, 24, 9, 0)), SlaState::NoDueTime);
    }

    #[test]
    fn sla_states() {
        let hours = BusinessHours::weekdays_9_to_18();
        let c = cal(&hours, &[]);
        let start = jst(2026, 11, 24, 10, 0);
        let due = jst(2026, 11, 24, 11, 0);
        assert_eq!(sla_state(&c, start, 60, None, jst(2026, 11, 24, 10, 30)), SlaState::Running { due });
        assert_eq!(sla_state(&c, start, 60, None, jst(2026, 11, 24, 11, 1)), SlaState::Breached { due });
        assert_eq!(
            sla_state(&c, start, 60, Some(jst(2026, 11, 24, 10, 59)), jst(2026, 11, 25, 0, 0)),
            SlaState::Met { due }
        );
        assert_eq!(
            sla_state(&c, start, 60, Some(jst(2026, 11, 24, 12, 0)), jst(2026, 11, 25, 0, 0)),
            SlaState::MetLate { due }
        );
    }

    proptest! {
        /// Adding business time and measuring it back agree, from any start, for any amount.
        #[test]
        fn add_then_measure_round_trips(day in 0i64..800, minute in 0i64..1440, work in 0i64..(60 * 40)) {
            let hours = {
                let mut h = BusinessHours::weekdays_9_to_18();
                h.sat = vec![iv("10:00", "17:00")];
                h
            };
            let closed = vec![(NaiveDate::from_ymd_opt(2027, 1, 4).unwrap(), "棚卸し".to_string())];
            let c = cal(&hours, &closed);
            let start = jst(2026, 1, 1, 0, 0) + Duration::days(day) + Duration::minutes(minute);
            let due = c.add_business_time(start, Duration::minutes(work)).expect("opens every week");
            prop_assert!(due >= start);
            prop_assert_eq!(c.business_time_between(start, due), Duration::minutes(work));
            // The due instant is inside opening hours (or the start itself when no work is asked).
            if work > 0 {
                prop_assert!(c.is_open_at(due - Duration::seconds(1)));
            }
        }

        /// More work never falls due earlier.
        #[test]
        fn due_times_are_monotonic(day in 0i64..400, minute in 0i64..1440, a in 0i64..3000, b in 0i64..3000) {
            let hours = BusinessHours::weekdays_9_to_18();
            let c = cal(&hours, &[]);
            let start = jst(2026, 1, 1, 0, 0) + Duration::days(day) + Duration::minutes(minute);
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(c.add_business_time(start, Duration::minutes(lo)) <= c.add_business_time(start, Duration::minutes(hi)));
        }
    }
}
