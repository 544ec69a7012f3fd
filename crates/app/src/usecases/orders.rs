//! Orders pushed in bulk, by the API or by a shop system's webhook: the limit and the answer.

use madoguchi_core::ids::OrderId;
use madoguchi_store::orders::UpsertOutcome;
use serde::Serialize;

/// Orders per bulk request: enough for a day's export, small enough for one transaction.
pub const MAX_BULK: usize = 1000;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkResult {
    pub order_number: String,
    pub id: OrderId,
    pub outcome: UpsertOutcome,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkResponse {
    pub results: Vec<BulkResult>,
}
