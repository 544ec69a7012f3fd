//! Business calendars: a merchant's weekly opening hours, Japanese national holidays (built in,
//! rule-based so future years need no data update) and the merchant's own closed days
//! (年末年始, 棚卸し, …). Every time is judged in the merchant's own time zone.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

use crate::validation::ValidationError;

/// A time of day as minutes since midnight; `24:00` is allowed as a closing time.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, utoipa::ToSchema)]
#[schema(value_type = String, example = "09:00")]
pub struct HourMinute(u16);

impl HourMinute {
    pub fn new(h: u16, m: u16) -> Option<Self> {
        (h < 24 && m < 60 || h == 24 && m == 0).then_some(Self(h * 60 + m))
    }
    pub fn minutes(self) -> u16 {
        self.0
    }
    pub fn parse(s: &str) -> Option<Self> {
        let (h, m) = s.split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        Self::new(h.parse().ok()?, m.parse().ok()?)
    }
}

impl fmt::Display for HourMinute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}
impl fmt::Debug for HourMinute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
impl Serialize for HourMinute {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for HourMinute {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("expected HH:MM (00:00–24:00), got {s:?}")))
    }
}

/// One opening interval within a day, `open` inclusive, `close` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenInterval {
    pub open: HourMinute,
    pub close: HourMinute,
}

/// Weekly opening hours. A day with no intervals is closed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessHours {
    #[serde(default)]
    pub mon: Vec<OpenInterval>,
    #[serde(default)]
    pub tue: Vec<OpenInterval>,
    #[serde(default)]
    pub wed: Vec<OpenInterval>,
    #[serde(default)]
    pub thu: Vec<OpenInterval>,
    #[serde(default)]
    pub fri: Vec<OpenInterval>,
    #[serde(default)]
    pub sat: Vec<OpenInterval>,
    #[serde(default)]
    pub sun: Vec<OpenInterval>,
    /// Whether the desk is closed on Japanese national holidays (祝日).
    #[serde(default = "yes")]
    pub closed_on_national_holidays: bool,
}

fn yes() -> bool {
    true
}

impl BusinessHours {
    /// Weekdays 9:00–18:00, closed at weekends and on national holidays: the usual EC desk.
    pub fn weekdays_9_to_18() -> Self {
        let day = vec![OpenInterval { open: HourMinute(9 * 60), close: HourMinute(18 * 60) }];
        Self {
            mon: day.clone(),
            tue: day.clone(),
            wed: day.clone(),
            thu: day.clone(),
            fri: day,
            sat: vec![],
            sun: vec![],
            closed_on_national_holidays: true,
        }
    }

    pub fn day(&self, wd: Weekday) -> &[OpenInterval] {
        match wd {
            Weekday::Mon => &self.mon,
            Weekday::Tue => &self.tue,
            Weekday::Wed => &self.wed,
            Weekday::Thu => &self.thu,
            Weekday::Fri => &self.fri,
            Weekday::Sat => &self.sat,
            Weekday::Sun => &self.sun,
        }
    }

    /// Intervals must be non-empty, ordered and not overlap.
    pub fn validate(&self) -> Result<(), ValidationError> {
        for wd in [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun] {
            let mut last_close = 0;
            for iv in self.day(wd) {
                if iv.open >= iv.close || iv.open.minutes() < last_close {
                    return Err(ValidationError::new(
                        "business_hours",
                        "invalid_business_hours",
                        format!("{wd}: opening intervals must be ordered, non-empty and must not overlap"),
                    ));
                }
                last_close = iv.close.minutes();
            }
        }
        Ok(())
    }
}

/// The name of the Japanese national holiday (祝日, including 振替休日 and 国民の休日) on
/// `date`, if it is one.
pub fn national_holiday(date: NaiveDate) -> Option<String> {
    thread_local! {
        static HOLIDAYS: jpholiday::jpholiday::JPHoliday<'static> = jpholiday::jpholiday::JPHoliday::new();
    }
    HOLIDAYS.with(|h| h.is_holiday_name(&date))
}

/// Why a day is open or closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DayStatus {
    Open { intervals: Vec<OpenInterval> },
    WeeklyClosed,
    NationalHoliday { name: String },
    ClosedDay { label: String },
}

/// A merchant's calendar: hours, time zone and own closed days.
#[derive(Debug, Clone)]
pub struct BusinessCalendar<'a> {
    pub timezone: Tz,
    pub hours: &'a BusinessHours,
    /// The merchant's own closed days with their labels.
    pub closed_days: &'a [(NaiveDate, String)],
}

impl BusinessCalendar<'_> {
    pub fn day_status(&self, date: NaiveDate) -> DayStatus {
        if let Some((_, label)) = self.closed_days.iter().find(|(d, _)| *d == date) {
            return DayStatus::ClosedDay { label: label.clone() };
        }
        if self.hours.closed_on_national_holidays
            && let Some(name) = national_holiday(date)
        {
            return DayStatus::NationalHoliday { name };
        }
        let intervals = self.hours.day(date.weekday()).to_vec();
        if intervals.is_empty() { DayStatus::WeeklyClosed } else { DayStatus::Open { intervals } }
    }

    /// Whether the desk is open at this instant, judged in the merchant's time zone.
    pub fn is_open_at(&self, at: DateTime<Utc>) -> bool {
        let local = self.timezone.from_utc_datetime(&at.naive_utc());
        let minute = (local.hour() * 60 + local.minute()) as u16;
        match self.day_status(local.date_naive()) {
            DayStatus::Open { intervals } => {
                intervals.iter().any(|iv| iv.open.minutes() <= minute && minute < iv.close.minutes())
            }
            _ => false,
        }
    }

    /// When the desk next opens at or after `at` (at itself when open), within the next 60
    /// days; `None` for a desk with no hours in that time.
    pub fn next_open(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_open_at(at) {
            return Some(at);
        }
        let local = self.timezone.from_utc_datetime(&at.naive_utc());
        let now_minute = (local.hour() * 60 + local.minute()) as u16;
        for (offset, date) in local.date_naive().iter_days().take(60).enumerate() {
            let DayStatus::Open { intervals } = self.day_status(date) else { continue };
            let opening = intervals.iter().map(|iv| iv.open.minutes()).find(|open| offset > 0 || *open > now_minute);
            if let Some(open) = opening {
                let naive = date.and_hms_opt(u32::from(open / 60), u32::from(open % 60), 0)?;
                return self.timezone.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc));
            }
        }
        None
    }
}

/// Parses an IANA time-zone name (`Asia/Tokyo`).
pub fn parse_timezone(name: &str) -> Result<Tz, ValidationError> {
    name.parse::<Tz>().map_err(|_| {
        ValidationError::new(
            "timezone",
            "invalid_timezone",
            format!("unknown time zone {name:?} (for example Asia/Tokyo)"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_desk_opens_next_after_the_night_the_weekend_and_a_holiday() {
        let hours = BusinessHours::weekdays_9_to_18();
        let closed = vec![(d(2026, 12, 29), "年末年始".to_owned())];
        let cal = BusinessCalendar { timezone: chrono_tz::Asia::Tokyo, hours: &hours, closed_days: &closed };
        let jst = |y, m, day, h, min| {
            chrono_tz::Asia::Tokyo.with_ymd_and_hms(y, m, day, h, min, 0).unwrap().with_timezone(&Utc)
        };
        // Open now: now.
        assert_eq!(cal.next_open(jst(2026, 12, 1, 10, 0)), Some(jst(2026, 12, 1, 10, 0)));
        // Tuesday evening: Wednesday 9:00.
        assert_eq!(cal.next_open(jst(2026, 12, 1, 19, 0)), Some(jst(2026, 12, 2, 9, 0)));
        // Early morning: the same day.
        assert_eq!(cal.next_open(jst(2026, 12, 2, 7, 30)), Some(jst(2026, 12, 2, 9, 0)));
        // Friday night: Monday; Monday 12/28 night: not the closed 12/29 but 12/30.
        assert_eq!(cal.next_open(jst(2026, 12, 4, 20, 0)), Some(jst(2026, 12, 7, 9, 0)));
        assert_eq!(cal.next_open(jst(2026, 12, 28, 20, 0)), Some(jst(2026, 12, 30, 9, 0)));
        // Before a national holiday (2026-11-23 is a Monday): Tuesday.
        assert_eq!(cal.next_open(jst(2026, 11, 20, 20, 0)), Some(jst(2026, 11, 24, 9, 0)));
        let never = BusinessHours::default();
        let cal = BusinessCalendar { timezone: chrono_tz::Asia::Tokyo, hours: &never, closed_days: &[] };
        assert_eq!(cal.next_open(jst(2026, 12, 1, 10, 0)), None);
    }

    #[test]
    fn national_holidays_including_substitute_and_sandwiched_days() {
        assert!(national_holiday(d(2026, 1, 1)).is_some()); // 元日
        assert!(national_holiday(d(2026, 11, 23)).is_some()); // 勤労感謝の日
        assert!(national_holiday(d(2026, 5, 6)).is_some()); // 振替休日 (5/3 is a Sunday)
        assert!(national_holiday(d(2026, 9, 22)).is_some()); // 国民の休日 between 敬老の日 and 秋分の日
        assert!(national_holiday(d(2026, 11, 24)).is_none());
        assert!(national_holiday(d(2027, 2, 23)).is_some()); // 天皇誕生日
    }

    #[test]
    fn hour_minute_round_trips_and_rejects_nonsense() {
        assert_eq!(HourMinute::parse("09:30").unwrap().to_string(), "09:30");
        assert_eq!(HourMinute::parse("24:00").unwrap().minutes(), 1440);
        for bad in ["24:01", "9:00", "25:00", "ab:cd", "12:60", ""] {
            assert!(HourMinute::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn open_at_uses_merchant_time_zone_and_holidays() {
        let hours = BusinessHours::weekdays_9_to_18();
        let closed = vec![(d(2026, 12, 30), "年末休業".to_string())];
        let cal = BusinessCalendar { timezone: chrono_tz::Asia::Tokyo, hours: &hours, closed_days: &closed };
        // Tue 2026-11-24 09:00 JST = 00:00 UTC: open.
        assert!(cal.is_open_at(Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap()));
        // 08:59 JST: not yet.
        assert!(!cal.is_open_at(Utc.with_ymd_and_hms(2026, 11, 23, 23, 59, 0).unwrap()));
        // 18:00 JST: closed (close is exclusive).
        assert!(!cal.is_open_at(Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap()));
        // Mon 2026-11-23 is 勤労感謝の日.
        assert!(matches!(cal.day_status(d(2026, 11, 23)), DayStatus::NationalHoliday { .. }));
        assert!(!cal.is_open_at(Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap()));
        assert_eq!(cal.day_status(d(2026, 12, 30)), DayStatus::ClosedDay { label: "年末休業".into() });
        assert_eq!(cal.day_status(d(2026, 11, 28)), DayStatus::WeeklyClosed);
    }

    #[test]
    fn overlapping_intervals_are_rejected() {
        let mut h = BusinessHours::weekdays_9_to_18();
        h.mon.push(OpenInterval {
            open: HourMinute::parse("17:00").unwrap(),
            close: HourMinute::parse("20:00").unwrap(),
        });
        assert!(h.validate().is_err());
        h.mon = vec![OpenInterval {
            open: HourMinute::parse("10:00").unwrap(),
            close: HourMinute::parse("10:00").unwrap(),
        }];
        assert!(h.validate().is_err());
    }
}
