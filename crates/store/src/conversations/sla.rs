//! Service targets missed: the pass that marks them once each, with an event at the due time
//! for the reports.

use chrono::{DateTime, Utc};
use madoguchi_core::enums::EventKind;
use madoguchi_core::ids::{ConversationId, MerchantId};
use uuid::Uuid;

use super::insert_event;
use crate::{Result, Store, on_db};

impl Store {
    /// Marks the service targets missed as of `now`, once each, with an `sla_breached` event
    /// at the due time (for reporting). A target counts as missed when it is past due and
    /// not met, or was met after its due time. Returns how many breaches were recorded.
    pub async fn record_sla_breaches(&self, now: DateTime<Utc>) -> Result<usize> {
        let mut recorded = 0;
        for (target, due, done, breached) in [
            ("first_response", "first_response_due_at", "first_response_at", "first_response_breached_at"),
            ("resolution", "resolution_due_at", "resolved_at", "resolution_breached_at"),
        ] {
            let mut tx = self.begin().await?;
            // Two statements, each written as a partial index of migration 0023 says it (not
            // one with an OR): this runs on every sweep, and a million-row history must not be
            // read each time. Past due and still open without the target met; or met, late.
            // Column names come from the fixed list above, never from input.
            let mut rows: Vec<(Uuid, Uuid, DateTime<Utc>)> = Vec::new();
            for missed in
                [format!("{done} IS NULL AND status NOT IN ('resolved', 'closed')"), format!("{done} > {due}")]
            {
                let sql = format!(
                    "UPDATE conversations SET {breached} = {due}
                     WHERE {breached} IS NULL AND {missed} AND {due} < $1
                     RETURNING id, merchant_id, {due}"
                );
                let found: Vec<(Uuid, Uuid, DateTime<Utc>)> =
                    on_db!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).fetch_all(&mut *c).await)?;
                rows.extend(found);
            }
            for (conv, merchant, due_at) in &rows {
                let data = serde_json::json!({ "target": target, "due_at": due_at });
                insert_event(
                    &mut tx,
                    MerchantId(*merchant),
                    ConversationId(*conv),
                    EventKind::SlaBreached,
                    None,
                    data,
                    *due_at,
                )
                .await?;
            }
            tx.commit().await?;
            recorded += rows.len();
        }
        Ok(recorded)
    }
}
