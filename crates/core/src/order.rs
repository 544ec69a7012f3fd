//! EC orders (注文) with their lines, and parcels (配送) with carrier, tracking number and
//! status events.

use serde::{Deserialize, Serialize};

use crate::enums::{Carrier, OrderStatus, ShipmentStatus};
use crate::ids::{CustomerId, MerchantId, OrderId, OrderLineId, ShipmentEventId, ShipmentId};
use crate::validation::{ValidationError, limits, nfkc, optional, required};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Order {
    pub id: OrderId,
    pub merchant_id: MerchantId,
    /// The shop's own order number (受注番号), unique per merchant.
    pub order_number: String,
    pub customer_id: Option<CustomerId>,
    pub status: OrderStatus,
    pub ordered_at: DateTime<Utc>,
    /// Total in yen, tax included.
    pub total_amount: i64,
    pub payment_method: Option<String>,
    pub lines: Vec<OrderLine>,
    pub shipments: Vec<Shipment>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OrderLine {
    pub id: OrderLineId,
    pub sku: String,
    pub name: String,
    pub quantity: i32,
    /// Unit price in yen, tax included.
    pub unit_price: i64,
    /// Product category, used later by return policies (生鮮, セール品, …).
    pub category: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Shipment {
    pub id: ShipmentId,
    pub merchant_id: MerchantId,
    pub order_id: OrderId,
    pub carrier: Carrier,
    /// 伝票番号, digits and letters only.
    pub tracking_number: Option<String>,
    pub status: ShipmentStatus,
    pub shipped_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub events: Vec<ShipmentEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ShipmentEvent {
    pub id: ShipmentEventId,
    pub status: ShipmentStatus,
    pub occurred_at: DateTime<Utc>,
    pub location: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    /// Merchant id or slug.
    pub merchant: String,
    pub order_number: String,
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    #[serde(default = "default_order_status")]
    pub status: OrderStatus,
    pub ordered_at: DateTime<Utc>,
    #[serde(default)]
    pub total_amount: Option<i64>,
    #[serde(default)]
    pub payment_method: Option<String>,
    #[serde(default)]
    pub lines: Vec<NewOrderLine>,
    #[serde(default)]
    pub shipments: Vec<NewShipment>,
}

fn default_order_status() -> OrderStatus {
    OrderStatus::Confirmed
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderLine {
    pub sku: String,
    pub name: String,
    pub quantity: i32,
    pub unit_price: i64,
    #[serde(default)]
    pub category: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShipment {
    pub carrier: Carrier,
    #[serde(default)]
    pub tracking_number: Option<String>,
    #[serde(default = "default_shipment_status")]
    pub status: ShipmentStatus,
    #[serde(default)]
    pub shipped_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub delivered_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub events: Vec<NewShipmentEvent>,
}

fn default_shipment_status() -> ShipmentStatus {
    ShipmentStatus::Preparing
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShipmentEvent {
    pub status: ShipmentStatus,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderPatch {
    pub status: Option<OrderStatus>,
    #[serde(default, with = "crate::customer::double_option")]
    #[schema(value_type = Option<CustomerId>)]
    pub customer_id: Option<Option<CustomerId>>,
    pub total_amount: Option<i64>,
    pub payment_method: Option<String>,
    /// Replaces every line when given.
    pub lines: Option<Vec<NewOrderLine>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipmentPatch {
    pub carrier: Option<Carrier>,
    pub tracking_number: Option<String>,
    pub status: Option<ShipmentStatus>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Tracking numbers are printed with hyphens and often typed full-width; the stored form is
/// the bare upper-case digits and letters (`1234-5678-9012` → `123456789012`).
pub fn normalize_tracking_number(raw: &str) -> Result<String, ValidationError> {
    let v: String =
        nfkc(raw).chars().filter(|c| !matches!(c, '-' | ' ' | 'ー' | '‐' | '−')).collect::<String>().to_uppercase();
    if !(8..=30).contains(&v.len()) || !v.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ValidationError::new(
            "tracking_number",
            "invalid_tracking_number",
            format!("not a tracking number: {}", raw.trim()),
        ));
    }
    Ok(v)
}

/// A tracking number checked against its carrier's numbering, in its stored form. ヤマト運輸 and
/// 佐川急便 print twelve digits whose last is the first eleven modulo 7; 日本郵便 eleven to
/// thirteen digits at home, or the international form of two letters, eight digits, a check
/// digit and the country (EJ123456789JP). Other carriers: any 8–30 letters and digits.
pub fn validate_tracking_number(carrier: Carrier, raw: &str) -> Result<String, ValidationError> {
    let v = normalize_tracking_number(raw)?;
    let digits = v.chars().all(|c| c.is_ascii_digit());
    let ok = match carrier {
        Carrier::Yamato | Carrier::Sagawa => digits && v.len() == 12 && seven_check(&v),
        Carrier::JapanPost => (digits && (11..=13).contains(&v.len())) || upu_s10(&v),
        Carrier::Other => true,
    };
    if !ok {
        return Err(ValidationError::new(
            "tracking_number",
            "invalid_tracking_number",
            format!("not a {} tracking number: {}", carrier.label_ja(), raw.trim()),
        ));
    }
    Ok(v)
}

/// The last digit is the number before it modulo 7 (the "7DR" check of Japanese carriers).
fn seven_check(v: &str) -> bool {
    let (base, check) = v.split_at(v.len() - 1);
    base.parse::<u64>().is_ok_and(|b| check.parse::<u64>().is_ok_and(|c| b % 7 == c))
}

/// The UPU S10 identifier of international mail: AA 12345678 C AA, C weighted 8 6 4 2 3 5 9 7.
fn upu_s10(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() != 13
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..11].iter().all(u8::is_ascii_digit)
        || !b[11..].iter().all(u8::is_ascii_uppercase)
    {
        return false;
    }
    let sum: u32 = b[2..10].iter().zip([8, 6, 4, 2, 3, 5, 9, 7]).map(|(d, w)| u32::from(d - b'0') * w).sum();
    let check = match 11 - sum % 11 {
        10 => 0,
        11 => 5,
        c => c,
    };
    u32::from(b[10] - b'0') == check
}

impl NewOrderLine {
    pub fn validate(&self) -> Result<NewOrderLine, ValidationError> {
        if !(1..=99_999).contains(&self.quantity) {
            return Err(ValidationError::new("lines.quantity", "out_of_range", "quantity must be 1–99999"));
        }
        if !(0..=1_000_000_000).contains(&self.unit_price) {
            return Err(ValidationError::new(
                "lines.unit_price",
                "out_of_range",
                "unit_price must be 0–1,000,000,000 yen",
            ));
        }
        Ok(NewOrderLine {
            sku: required("lines.sku", &nfkc(&self.sku), limits::SHORT)?,
            name: required("lines.name", &self.name, limits::SHORT)?,
            quantity: self.quantity,
            unit_price: self.unit_price,
            category: optional("lines.category", self.category.as_deref(), limits::SHORT)?,
        })
    }
}

impl NewShipmentEvent {
    pub fn validate(&self) -> Result<NewShipmentEvent, ValidationError> {
        Ok(NewShipmentEvent {
            status: self.status,
            occurred_at: self.occurred_at,
            location: optional("events.location", self.location.as_deref(), limits::SHORT)?,
            note: optional("events.note", self.note.as_deref(), limits::TEXT)?,
        })
    }
}

impl NewShipment {
    pub fn validate(&self) -> Result<NewShipment, ValidationError> {
        if self.events.len() > 200 {
            return Err(ValidationError::new("events", "too_many", "at most 200 events per shipment"));
        }
        Ok(NewShipment {
            carrier: self.carrier,
            tracking_number: match self.tracking_number.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(t) => Some(validate_tracking_number(self.carrier, t)?),
            },
            status: self.status,
            shipped_at: self.shipped_at,
            delivered_at: self.delivered_at,
            events: self.events.iter().map(NewShipmentEvent::validate).collect::<Result<_, _>>()?,
        })
    }
}

impl NewOrder {
    /// Validates the order; the total defaults to the sum of its lines.
    pub fn validate(&self) -> Result<NewOrder, ValidationError> {
        if self.lines.len() > 500 || self.shipments.len() > 50 {
            return Err(ValidationError::new("lines", "too_many", "at most 500 lines and 50 shipments per order"));
        }
        let lines: Vec<NewOrderLine> = self.lines.iter().map(NewOrderLine::validate).collect::<Result<_, _>>()?;
        let total = match self.total_amount {
            Some(t) if !(0..=100_000_000_000).contains(&t) => {
                return Err(ValidationError::new("total_amount", "out_of_range", "total_amount out of range"));
            }
            Some(t) => t,
            None => lines.iter().map(|l| l.unit_price * i64::from(l.quantity)).sum(),
        };
        Ok(NewOrder {
            merchant: self.merchant.clone(),
            order_number: validate_order_number(&self.order_number)?,
            customer_id: self.customer_id,
            status: self.status,
            ordered_at: self.ordered_at,
            total_amount: Some(total),
            payment_method: optional("payment_method", self.payment_method.as_deref(), limits::SHORT)?,
            lines,
            shipments: self.shipments.iter().map(NewShipment::validate).collect::<Result<_, _>>()?,
        })
    }
}

/// The carrier's public tracking page for a parcel, where there is one.
pub fn tracking_url(carrier: Carrier, number: &str) -> Option<String> {
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    match carrier {
        Carrier::Yamato => Some(format!("https://jizen.kuronekoyamato.co.jp/jizen/servlet/crjz.b.NQ0010?id={number}")),
        Carrier::Sagawa => Some(format!("https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo={number}")),
        Carrier::JapanPost => {
            Some(format!("https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1={number}"))
        }
        Carrier::Other => None,
    }
}

/// Order numbers are the shop's; only width is folded (ＡＢ－１２３ → AB-123).
pub fn validate_order_number(raw: &str) -> Result<String, ValidationError> {
    let v = required("order_number", &nfkc(raw), 64)?;
    if v.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ValidationError::new(
            "order_number",
            "invalid_order_number",
            "order_number must not contain spaces",
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_numbers_are_folded() {
        assert_eq!(normalize_tracking_number("1234-5678-9012").unwrap(), "123456789012");
        assert_eq!(normalize_tracking_number("１２３４－５６７８－９０１２").unwrap(), "123456789012");
        assert_eq!(normalize_tracking_number("ej123456789jp").unwrap(), "EJ123456789JP");
        assert!(normalize_tracking_number("12-34").is_err());
        assert!(normalize_tracking_number("伝票番号なし").is_err());
    }

    #[test]
    fn tracking_numbers_are_checked_per_carrier() {
        // 12345678901 mod 7 = 3.
        assert_eq!(validate_tracking_number(Carrier::Yamato, "1234-5678-9013").unwrap(), "123456789013");
        assert_eq!(validate_tracking_number(Carrier::Sagawa, "１２３４５６７８９０１３").unwrap(), "123456789013");
        let wrong = validate_tracking_number(Carrier::Yamato, "1234-5678-9012").unwrap_err();
        assert_eq!((wrong.field.as_str(), wrong.code), ("tracking_number", "invalid_tracking_number"));
        assert!(wrong.message.contains("ヤマト運輸"), "{}", wrong.message);
        assert!(validate_tracking_number(Carrier::Sagawa, "12345678").is_err(), "too short");
        assert!(validate_tracking_number(Carrier::Yamato, "AB3456789013").is_err(), "letters");
        // Japan Post: 11–13 digits at home; the UPU form abroad (EE123456785JP is a valid one).
        assert!(validate_tracking_number(Carrier::JapanPost, "12345678901").is_ok());
        assert!(validate_tracking_number(Carrier::JapanPost, "1234567890").is_err());
        assert_eq!(validate_tracking_number(Carrier::JapanPost, "ee123456785jp").unwrap(), "EE123456785JP");
        assert!(validate_tracking_number(Carrier::JapanPost, "EE123456784JP").is_err(), "check digit");
        assert!(validate_tracking_number(Carrier::Other, "ABC12345").is_ok());
    }

    #[test]
    fn order_total_defaults_to_sum_of_lines() {
        let o = NewOrder {
            merchant: "m".into(),
            order_number: "ＨＭ－１０２４".into(),
            customer_id: None,
            status: OrderStatus::Confirmed,
            ordered_at: crate::time::now(),
            total_amount: None,
            payment_method: None,
            lines: vec![
                NewOrderLine {
                    sku: "A".into(), name: "りんご".into(), quantity: 2, unit_price: 1500, category: None
                },
                NewOrderLine {
                    sku: "B".into(), name: "みかん".into(), quantity: 1, unit_price: 980, category: None
                },
            ],
            shipments: vec![],
        }
        .validate()
        .unwrap();
        assert_eq!(o.total_amount, Some(3980));
        assert_eq!(o.order_number, "HM-1024");
    }

    #[test]
    fn tracking_links_per_carrier() {
        assert!(tracking_url(Carrier::Yamato, "123456789012").is_some_and(|u| u.ends_with("id=123456789012")));
        assert!(tracking_url(Carrier::JapanPost, "EJ123456789JP").is_some_and(|u| u.contains("japanpost")));
        assert_eq!(tracking_url(Carrier::Other, "123456789012"), None);
        assert_eq!(tracking_url(Carrier::Sagawa, "12&x=1"), None);
    }

    #[test]
    fn quantities_must_be_positive() {
        let l = NewOrderLine { sku: "A".into(), name: "x".into(), quantity: 0, unit_price: 1, category: None };
        assert_eq!(l.validate().unwrap_err().code, "out_of_range");
    }
}
