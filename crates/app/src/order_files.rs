//! Order files as Japanese shop back offices export them: CSV in UTF-8 (with or without a BOM)
//! or Shift_JIS (CP932, Excel's Japanese encoding), one row an order line, the order's own
//! columns repeated on each of its rows, a parcel's carrier and 伝票番号 beside them. Columns are
//! found by the merchant's saved mapping, else by the headers shop systems usually print
//! (受注番号, 注文日時, 商品コード, 送り状番号, …). Every bad row is reported with its row, column
//! and reason before anything is stored.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use madoguchi_core::enums::{Carrier, OrderStatus, ShipmentStatus};
use madoguchi_core::order::{NewOrder, NewOrderLine, NewShipment, NewShipmentEvent, validate_order_number};
use madoguchi_core::validation::nfkc;
use serde::{Deserialize, Serialize};

/// What a column of an order file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    OrderNumber,
    OrderedAt,
    Status,
    TotalAmount,
    PaymentMethod,
    CustomerName,
    CustomerEmail,
    CustomerPhone,
    Sku,
    ItemName,
    Quantity,
    UnitPrice,
    Category,
    Carrier,
    TrackingNumber,
    ShipmentStatus,
    ShippedAt,
    DeliveredAt,
}

impl Column {
    pub const ALL: [Column; 18] = [
        Column::OrderNumber,
        Column::OrderedAt,
        Column::Status,
        Column::TotalAmount,
        Column::PaymentMethod,
        Column::CustomerName,
        Column::CustomerEmail,
        Column::CustomerPhone,
        Column::Sku,
        Column::ItemName,
        Column::Quantity,
        Column::UnitPrice,
        Column::Category,
        Column::Carrier,
        Column::TrackingNumber,
        Column::ShipmentStatus,
        Column::ShippedAt,
        Column::DeliveredAt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Column::OrderNumber => "order_number",
            Column::OrderedAt => "ordered_at",
            Column::Status => "status",
            Column::TotalAmount => "total_amount",
            Column::PaymentMethod => "payment_method",
            Column::CustomerName => "customer_name",
            Column::CustomerEmail => "customer_email",
            Column::CustomerPhone => "customer_phone",
            Column::Sku => "sku",
            Column::ItemName => "item_name",
            Column::Quantity => "quantity",
            Column::UnitPrice => "unit_price",
            Column::Category => "category",
            Column::Carrier => "carrier",
            Column::TrackingNumber => "tracking_number",
            Column::ShipmentStatus => "shipment_status",
            Column::ShippedAt => "shipped_at",
            Column::DeliveredAt => "delivered_at",
        }
    }

    /// Headers shop systems print for it, found when the mapping names none (compared after
    /// NFKC, without spaces, in lower case). The first is the one a template uses.
    pub fn usual_headers(self) -> &'static [&'static str] {
        match self {
            Column::OrderNumber => &["受注番号", "注文番号", "注文ID", "受注ID", "オーダー番号", "order_number"],
            Column::OrderedAt => &["注文日時", "受注日時", "注文日", "受注日", "購入日時", "ordered_at"],
            Column::Status => &["受注ステータス", "注文ステータス", "ステータス", "対応状況", "status"],
            Column::TotalAmount => &["合計金額", "請求金額", "総合計", "支払金額", "注文金額", "total_amount"],
            Column::PaymentMethod => &["支払方法", "支払い方法", "お支払い方法", "決済方法", "payment_method"],
            Column::CustomerName => &["注文者名", "注文者氏名", "購入者名", "顧客名", "お客様名", "customer_name"],
            Column::CustomerEmail => {
                &["注文者メールアドレス", "購入者メールアドレス", "メールアドレス", "customer_email", "email"]
            }
            Column::CustomerPhone => &["注文者電話番号", "購入者電話番号", "電話番号", "customer_phone", "phone"],
            Column::Sku => &["商品コード", "商品番号", "品番", "商品管理番号", "sku"],
            Column::ItemName => &["商品名", "item_name"],
            Column::Quantity => &["数量", "個数", "注文数", "quantity"],
            Column::UnitPrice => &["単価", "販売単価", "商品単価", "価格", "unit_price"],
            Column::Category => &["商品カテゴリ", "カテゴリ", "カテゴリー", "商品区分", "category"],
            Column::Carrier => &["配送業者", "運送会社", "配送会社", "配送方法", "carrier"],
            Column::TrackingNumber => {
                &["送り状番号", "伝票番号", "お問い合わせ番号", "問合せ番号", "追跡番号", "tracking_number"]
            }
            Column::ShipmentStatus => &["配送状況", "配送ステータス", "shipment_status"],
            Column::ShippedAt => &["出荷日", "発送日", "出荷日時", "発送日時", "shipped_at"],
            Column::DeliveredAt => &["配達完了日", "お届け完了日", "配達日", "delivered_at"],
        }
    }
}

/// A merchant's columns: which header of their file holds what. Columns it leaves out are found
/// by their usual headers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnMapping {
    #[schema(value_type = BTreeMap<String, String>)]
    pub columns: BTreeMap<Column, String>,
}

impl ColumnMapping {
    /// Checks a mapping before it is saved: header names present and short, none used twice.
    pub fn validate(&self) -> Result<ColumnMapping, madoguchi_core::ValidationError> {
        let mut seen: HashMap<String, Column> = HashMap::new();
        let mut out = BTreeMap::new();
        for (column, header) in &self.columns {
            let h = header.trim();
            let field = format!("columns.{}", column.as_str());
            if h.is_empty() || h.chars().count() > 100 {
                return Err(madoguchi_core::ValidationError::new(
                    field,
                    "invalid_header",
                    "a header of 1–100 characters",
                ));
            }
            if let Some(other) = seen.insert(header_key(h), *column) {
                return Err(madoguchi_core::ValidationError::new(
                    field,
                    "header_used_twice",
                    format!("{h} is already the header of {}", other.as_str()),
                ));
            }
            out.insert(*column, h.to_owned());
        }
        Ok(ColumnMapping { columns: out })
    }
}

fn header_key(h: &str) -> String {
    nfkc(h).chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase()
}

/// One thing wrong with a file: the row as a spreadsheet numbers it (the header is row 1), the
/// line of the file where the row starts (a quoted cell may span lines), the file's header of the
/// column, a stable code and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    pub row: usize,
    pub line: usize,
    pub column: Option<String>,
    pub code: String,
    pub message: String,
    pub message_ja: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {} (line {})", self.row, self.line)?;
        if let Some(c) = &self.column {
            write!(f, ", {c}")?;
        }
        write!(f, ": {} [{}]", self.message, self.code)
    }
}

/// Who ordered, as the file gives it: used to find (or create) the merchant's customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Orderer {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// One order of the file with every row it came from.
#[derive(Debug, Clone)]
pub struct FileOrder {
    pub order: NewOrder,
    pub orderer: Orderer,
    /// Spreadsheet rows of the order; the first for errors found later.
    pub rows: Vec<usize>,
    /// Some row of it is bad: not stored.
    pub bad: bool,
    /// The status a row gave; without one the parcels decide ([`status_from_parcels`]).
    status: Option<OrderStatus>,
}

/// A read file: its orders in the order they first appear, and every error.
#[derive(Debug)]
pub struct OrderFile {
    pub encoding: &'static str,
    pub rows: usize,
    pub orders: Vec<FileOrder>,
    pub errors: Vec<RowError>,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The text of a file: UTF-8 (a BOM is dropped), else Shift_JIS as Windows writes it (CP932,
/// with its NEC and IBM extensions: ①, ㈱, 髙).
pub fn decode(data: &[u8]) -> Result<(Cow<'_, str>, &'static str), RowError> {
    if let Some(rest) = data.strip_prefix(BOM) {
        return std::str::from_utf8(rest).map(|t| (Cow::Borrowed(t), "UTF-8 (BOM)")).map_err(|_| {
            file_error(
                "invalid_encoding",
                "the file starts as UTF-8 but is not",
                "UTF-8 の BOM がありますが、内容が UTF-8 ではありません",
            )
        });
    }
    if let Ok(t) = std::str::from_utf8(data) {
        return Ok((Cow::Borrowed(t), "UTF-8"));
    }
    encoding_rs::SHIFT_JIS
        .decode_without_bom_handling_and_without_replacement(data)
        .map(|t| (t, "Shift_JIS"))
        .ok_or_else(|| {
            file_error(
                "invalid_encoding",
                "the file is neither UTF-8 nor Shift_JIS",
                "文字コードが UTF-8 でも Shift_JIS でもありません",
            )
        })
}

fn file_error(code: &str, message: &str, message_ja: &str) -> RowError {
    RowError {
        row: 0,
        line: 0,
        column: None,
        code: code.into(),
        message: message.into(),
        message_ja: message_ja.into(),
    }
}

/// Where each column is in the file.
struct Layout {
    at: HashMap<Column, usize>,
    headers: Vec<String>,
}

impl Layout {
    fn find(headers: &[String], mapping: &ColumnMapping) -> Result<Layout, Vec<RowError>> {
        let keys: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
        let mut at = HashMap::new();
        let mut errors = Vec::new();
        for column in Column::ALL {
            let position = match mapping.columns.get(&column) {
                Some(h) => {
                    let p = keys.iter().position(|k| *k == header_key(h));
                    if p.is_none() {
                        errors.push(RowError {
                            row: 1,
                            line: 1,
                            column: Some(h.clone()),
                            code: "mapped_header_missing".into(),
                            message: format!(
                                "the mapping says {h} holds {}, but the file has no such header",
                                column.as_str()
                            ),
                            message_ja: format!(
                                "対応表で {h} を {} としていますが、ファイルにその見出しがありません",
                                column.as_str()
                            ),
                        });
                    }
                    p
                }
                None => column.usual_headers().iter().find_map(|u| keys.iter().position(|k| *k == header_key(u))),
            };
            if let Some(p) = position {
                at.insert(column, p);
            }
        }
        for required in [Column::OrderNumber, Column::OrderedAt] {
            if !at.contains_key(&required) && !mapping.columns.contains_key(&required) {
                errors.push(RowError {
                    row: 1,
                    line: 1,
                    column: None,
                    code: "required_column_missing".into(),
                    message: format!(
                        "no column for {} (headers such as {}; or map one)",
                        required.as_str(),
                        required.usual_headers()[..2].join(", ")
                    ),
                    message_ja: format!(
                        "{} の列がありません（見出し例: {}。または対応表で指定してください）",
                        required.as_str(),
                        required.usual_headers()[..2].join("、")
                    ),
                });
            }
        }
        if errors.is_empty() { Ok(Layout { at, headers: headers.to_vec() }) } else { Err(errors) }
    }

    fn header(&self, c: Column) -> String {
        self.at.get(&c).map_or_else(|| c.as_str().to_owned(), |i| self.headers[*i].clone())
    }
}

/// One row's cells by column, with what went wrong in it.
struct Row<'a> {
    record: &'a csv::StringRecord,
    layout: &'a Layout,
    row: usize,
    line: usize,
    errors: Vec<RowError>,
}

impl Row<'_> {
    fn text(&self, c: Column) -> Option<String> {
        let i = *self.layout.at.get(&c)?;
        let v = self.record.get(i)?.trim();
        (!v.is_empty()).then(|| v.to_owned())
    }

    fn fail(&mut self, c: Column, code: &str, message: String, message_ja: String) {
        self.errors.push(RowError {
            row: self.row,
            line: self.line,
            column: Some(self.layout.header(c)),
            code: code.into(),
            message,
            message_ja,
        });
    }

    /// A cell parsed, or `None` (blank, or bad and reported).
    fn parse<T>(&mut self, c: Column, what_ja: &str, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
        let raw = self.text(c)?;
        let v = parse(&raw);
        if v.is_none() {
            self.fail(
                c,
                &format!("invalid_{}", c.as_str()),
                format!("not a valid {}: {raw}", c.as_str().replace('_', " ")),
                format!("{what_ja}として読めません: {raw}"),
            );
        }
        v
    }

    fn required<T>(&mut self, c: Column, what_ja: &str, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
        if self.text(c).is_none() {
            self.fail(c, "missing", format!("{} is empty", c.as_str()), format!("{what_ja}が空です"));
            return None;
        }
        self.parse(c, what_ja, parse)
    }
}

/// Line numbers of a file by byte offset, counted forward once. The csv reader's own count lags
/// one behind in files with CRLF line ends (as Windows exports have): a record's position is
/// taken before the `\n` of the previous line's `\r\n`.
struct Lines<'a> {
    text: &'a [u8],
    /// Counted up to here …
    at: usize,
    /// … which is on this line.
    line: usize,
}

impl Lines<'_> {
    /// The line a record at `byte` starts on (line ends before it skipped).
    fn at_byte(&mut self, byte: usize) -> usize {
        let mut start = byte.min(self.text.len());
        while start < self.text.len() && matches!(self.text[start], b'\r' | b'\n') {
            start += 1;
        }
        if start > self.at {
            self.line += self.text[self.at..start].iter().filter(|b| **b == b'\n').count();
            self.at = start;
        }
        self.line
    }
}

/// Reads a whole order file with a merchant's column mapping.
pub fn read(data: &[u8], mapping: &ColumnMapping) -> OrderFile {
    let (text, encoding) = match decode(data) {
        Ok(d) => d,
        Err(e) => return OrderFile { encoding: "unknown", rows: 0, orders: vec![], errors: vec![e] },
    };
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_owned()).collect(),
        Err(e) => {
            return OrderFile {
                encoding,
                rows: 0,
                orders: vec![],
                errors: vec![file_error("invalid_csv", &e.to_string(), "CSV の見出し行を読めません")],
            };
        }
    };
    let layout = match Layout::find(&headers, mapping) {
        Ok(l) => l,
        Err(errors) => return OrderFile { encoding, rows: 0, orders: vec![], errors },
    };
    let mut file = OrderFile { encoding, rows: 0, orders: vec![], errors: vec![] };
    let mut by_number: HashMap<String, usize> = HashMap::new();
    let mut record = csv::StringRecord::new();
    let mut lines = Lines { text: text.as_bytes(), at: 0, line: 1 };
    loop {
        let line = lines.at_byte(rdr.position().byte() as usize);
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                file.rows += 1;
                file.errors.push(RowError {
                    row: file.rows + 1,
                    line,
                    column: None,
                    code: "invalid_csv".into(),
                    message: e.to_string(),
                    message_ja: "CSV として読めない行です".into(),
                });
                continue;
            }
        }
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        file.rows += 1;
        let line = record.position().map_or(line, |p| lines.at_byte(p.byte() as usize));
        let mut row = Row { record: &record, layout: &layout, row: file.rows + 1, line, errors: vec![] };
        take_row(&mut row, &mut file, &mut by_number);
        file.errors.append(&mut row.errors);
    }
    if file.rows == 0 && file.errors.is_empty() {
        file.errors.push(file_error(
            "no_rows",
            "the file has a header but no rows",
            "見出しの下にデータ行がありません",
        ));
    }
    // What only the whole order shows: totals, too many lines, a tracking number's carrier.
    for o in &mut file.orders {
        o.order.status = o.status.unwrap_or_else(|| status_from_parcels(&o.order.shipments));
        if o.bad {
            continue;
        }
        if let Err(e) = o.order.validate() {
            o.bad = true;
            let column = column_of_field(&e.field).map(|c| layout.header(c)).or(Some(e.field.clone()));
            file.errors.push(RowError {
                row: o.rows[0],
                line: 0,
                column,
                code: e.code.to_owned(),
                message: format!("order {}: {}", o.order.order_number, e.message),
                message_ja: format!("注文 {}: {}", o.order.order_number, e.message),
            });
        }
    }
    file.errors.sort_by_key(|e| e.row);
    file
}

fn column_of_field(field: &str) -> Option<Column> {
    let last = field.rsplit('.').next().unwrap_or(field);
    Column::ALL.into_iter().find(|c| c.as_str() == last)
}

/// Adds one row to its order (the first row of an order number makes it).
fn take_row(row: &mut Row<'_>, file: &mut OrderFile, by_number: &mut HashMap<String, usize>) {
    let number = row.required(Column::OrderNumber, "受注番号", |v| validate_order_number(v).ok());
    // Some exports print the order's own columns on its first row only.
    let ordered_at = row.parse(Column::OrderedAt, "注文日時", parse_jst);
    let status = row.parse(Column::Status, "受注ステータス", order_status);
    let total = row.parse(Column::TotalAmount, "合計金額", yen);
    let payment = row.text(Column::PaymentMethod);
    let orderer = Orderer {
        name: row.text(Column::CustomerName),
        email: row.text(Column::CustomerEmail),
        phone: row.text(Column::CustomerPhone),
    };
    let line = take_line(row);
    let shipment = take_shipment(row);
    let Some(number) = number else { return };
    let bad = !row.errors.is_empty();
    let index = match by_number.get(&number) {
        Some(&i) => {
            let first = file.orders[i].rows[0];
            let o = &mut file.orders[i].order;
            if ordered_at.is_some_and(|t| t != o.ordered_at) {
                row.fail(
                    Column::OrderedAt,
                    "inconsistent_order",
                    format!("order {number} has another ordered_at on row {first}"),
                    format!("注文 {number} の注文日時が {first} 行目と違います"),
                );
            }
            i
        }
        None => {
            if ordered_at.is_none() && row.text(Column::OrderedAt).is_none() {
                row.fail(Column::OrderedAt, "missing", "ordered_at is empty".into(), "注文日時が空です".into());
            }
            file.orders.push(FileOrder {
                order: NewOrder {
                    merchant: String::new(),
                    order_number: number.clone(),
                    customer_id: None,
                    // Set once every row is read.
                    status: OrderStatus::Confirmed,
                    ordered_at: ordered_at.unwrap_or_default(),
                    total_amount: total,
                    payment_method: payment,
                    lines: vec![],
                    shipments: vec![],
                },
                orderer,
                rows: vec![],
                bad: false,
                status: None,
            });
            by_number.insert(number, file.orders.len() - 1);
            file.orders.len() - 1
        }
    };
    let o = &mut file.orders[index];
    o.rows.push(row.row);
    o.status = o.status.or(status);
    o.bad |= bad || !row.errors.is_empty();
    if let Some(l) = line {
        o.order.lines.push(l);
    }
    if let Some(s) = shipment {
        let same =
            o.order.shipments.iter_mut().find(|x| x.carrier == s.carrier && x.tracking_number == s.tracking_number);
        match same {
            Some(x) => {
                for e in s.events {
                    if !x.events.iter().any(|y| y.status == e.status && y.occurred_at == e.occurred_at) {
                        x.events.push(e);
                    }
                }
            }
            None => o.order.shipments.push(s),
        }
    }
}

/// The order's line on this row, if it has one (a product code or name).
fn take_line(row: &mut Row<'_>) -> Option<NewOrderLine> {
    let sku = row.text(Column::Sku);
    let name = row.text(Column::ItemName);
    if sku.is_none() && name.is_none() {
        return None;
    }
    let quantity = if row.text(Column::Quantity).is_some() {
        row.parse(Column::Quantity, "数量", |v| yen(v).and_then(|n| i32::try_from(n).ok()))?
    } else {
        1
    };
    let unit_price = row.required(Column::UnitPrice, "単価", yen)?;
    Some(NewOrderLine {
        sku: sku.clone().or_else(|| name.clone()).unwrap_or_default(),
        name: name.or(sku).unwrap_or_default(),
        quantity,
        unit_price,
        category: row.text(Column::Category),
    })
}

/// The parcel on this row, if it names a carrier or a tracking number.
fn take_shipment(row: &mut Row<'_>) -> Option<NewShipment> {
    let tracking = row.text(Column::TrackingNumber);
    if row.text(Column::Carrier).is_none() && tracking.is_none() {
        return None;
    }
    let carrier = row.required(Column::Carrier, "配送業者", carrier)?;
    let tracking_number = match tracking {
        Some(t) => match madoguchi_core::order::validate_tracking_number(carrier, &t) {
            Ok(v) => Some(v),
            Err(e) => {
                row.fail(
                    Column::TrackingNumber,
                    e.code,
                    e.message.clone(),
                    format!("{}の伝票番号として正しくありません: {t}", carrier.label_ja()),
                );
                return None;
            }
        },
        None => None,
    };
    let shipped_at = row.parse(Column::ShippedAt, "出荷日", parse_jst);
    let delivered_at = row.parse(Column::DeliveredAt, "配達完了日", parse_jst);
    let status = row.parse(Column::ShipmentStatus, "配送状況", shipment_status).unwrap_or(
        match (delivered_at, shipped_at.is_some() || tracking_number.is_some()) {
            (Some(_), _) => ShipmentStatus::Delivered,
            (None, true) => ShipmentStatus::Shipped,
            (None, false) => ShipmentStatus::Preparing,
        },
    );
    let mut events = Vec::new();
    if let Some(t) = shipped_at {
        events.push(NewShipmentEvent { status: ShipmentStatus::Shipped, occurred_at: t, location: None, note: None });
    }
    if let Some(t) = delivered_at {
        events.push(NewShipmentEvent { status: ShipmentStatus::Delivered, occurred_at: t, location: None, note: None });
    }
    Some(NewShipment { carrier, tracking_number, status, shipped_at, delivered_at, events })
}

/// An order without a status column is as far as its parcels: delivered, shipped or confirmed.
fn status_from_parcels(shipments: &[NewShipment]) -> OrderStatus {
    if !shipments.is_empty() && shipments.iter().all(|s| s.status == ShipmentStatus::Delivered) {
        OrderStatus::Delivered
    } else if shipments.iter().any(|s| s.status != ShipmentStatus::Preparing) {
        OrderStatus::Shipped
    } else {
        OrderStatus::Confirmed
    }
}

/// A date or date and time as Japanese back offices write it, in Japan time: 2026/11/03 14:05,
/// 2026-11-03 14:05:00, 2026/11/3, 2026年11月3日, full-width digits; or RFC 3339 with its offset.
pub fn parse_jst(raw: &str) -> Option<DateTime<Utc>> {
    let v = nfkc(raw).trim().to_owned();
    if let Ok(t) = DateTime::parse_from_rfc3339(&v) {
        return Some(t.with_timezone(&Utc));
    }
    let v = v.replace(['年', '月'], "/").replace('日', "").replace('-', "/").replace('T', " ");
    let v = v.trim();
    let local = ["%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
        .or_else(|| NaiveDate::parse_from_str(v, "%Y/%m/%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))?;
    chrono_tz::Asia::Tokyo.from_local_datetime(&local).single().map(|t| t.with_timezone(&Utc))
}

/// Yen as written: 1980, 1,980, ¥1,980, 1,980円, full-width digits. Never negative.
pub fn yen(raw: &str) -> Option<i64> {
    let v: String = nfkc(raw).chars().filter(|c| !matches!(c, ',' | '¥' | '\\' | '円' | ' ')).collect();
    v.parse::<i64>().ok().filter(|n| *n >= 0)
}

/// A carrier by any of its usual names.
pub fn carrier(raw: &str) -> Option<Carrier> {
    let v = nfkc(raw).to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| v.contains(w));
    if has(&["ヤマト", "クロネコ", "宅急便", "ネコポス", "yamato"]) {
        Some(Carrier::Yamato)
    } else if has(&["佐川", "飛脚", "sagawa"]) {
        Some(Carrier::Sagawa)
    } else if has(&[
        "郵便",
        "ゆうパック",
        "ゆうパケット",
        "ゆうメール",
        "レターパック",
        "japan post",
        "japanpost",
        "japan_post",
    ]) {
        Some(Carrier::JapanPost)
    } else if has(&["その他", "other"]) {
        Some(Carrier::Other)
    } else {
        None
    }
}

/// An order status as back offices word it, or its English name.
pub fn order_status(raw: &str) -> Option<OrderStatus> {
    let v = nfkc(raw).trim().to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| v.contains(w));
    Some(if has(&["キャンセル", "取消", "取り消し", "cancel"]) {
        OrderStatus::Cancelled
    } else if has(&["返品", "returned"]) {
        OrderStatus::Returned
    } else if has(&["配達完了", "配達済", "お届け済", "受取済", "delivered"]) {
        OrderStatus::Delivered
    } else if has(&["待ち", "待"]) && has(&["発送", "出荷"]) {
        OrderStatus::Confirmed
    } else if has(&["発送", "出荷", "shipped"]) {
        OrderStatus::Shipped
    } else if has(&["未入金", "入金待", "新規", "保留", "pending"]) {
        OrderStatus::Pending
    } else if has(&["受付", "確認", "入金済", "処理中", "準備", "confirmed"]) {
        OrderStatus::Confirmed
    } else {
        return None;
    })
}

/// A parcel's status as carriers' and shops' screens word it, or its English name.
pub fn shipment_status(raw: &str) -> Option<ShipmentStatus> {
    let v = nfkc(raw).trim().to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| v.contains(w));
    Some(if has(&["不在", "持ち戻", "持戻", "absent"]) {
        ShipmentStatus::Absent
    } else if has(&["返送", "returned"]) {
        ShipmentStatus::Returned
    } else if has(&["事故", "紛失", "破損", "exception"]) {
        ShipmentStatus::Exception
    } else if has(&["配達完了", "お届け済", "配達済", "delivered"]) {
        ShipmentStatus::Delivered
    } else if has(&["配達中", "持ち出し", "持出", "out_for_delivery", "out for delivery"]) {
        ShipmentStatus::OutForDelivery
    } else if has(&["輸送中", "配送中", "in_transit", "in transit"]) {
        ShipmentStatus::InTransit
    } else if has(&["準備", "preparing"]) {
        ShipmentStatus::Preparing
    } else if has(&["発送", "出荷", "shipped"]) {
        ShipmentStatus::Shipped
    } else {
        return None;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_row_names_its_line_with_lf_crlf_blank_lines_and_quoted_newlines() {
        let body = [
            "受注番号,注文日時,商品名,数量,単価",
            "A-1,2026/11/03,りんご,1,500",
            "",
            "A-2,2026/11/03,\"ぶどう",
            "(房)\",1,800",
            "A-3,2026/11/03,なし,二,300",
        ];
        for eol in ["\n", "\r\n"] {
            let file = read(body.join(eol).as_bytes(), &ColumnMapping::default());
            let at: Vec<(usize, usize)> = file.errors.iter().map(|e| (e.row, e.line)).collect();
            assert_eq!(at, [(4, 6)], "{eol:?}: {:?}", file.errors);
        }
    }

    #[test]
    fn dates_in_the_forms_back_offices_write() {
        let want = Utc.with_ymd_and_hms(2026, 11, 3, 5, 5, 0).single();
        for raw in [
            "2026/11/03 14:05",
            "2026-11-03 14:05:00",
            "２０２６／１１／０３　１４：０５",
            "2026年11月3日 14:05",
            "2026-11-03T14:05:00+09:00",
        ] {
            assert_eq!(parse_jst(raw), want, "{raw}");
        }
        // A date alone is midnight in Japan: the previous day in UTC.
        assert_eq!(parse_jst("2026/11/3"), Utc.with_ymd_and_hms(2026, 11, 2, 15, 0, 0).single());
        for bad in ["", "2026/13/01", "2026/02/30", "昨日", "11/03"] {
            assert_eq!(parse_jst(bad), None, "{bad}");
        }
    }

    #[test]
    fn yen_amounts_and_names() {
        for raw in ["1980", "1,980", "¥1,980", "￥１，９８０", "1,980円"] {
            assert_eq!(yen(raw), Some(1980), "{raw}");
        }
        assert_eq!(yen("-5"), None);
        assert_eq!(yen("千円"), None);
        assert_eq!(carrier("ヤマト運輸（宅急便）"), Some(Carrier::Yamato));
        assert_eq!(carrier("佐川急便"), Some(Carrier::Sagawa));
        assert_eq!(carrier("ゆうパケット"), Some(Carrier::JapanPost));
        assert_eq!(carrier("西濃運輸"), None);
        assert_eq!(order_status("発送待ち"), Some(OrderStatus::Confirmed));
        assert_eq!(order_status("発送済み"), Some(OrderStatus::Shipped));
        assert_eq!(order_status("キャンセル（出荷前）"), Some(OrderStatus::Cancelled));
        assert_eq!(shipment_status("不在持ち戻り"), Some(ShipmentStatus::Absent));
        assert_eq!(shipment_status("配達中"), Some(ShipmentStatus::OutForDelivery));
    }

    #[test]
    fn a_mapping_may_not_use_a_header_twice() {
        let m = ColumnMapping {
            columns: [(Column::OrderNumber, "番号".to_owned()), (Column::Sku, " 番号 ".to_owned())].into(),
        };
        assert_eq!(m.validate().unwrap_err().code, "header_used_twice");
    }
}
