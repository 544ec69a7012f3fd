//! The shop's policy editor: cancellation (with retention offers), returns and exchanges,
//! refunds and defective items as a form, checked by the same rules as the API. "Preview" shows
//! what the edited, unsaved rules would decide on one of the shop's orders; "Save" makes them
//! the next version. A rejected form comes back as typed, with the reason.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use madoguchi_core::ValidationError;
use madoguchi_core::access::Principal;
use madoguchi_core::decision::Request;
use madoguchi_core::ids::MerchantId;
use madoguchi_core::order::Order;
use madoguchi_core::page::PageRequest;
use madoguchi_core::policy::{
    CancellationPolicy, DayCount, DefectPolicy, Policies, RefundMethod, RefundPolicy, RefundRule, Remedy,
    RetentionOffer, ReturnCondition, ReturnPolicy, ShippingPayer,
};
use madoguchi_core::validation::nfkc;
use madoguchi_store::orders::OrderFilter;
use serde::Deserialize;

use super::conversation::{DecisionPanel, decision_panel, jst, request_options};
use super::settings::editable;
use super::{form_value, render};
use crate::app::AppState;
use crate::error::ApiError;
use crate::i18n::{self, FormError, Lang, Texts, form_error};
use crate::web::ConsoleUser;
use madoguchi_app::usecases::decisions::{ShopRules, shop_rules};

/// Blank rows offered below the filled ones, for adding.
const SPARE_ROWS: usize = 2;
/// Rows read back from a form, at most (the rules allow 20 of each).
const MAX_ROWS: usize = 20;

/// The editor's fields as text, so a rejected form shows exactly what was typed.
#[derive(Debug, Clone, Default)]
struct Editor {
    until_shipped: bool,
    within_hours: String,
    /// (code, label, discount in yen)
    offers: Vec<(String, String, String)>,
    returns_accepted: bool,
    window_days: String,
    day_count: String,
    conditions: Vec<String>,
    excluded: String,
    payer: String,
    exchange: bool,
    return_steps: String,
    /// (method code, payment methods it applies to, separated by 、)
    refunds: Vec<(String, String)>,
    report_days: String,
    /// Remedy codes in the order proposed, blank for none.
    remedies: Vec<String>,
    photos: bool,
    defect_steps: String,
}

fn code_of<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn parse_code<T: serde::de::DeserializeOwned>(field: &str, code: &str) -> Result<T, ValidationError> {
    serde_json::from_value(serde_json::Value::String(code.to_owned()))
        .map_err(|_| ValidationError::new(field, "invalid_choice", format!("{code:?} is not one of the choices")))
}

impl Editor {
    fn from_policies(p: &Policies) -> Editor {
        let mut e = Editor {
            until_shipped: p.cancellation.until_shipped,
            within_hours: p.cancellation.within_hours.map(|h| h.to_string()).unwrap_or_default(),
            offers: p
                .cancellation
                .retention_offers
                .iter()
                .map(|o| (o.code.clone(), o.label.clone(), o.discount_yen.map(|y| y.to_string()).unwrap_or_default()))
                .collect(),
            returns_accepted: p.returns.accepted,
            window_days: p.returns.window_days.to_string(),
            day_count: code_of(p.returns.day_count),
            conditions: p.returns.conditions.iter().map(|c| code_of(*c)).collect(),
            excluded: p.returns.excluded_categories.join("\n"),
            payer: code_of(p.returns.shipping_paid_by),
            exchange: p.returns.exchange,
            return_steps: p.returns.steps.join("\n"),
            refunds: p.refunds.methods.iter().map(|r| (code_of(r.method), r.payment_methods.join("、"))).collect(),
            report_days: p.defects.report_within_days.to_string(),
            remedies: p.defects.remedies.iter().map(|r| code_of(*r)).collect(),
            photos: p.defects.photos_required,
            defect_steps: p.defects.steps.join("\n"),
        };
        e.pad();
        e
    }

    fn from_form(form: &[(String, String)]) -> Editor {
        let get = |k: &str| form_value(form, k).to_owned();
        let has = |k: &str| form.iter().any(|(key, _)| key == k);
        let mut e = Editor {
            until_shipped: has("until_shipped"),
            within_hours: get("within_hours"),
            offers: (0..MAX_ROWS)
                .map(|i| {
                    (
                        get(&format!("offer.{i}.code")),
                        get(&format!("offer.{i}.label")),
                        get(&format!("offer.{i}.discount")),
                    )
                })
                .filter(|(c, l, d)| !(c.trim().is_empty() && l.trim().is_empty() && d.trim().is_empty()))
                .collect(),
            returns_accepted: has("returns_accepted"),
            window_days: get("window_days"),
            day_count: get("day_count"),
            conditions: form.iter().filter(|(k, _)| k == "condition").map(|(_, v)| v.clone()).collect(),
            excluded: get("excluded"),
            payer: get("payer"),
            exchange: has("exchange"),
            return_steps: get("return_steps"),
            refunds: (0..MAX_ROWS)
                .map(|i| (get(&format!("refund.{i}.method")), get(&format!("refund.{i}.payments"))))
                .filter(|(m, _)| !m.trim().is_empty())
                .collect(),
            report_days: get("report_days"),
            remedies: (0..3).map(|i| get(&format!("remedy.{i}"))).filter(|r| !r.is_empty()).collect(),
            photos: has("photos"),
            defect_steps: get("defect_steps"),
        };
        e.pad();
        e
    }

    /// Adds the blank rows the page shows for adding.
    fn pad(&mut self) {
        self.offers.extend(std::iter::repeat_n(Default::default(), SPARE_ROWS));
        self.refunds.extend(std::iter::repeat_n(Default::default(), SPARE_ROWS));
        self.remedies.resize(self.remedies.len().max(3), String::new());
    }

    /// The rules the form describes, checked.
    fn policies(&self) -> Result<Policies, ValidationError> {
        let number = |field: &str, v: &str| -> Result<u32, ValidationError> {
            nfkc(v).trim().parse().map_err(|_| ValidationError::new(field, "not_a_number", "a whole number"))
        };
        let lines = |v: &str| -> Vec<String> {
            v.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
        };
        let within_hours = match self.within_hours.trim() {
            "" => None,
            h => Some(number("cancellation.within_hours", h)?),
        };
        let mut offers = Vec::new();
        for (code, label, discount) in
            self.offers.iter().filter(|o| !(o.0.is_empty() && o.1.is_empty() && o.2.is_empty()))
        {
            let yen = nfkc(discount).trim().trim_end_matches('円').replace(',', "");
            let discount_yen = match yen.as_str() {
                "" => None,
                y => Some(y.parse::<i64>().map_err(|_| {
                    ValidationError::new(
                        "cancellation.retention_offers.discount_yen",
                        "not_a_number",
                        "yen as a whole number",
                    )
                })?),
            };
            offers.push(RetentionOffer { code: code.clone(), label: label.clone(), discount_yen });
        }
        let mut methods = Vec::new();
        for (method, payments) in self.refunds.iter().filter(|r| !r.0.is_empty()) {
            methods.push(RefundRule {
                method: parse_code::<RefundMethod>("refunds.methods.method", method)?,
                payment_methods: payments
                    .split(['、', ',', '，', '\n'])
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect(),
            });
        }
        let policies = Policies {
            cancellation: CancellationPolicy {
                until_shipped: self.until_shipped,
                within_hours,
                retention_offers: offers,
            },
            returns: ReturnPolicy {
                accepted: self.returns_accepted,
                window_days: number("returns.window_days", &self.window_days)?,
                day_count: parse_code::<DayCount>("returns.day_count", &self.day_count)?,
                conditions: self
                    .conditions
                    .iter()
                    .map(|c| parse_code::<ReturnCondition>("returns.conditions", c))
                    .collect::<Result<_, _>>()?,
                excluded_categories: lines(&self.excluded),
                shipping_paid_by: parse_code::<ShippingPayer>("returns.shipping_paid_by", &self.payer)?,
                exchange: self.exchange,
                steps: lines(&self.return_steps),
            },
            refunds: RefundPolicy { methods },
            defects: DefectPolicy {
                report_within_days: number("defects.report_within_days", &self.report_days)?,
                remedies: self
                    .remedies
                    .iter()
                    .filter(|r| !r.is_empty())
                    .map(|r| parse_code::<Remedy>("defects.remedies", r))
                    .collect::<Result<_, _>>()?,
                photos_required: self.photos,
                steps: lines(&self.defect_steps),
            },
        };
        policies.validate()
    }
}

/// The page's own words, in both languages.
struct Labels {
    title: &'static str,
    current_version: &'static str,
    never_edited: &'static str,
    cancellation: &'static str,
    until_shipped: &'static str,
    within_hours: &'static str,
    within_hours_hint: &'static str,
    offers: &'static str,
    offer_code: &'static str,
    offer_label: &'static str,
    offer_discount: &'static str,
    returns: &'static str,
    returns_accepted: &'static str,
    window_days: &'static str,
    day_count: &'static str,
    conditions: &'static str,
    excluded: &'static str,
    one_per_line: &'static str,
    payer: &'static str,
    exchange: &'static str,
    return_steps: &'static str,
    refunds: &'static str,
    refund_method: &'static str,
    refund_payments: &'static str,
    refund_payments_hint: &'static str,
    defects: &'static str,
    report_days: &'static str,
    remedies: &'static str,
    photos: &'static str,
    defect_steps: &'static str,
    preview_heading: &'static str,
    preview_order: &'static str,
    preview: &'static str,
    unsaved: &'static str,
    no_orders: &'static str,
    offers_made: &'static str,
    none: &'static str,
}

const JA: Labels = Labels {
    title: "対応ポリシー",
    current_version: "現在の版",
    never_edited: "初期設定（未編集）",
    cancellation: "キャンセル",
    until_shipped: "発送前ならキャンセルできる",
    within_hours: "注文から何時間以内",
    within_hours_hint: "空欄なら時間の制限なし",
    offers: "キャンセル時の引き止め提案",
    offer_code: "コード",
    offer_label: "お客様へのご案内",
    offer_discount: "割引額（円）",
    returns: "返品・交換",
    returns_accepted: "お客様都合の返品を受け付ける",
    window_days: "受付期間（商品到着後の日数）",
    day_count: "日数の数え方",
    conditions: "返品の条件",
    excluded: "返品できない商品カテゴリ",
    one_per_line: "1行に1つ",
    payer: "返送料の負担",
    exchange: "同じ条件で交換も受け付ける",
    return_steps: "返品の手順",
    refunds: "返金方法（優先順）",
    refund_method: "方法",
    refund_payments: "対象の支払方法",
    refund_payments_hint: "「、」区切り・空欄ならすべて",
    defects: "不良品",
    report_days: "受付期間（商品到着後の日数）",
    remedies: "提案する順番",
    photos: "写真の提出を必須にする",
    defect_steps: "不良品の手順",
    preview_heading: "プレビュー",
    preview_order: "試す注文",
    preview: "保存せずにプレビュー",
    unsaved: "この内容はまだ保存されていません",
    no_orders: "注文がまだないため、プレビューできません",
    offers_made: "提案",
    none: "—",
};

const EN: Labels = Labels {
    title: "Policies",
    current_version: "Version in force",
    never_edited: "defaults (never edited)",
    cancellation: "Cancellation",
    until_shipped: "Cancellable until shipped",
    within_hours: "Within hours of ordering",
    within_hours_hint: "blank: no time limit",
    offers: "Retention offers at cancellation",
    offer_code: "Code",
    offer_label: "What to offer",
    offer_discount: "Discount (yen)",
    returns: "Returns and exchanges",
    returns_accepted: "Returns at the customer's wish are accepted",
    window_days: "Window (days after delivery)",
    day_count: "Days counted as",
    conditions: "Conditions",
    excluded: "Categories never taken back",
    one_per_line: "one per line",
    payer: "Return shipping paid by",
    exchange: "Exchanges on the same terms",
    return_steps: "Steps for a return",
    refunds: "Refund methods (preferred first)",
    refund_method: "Method",
    refund_payments: "For payment methods",
    refund_payments_hint: "separated by 、 or commas; blank: any",
    defects: "Defective items",
    report_days: "Reported within (days after delivery)",
    remedies: "Proposed in this order",
    photos: "Photos required",
    defect_steps: "Steps for a defect",
    preview_heading: "Preview",
    preview_order: "Try on order",
    preview: "Preview without saving",
    unsaved: "Not saved yet",
    no_orders: "No orders yet to preview on",
    offers_made: "Offers",
    none: "—",
};

fn labels(lang: Lang) -> &'static Labels {
    if lang == Lang::Ja { &JA } else { &EN }
}

/// What the page calls a field the rules' check names.
fn field_label(l: &'static Labels, field: &str) -> &'static str {
    let section = |prefix: &str| field.starts_with(prefix);
    match field {
        "cancellation.within_hours" => l.within_hours,
        _ if section("cancellation.retention_offers") => l.offers,
        "returns.window_days" => l.window_days,
        "returns.day_count" => l.day_count,
        "returns.conditions" => l.conditions,
        "returns.excluded_categories" => l.excluded,
        "returns.shipping_paid_by" => l.payer,
        "returns.steps" => l.return_steps,
        _ if section("refunds") => l.refunds,
        "defects.report_within_days" => l.report_days,
        "defects.remedies" => l.remedies,
        "defects.steps" => l.defect_steps,
        _ => l.title,
    }
}

/// The choices of every select and checkbox group, as (code, label).
struct Choices {
    day_counts: Vec<(String, &'static str)>,
    conditions: Vec<(String, &'static str)>,
    payers: Vec<(String, &'static str)>,
    methods: Vec<(String, &'static str)>,
    remedies: Vec<(String, &'static str)>,
    requests: Vec<(&'static str, &'static str)>,
}

fn choices(lang: Lang) -> Choices {
    Choices {
        day_counts: vec![
            (code_of(DayCount::Calendar), crate::i18n::day_count(lang, DayCount::Calendar)),
            (code_of(DayCount::BusinessDays), crate::i18n::day_count(lang, DayCount::BusinessDays)),
        ],
        conditions: [ReturnCondition::Unopened, ReturnCondition::Unused, ReturnCondition::TagsAttached]
            .into_iter()
            .map(|c| (code_of(c), crate::i18n::return_condition(lang, c)))
            .collect(),
        payers: vec![
            (code_of(ShippingPayer::Customer), crate::i18n::shipping_payer(lang, ShippingPayer::Customer)),
            (code_of(ShippingPayer::Merchant), crate::i18n::shipping_payer(lang, ShippingPayer::Merchant)),
        ],
        methods: [
            RefundMethod::CardReversal,
            RefundMethod::BankTransfer,
            RefundMethod::CashRegistered,
            RefundMethod::Points,
        ]
        .into_iter()
        .map(|m| (code_of(m), crate::i18n::refund_method(lang, m)))
        .collect(),
        remedies: [Remedy::Exchange, Remedy::Repair, Remedy::Refund]
            .into_iter()
            .map(|r| (code_of(r), crate::i18n::remedy(lang, r)))
            .collect(),
        requests: request_options(lang),
    }
}

#[derive(Template)]
#[template(path = "policies.html")]
struct Page {
    lang: &'static str,
    t: &'static Texts,
    l: &'static Labels,
    chrome: crate::web::chrome::Chrome,
    csrf: String,
    slug: String,
    merchant_name: String,
    /// "3 (2026-11-30 10:00)" or the defaults.
    version: String,
    e: Editor,
    c: Choices,
    /// The shop's recent orders to preview on, as (id, label).
    orders: Vec<(String, String)>,
    preview_order: String,
    preview_request: String,
    panel: Option<DecisionPanel>,
    error: Option<FormError>,
    saved: bool,
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    saved: Option<String>,
}

async fn recent_orders(st: &AppState, p: &Principal, m: MerchantId) -> Result<Vec<Order>, ApiError> {
    let f = OrderFilter { merchant: Some(m), ..Default::default() };
    Ok(st.store.list_orders(&p.scope(), &f, PageRequest::first(30)).await?.items)
}

fn order_options(lang: Lang, orders: &[Order]) -> Vec<(String, String)> {
    orders
        .iter()
        .map(|o| {
            (
                o.id.to_string(),
                format!("{} ・ {} ・ {}", o.order_number, i18n::order_status(lang, o.status), jst(o.ordered_at)),
            )
        })
        .collect()
}

pub async fn show(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let ConsoleUser { session, principal: p } = user;
    let m = editable(&st, &p, &slug).await?;
    let current = st.store.current_policies(&p.scope(), m.id).await?;
    let orders = recent_orders(&st, &p, m.id).await?;
    let l = labels(lang);
    let page = Page {
        lang: lang.code(),
        t: lang.t(),
        l,
        chrome: crate::web::chrome::Chrome::of(&st, &session, lang).await?,
        csrf: session.csrf_token.clone(),
        slug: m.slug.clone(),
        merchant_name: m.name.clone(),
        version: version_text(l, current.version, current.created_at),
        e: Editor::from_policies(&current.policies),
        c: choices(lang),
        preview_order: orders.first().map(|o| o.id.to_string()).unwrap_or_default(),
        orders: order_options(lang, &orders),
        preview_request: Request::Return.as_str().to_owned(),
        panel: None,
        error: None,
        saved: q.saved.is_some(),
    };
    Ok(render(StatusCode::OK, &page))
}

fn version_text(l: &Labels, version: i32, at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    match at {
        Some(at) => format!("{version}（{}）", jst(at)),
        None => l.never_edited.to_owned(),
    }
}

/// Preview or save, by the button pressed (`action`).
pub async fn submit(
    State(st): State<AppState>,
    user: ConsoleUser,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let lang = Lang::from_request(&jar, &headers);
    let get = |k: &str| form_value(&form, k);
    let p = user.checked(get("csrf"))?.clone();
    let m = editable(&st, &p, &slug).await?;
    let editor = Editor::from_form(&form);
    let checked = editor.policies();
    if get("action") == "save"
        && let Ok(policies) = &checked
    {
        st.store.save_policies(&p.scope(), Some(p.user_id), m.id, policies).await?;
        return Ok(Redirect::to(&format!("/settings/{slug}/policies?saved=1")).into_response());
    }
    let orders = recent_orders(&st, &p, m.id).await?;
    let request = parse_code::<Request>("preview_request", get("preview_request")).unwrap_or(Request::Return);
    let current = st.store.current_policies(&p.scope(), m.id).await?;
    let (status, panel, error) = match &checked {
        Ok(policies) => {
            let order = orders.iter().find(|o| o.id.to_string() == get("preview_order"));
            // The edited rules with the shop's closed days, as the next version would decide.
            let edited = ShopRules { policies: policies.clone(), ..shop_rules(&st.store, &p.scope(), m.id).await? };
            let panel = order.map(|o| decision_panel(lang, request, current.version + 1, &edited.decide(o, request)));
            (StatusCode::OK, panel, None)
        }
        Err(e) => {
            (StatusCode::UNPROCESSABLE_ENTITY, None, Some(form_error(lang, field_label(labels(lang), &e.field), e)))
        }
    };
    let l = labels(lang);
    let page = Page {
        lang: lang.code(),
        t: lang.t(),
        l,
        chrome: crate::web::chrome::Chrome::of(&st, &user.session, lang).await?,
        csrf: get("csrf").to_owned(),
        slug: m.slug.clone(),
        merchant_name: m.name.clone(),
        version: version_text(l, current.version, current.created_at),
        e: editor,
        c: choices(lang),
        orders: order_options(lang, &orders),
        preview_order: get("preview_order").to_owned(),
        preview_request: request.as_str().to_owned(),
        panel,
        error,
        saved: false,
    };
    Ok(render(status, &page))
}
