//! Whether a customer's request can be settled on the desk by the shop's own rules: given the
//! order (dates, items, status, parcels), the request and the shop's [`Policies`], [`decide`]
//! says eligible or not, why, until when, what happens next and what the agent says. Pure: the
//! same inputs give the same decision, which is what makes it reviewable afterwards.
//!
//! Days are Japan's: a parcel delivered at 23:50 on the 3rd JST was delivered on the 3rd, and a
//! window of 8 days from it ends when the 11th ends in Japan, whatever the UTC date says.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::calendar::national_holiday;
use crate::enums::{OrderStatus, ShipmentStatus};
use crate::order::Order;
use crate::policy::{DayCount, Policies, RefundMethod, Remedy, RetentionOffer, ShippingPayer};
use crate::validation::nfkc;

/// What the customer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    Cancel,
    Return,
    Exchange,
    Defect,
    Refund,
}

impl Request {
    pub fn as_str(self) -> &'static str {
        match self {
            Request::Cancel => "cancel",
            Request::Return => "return",
            Request::Exchange => "exchange",
            Request::Defect => "defect",
            Request::Refund => "refund",
        }
    }
}

/// One finding behind a decision: a stable code and what to tell the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reason {
    pub code: String,
    pub message_ja: String,
    pub message_en: String,
}

fn reason(code: &str, ja: impl Into<String>, en: impl Into<String>) -> Reason {
    Reason { code: code.into(), message_ja: ja.into(), message_en: en.into() }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Decision {
    pub request: Request,
    pub eligible: bool,
    /// Why, in order; the first is the deciding one when not eligible.
    pub reasons: Vec<Reason>,
    /// Until when the request can be made (the end of the window's last day in Japan).
    pub deadline: Option<DateTime<Utc>>,
    /// What happens next, in order.
    pub steps: Vec<String>,
    /// What the agent says, line by line.
    pub script: Vec<String>,
    /// Offers to make before cancelling.
    pub offers: Vec<RetentionOffer>,
    /// Defects: the remedies to propose, in the shop's order.
    pub remedies: Vec<Remedy>,
    /// The ways the money can go back for this order's payment.
    pub refund_methods: Vec<RefundMethod>,
    pub return_shipping: Option<ShippingPayer>,
    /// Order lines the request cannot cover (excluded categories), by SKU.
    pub excluded_skus: Vec<String>,
}

impl Decision {
    fn new(request: Request) -> Self {
        Decision {
            request,
            eligible: false,
            reasons: vec![],
            deadline: None,
            steps: vec![],
            script: vec![],
            offers: vec![],
            remedies: vec![],
            refund_methods: vec![],
            return_shipping: None,
            excluded_skus: vec![],
        }
    }

    fn refuse(mut self, r: Reason) -> Self {
        self.eligible = false;
        self.script.push(format!("{}。", r.message_ja.trim_end_matches('。')));
        self.reasons.insert(0, r);
        self
    }
}

/// What the agent did with a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// Went ahead as the decision says.
    Accepted,
    /// The customer took a retention offer instead of cancelling.
    OfferAccepted,
    /// The customer did not go ahead.
    Withdrawn,
    /// Passed to the shop (not eligible, or an exception asked for).
    Escalated,
}

impl Choice {
    pub fn as_str(self) -> &'static str {
        match self {
            Choice::Accepted => "accepted",
            Choice::OfferAccepted => "offer_accepted",
            Choice::Withdrawn => "withdrawn",
            Choice::Escalated => "escalated",
        }
    }
}

impl std::str::FromStr for Choice {
    type Err = ();
    fn from_str(s: &str) -> std::result::Result<Self, ()> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| ())
    }
}

impl Decision {
    /// Whether the agent may record this choice on this decision: an offer must be one of the
    /// decision's, and a request that is not eligible cannot be accepted (escalate it instead).
    pub fn check_choice(&self, choice: Choice, offer_code: Option<&str>) -> Result<(), crate::ValidationError> {
        use crate::ValidationError as E;
        match (choice, offer_code) {
            (Choice::OfferAccepted, Some(code)) if self.offers.iter().any(|o| o.code == code) => Ok(()),
            (Choice::OfferAccepted, _) => {
                Err(E::new("offer_code", "unknown_offer", "name one of the decision's offers"))
            }
            (_, Some(_)) => Err(E::new("offer_code", "unexpected", "an offer code goes with offer_accepted only")),
            (Choice::Accepted, None) if !self.eligible => {
                Err(E::new("choice", "not_eligible", "the request is not eligible: escalate or withdraw it"))
            }
            _ => Ok(()),
        }
    }
}

/// The date in Japan of an instant.
pub fn jst_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&chrono_tz::Asia::Tokyo).date_naive()
}

/// The instant a day ends in Japan (the next day's 00:00 JST).
pub fn end_of_jst_day(d: NaiveDate) -> DateTime<Utc> {
    let next = d.succ_opt().unwrap_or(d);
    chrono_tz::Asia::Tokyo
        .from_local_datetime(&next.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// Whether a date is a business day of a shop: a weekday that is neither a national holiday
/// nor one of the shop's own closed days (年末年始休業, 夏季休業…).
pub fn is_business_day(d: NaiveDate, closed: &[NaiveDate]) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && national_holiday(d).is_none() && !closed.contains(&d)
}

/// The last day of a window of `days` after `from` (which is not counted); business days are
/// the shop's (see [`is_business_day`]).
pub fn window_end(from: NaiveDate, days: u32, count: DayCount, closed: &[NaiveDate]) -> NaiveDate {
    match count {
        DayCount::Calendar => from + Duration::days(i64::from(days)),
        DayCount::BusinessDays => {
            let mut d = from;
            let mut left = days;
            while left > 0 {
                d = d.succ_opt().unwrap_or(d);
                if is_business_day(d, closed) {
                    left -= 1;
                }
            }
            d
        }
    }
}

/// When the order's parcels were all delivered (the last delivery), if they were.
pub fn delivered_at(order: &Order) -> Option<DateTime<Utc>> {
    if order.shipments.is_empty() {
        return None;
    }
    order
        .shipments
        .iter()
        .map(|s| {
            s.delivered_at.or_else(|| {
                s.events.iter().filter(|e| e.status == ShipmentStatus::Delivered).map(|e| e.occurred_at).max()
            })
        })
        .collect::<Option<Vec<_>>>()
        .and_then(|ds| ds.into_iter().max())
}

fn has_shipped(order: &Order) -> bool {
    matches!(order.status, OrderStatus::Shipped | OrderStatus::Delivered | OrderStatus::Returned)
        || order.shipments.iter().any(|s| s.shipped_at.is_some() || s.status != ShipmentStatus::Preparing)
}

fn jst_label(t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&chrono_tz::Asia::Tokyo) - Duration::seconds(1);
    format!("{}月{}日", local.month(), local.day())
}

/// Decides a request on an order by the shop's policies and closed days, at `now`.
pub fn decide(p: &Policies, closed: &[NaiveDate], order: &Order, request: Request, now: DateTime<Utc>) -> Decision {
    let d = Decision::new(request);
    if order.status == OrderStatus::Cancelled && request != Request::Refund {
        return d.refuse(reason(
            "already_cancelled",
            "このご注文はすでにキャンセル済みです",
            "the order is already cancelled",
        ));
    }
    match request {
        Request::Cancel => cancel(p, order, now, d),
        Request::Return | Request::Exchange => give_back(p, closed, order, request, now, d),
        Request::Defect => defect(p, order, now, d),
        Request::Refund => refund(p, order, d),
    }
}

fn cancel(p: &Policies, order: &Order, now: DateTime<Utc>, mut d: Decision) -> Decision {
    let c = &p.cancellation;
    if c.until_shipped && has_shipped(order) {
        return d.refuse(reason(
            "already_shipped",
            "ご注文の商品はすでに発送済みのため、キャンセルはお受けできません。お届け後の返品をご案内します",
            "already shipped: offer a return after delivery",
        ));
    }
    if let Some(h) = c.within_hours {
        let until = order.ordered_at + Duration::hours(i64::from(h));
        d.deadline = Some(until);
        if now > until {
            return d.refuse(reason(
                "cancel_window_passed",
                format!("キャンセルはご注文から{h}時間以内にお受けしています"),
                format!("cancellations are taken within {h} hours of ordering"),
            ));
        }
    }
    d.eligible = true;
    d.reasons.push(reason("cancellable", "発送前のためキャンセルできます", "not shipped yet: it can be cancelled"));
    d.offers = c.retention_offers.clone();
    for o in &d.offers {
        d.script.push(format!("キャンセルの前に、{}をご用意できますがいかがでしょうか。", o.label));
    }
    d.script.push(format!("ご注文{}のキャンセルを承ります。", order.order_number));
    d.steps = vec!["キャンセルを受け付ける".into(), "ショップにキャンセルを連絡する".into()];
    d.refund_methods = refund_methods(p, order);
    d
}

fn give_back(
    p: &Policies,
    closed: &[NaiveDate],
    order: &Order,
    request: Request,
    now: DateTime<Utc>,
    mut d: Decision,
) -> Decision {
    let r = &p.returns;
    if !r.accepted {
        return d.refuse(reason(
            "returns_not_accepted",
            "お客様のご都合による返品・交換はお受けしておりません",
            "the shop takes no returns at the customer's wish",
        ));
    }
    if request == Request::Exchange && !r.exchange {
        return d.refuse(reason("exchange_not_offered", "交換はお受けしておりません", "the shop offers no exchanges"));
    }
    let Some(delivered) = delivered_at(order) else {
        return d.refuse(reason(
            "not_delivered",
            "商品のお届け前のため、返品ではなくキャンセルまたは受取拒否のご案内になります",
            "not delivered yet: a cancellation or refusal of delivery instead",
        ));
    };
    let last = window_end(jst_date(delivered), r.window_days, r.day_count, closed);
    let deadline = end_of_jst_day(last);
    d.deadline = Some(deadline);
    let unit = if r.day_count == DayCount::BusinessDays { "営業日" } else { "日" };
    if now >= deadline {
        return d.refuse(reason(
            "return_window_passed",
            format!(
                "返品・交換はお届けから{}{unit}以内（{}まで）のお申し出に限らせていただいております",
                r.window_days,
                jst_label(deadline)
            ),
            format!("returns are taken within {} days of delivery", r.window_days),
        ));
    }
    let excluded: Vec<&str> = r.excluded_categories.iter().map(String::as_str).collect();
    let is_excluded = |c: &Option<String>| c.as_deref().is_some_and(|c| excluded.contains(&nfkc(c).as_str()));
    d.excluded_skus = order.lines.iter().filter(|l| is_excluded(&l.category)).map(|l| l.sku.clone()).collect();
    if !order.lines.is_empty() && d.excluded_skus.len() == order.lines.len() {
        return d.refuse(reason(
            "excluded_category",
            format!("{}の商品は返品・交換の対象外です", excluded.join("・")),
            "every item is in a category the shop does not take back",
        ));
    }
    d.eligible = true;
    d.reasons.push(reason(
        "within_window",
        format!("お届けから{}{unit}以内（{}まで）のため承れます", r.window_days, jst_label(deadline)),
        format!("within {} days of delivery", r.window_days),
    ));
    if !d.excluded_skus.is_empty() {
        d.reasons.push(reason(
            "some_items_excluded",
            format!("{}は対象外です", d.excluded_skus.join("、")),
            "some items are in excluded categories",
        ));
    }
    for c in &r.conditions {
        d.reasons.push(reason("condition", c.label_ja(), format!("{c:?}")));
    }
    d.return_shipping = Some(r.shipping_paid_by);
    d.steps = r.steps.clone();
    let what = if request == Request::Exchange { "交換" } else { "返品" };
    d.script.push(format!("{what}を承ります。{}までにご返送をお願いいたします。", jst_label(deadline)));
    if !r.conditions.is_empty() {
        let conds: Vec<&str> = r.conditions.iter().map(|c| c.label_ja()).collect();
        d.script.push(format!("恐れ入りますが、{}が条件となります。", conds.join("、")));
    }
    d.script.push(match r.shipping_paid_by {
        ShippingPayer::Customer => "返送料はお客様のご負担でお願いいたします。".into(),
        ShippingPayer::Merchant => "着払いでご返送ください（送料はショップが負担いたします）。".into(),
    });
    if request == Request::Return {
        d.refund_methods = refund_methods(p, order);
    }
    d
}

fn defect(p: &Policies, order: &Order, now: DateTime<Utc>, mut d: Decision) -> Decision {
    let f = &p.defects;
    let Some(delivered) = delivered_at(order) else {
        return d.refuse(reason(
            "not_delivered",
            "お届け済みの記録がないため、配送状況を確認いたします",
            "no delivery on record: check the parcel first",
        ));
    };
    let deadline = end_of_jst_day(window_end(jst_date(delivered), f.report_within_days, DayCount::Calendar, &[]));
    d.deadline = Some(deadline);
    if now >= deadline {
        return d.refuse(reason(
            "defect_window_passed",
            format!("お届けから{}日を過ぎているため、ショップに確認のうえご連絡いたします", f.report_within_days),
            format!("reported more than {} days after delivery: the shop decides", f.report_within_days),
        ));
    }
    d.eligible = true;
    d.reasons.push(reason("defect_within_window", "不良品として承れます", "within the window for defects"));
    d.remedies = f.remedies.clone();
    d.return_shipping = Some(ShippingPayer::Merchant);
    if f.photos_required {
        d.reasons.push(reason("photos_required", "写真の確認が必要です", "photos are required first"));
    }
    d.steps = f.steps.clone();
    d.script.push("ご不便をおかけし、申し訳ございません。".into());
    if f.photos_required {
        d.script.push("お手数ですが、不具合の箇所と外箱の写真をお送りいただけますでしょうか。".into());
    }
    let remedies: Vec<&str> = f.remedies.iter().map(|r| r.label_ja()).collect();
    d.script.push(format!("{}で対応させていただきます。", remedies.join("、または")));
    if f.remedies.contains(&Remedy::Refund) {
        d.refund_methods = refund_methods(p, order);
    }
    d
}

fn refund(p: &Policies, order: &Order, mut d: Decision) -> Decision {
    d.refund_methods = refund_methods(p, order);
    if d.refund_methods.is_empty() {
        return d.refuse(reason(
            "no_refund_method",
            "このお支払い方法での返金方法はショップに確認いたします",
            "no refund method applies to this payment method: ask the shop",
        ));
    }
    d.eligible = true;
    d.reasons.push(reason("refund_method", "返金方法をご案内できます", "a refund method applies"));
    let labels: Vec<&str> = d.refund_methods.iter().map(|m| m.label_ja()).collect();
    d.script.push(format!("返金は{}にて承ります。", labels.join("、または")));
    if d.refund_methods.contains(&RefundMethod::BankTransfer) {
        d.steps.push("振込先（銀行名・支店名・口座種別・口座番号・口座名義カナ）を伺う".into());
    }
    d.steps.push("ショップに返金を依頼する".into());
    d
}

/// The refund methods for the order's payment method, in the shop's order.
pub fn refund_methods(p: &Policies, order: &Order) -> Vec<RefundMethod> {
    let paid = order.payment_method.as_deref().map(nfkc).unwrap_or_default();
    let mut out = Vec::new();
    for rule in &p.refunds.methods {
        let applies = rule.payment_methods.is_empty() || rule.payment_methods.iter().any(|m| paid.contains(&nfkc(m)));
        if applies && !out.contains(&rule.method) {
            out.push(rule.method);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::Carrier;
    use crate::ids::{MerchantId, OrderId, OrderLineId, ShipmentId};
    use crate::order::{OrderLine, Shipment};
    use proptest::prelude::*;

    fn jst(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Tokyo.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("a JST time").with_timezone(&Utc)
    }

    fn order(ordered: DateTime<Utc>, delivered: Option<DateTime<Utc>>, categories: &[Option<&str>]) -> Order {
        let shipped = delivered.map(|d| d - Duration::days(1));
        Order {
            id: OrderId::new(),
            merchant_id: MerchantId(uuid::Uuid::nil()),
            order_number: "HM-1".into(),
            customer_id: None,
            status: if delivered.is_some() { OrderStatus::Delivered } else { OrderStatus::Confirmed },
            ordered_at: ordered,
            total_amount: 1000,
            payment_method: Some("クレジットカード".into()),
            lines: categories
                .iter()
                .enumerate()
                .map(|(i, c)| OrderLine {
                    id: OrderLineId::new(),
                    sku: format!("SKU-{i}"),
                    name: "品".into(),
                    quantity: 1,
                    unit_price: 1000,
                    category: c.map(str::to_owned),
                })
                .collect(),
            shipments: delivered
                .map(|at| Shipment {
                    id: ShipmentId::new(),
                    merchant_id: MerchantId(uuid::Uuid::nil()),
                    order_id: OrderId::new(),
                    carrier: Carrier::Yamato,
                    tracking_number: None,
                    status: ShipmentStatus::Delivered,
                    shipped_at: shipped,
                    delivered_at: Some(at),
                    events: vec![],
                })
                .into_iter()
                .collect(),
            created_at: ordered,
            updated_at: ordered,
        }
    }

    #[test]
    fn a_return_window_counts_japanese_days_across_month_ends() {
        let p = Policies::default();
        // Delivered 23:50 JST on 31 January (14:50 UTC, still the 31st): 8 days end with 8 February.
        let o = order(jst(2027, 1, 28, 9, 0), Some(jst(2027, 1, 31, 23, 50)), &[None]);
        let d = decide(&p, &[], &o, Request::Return, jst(2027, 2, 8, 23, 59));
        assert!(d.eligible, "{d:?}");
        assert_eq!(d.deadline, Some(jst(2027, 2, 9, 0, 0)));
        assert!(d.script[0].contains("2月8日"), "{:?}", d.script);
        let late = decide(&p, &[], &o, Request::Return, jst(2027, 2, 9, 0, 0));
        assert_eq!(late.reasons[0].code, "return_window_passed");
        assert!(!late.eligible);
        // Delivered 00:10 JST on 1 February (15:10 UTC on 31 January) is a day later.
        let o = order(jst(2027, 1, 28, 9, 0), Some(jst(2027, 2, 1, 0, 10)), &[None]);
        assert!(decide(&p, &[], &o, Request::Return, jst(2027, 2, 9, 12, 0)).eligible);
        // Leap day and the year's end.
        assert_eq!(
            window_end(NaiveDate::from_ymd_opt(2028, 2, 25).unwrap(), 8, DayCount::Calendar, &[]),
            NaiveDate::from_ymd_opt(2028, 3, 4).unwrap()
        );
        assert_eq!(
            window_end(NaiveDate::from_ymd_opt(2026, 12, 28).unwrap(), 8, DayCount::Calendar, &[]),
            NaiveDate::from_ymd_opt(2027, 1, 5).unwrap()
        );
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        // Friday 30 April 2027; 1–2 May is a weekend, 3–5 May Golden Week holidays.
        let from = NaiveDate::from_ymd_opt(2027, 4, 30).unwrap();
        assert_eq!(window_end(from, 1, DayCount::BusinessDays, &[]), NaiveDate::from_ymd_opt(2027, 5, 6).unwrap());
        assert_eq!(window_end(from, 3, DayCount::BusinessDays, &[]), NaiveDate::from_ymd_opt(2027, 5, 10).unwrap());
        assert!(!is_business_day(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(), &[]));
        // The shop's own year-end closing (29 Dec – 3 Jan) is not counted either.
        let year_end: Vec<NaiveDate> =
            (0..6).map(|i| NaiveDate::from_ymd_opt(2026, 12, 29).unwrap() + Duration::days(i)).collect();
        let from = NaiveDate::from_ymd_opt(2026, 12, 25).unwrap();
        assert_eq!(window_end(from, 3, DayCount::BusinessDays, &[]), NaiveDate::from_ymd_opt(2026, 12, 30).unwrap());
        assert_eq!(
            window_end(from, 3, DayCount::BusinessDays, &year_end),
            NaiveDate::from_ymd_opt(2027, 1, 5).unwrap()
        );
        // Calendar days ignore them.
        assert_eq!(window_end(from, 3, DayCount::Calendar, &year_end), NaiveDate::from_ymd_opt(2026, 12, 28).unwrap());
    }

    #[test]
    fn cancellation_until_shipped_with_offers_first() {
        let mut p = Policies::default();
        p.cancellation.retention_offers = vec![RetentionOffer {
            code: "next1000".into(),
            label: "次回使える1,000円引きクーポン".into(),
            discount_yen: Some(1000),
        }];
        let open = order(jst(2026, 11, 1, 10, 0), None, &[None]);
        let d = decide(&p, &[], &open, Request::Cancel, jst(2026, 11, 1, 12, 0));
        assert!(d.eligible);
        assert_eq!(d.offers.len(), 1);
        assert!(d.script[0].contains("1,000円引き"), "the offer comes first: {:?}", d.script);
        assert_eq!(d.refund_methods, vec![RefundMethod::CardReversal, RefundMethod::BankTransfer]);
        let shipped = order(jst(2026, 11, 1, 10, 0), Some(jst(2026, 11, 3, 10, 0)), &[None]);
        assert_eq!(
            decide(&p, &[], &shipped, Request::Cancel, jst(2026, 11, 1, 12, 0)).reasons[0].code,
            "already_shipped"
        );
        p.cancellation.within_hours = Some(1);
        let d = decide(&p, &[], &open, Request::Cancel, jst(2026, 11, 1, 11, 1));
        assert_eq!((d.eligible, d.reasons[0].code.as_str()), (false, "cancel_window_passed"));
        let mut cancelled = open;
        cancelled.status = OrderStatus::Cancelled;
        assert_eq!(
            decide(&p, &[], &cancelled, Request::Return, jst(2026, 11, 1, 11, 0)).reasons[0].code,
            "already_cancelled"
        );
    }

    #[test]
    fn excluded_categories_and_conditions() {
        let p = Policies::default();
        let at = jst(2026, 11, 3, 10, 0);
        let fresh = order(jst(2026, 11, 1, 10, 0), Some(at), &[Some("生鮮")]);
        assert_eq!(decide(&p, &[], &fresh, Request::Return, at).reasons[0].code, "excluded_category");
        let mixed = order(jst(2026, 11, 1, 10, 0), Some(at), &[Some("ｾｰﾙ品"), Some("雑貨")]);
        let d = decide(&p, &[], &mixed, Request::Return, at);
        assert!(d.eligible);
        assert_eq!(d.excluded_skus, vec!["SKU-0".to_owned()], "half-width セール品 is excluded too");
        assert!(d.reasons.iter().any(|r| r.message_ja == "未開封であること"));
        assert_eq!(d.return_shipping, Some(ShippingPayer::Customer));
        let not_yet = order(jst(2026, 11, 1, 10, 0), None, &[None]);
        assert_eq!(decide(&p, &[], &not_yet, Request::Exchange, at).reasons[0].code, "not_delivered");
        let mut no_exchange = p.clone();
        no_exchange.returns.exchange = false;
        assert_eq!(decide(&no_exchange, &[], &mixed, Request::Exchange, at).reasons[0].code, "exchange_not_offered");
    }

    #[test]
    fn defects_propose_remedies_in_order_at_the_shops_cost() {
        let mut p = Policies::default();
        p.defects.remedies = vec![Remedy::Repair, Remedy::Exchange];
        let at = jst(2026, 11, 3, 10, 0);
        let o = order(jst(2026, 11, 1, 10, 0), Some(at), &[Some("生鮮")]);
        let d = decide(&p, &[], &o, Request::Defect, at + Duration::days(10));
        assert!(d.eligible, "a defect is taken even for excluded categories");
        assert_eq!(d.remedies, vec![Remedy::Repair, Remedy::Exchange]);
        assert_eq!(d.return_shipping, Some(ShippingPayer::Merchant));
        assert!(d.script.iter().any(|l| l.contains("写真")));
        assert!(d.refund_methods.is_empty(), "no refund among the remedies");
        assert_eq!(
            decide(&p, &[], &o, Request::Defect, at + Duration::days(40)).reasons[0].code,
            "defect_window_passed"
        );
    }

    #[test]
    fn refunds_follow_the_payment_method() {
        let p = Policies::default();
        let mut o = order(jst(2026, 11, 1, 10, 0), None, &[None]);
        assert_eq!(refund_methods(&p, &o), vec![RefundMethod::CardReversal, RefundMethod::BankTransfer]);
        o.payment_method = Some("代金引換".into());
        let d = decide(&p, &[], &o, Request::Refund, jst(2026, 11, 2, 10, 0));
        assert_eq!(d.refund_methods, vec![RefundMethod::BankTransfer]);
        assert!(d.steps[0].contains("口座名義カナ"));
        let mut none = p;
        none.refunds.methods.retain(|r| r.method == RefundMethod::CardReversal);
        assert_eq!(
            decide(&none, &[], &o, Request::Refund, jst(2026, 11, 2, 10, 0)).reasons[0].code,
            "no_refund_method"
        );
    }

    proptest! {
        /// Once a return is too late it stays too late; before that it is allowed.
        #[test]
        fn return_eligibility_only_ends(
            delivered_min in 0i64..(3 * 365 * 24 * 60),
            window in 1u32..60,
            business in any::<bool>(),
            a in 0i64..(90 * 24 * 60),
            b in 0i64..(90 * 24 * 60),
        ) {
            let mut p = Policies::default();
            p.returns.window_days = window;
            p.returns.day_count = if business { DayCount::BusinessDays } else { DayCount::Calendar };
            let delivered = jst(2026, 1, 1, 0, 0) + Duration::minutes(delivered_min);
            let o = order(delivered - Duration::days(2), Some(delivered), &[None]);
            let (early, late) = (delivered + Duration::minutes(a.min(b)), delivered + Duration::minutes(a.max(b)));
            let (e, l) = (decide(&p, &[], &o, Request::Return, early), decide(&p, &[], &o, Request::Return, late));
            prop_assert!(!l.eligible || e.eligible);
            let deadline = e.deadline.expect("a deadline");
            prop_assert_eq!(e.eligible, early < deadline);
            // The deadline is a midnight in Japan, at least `window` whole days after delivery.
            let local = deadline.with_timezone(&chrono_tz::Asia::Tokyo);
            prop_assert_eq!(local.format("%H:%M:%S").to_string(), "00:00:00".to_owned());
            prop_assert!(jst_date(deadline) - jst_date(delivered) > Duration::days(i64::from(window)));
        }

        /// Counting business days never ends sooner than counting every day, and ends on one;
        /// a shop's closed days only ever push the end later, never onto a closed day.
        #[test]
        fn business_days_end_no_sooner(day in 0i64..(5 * 365), n in 1u32..40, closed in proptest::collection::vec(0i64..60, 0..10)) {
            let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(day);
            let business = window_end(from, n, DayCount::BusinessDays, &[]);
            prop_assert!(business >= window_end(from, n, DayCount::Calendar, &[]));
            prop_assert!(is_business_day(business, &[]));
            let closed: Vec<NaiveDate> = closed.iter().map(|c| from + Duration::days(*c)).collect();
            let shop = window_end(from, n, DayCount::BusinessDays, &closed);
            prop_assert!(shop >= business);
            prop_assert!(is_business_day(shop, &closed));
        }

        /// A time-limited cancellation is allowed exactly within its hours of the order.
        #[test]
        fn cancel_within_hours(hours in 1u32..72, after_min in 0i64..(100 * 60)) {
            let mut p = Policies::default();
            p.cancellation.within_hours = Some(hours);
            let ordered = jst(2026, 3, 31, 23, 30);
            let o = order(ordered, None, &[None]);
            let d = decide(&p, &[], &o, Request::Cancel, ordered + Duration::minutes(after_min));
            prop_assert_eq!(d.eligible, after_min <= i64::from(hours) * 60);
        }
    }
}
