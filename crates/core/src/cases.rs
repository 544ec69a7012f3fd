//! Delivery cases (事務処理): the paperwork behind a parcel that went wrong or a return — each
//! type with the form the desk fills and the checklist of tasks it creates, each task with an
//! owner (the desk or the shop), a due time and its steps.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::validation::{ValidationError, nfkc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    /// 配送状況の問い合わせ
    DeliveryInquiry,
    /// ギフト・生鮮・高額品の追跡
    SpecialTracking,
    /// お届け先不明・長期不在
    UnknownAddress,
    /// 配送中の汚破損
    DamagedInTransit,
    /// 不在・再配達
    Redelivery,
    /// 返品の集荷
    ReturnPickup,
    /// 不良品の回収
    DefectPickup,
    /// 返金処理
    RefundProcessing,
}

/// Who does a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskOwner {
    /// The shared desk: settled without the shop.
    Desk,
    /// The shop itself (a refund, a resend): the case waits for it.
    Merchant,
}

/// One field of a case's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FormField {
    pub key: &'static str,
    pub label_ja: &'static str,
    pub label_en: &'static str,
    pub required: bool,
}

/// One task of a case's checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TaskTemplate {
    pub key: &'static str,
    pub title_ja: &'static str,
    pub owner: TaskOwner,
    /// Due this many hours after the case is opened.
    pub due_hours: u32,
}

use TaskOwner::{Desk, Merchant};

/// One task of a shop's own checklist for a kind of case (the shop's admin edits them; the
/// built-in [`CaseKind::checklist`] is the default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistTask {
    /// Stable name of the task (`check_tracking`); blank on input: `step_<position>`.
    #[serde(default)]
    pub key: String,
    pub title: String,
    pub owner: TaskOwner,
    /// Due this many hours after the case is opened.
    pub due_hours: u32,
}

const MAX_TASKS: usize = 20;
const MAX_DUE_HOURS: u32 = 24 * 60;

/// Checks a shop's checklist: 1–20 tasks, titles 1–200 characters, due within 60 days, keys
/// lower-case letters, digits and `_`, each once. Blank keys are named by position.
pub fn validate_checklist(tasks: &[ChecklistTask]) -> Result<Vec<ChecklistTask>, ValidationError> {
    if tasks.is_empty() || tasks.len() > MAX_TASKS {
        return Err(ValidationError::new("tasks", "out_of_range", format!("1–{MAX_TASKS} tasks")));
    }
    let mut out: Vec<ChecklistTask> = Vec::with_capacity(tasks.len());
    for (i, t) in tasks.iter().enumerate() {
        let title = t.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(ValidationError::new(format!("tasks.{i}.title"), "invalid_text", "1–200 characters"));
        }
        if !(1..=MAX_DUE_HOURS).contains(&t.due_hours) {
            return Err(ValidationError::new(
                format!("tasks.{i}.due_hours"),
                "out_of_range",
                format!("1–{MAX_DUE_HOURS} hours"),
            ));
        }
        let key = match t.key.trim() {
            "" => format!("step_{}", i + 1),
            k => k.to_owned(),
        };
        if key.len() > 64 || !key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(ValidationError::new(
                format!("tasks.{i}.key"),
                "invalid_key",
                "lower-case letters, digits and _ (at most 64)",
            ));
        }
        if out.iter().any(|o| o.key == key) {
            return Err(ValidationError::new(format!("tasks.{i}.key"), "duplicate", "each key at most once"));
        }
        out.push(ChecklistTask { key, title: title.to_owned(), owner: t.owner, due_hours: t.due_hours });
    }
    Ok(out)
}

impl CaseKind {
    pub const ALL: [CaseKind; 8] = [
        CaseKind::DeliveryInquiry,
        CaseKind::SpecialTracking,
        CaseKind::UnknownAddress,
        CaseKind::DamagedInTransit,
        CaseKind::Redelivery,
        CaseKind::ReturnPickup,
        CaseKind::DefectPickup,
        CaseKind::RefundProcessing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::DeliveryInquiry => "delivery_inquiry",
            CaseKind::SpecialTracking => "special_tracking",
            CaseKind::UnknownAddress => "unknown_address",
            CaseKind::DamagedInTransit => "damaged_in_transit",
            CaseKind::Redelivery => "redelivery",
            CaseKind::ReturnPickup => "return_pickup",
            CaseKind::DefectPickup => "defect_pickup",
            CaseKind::RefundProcessing => "refund_processing",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            CaseKind::DeliveryInquiry => "配送状況の問い合わせ",
            CaseKind::SpecialTracking => "ギフト・生鮮・高額品の追跡",
            CaseKind::UnknownAddress => "お届け先不明・長期不在",
            CaseKind::DamagedInTransit => "配送中の汚破損",
            CaseKind::Redelivery => "不在・再配達",
            CaseKind::ReturnPickup => "返品の集荷",
            CaseKind::DefectPickup => "不良品の回収",
            CaseKind::RefundProcessing => "返金処理",
        }
    }

    /// What the desk fills in when it opens the case.
    pub fn form(self) -> &'static [FormField] {
        match self {
            CaseKind::DeliveryInquiry => &[FormField {
                key: "question",
                label_en: "What the customer asks",
                label_ja: "お問い合わせ内容",
                required: true,
            }],
            CaseKind::SpecialTracking => &[
                FormField {
                    key: "reason",
                    label_en: "Why it is tracked (gift, fresh, high value)",
                    label_ja: "追跡する理由（ギフト・生鮮・高額品）",
                    required: true,
                },
                FormField {
                    key: "deliver_by",
                    label_en: "Wanted delivery date",
                    label_ja: "お届け希望日",
                    required: false,
                },
            ],
            CaseKind::UnknownAddress => &[
                FormField {
                    key: "carrier_notice",
                    label_en: "What the carrier reported",
                    label_ja: "運送会社からの連絡内容",
                    required: true,
                },
                FormField {
                    key: "corrected_address",
                    label_en: "Corrected address",
                    label_ja: "正しいお届け先",
                    required: false,
                },
                FormField {
                    key: "contact_result",
                    label_en: "Result of contacting the customer",
                    label_ja: "お客様への連絡結果",
                    required: false,
                },
            ],
            CaseKind::DamagedInTransit => &[
                FormField {
                    key: "damage",
                    label_en: "What is damaged or soiled",
                    label_ja: "破損・汚損の内容",
                    required: true,
                },
                FormField {
                    key: "photos",
                    label_en: "Photos (file ids, comma-separated)",
                    label_ja: "写真（ファイルID、カンマ区切り）",
                    required: true,
                },
            ],
            CaseKind::Redelivery => &[
                FormField {
                    key: "desired_date",
                    label_en: "Wanted redelivery date",
                    label_ja: "再配達の希望日",
                    required: true,
                },
                FormField {
                    key: "time_slot", label_en: "Wanted time slot", label_ja: "希望時間帯", required: true
                },
            ],
            CaseKind::ReturnPickup => &[
                FormField {
                    key: "pickup_date",
                    label_en: "Wanted pickup date",
                    label_ja: "集荷希望日",
                    required: true,
                },
                FormField { key: "pickup_address", label_en: "Pickup address", label_ja: "集荷先", required: true },
            ],
            CaseKind::DefectPickup => &[
                FormField {
                    key: "defect", label_en: "What is defective", label_ja: "不具合の内容", required: true
                },
                FormField {
                    key: "photos",
                    label_en: "Photos (file ids, comma-separated)",
                    label_ja: "写真（ファイルID、カンマ区切り）",
                    required: true,
                },
                FormField {
                    key: "pickup_date",
                    label_en: "Wanted pickup date",
                    label_ja: "回収希望日",
                    required: true,
                },
            ],
            CaseKind::RefundProcessing => &[
                FormField {
                    key: "amount",
                    label_en: "Amount to refund (yen)",
                    label_ja: "返金額（円）",
                    required: true,
                },
                FormField {
                    key: "method",
                    label_en: "Refund method (bank transfer, registered cash, points, card reversal)",
                    label_ja: "返金方法（銀行振込・現金書留・ポイント・カード取消）",
                    required: true,
                },
                // 銀行振込: the account, checked as banks' transfer forms take it.
                FormField {
                    key: "bank_name",
                    label_en: "Bank (for a bank transfer)",
                    label_ja: "振込先の金融機関名（銀行振込のとき）",
                    required: false,
                },
                FormField {
                    key: "bank_code",
                    label_en: "Bank code (4 digits)",
                    label_ja: "金融機関コード（4桁）",
                    required: false,
                },
                FormField { key: "branch_name", label_en: "Branch", label_ja: "支店名", required: false },
                FormField {
                    key: "branch_code",
                    label_en: "Branch code (3 digits)",
                    label_ja: "支店コード（3桁）",
                    required: false,
                },
                FormField {
                    key: "account_type",
                    label_en: "Account type (普通 ordinary, 当座 current, 貯蓄 savings)",
                    label_ja: "口座種別（普通・当座・貯蓄）",
                    required: false,
                },
                FormField {
                    key: "account_number",
                    label_en: "Account number (up to 7 digits)",
                    label_ja: "口座番号（7桁まで）",
                    required: false,
                },
                FormField {
                    key: "holder_kana",
                    label_en: "Account holder (katakana)",
                    label_ja: "口座名義（カタカナ）",
                    required: false,
                },
            ],
        }
    }

    /// The tasks the case creates, in order.
    pub fn checklist(self) -> &'static [TaskTemplate] {
        match self {
            CaseKind::DeliveryInquiry => &[
                TaskTemplate {
                    key: "check_tracking",
                    title_ja: "運送会社の追跡で現在地を確認する",
                    owner: Desk,
                    due_hours: 2,
                },
                TaskTemplate {
                    key: "answer_customer",
                    title_ja: "お客様にお届け予定を伝える",
                    owner: Desk,
                    due_hours: 4,
                },
            ],
            CaseKind::SpecialTracking => &[
                TaskTemplate {
                    key: "check_tracking", title_ja: "追跡で配達予定を確認する", owner: Desk, due_hours: 2
                },
                TaskTemplate {
                    key: "ask_carrier",
                    title_ja: "運送会社の営業所に配達日時を確認する",
                    owner: Desk,
                    due_hours: 8,
                },
                TaskTemplate {
                    key: "confirm_delivered",
                    title_ja: "配達完了を確認してお客様に連絡する",
                    owner: Desk,
                    due_hours: 48,
                },
            ],
            CaseKind::UnknownAddress => &[
                TaskTemplate {
                    key: "contact_customer",
                    title_ja: "お客様に正しい住所と在宅日時を確認する",
                    owner: Desk,
                    due_hours: 4,
                },
                TaskTemplate {
                    key: "tell_carrier",
                    title_ja: "運送会社の営業所に住所・日時を連絡する",
                    owner: Desk,
                    due_hours: 8,
                },
                TaskTemplate {
                    key: "confirm_delivered",
                    title_ja: "お届けを確認する（保管期限に注意）",
                    owner: Desk,
                    due_hours: 72,
                },
            ],
            CaseKind::DamagedInTransit => &[
                TaskTemplate {
                    key: "collect_photos",
                    title_ja: "破損箇所と外箱の写真を受け取る",
                    owner: Desk,
                    due_hours: 4,
                },
                TaskTemplate {
                    key: "report_carrier",
                    title_ja: "運送会社に事故報告をする",
                    owner: Desk,
                    due_hours: 24,
                },
                TaskTemplate {
                    key: "resend", title_ja: "代わりの商品を発送する", owner: Merchant, due_hours: 48
                },
            ],
            CaseKind::Redelivery => &[
                TaskTemplate {
                    key: "request_redelivery",
                    title_ja: "運送会社に再配達を依頼する",
                    owner: Desk,
                    due_hours: 2,
                },
                TaskTemplate {
                    key: "tell_customer",
                    title_ja: "お客様に再配達日時を伝える",
                    owner: Desk,
                    due_hours: 4,
                },
            ],
            CaseKind::ReturnPickup => &[
                TaskTemplate {
                    key: "book_pickup", title_ja: "運送会社に集荷を依頼する", owner: Desk, due_hours: 8
                },
                TaskTemplate {
                    key: "tell_customer",
                    title_ja: "お客様に集荷日時と梱包方法を伝える",
                    owner: Desk,
                    due_hours: 8,
                },
                TaskTemplate {
                    key: "confirm_received",
                    title_ja: "ショップで返品の受け取りを確認する",
                    owner: Merchant,
                    due_hours: 120,
                },
            ],
            CaseKind::DefectPickup => &[
                TaskTemplate {
                    key: "collect_photos", title_ja: "不具合の写真を受け取る", owner: Desk, due_hours: 4
                },
                TaskTemplate {
                    key: "book_pickup", title_ja: "着払いで回収を手配する", owner: Desk, due_hours: 8
                },
                TaskTemplate {
                    key: "inspect",
                    title_ja: "ショップで回収品を確認する",
                    owner: Merchant,
                    due_hours: 120,
                },
            ],
            CaseKind::RefundProcessing => &[
                TaskTemplate {
                    key: "confirm_account",
                    title_ja: "返金方法と振込先を確認する",
                    owner: Desk,
                    due_hours: 4,
                },
                TaskTemplate { key: "refund", title_ja: "返金を実行する", owner: Merchant, due_hours: 72 },
                TaskTemplate {
                    key: "tell_customer",
                    title_ja: "お客様に返金完了を連絡する",
                    owner: Desk,
                    due_hours: 96,
                },
            ],
        }
    }

    /// Whether the desk closes the case by itself with the built-in checklist (no task is the
    /// shop's): settled without an escalation.
    pub fn settled_on_desk(self) -> bool {
        self.checklist().iter().all(|t| t.owner == Desk)
    }

    /// The built-in checklist as a shop's editable one.
    pub fn default_checklist(self) -> Vec<ChecklistTask> {
        self.checklist()
            .iter()
            .map(|t| ChecklistTask {
                key: t.key.into(),
                title: t.title_ja.into(),
                owner: t.owner,
                due_hours: t.due_hours,
            })
            .collect()
    }
}

impl std::str::FromStr for CaseKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        CaseKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or(())
    }
}

/// Checks a case's form: every required field filled, no field the form does not have, each
/// at most 2,000 characters; values trimmed.
pub fn validate_form(
    kind: CaseKind,
    fields: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, ValidationError> {
    let form = kind.form();
    let mut out = BTreeMap::new();
    for (k, v) in fields {
        if !form.iter().any(|f| f.key == k) {
            return Err(ValidationError::new(
                format!("fields.{k}"),
                "unknown_field",
                format!("a {} case has no field {k}", kind.as_str()),
            ));
        }
        let v = v.trim();
        if v.chars().count() > 2000 {
            return Err(ValidationError::new(format!("fields.{k}"), "too_long", "at most 2,000 characters"));
        }
        if !v.is_empty() {
            out.insert(k.clone(), v.to_owned());
        }
    }
    if let Some(missing) = form.iter().find(|f| f.required && !out.contains_key(f.key)) {
        return Err(ValidationError::new(
            format!("fields.{}", missing.key),
            "required",
            format!("{}を入力してください", missing.label_ja),
        ));
    }
    if kind == CaseKind::RefundProcessing {
        refund_fields(&mut out)?;
    }
    Ok(out)
}

/// A refund's amount is whole yen; a refund by bank transfer needs the whole account, checked
/// and written back as banks take it (seven-digit number, katakana holder).
fn refund_fields(out: &mut BTreeMap<String, String>) -> Result<(), ValidationError> {
    use crate::bank::{AccountType, BankAccount};
    let amount: String = nfkc(&out["amount"]).chars().filter(|c| !matches!(c, ',' | '円' | '¥')).collect();
    match amount.trim().parse::<u64>() {
        Ok(yen) if yen > 0 => out.insert("amount".into(), yen.to_string()),
        _ => {
            return Err(ValidationError::new(
                "fields.amount",
                "invalid_amount",
                "返金額は円単位の数字で入力してください",
            ));
        }
    };
    let method = nfkc(&out["method"]);
    if !(method.contains("銀行") || method.contains("振込") || method.contains("bank")) {
        return Ok(());
    }
    let get = |k: &str| out.get(k).cloned().unwrap_or_default();
    let account_type = match nfkc(&get("account_type")).trim() {
        "普通" | "普通預金" | "総合" | "ordinary" => AccountType::Ordinary,
        "当座" | "当座預金" | "current" => AccountType::Current,
        "貯蓄" | "貯蓄預金" | "savings" => AccountType::Savings,
        _ => {
            return Err(ValidationError::new(
                "fields.account_type",
                "invalid_account_type",
                "口座種別は普通・当座・貯蓄のいずれかです",
            ));
        }
    };
    let account = BankAccount {
        bank_name: get("bank_name"),
        bank_code: get("bank_code"),
        branch_name: get("branch_name"),
        branch_code: get("branch_code"),
        account_type,
        number: get("account_number"),
        holder_kana: get("holder_kana"),
    }
    .validate()
    .map_err(|e| {
        let field = if e.field == "number" { "account_number".to_owned() } else { e.field.clone() };
        ValidationError::new(format!("fields.{field}"), e.code, e.message)
    })?;
    let type_ja = match account.account_type {
        AccountType::Ordinary => "普通",
        AccountType::Current => "当座",
        AccountType::Savings => "貯蓄",
    };
    for (k, v) in [
        ("bank_name", account.bank_name),
        ("bank_code", account.bank_code),
        ("branch_name", account.branch_name),
        ("branch_code", account.branch_code),
        ("account_type", type_ja.to_owned()),
        ("account_number", account.number),
        ("holder_kana", account.holder_kana),
    ] {
        out.insert(k.into(), v);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_by_transfer_needs_the_whole_account_as_banks_take_it() {
        let form = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        let by_card =
            validate_form(CaseKind::RefundProcessing, &form(&[("amount", "￥４，２００"), ("method", "カード取消")]))
                .unwrap();
        assert_eq!(by_card["amount"], "4200");
        let err = validate_form(CaseKind::RefundProcessing, &form(&[("amount", "たくさん"), ("method", "ポイント")]))
            .unwrap_err();
        assert_eq!(err.field, "fields.amount");
        let transfer = [
            ("amount", "4200"),
            ("method", "銀行振込"),
            ("bank_name", "みずほ銀行"),
            ("bank_code", "０００１"),
            ("branch_name", "東京営業部"),
            ("branch_code", "001"),
            ("account_type", "普通"),
            ("account_number", "12345"),
            ("holder_kana", "やまだ ﾊﾅｺ"),
        ];
        let ok = validate_form(CaseKind::RefundProcessing, &form(&transfer)).unwrap();
        assert_eq!((ok["bank_code"].as_str(), ok["account_number"].as_str()), ("0001", "0012345"));
        assert_eq!(ok["holder_kana"], "ヤマダ\u{3000}ハナコ");
        let missing = validate_form(CaseKind::RefundProcessing, &form(&transfer[..4])).unwrap_err();
        assert_eq!(missing.field, "fields.account_type");
        let mut kanji = transfer.to_vec();
        kanji[8] = ("holder_kana", "山田花子");
        assert_eq!(validate_form(CaseKind::RefundProcessing, &form(&kanji)).unwrap_err().field, "fields.holder_kana");
        let mut long = transfer.to_vec();
        long[7] = ("account_number", "12345678");
        assert_eq!(validate_form(CaseKind::RefundProcessing, &form(&long)).unwrap_err().field, "fields.account_number");
    }

    #[test]
    fn a_shops_checklist_is_checked_and_its_blank_keys_named() {
        for k in CaseKind::ALL {
            assert_eq!(validate_checklist(&k.default_checklist()).unwrap(), k.default_checklist(), "{k:?}");
        }
        let task = |key: &str, title: &str, due_hours| ChecklistTask {
            key: key.into(),
            title: title.into(),
            owner: TaskOwner::Desk,
            due_hours,
        };
        let ok = validate_checklist(&[task("", " 写真を確認する ", 2), task("call_back", "折り返す", 24)]).unwrap();
        assert_eq!(
            (ok[0].key.as_str(), ok[0].title.as_str(), ok[1].key.as_str()),
            ("step_1", "写真を確認する", "call_back")
        );
        assert_eq!(validate_checklist(&[]).unwrap_err().field, "tasks");
        assert_eq!(validate_checklist(&[task("", " ", 2)]).unwrap_err().field, "tasks.0.title");
        assert_eq!(validate_checklist(&[task("", "a", 0)]).unwrap_err().field, "tasks.0.due_hours");
        assert_eq!(validate_checklist(&[task("", "a", 1441)]).unwrap_err().code, "out_of_range");
        assert_eq!(validate_checklist(&[task("Bad Key", "a", 1)]).unwrap_err().code, "invalid_key");
        assert_eq!(validate_checklist(&[task("x", "a", 1), task("x", "b", 1)]).unwrap_err().code, "duplicate");
        assert_eq!(validate_checklist(&vec![task("", "a", 1); 21]).unwrap_err().field, "tasks");
    }

    #[test]
    fn every_kind_has_a_form_and_a_checklist() {
        for k in CaseKind::ALL {
            assert!(!k.form().is_empty() && !k.checklist().is_empty(), "{k:?}");
            assert_eq!(k.as_str().parse::<CaseKind>(), Ok(k));
            let keys: Vec<_> = k.checklist().iter().map(|t| t.key).collect();
            assert!(keys.iter().enumerate().all(|(i, key)| !keys[..i].contains(key)), "task keys unique in {k:?}");
        }
        assert!(CaseKind::Redelivery.settled_on_desk());
        assert!(!CaseKind::RefundProcessing.settled_on_desk(), "the shop refunds");
    }

    #[test]
    fn forms_need_their_required_fields_and_only_theirs() {
        let f = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let ok = validate_form(CaseKind::Redelivery, &f(&[("desired_date", " 12月3日 "), ("time_slot", "19-21時")]));
        assert_eq!(ok.unwrap()["desired_date"], "12月3日");
        let e = validate_form(CaseKind::Redelivery, &f(&[("desired_date", "12月3日")])).unwrap_err();
        assert_eq!((e.field.as_str(), e.code), ("fields.time_slot", "required"));
        assert!(e.message.contains("希望時間帯"));
        let e = validate_form(CaseKind::Redelivery, &f(&[("colour", "赤")])).unwrap_err();
        assert_eq!(e.code, "unknown_field");
        let blank = validate_form(CaseKind::DeliveryInquiry, &f(&[("question", "  ")])).unwrap_err();
        assert_eq!(blank.code, "required", "blank is missing");
    }
}
