//! Importing a merchant's order file: read it with their column mapping, say what it would do
//! (a dry run stops there), then store it — every order or, when told to skip bad rows, every
//! order none of whose rows is bad — linked to the customer who ordered.

use std::collections::BTreeMap;

use madoguchi_core::access::Scope;
use madoguchi_core::customer::CustomerProfile;
use madoguchi_core::identity::{IdentityKind, NormalizedIdentity, normalize};
use madoguchi_core::ids::{CustomerId, MerchantId, UserId};
use madoguchi_store::{Store, StoreError};
use serde::Serialize;

use crate::order_files::{self, ColumnMapping, Orderer, RowError};

/// Orders stored per transaction.
const BATCH: usize = 200;

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Read and check only; nothing is stored.
    pub dry_run: bool,
    /// Store the good orders even when some rows are bad (an order with a bad row is left out
    /// whole). Otherwise one bad row stores nothing.
    pub skip_invalid: bool,
}

/// What an import did, or in a dry run would do.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// How the file was read: `UTF-8`, `UTF-8 (BOM)` or `Shift_JIS`.
    pub encoding: String,
    /// Data rows (the header and blank rows not counted).
    pub rows: usize,
    /// Orders without a bad row.
    pub orders: usize,
    /// Of those, new order numbers …
    pub created: usize,
    /// … and ones the merchant already has (updated in place: a second import of the same file
    /// changes nothing).
    pub updated: usize,
    /// Orders left out because a row of theirs is bad.
    pub skipped: usize,
    pub lines: usize,
    pub shipments: usize,
    pub errors: Vec<RowError>,
    pub dry_run: bool,
    /// Whether anything was stored.
    pub stored: bool,
}

/// A new secret for the merchant's order webhook.
pub fn new_webhook_secret() -> String {
    format!("whsec_{}", crate::new_inbound_token())
}

/// The merchant's saved mapping as columns (a saved name no longer known is ignored).
pub async fn mapping(store: &Store, scope: &Scope, merchant: MerchantId) -> Result<ColumnMapping, StoreError> {
    let saved = store.order_import_mapping(scope, merchant).await?;
    let columns = saved
        .into_iter()
        .filter_map(|(k, v)| serde_json::from_value(serde_json::Value::String(k)).ok().map(|c| (c, v)))
        .collect();
    Ok(ColumnMapping { columns })
}

pub async fn save_mapping(
    store: &Store,
    scope: &Scope,
    actor: Option<UserId>,
    merchant: MerchantId,
    mapping: &ColumnMapping,
) -> Result<(), StoreError> {
    let columns: BTreeMap<String, String> =
        mapping.columns.iter().map(|(c, h)| (c.as_str().to_owned(), h.clone())).collect();
    store.save_order_import_mapping(scope, actor, merchant, &columns).await
}

pub async fn import_orders(
    store: &Store,
    scope: &Scope,
    actor: Option<UserId>,
    merchant: MerchantId,
    data: &[u8],
    opts: ImportOptions,
) -> Result<ImportReport, StoreError> {
    let mapping = mapping(store, scope, merchant).await?;
    let file = order_files::read(data, &mapping);
    let good: Vec<_> = file.orders.iter().filter(|o| !o.bad).collect();
    let numbers: Vec<String> = good.iter().map(|o| o.order.order_number.clone()).collect();
    let existing = store.existing_order_numbers(scope, merchant, &numbers).await?;
    let updated = numbers.iter().filter(|n| existing.contains(*n)).count();
    let mut report = ImportReport {
        encoding: file.encoding.to_owned(),
        rows: file.rows,
        orders: good.len(),
        created: good.len() - updated,
        updated,
        skipped: file.orders.len() - good.len(),
        lines: good.iter().map(|o| o.order.lines.len()).sum(),
        shipments: good.iter().map(|o| o.order.shipments.len()).sum(),
        errors: file.errors.clone(),
        dry_run: opts.dry_run,
        stored: false,
    };
    // A file that could not be read at all has no orders and an error: nothing to store.
    if opts.dry_run || (!report.errors.is_empty() && !opts.skip_invalid) || good.is_empty() {
        return Ok(report);
    }
    for batch in good.chunks(BATCH) {
        let mut orders = Vec::with_capacity(batch.len());
        for o in batch {
            let mut order = o.order.clone();
            order.customer_id = customer_of(store, scope, actor, merchant, &o.orderer).await?;
            orders.push((merchant, order.validate()?));
        }
        store.upsert_orders(scope, actor, &orders).await?;
    }
    report.stored = true;
    Ok(report)
}

/// The merchant's customer who placed an order: found by mail address, then phone number, or
/// created from the file's name and contacts. `None` when the file names no usable contact.
async fn customer_of(
    store: &Store,
    scope: &Scope,
    actor: Option<UserId>,
    merchant: MerchantId,
    who: &Orderer,
) -> Result<Option<CustomerId>, StoreError> {
    let identities: Vec<NormalizedIdentity> = [(IdentityKind::Email, &who.email), (IdentityKind::Phone, &who.phone)]
        .into_iter()
        .filter_map(|(kind, v)| v.as_deref().and_then(|v| normalize(kind, v).ok()))
        .collect();
    if identities.is_empty() {
        return Ok(None);
    }
    for i in &identities {
        match store.find_customer_by_identity(scope, merchant, i.kind, &i.value).await {
            Ok(c) => return Ok(Some(c.id)),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    // A name as long as a name field holds; files carry what shop forms let through.
    let name: String = who.name.as_deref().unwrap_or(&identities[0].display).chars().take(100).collect();
    let profile = CustomerProfile::named(&name);
    Ok(Some(store.create_customer(scope, actor, merchant, &profile, &identities).await?.id))
}

/// A day's export of a large shop fits; anything bigger goes in several files.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

/// Where the shop system posts its orders.
pub fn webhook_url(st: &crate::App, slug: &str) -> String {
    format!("{}/api/v1/inbound/orders/{slug}", st.settings.public_base())
}
