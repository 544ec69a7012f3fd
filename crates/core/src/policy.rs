//! A shop's rules for cancellations, returns and exchanges, refunds and defective items, as
//! data: each merchant keeps its own, edits them, and every decision records the version it
//! used (the store numbers the versions).

use serde::{Deserialize, Serialize};

use crate::validation::{ValidationError, nfkc};

/// Everything a desk needs to settle a request the shop's way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Policies {
    pub cancellation: CancellationPolicy,
    pub returns: ReturnPolicy,
    pub refunds: RefundPolicy,
    pub defects: DefectPolicy,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancellationPolicy {
    /// Cancellable until a parcel of the order has left (発送前まで).
    pub until_shipped: bool,
    /// And only within this many hours of ordering; `None`: no limit by time.
    pub within_hours: Option<u32>,
    /// Offered before a cancellation goes through (次回使える1,000円引きクーポン…).
    pub retention_offers: Vec<RetentionOffer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionOffer {
    /// Stable name, recorded with the customer's answer.
    pub code: String,
    /// What the agent offers, as said to the customer.
    pub label: String,
    /// Yen off the next order, when it is a discount.
    pub discount_yen: Option<i64>,
}

/// Who pays for sending an item back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShippingPayer {
    /// The customer sends it prepaid (元払い).
    Customer,
    /// The shop pays on arrival (着払い).
    Merchant,
}

/// How a window of days is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    /// Every day (商品到着後8日以内).
    Calendar,
    /// Weekdays that are not national holidays (営業日).
    BusinessDays,
}

/// What a returned item must be like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnCondition {
    /// 未開封
    Unopened,
    /// 未使用
    Unused,
    /// タグ付き
    TagsAttached,
}

impl ReturnCondition {
    pub fn label_ja(self) -> &'static str {
        match self {
            ReturnCondition::Unopened => "未開封であること",
            ReturnCondition::Unused => "未使用であること",
            ReturnCondition::TagsAttached => "タグが付いたままであること",
        }
    }
}

/// Returns and exchanges at the customer's wish (not for defects: see [`DefectPolicy`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnPolicy {
    /// Whether the shop takes returns at the customer's wish at all.
    pub accepted: bool,
    /// Days from delivery, the day of delivery not counted.
    pub window_days: u32,
    pub day_count: DayCount,
    pub conditions: Vec<ReturnCondition>,
    /// Product categories never taken back (生鮮, セール品, 受注生産).
    pub excluded_categories: Vec<String>,
    pub shipping_paid_by: ShippingPayer,
    /// Whether an exchange (size, colour) is offered on the same terms.
    pub exchange: bool,
    /// What the customer does, in order.
    pub steps: Vec<String>,
}

/// How money goes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundMethod {
    /// 銀行振込: the customer's account is needed (see [`crate::bank::BankAccount`]).
    BankTransfer,
    /// 現金書留
    CashRegistered,
    /// ショップのポイント
    Points,
    /// クレジットカードの売上取消
    CardReversal,
}

impl RefundMethod {
    pub fn label_ja(self) -> &'static str {
        match self {
            RefundMethod::BankTransfer => "銀行振込",
            RefundMethod::CashRegistered => "現金書留",
            RefundMethod::Points => "ポイント",
            RefundMethod::CardReversal => "クレジットカードの売上取消",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRule {
    pub method: RefundMethod,
    /// The order's payment methods this applies to (matched as contained words, width
    /// folded: クレジット matches クレジットカード); empty: any.
    pub payment_methods: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundPolicy {
    /// In the order the shop prefers them.
    pub methods: Vec<RefundRule>,
}

/// What a shop proposes for a defective item, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Remedy {
    /// 交換
    Exchange,
    /// 修理
    Repair,
    /// 返金
    Refund,
}

impl Remedy {
    pub fn label_ja(self) -> &'static str {
        match self {
            Remedy::Exchange => "良品との交換",
            Remedy::Repair => "修理",
            Remedy::Refund => "返金",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefectPolicy {
    /// Days from delivery in which a defect is taken on the desk; later, the shop decides.
    pub report_within_days: u32,
    /// Proposed in this order.
    pub remedies: Vec<Remedy>,
    /// Photos of the item and the box before anything else.
    pub photos_required: bool,
    pub steps: Vec<String>,
}

impl Default for Policies {
    /// What most Japanese shops write in their 特定商取引法に基づく表記: cancel until shipped, return
    /// unopened goods within eight days of arrival at the customer's cost, fresh and sale goods and
    /// made-to-order items excluded, defects exchanged first at the shop's cost.
    fn default() -> Self {
        Policies {
            cancellation: CancellationPolicy { until_shipped: true, within_hours: None, retention_offers: vec![] },
            returns: ReturnPolicy {
                accepted: true,
                window_days: 8,
                day_count: DayCount::Calendar,
                conditions: vec![ReturnCondition::Unopened, ReturnCondition::Unused],
                excluded_categories: vec!["生鮮".into(), "セール品".into(), "受注生産".into()],
                shipping_paid_by: ShippingPayer::Customer,
                exchange: true,
                steps: vec![
                    "返品の受付番号をお伝えする".into(),
                    "商品を届いたときの状態で梱包していただく".into(),
                    "受付番号を書き添えて発送していただく".into(),
                ],
            },
            refunds: RefundPolicy {
                methods: vec![
                    RefundRule { method: RefundMethod::CardReversal, payment_methods: vec!["クレジット".into()] },
                    RefundRule { method: RefundMethod::BankTransfer, payment_methods: vec![] },
                ],
            },
            defects: DefectPolicy {
                report_within_days: 30,
                remedies: vec![Remedy::Exchange, Remedy::Refund],
                photos_required: true,
                steps: vec![
                    "不具合の箇所と外箱の写真を送っていただく".into(),
                    "着払いで返送していただく（送料はショップ負担）".into(),
                ],
            },
        }
    }
}

const MAX_DAYS: u32 = 366;
const MAX_ITEMS: usize = 20;
const MAX_TEXT: usize = 200;

impl Policies {
    /// Checks a merchant's edit: windows within a year, short lists, no blank or duplicate
    /// entries; texts are trimmed and categories width-folded (ｾｰﾙ品 is セール品).
    pub fn validate(&self) -> Result<Policies, ValidationError> {
        let mut p = self.clone();
        let text = |field: &str, v: &str| -> Result<String, ValidationError> {
            let v = v.trim();
            if v.is_empty() || v.chars().count() > MAX_TEXT {
                return Err(ValidationError::new(field, "invalid_text", format!("1–{MAX_TEXT} characters")));
            }
            Ok(v.to_owned())
        };
        let days = |field: &str, d: u32, min: u32| -> Result<u32, ValidationError> {
            if !(min..=MAX_DAYS).contains(&d) {
                return Err(ValidationError::new(field, "out_of_range", format!("{min}–{MAX_DAYS} days")));
            }
            Ok(d)
        };
        let list = |field: &str, n: usize| -> Result<(), ValidationError> {
            if n > MAX_ITEMS {
                return Err(ValidationError::new(field, "too_many", format!("at most {MAX_ITEMS}")));
            }
            Ok(())
        };
        if let Some(h) = p.cancellation.within_hours
            && !(1..=24 * 60).contains(&h)
        {
            return Err(ValidationError::new("cancellation.within_hours", "out_of_range", "1–1440 hours"));
        }
        list("cancellation.retention_offers", p.cancellation.retention_offers.len())?;
        let mut codes = Vec::new();
        for o in &mut p.cancellation.retention_offers {
            o.code = text("cancellation.retention_offers.code", &o.code)?;
            o.label = text("cancellation.retention_offers.label", &o.label)?;
            if o.discount_yen.is_some_and(|y| !(1..=1_000_000).contains(&y)) {
                return Err(ValidationError::new(
                    "cancellation.retention_offers.discount_yen",
                    "out_of_range",
                    "1–1,000,000 yen",
                ));
            }
            if codes.contains(&o.code) {
                return Err(ValidationError::new(
                    "cancellation.retention_offers.code",
                    "duplicate",
                    "codes are unique",
                ));
            }
            codes.push(o.code.clone());
        }
        p.returns.window_days = days("returns.window_days", p.returns.window_days, 1)?;
        list("returns.excluded_categories", p.returns.excluded_categories.len())?;
        p.returns.excluded_categories = p
            .returns
            .excluded_categories
            .iter()
            .map(|c| text("returns.excluded_categories", &nfkc(c)))
            .collect::<Result<_, _>>()?;
        list("returns.steps", p.returns.steps.len())?;
        p.returns.steps = p.returns.steps.iter().map(|s| text("returns.steps", s)).collect::<Result<_, _>>()?;
        dedup_check("returns.conditions", &p.returns.conditions)?;
        if p.refunds.methods.is_empty() {
            return Err(ValidationError::new("refunds.methods", "required", "at least one way to refund"));
        }
        list("refunds.methods", p.refunds.methods.len())?;
        for r in &mut p.refunds.methods {
            r.payment_methods = r
                .payment_methods
                .iter()
                .map(|m| text("refunds.methods.payment_methods", &nfkc(m)))
                .collect::<Result<_, _>>()?;
        }
        p.defects.report_within_days = days("defects.report_within_days", p.defects.report_within_days, 1)?;
        if p.defects.remedies.is_empty() {
            return Err(ValidationError::new("defects.remedies", "required", "at least one remedy"));
        }
        dedup_check("defects.remedies", &p.defects.remedies)?;
        list("defects.steps", p.defects.steps.len())?;
        p.defects.steps = p.defects.steps.iter().map(|s| text("defects.steps", s)).collect::<Result<_, _>>()?;
        Ok(p)
    }
}

fn dedup_check<T: PartialEq>(field: &str, items: &[T]) -> Result<(), ValidationError> {
    for (i, a) in items.iter().enumerate() {
        if items[..i].contains(a) {
            return Err(ValidationError::new(field, "duplicate", "each at most once"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_valid_and_edits_are_checked() {
        let d = Policies::default();
        assert_eq!(d.validate().unwrap(), d);
        let mut p = d.clone();
        p.returns.window_days = 0;
        assert_eq!(p.validate().unwrap_err().field, "returns.window_days");
        let mut p = d.clone();
        p.returns.excluded_categories = vec!["ｾｰﾙ品".into()];
        assert_eq!(p.validate().unwrap().returns.excluded_categories, vec!["セール品".to_owned()]);
        let mut p = d.clone();
        p.defects.remedies = vec![Remedy::Refund, Remedy::Refund];
        assert_eq!(p.validate().unwrap_err().code, "duplicate");
        let mut p = d.clone();
        p.refunds.methods.clear();
        assert_eq!(p.validate().unwrap_err().code, "required");
        let mut p = d;
        let offer =
            RetentionOffer { code: "next1000".into(), label: "次回1,000円引き".into(), discount_yen: Some(1000) };
        p.cancellation.retention_offers = vec![offer.clone(), offer];
        assert_eq!(p.validate().unwrap_err().field, "cancellation.retention_offers.code");
        // Unknown fields are refused rather than dropped.
        let bad = serde_json::json!({ "cancellation": { "until_shipped": true, "within_hours": null,
            "retention_offers": [], "grace": 1 } });
        assert!(serde_json::from_value::<CancellationPolicy>(bad["cancellation"].clone()).is_err());
    }
}
