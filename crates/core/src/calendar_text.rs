//! A shop's hours and closed days as people type them in the console: 「9:00〜18:00」,
//! 「9時-12時、13時-18時」, 「休み」; one closed day or range a line, 「2026-12-29〜2027-01-03
//! 年末年始」. Parsed here into the calendar's types, and written back the same way, so what the
//! form shows can be saved again unchanged. Full-width digits and the usual dashes are
//! accepted (NFKC first).

use chrono::{Datelike, NaiveDate};

use crate::calendar::{HourMinute, OpenInterval};
use crate::merchant::ClosedDay;
use crate::validation::{ValidationError, nfkc};

/// The longest range one line may close (a long renovation, not a typo's ten years).
const MAX_RANGE_DAYS: i64 = 366;

/// One day's hours as typed: intervals separated by 、 , or spaces; an empty field or 「休み」
/// is a closed day.
pub fn parse_day_hours(field: &str, text: &str) -> Result<Vec<OpenInterval>, ValidationError> {
    let t = nfkc(text).replace(['〜', '~', '～', '−', '–', '—', 'ー'], "-");
    let t = t.trim();
    if t.is_empty() || matches!(t, "休み" | "休" | "定休日" | "closed" | "-") {
        return Ok(vec![]);
    }
    let bad = || {
        ValidationError::new(
            field,
            "invalid_hours",
            format!("{text:?} is not hours like 9:00-18:00 or 9:00-12:00, 13:00-18:00"),
        )
    };
    let mut out = Vec::new();
    for part in t.split(['、', ',', ' ', '，']).filter(|p| !p.is_empty()) {
        let (open, close) = part.split_once('-').ok_or_else(bad)?;
        let open = time_of_day(open).ok_or_else(bad)?;
        let close = time_of_day(close).ok_or_else(bad)?;
        if open >= close {
            return Err(ValidationError::new(
                field,
                "invalid_hours",
                format!("{part}: the desk must open before it closes"),
            ));
        }
        if out.last().is_some_and(|last: &OpenInterval| last.close > open) {
            return Err(ValidationError::new(
                field,
                "invalid_hours",
                format!("{part}: the times overlap or are out of order"),
            ));
        }
        out.push(OpenInterval { open, close });
    }
    Ok(out)
}

/// 「9:00」「09:00」「9時」「9時30分」「9」 as a time of day.
fn time_of_day(s: &str) -> Option<HourMinute> {
    let s = s.trim().trim_end_matches('分');
    let (h, m) = match s.split_once([':', '時']) {
        Some((h, m)) => (h, if m.is_empty() { "0" } else { m }),
        None => (s, "0"),
    };
    if h.is_empty() || h.len() > 2 || m.len() > 2 || !(h.chars().chain(m.chars())).all(|c| c.is_ascii_digit()) {
        return None;
    }
    HourMinute::new(h.parse().ok()?, m.parse().ok()?)
}

/// One day's hours as the form shows them: 「09:00-18:00, 」-separated; empty when closed.
pub fn day_hours_text(intervals: &[OpenInterval]) -> String {
    intervals.iter().map(|iv| format!("{}-{}", iv.open, iv.close)).collect::<Vec<_>>().join(", ")
}

/// Closed days, one a line: a date or a range of dates, then an optional name. Dates as
/// 2026-12-29, 2026/12/29 or 2026年12月29日; a range joined by 〜 or ~ closes every day in it.
/// A day listed twice is an error naming the line.
pub fn parse_closed_days(text: &str) -> Result<Vec<ClosedDay>, ValidationError> {
    let mut out: Vec<ClosedDay> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = nfkc(raw).replace(['〜', '~', '～'], "~");
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = |why: &str| {
            ValidationError::new("closed_days", "invalid_closed_day", format!("line {}: {raw:?} {why}", n + 1))
        };
        let (dates, label) = match line.split_once(char::is_whitespace) {
            Some((d, l)) => (d, l.trim()),
            None => (line, ""),
        };
        let (first, last) = match dates.split_once('~') {
            Some((a, b)) => (a, b),
            None => (dates, dates),
        };
        let first = date_typed(first).ok_or_else(|| bad("does not start with a date like 2026-12-29"))?;
        let last = date_typed(last).ok_or_else(|| bad("does not end its range with a date like 2027-01-03"))?;
        let days = (last - first).num_days();
        if !(0..MAX_RANGE_DAYS).contains(&days) {
            return Err(bad("is not a range of up to a year, first day first"));
        }
        for d in first.iter_days().take(days as usize + 1) {
            if out.iter().any(|o| o.date == d) {
                return Err(bad(&format!("lists {d} again")));
            }
            out.push(ClosedDay { date: d, label: label.to_owned() });
        }
    }
    out.sort_by_key(|d| d.date);
    Ok(out)
}

/// 2026-12-29, 2026/12/29, 2026.12.29 or 2026年12月29日.
fn date_typed(s: &str) -> Option<NaiveDate> {
    let s = s.trim().replace(['年', '月', '/', '.'], "-").replace('日', "");
    let mut parts = s.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// Closed days as the form shows them: consecutive days of one name written as one range.
pub fn closed_days_text(days: &[ClosedDay]) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let start = &days[i];
        let mut end = i;
        while end + 1 < days.len()
            && days[end + 1].label == start.label
            && days[end + 1].date.num_days_from_ce() == days[end].date.num_days_from_ce() + 1
        {
            end += 1;
        }
        let dates = if end == i { start.date.to_string() } else { format!("{}~{}", start.date, days[end].date) };
        lines.push(if start.label.is_empty() { dates } else { format!("{dates} {}", start.label) });
        i = end + 1;
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(h: u16, m: u16) -> HourMinute {
        HourMinute::new(h, m).unwrap()
    }

    #[test]
    fn hours_are_read_as_people_type_them() {
        let day = parse_day_hours("mon", "9:00〜18:00").unwrap();
        assert_eq!(day, vec![OpenInterval { open: hm(9, 0), close: hm(18, 0) }]);
        let split = parse_day_hours("mon", "９時－１２時、13:30-18時").unwrap();
        assert_eq!(
            split,
            vec![
                OpenInterval { open: hm(9, 0), close: hm(12, 0) },
                OpenInterval { open: hm(13, 30), close: hm(18, 0) }
            ]
        );
        assert!(parse_day_hours("sun", "").unwrap().is_empty());
        assert!(parse_day_hours("sun", "休み").unwrap().is_empty());
        assert_eq!(parse_day_hours("fri", "10:00-24:00").unwrap()[0].close, hm(24, 0));
    }

    #[test]
    fn wrong_hours_name_the_day_and_say_why() {
        for bad in ["18:00-9:00", "9:00-12:00, 11:00-18:00", "9:00", "朝から晩まで", "25:00-26:00", "9:60-10:00"]
        {
            let e = parse_day_hours("tue", bad).unwrap_err();
            assert_eq!(e.field, "tue", "{bad}");
            assert_eq!(e.code, "invalid_hours", "{bad}");
        }
    }

    #[test]
    fn hours_written_back_read_the_same() {
        let day = parse_day_hours("mon", "9:00-12:00, 13:00-18:00").unwrap();
        assert_eq!(day_hours_text(&day), "09:00-12:00, 13:00-18:00");
        assert_eq!(parse_day_hours("mon", &day_hours_text(&day)).unwrap(), day);
    }

    #[test]
    fn a_range_closes_every_day_in_it_and_reads_back_as_one_line() {
        let days =
            parse_closed_days("2026-12-29〜2027-01-03 年末年始\n\n２０２６年８月１３日 お盆\n2026/08/14 お盆").unwrap();
        assert_eq!(days.len(), 8);
        assert_eq!(days[0].date, NaiveDate::from_ymd_opt(2026, 8, 13).unwrap());
        assert_eq!(days[2].label, "年末年始");
        assert_eq!(days[7].date, NaiveDate::from_ymd_opt(2027, 1, 3).unwrap());
        assert_eq!(closed_days_text(&days), "2026-08-13~2026-08-14 お盆\n2026-12-29~2027-01-03 年末年始");
        assert_eq!(parse_closed_days(&closed_days_text(&days)).unwrap(), days);
    }

    #[test]
    fn wrong_closed_days_name_the_line() {
        let e = parse_closed_days("2026-12-29 年末\n2026-13-01 ?").unwrap_err();
        assert!(e.message.contains("line 2"), "{}", e.message);
        let e = parse_closed_days("2026-12-29\n2026-12-28~2026-12-30").unwrap_err();
        assert!(e.message.contains("again"), "{}", e.message);
        assert!(parse_closed_days("2027-01-03~2026-12-29 逆").is_err());
        assert!(parse_closed_days("2026-01-01~2030-01-01 長すぎ").is_err());
    }
}
