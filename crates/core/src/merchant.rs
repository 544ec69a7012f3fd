//! Merchants (事業者): the tenant boundary. A shared desk serves many; each has its own
//! greeting (名のり), hours and closed days.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{BusinessHours, parse_timezone};
use crate::ids::MerchantId;
use crate::sla::SlaPolicy;
use crate::validation::{ValidationError, limits, max_len, optional, required};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Merchant {
    pub id: MerchantId,
    pub slug: String,
    /// The shop's short code before its ticket numbers (HM-201): on a shared desk every shop
    /// counts from 1, so a number alone names several conversations.
    pub code: String,
    pub name: String,
    /// What an agent says when answering for this shop (名のり).
    pub greeting: String,
    /// IANA zone; `Asia/Tokyo` unless the shop says otherwise.
    pub timezone: String,
    pub business_hours: BusinessHours,
    /// The shop's own closed days (年末年始, 棚卸し), on top of national holidays.
    pub closed_days: Vec<ClosedDay>,
    /// Service targets, in business minutes.
    pub sla: SlaPolicy,
    /// What the desk says on the other channels; the phone's is `greeting`.
    pub greetings: ChannelGreetings,
    /// Whether the shop's own staff may write to its customers from the console. Off on a
    /// shared desk: the desk answers customers, the shop answers the desk's escalations.
    pub staff_may_reply: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A shop's words for each channel besides the phone's 名のり: the first line of a chat or
/// LINE reply, and a mail reply's opening and signature. Empty means none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelGreetings {
    /// e.g. 「ギフトの花まるでございます。」
    pub chat: String,
    pub line: String,
    /// e.g. 「いつもギフトの花まるをご利用いただき、ありがとうございます。」
    pub mail_opening: String,
    /// Under every mail reply: the shop's name, hours and contact.
    pub mail_signature: String,
}

impl ChannelGreetings {
    pub fn validate(&self) -> Result<ChannelGreetings, ValidationError> {
        let short = |field: &str, v: &str| -> Result<String, ValidationError> {
            Ok(optional(field, Some(v), limits::GREETING)?.unwrap_or_default())
        };
        Ok(ChannelGreetings {
            chat: short("greetings.chat", &self.chat)?,
            line: short("greetings.line", &self.line)?,
            mail_opening: short("greetings.mail_opening", &self.mail_opening)?,
            mail_signature: optional("greetings.mail_signature", Some(&self.mail_signature), limits::TEXT)?
                .unwrap_or_default(),
        })
    }

    /// What a shop starts with: its name said as on the phone.
    pub fn named(name: &str) -> ChannelGreetings {
        ChannelGreetings {
            chat: format!("{name}でございます。"),
            line: format!("{name}でございます。"),
            mail_opening: format!("いつも{name}をご利用いただき、ありがとうございます。"),
            mail_signature: name.to_owned(),
        }
    }

    /// The words for one channel, if the shop has any there.
    pub fn for_channel(&self, channel: crate::enums::Channel) -> Option<&str> {
        use crate::enums::Channel;
        let s = match channel {
            Channel::Chat => &self.chat,
            Channel::Line => &self.line,
            Channel::Email | Channel::WebForm => &self.mail_opening,
            _ => return None,
        };
        (!s.is_empty()).then_some(s.as_str())
    }
}

impl Merchant {
    /// A conversation's number as the desk says and searches it: `HM-201`.
    pub fn ticket(&self, number: i64) -> String {
        format!("{}-{number}", self.code)
    }

    /// When an escalation asked now is due by default: four business hours on, so a question
    /// asked at 17:30 on a Friday is due on Monday morning, not in the night.
    pub fn default_escalation_due(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let closed = self.closed_day_pairs();
        let cal = crate::calendar::BusinessCalendar {
            timezone: self.tz(),
            hours: &self.business_hours,
            closed_days: &closed,
        };
        cal.add_business_time(now, chrono::Duration::hours(4)).unwrap_or(now + chrono::Duration::hours(4))
    }

    /// The merchant's zone (JST if the stored name were ever unreadable).
    pub fn tz(&self) -> chrono_tz::Tz {
        parse_timezone(&self.timezone).unwrap_or(chrono_tz::Asia::Tokyo)
    }

    /// Closed days in the form [`crate::calendar::BusinessCalendar`] takes.
    pub fn closed_day_pairs(&self) -> Vec<(NaiveDate, String)> {
        self.closed_days.iter().map(|d| (d.date, d.label.clone())).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosedDay {
    pub date: NaiveDate,
    #[serde(default)]
    pub label: String,
}

/// Input for creating a merchant.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMerchant {
    pub slug: String,
    /// 2–6 letters or digits; derived from the slug when absent (`hanamaru-gift` → `HG`).
    #[serde(default)]
    pub code: Option<String>,
    pub name: String,
    #[serde(default)]
    pub greeting: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub business_hours: Option<BusinessHours>,
    #[serde(default)]
    pub closed_days: Vec<ClosedDay>,
    #[serde(default)]
    pub sla: Option<SlaPolicy>,
    #[serde(default)]
    pub greetings: Option<ChannelGreetings>,
    #[serde(default)]
    pub staff_may_reply: Option<bool>,
}

impl NewMerchant {
    /// A shop with every setting at its default (JST, the default hours and service targets).
    pub fn named(slug: &str, name: &str) -> Self {
        NewMerchant {
            slug: slug.to_owned(),
            code: None,
            name: name.to_owned(),
            greeting: None,
            timezone: None,
            business_hours: None,
            closed_days: vec![],
            sla: None,
            greetings: None,
            staff_may_reply: None,
        }
    }
}

/// Input for changing a merchant; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantPatch {
    pub code: Option<String>,
    pub name: Option<String>,
    pub greeting: Option<String>,
    pub timezone: Option<String>,
    pub business_hours: Option<BusinessHours>,
    pub closed_days: Option<Vec<ClosedDay>>,
    pub sla: Option<SlaPolicy>,
    pub greetings: Option<ChannelGreetings>,
    pub staff_may_reply: Option<bool>,
}

/// A ticket as staff type it — HM-201, hm-201, ＨＭ－２０１, HM201 — as (code, number).
pub fn parse_ticket(text: &str) -> Option<(String, i64)> {
    let t = crate::validation::nfkc(text.trim()).to_ascii_uppercase().replace('#', "");
    let split = t.find(|c: char| c.is_ascii_digit()).filter(|i| *i > 0)?;
    // The code may end in digits (A1-20); with a dash, the dash separates.
    let (code, number) = match t.rsplit_once('-') {
        Some((code, number)) => (code.to_owned(), number.to_owned()),
        None => (t[..split].to_owned(), t[split..].to_owned()),
    };
    let code = validate_code(&code).ok()?;
    let number = number.parse::<i64>().ok().filter(|n| *n > 0)?;
    Some((code, number))
}

/// A ticket code: 2–6 letters A–Z or digits, starting with a letter; full-width and lower-case
/// input is folded (ｈｍ → HM).
pub fn validate_code(code: &str) -> Result<String, ValidationError> {
    let c = crate::validation::nfkc(code.trim()).to_ascii_uppercase();
    let ok = (2..=6).contains(&c.len())
        && c.chars().all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit())
        && c.starts_with(|ch: char| ch.is_ascii_uppercase());
    if !ok {
        return Err(ValidationError::new(
            "code",
            "invalid_code",
            "code: 2–6 letters A–Z or digits, starting with a letter (e.g. HM)",
        ));
    }
    Ok(c)
}

/// The code a shop gets when none is given: the initials of its slug's words, or the first
/// two letters of a one-word slug (`hanamaru-gift` → `HG`, `yasai` → `YA`).
pub fn default_code(slug: &str) -> String {
    let words: Vec<&str> = slug.split('-').filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic())).collect();
    let code: String = if words.len() >= 2 {
        words.iter().take(6).filter_map(|w| w.chars().next()).collect()
    } else {
        slug.chars().filter(|c| c.is_ascii_alphanumeric()).take(2).collect()
    };
    let code = code.to_ascii_uppercase();
    if validate_code(&code).is_ok() { code } else { "SHOP".to_owned() }
}

/// Slugs appear in URLs (`/help/{slug}`): lower-case ASCII letters, digits and single hyphens.
pub fn validate_slug(slug: &str) -> Result<String, ValidationError> {
    let s = slug.trim();
    let ok = (2..=limits::SLUG).contains(&s.len())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        // A slug must never be mistaken for an id in `/merchants/{id or slug}`.
        && uuid::Uuid::parse_str(s).is_err();
    if !ok {
        return Err(ValidationError::new(
            "slug",
            "invalid_slug",
            "slug: 2–40 lower-case letters, digits and hyphens (for example gift-hanamaru)",
        ));
    }
    Ok(s.to_owned())
}

fn validate_closed_days(days: &[ClosedDay]) -> Result<Vec<ClosedDay>, ValidationError> {
    if days.len() > 1000 {
        return Err(ValidationError::new("closed_days", "too_many", "at most 1000 closed days"));
    }
    let mut out: Vec<ClosedDay> = Vec::with_capacity(days.len());
    for d in days {
        max_len("closed_days.label", &d.label, limits::SHORT)?;
        if out.iter().any(|o| o.date == d.date) {
            return Err(ValidationError::new("closed_days", "duplicate", format!("{} is listed twice", d.date)));
        }
        out.push(ClosedDay { date: d.date, label: d.label.trim().to_owned() });
    }
    out.sort_by_key(|d| d.date);
    Ok(out)
}

impl NewMerchant {
    /// Checks and normalises the input; fills the defaults (JST, weekdays 9–18).
    pub fn validate(self) -> Result<ValidatedMerchant, ValidationError> {
        let slug = validate_slug(&self.slug)?;
        let code = self.code.as_deref().map(validate_code).transpose()?;
        let name = required("name", &self.name, limits::SHORT)?;
        let greeting = match self.greeting {
            Some(g) => required("greeting", &g, limits::GREETING)?,
            None => format!("お電話ありがとうございます。{name}でございます。"),
        };
        let timezone = self.timezone.unwrap_or_else(|| "Asia/Tokyo".into());
        parse_timezone(&timezone)?;
        let business_hours = self.business_hours.unwrap_or_else(BusinessHours::weekdays_9_to_18);
        business_hours.validate()?;
        let closed_days = validate_closed_days(&self.closed_days)?;
        let sla = self.sla.unwrap_or_default();
        sla.validate()?;
        let greetings = match &self.greetings {
            Some(g) => g.validate()?,
            None => ChannelGreetings::named(&name),
        };
        let staff_may_reply = self.staff_may_reply.unwrap_or(false);
        Ok(ValidatedMerchant {
            slug,
            code,
            name,
            greeting,
            timezone,
            business_hours,
            closed_days,
            sla,
            greetings,
            staff_may_reply,
        })
    }
}

/// A merchant's settings after validation, ready to store.
#[derive(Debug, Clone)]
pub struct ValidatedMerchant {
    pub slug: String,
    /// None: the store picks a free one from the slug.
    pub code: Option<String>,
    pub name: String,
    pub greeting: String,
    pub timezone: String,
    pub business_hours: BusinessHours,
    pub closed_days: Vec<ClosedDay>,
    pub sla: SlaPolicy,
    pub greetings: ChannelGreetings,
    pub staff_may_reply: bool,
}

impl MerchantPatch {
    /// Applies the patch to the current settings, validating every changed field.
    pub fn apply(self, current: &Merchant) -> Result<ValidatedMerchant, ValidationError> {
        let code = Some(match self.code {
            Some(c) => validate_code(&c)?,
            None => current.code.clone(),
        });
        let name = match self.name {
            Some(n) => required("name", &n, limits::SHORT)?,
            None => current.name.clone(),
        };
        let greeting = match self.greeting {
            Some(g) => required("greeting", &g, limits::GREETING)?,
            None => current.greeting.clone(),
        };
        let timezone = self.timezone.unwrap_or_else(|| current.timezone.clone());
        parse_timezone(&timezone)?;
        let business_hours = self.business_hours.unwrap_or_else(|| current.business_hours.clone());
        business_hours.validate()?;
        let closed_days = match self.closed_days {
            Some(days) => validate_closed_days(&days)?,
            None => current.closed_days.clone(),
        };
        let sla = self.sla.unwrap_or(current.sla);
        sla.validate()?;
        let greetings = match &self.greetings {
            Some(g) => g.validate()?,
            None => current.greetings.clone(),
        };
        Ok(ValidatedMerchant {
            slug: current.slug.clone(),
            code,
            name,
            greeting,
            timezone,
            business_hours,
            closed_days,
            sla,
            greetings,
            staff_may_reply: self.staff_may_reply.unwrap_or(current.staff_may_reply),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_escalation_asked_late_on_friday_is_due_in_mondays_business_hours() {
        use chrono::TimeZone;
        let m = NewMerchant::named("a-shop", "A").validate().unwrap();
        let shop = Merchant {
            id: MerchantId::new(),
            slug: m.slug,
            code: "AS".into(),
            name: m.name,
            greeting: m.greeting,
            timezone: m.timezone,
            business_hours: m.business_hours,
            closed_days: vec![],
            sla: m.sla,
            greetings: m.greetings,
            staff_may_reply: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        // Friday 2026-12-04 17:00 JST; weekdays 9–18: one hour on Friday, three on Monday.
        let friday = chrono_tz::Asia::Tokyo.with_ymd_and_hms(2026, 12, 4, 17, 0, 0).unwrap().with_timezone(&Utc);
        let due = shop.default_escalation_due(friday).with_timezone(&chrono_tz::Asia::Tokyo);
        assert_eq!(due.format("%Y-%m-%d %H:%M").to_string(), "2026-12-07 12:00");
    }

    #[test]
    fn tickets_are_read_as_staff_type_them() {
        for typed in ["HM-201", "hm-201", "ＨＭ－２０１", "HM201", "#HM-201"] {
            assert_eq!(parse_ticket(typed), Some(("HM".to_owned(), 201)), "{typed}");
        }
        assert_eq!(parse_ticket("A1-20"), Some(("A1".to_owned(), 20)));
        for not in ["201", "HM-", "返品", "HM-0", "090-1234-5678"] {
            assert_eq!(parse_ticket(not), None, "{not}");
        }
    }

    use super::*;

    #[test]
    fn ticket_codes_are_short_and_derived_from_the_slug() {
        assert_eq!(default_code("hanamaru-gift"), "HG");
        assert_eq!(default_code("yasai"), "YA");
        assert_eq!(default_code("a-b-c-d-e-f-g"), "ABCDEF");
        assert_eq!(validate_code("ｈｍ").unwrap(), "HM");
        assert_eq!(validate_code("hm2").unwrap(), "HM2");
        assert!(validate_code("2HM").is_err());
        assert!(validate_code("H").is_err());
        assert!(validate_code("花まる").is_err());
    }

    #[test]
    fn slugs() {
        assert_eq!(validate_slug("gift-hanamaru").unwrap(), "gift-hanamaru");
        for bad in ["A", "a", "-x", "x-", "a--b", "花丸", "has space", "0190a1b2-0000-7000-8000-000000000000"] {
            assert!(validate_slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_are_japanese() {
        let m = NewMerchant {
            slug: "yasai".into(),
            code: None,
            name: "やさい便".into(),
            greeting: None,
            timezone: None,
            business_hours: None,
            closed_days: vec![],
            sla: None,
            greetings: None,
            staff_may_reply: None,
        }
        .validate()
        .unwrap();
        assert_eq!(m.timezone, "Asia/Tokyo");
        assert!(m.greeting.contains("やさい便"));
        assert!(!m.business_hours.mon.is_empty() && m.business_hours.sun.is_empty());
    }

    #[test]
    fn bad_timezone_and_duplicate_closed_days_are_rejected() {
        let base = NewMerchant {
            slug: "shop".into(),
            code: None,
            name: "店".into(),
            greeting: None,
            timezone: Some("Mars/Olympus".into()),
            business_hours: None,
            closed_days: vec![],
            sla: None,
            greetings: None,
            staff_may_reply: None,
        };
        assert_eq!(base.clone().validate().unwrap_err().code, "invalid_timezone");
        let d = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let dup = NewMerchant {
            timezone: None,
            closed_days: vec![ClosedDay { date: d, label: "a".into() }, ClosedDay { date: d, label: "b".into() }],
            ..base
        };
        assert_eq!(dup.validate().unwrap_err().code, "duplicate");
    }
}
