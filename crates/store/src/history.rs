//! Moving history in from another helpdesk: conversations with their messages, customers and
//! times, many to a transaction. Imported replies are history: they are never delivered. A
//! conversation is recognised by its external id, so an import can be run again after an
//! interruption and takes in only what is missing.

use madoguchi_core::access::Scope;
use madoguchi_core::customer::CustomerProfile;
use madoguchi_core::identity::NormalizedIdentity;
use madoguchi_core::ids::{CustomerId, MerchantId};

use crate::conversations::{ConversationRecord, MessageRecord};
use crate::customers::{find_or_create_by_identity, insert_customer, name_if_missing};
use crate::duplicates::attach_or_claim;
use crate::inbound::{order_by_number, seen_message};
use crate::merchants::MerchantKey;
use crate::search_feed::FeedKind;
use crate::{Result, Store, Tx, on_db};
use chrono::{DateTime, Utc};
use madoguchi_core::calendar::BusinessCalendar;
use madoguchi_core::conversation::resolved_at_after;
use madoguchi_core::enums::{AuditAction, AuthorKind, ConversationStatus, Direction, EventKind, SubjectType};
use madoguchi_core::ids::{ConversationId, EventId, MessageId};
use madoguchi_core::merchant::Merchant;
use sqlx::types::Json;
use uuid::Uuid;

/// One conversation of an import file, validated.
#[derive(Debug, Clone)]
pub struct HistoryConversation {
    /// Its id in the other helpdesk: the first message carries `import:{external_id}:0`.
    pub external_id: String,
    /// Messages must carry `created_at` (history) and `provider_message_id`s
    /// `import:{external_id}:{n}`.
    pub record: ConversationRecord,
    pub customer_name: Option<String>,
    pub identities: Vec<NormalizedIdentity>,
    pub order_number: Option<String>,
}

/// The provider message id of an imported conversation's `n`th message.
pub fn import_message_id(external_id: &str, n: usize) -> String {
    format!("import:{external_id}:{n}")
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryImported {
    pub conversations: usize,
    pub messages: usize,
    /// Already there from an earlier run.
    pub skipped: usize,
}

/// Rows per multi-row INSERT: well inside both databases' limits on bound values.
const ROWS_PER_INSERT: usize = 1000;

/// A conversation of a batch, ready to write.
struct Prepared<'a> {
    id: ConversationId,
    h: &'a HistoryConversation,
    customer: Option<CustomerId>,
    order: Option<madoguchi_core::ids::OrderId>,
}

impl Store {
    /// Imports a batch of conversations in one transaction. Each conversation is written as
    /// it ends up — status, first reply, resolution — with a handful of multi-row statements per
    /// batch instead of a round trip per message; the search index takes each conversation
    /// through one feed entry.
    pub async fn import_history(&self, merchant: MerchantId, batch: &[HistoryConversation]) -> Result<HistoryImported> {
        let scope = Scope::Merchants(vec![merchant]);
        let m = self.get_merchant(&scope, MerchantKey::Id(merchant)).await?;
        let mut done = HistoryImported::default();
        let mut tx = self.begin().await?;
        let mut prepared = Vec::with_capacity(batch.len());
        let mut in_batch = std::collections::HashSet::new();
        for h in batch {
            let first = import_message_id(&h.external_id, 0);
            // Imported before, or twice in this batch.
            if !in_batch.insert((h.record.channel, h.external_id.as_str()))
                || seen_message(&mut tx, merchant, h.record.channel, &first).await?.is_some()
            {
                done.skipped += 1;
                continue;
            }
            let customer = history_customer(&mut tx, merchant, h).await?;
            let order = match &h.order_number {
                Some(n) => order_by_number(&mut tx, merchant, n).await?,
                None => None,
            };
            let opened = h.record.created_at.unwrap_or_else(madoguchi_core::time::now);
            prepared.push(Prepared { id: ConversationId::at_or_now(opened), h, customer, order });
            done.conversations += 1;
            done.messages += h.record.messages.len();
        }
        if !prepared.is_empty() {
            write_history(&mut tx, &m, &prepared).await?;
        }
        tx.commit().await?;
        Ok(done)
    }
}

/// The customer of an imported conversation: found or created by its first contact detail
/// (the others join it unless another customer has them, then they suggest a merge), or by
/// name alone.
async fn history_customer(tx: &mut Tx, merchant: MerchantId, h: &HistoryConversation) -> Result<Option<CustomerId>> {
    let customer = match h.identities.first() {
        Some(i) => {
            let c = find_or_create_by_identity(tx, None, merchant, i).await?;
            if let Some(name) = &h.customer_name {
                name_if_missing(tx, merchant, c, name).await?;
            }
            Some(c)
        }
        None => match &h.customer_name {
            Some(name) => Some(insert_customer(tx, None, merchant, &CustomerProfile::named(name), &[]).await?),
            None => None,
        },
    };
    if let Some(c) = customer {
        for i in h.identities.iter().skip(1) {
            attach_or_claim(tx, merchant, c, i, h.record.channel).await?;
        }
    }
    Ok(customer)
}

/// Writes prepared conversations with their messages, timeline events, audit entries and
/// search-feed entries, many rows to a statement.
async fn write_history(tx: &mut Tx, m: &Merchant, prepared: &[Prepared<'_>]) -> Result<()> {
    let closed = m.closed_day_pairs();
    let cal = BusinessCalendar { timezone: m.tz(), hours: &m.business_hours, closed_days: &closed };
    // Ticket numbers for the whole batch in one step.
    let n = i64::try_from(prepared.len()).unwrap_or(i64::MAX);
    let last: Option<i64> = on_db!(tx, c => sqlx::query_scalar(
        "UPDATE merchants SET conversation_counter = conversation_counter + $2 WHERE id = $1 RETURNING conversation_counter",
    )
    .bind(m.id.0)
    .bind(n)
    .fetch_optional(&mut *c)
    .await)?;
    let first_number = last.ok_or(crate::StoreError::NotFound)? - n + 1;

    let mut conversations = Vec::with_capacity(prepared.len());
    let mut messages = Vec::new();
    let mut events = Vec::new();
    for (i, p) in prepared.iter().enumerate() {
        let r = &p.h.record;
        let number = first_number + i as i64;
        let opened = r.created_at.unwrap_or_else(madoguchi_core::time::now);
        let at = |msg: &MessageRecord| msg.created_at.unwrap_or(opened);
        let updated = r.messages.iter().map(at).max().unwrap_or(opened).max(opened);
        let status = r.status.unwrap_or(ConversationStatus::New);
        let first_response = r
            .messages
            .iter()
            .find(|msg| msg.direction == Direction::Outbound && !msg.internal && msg.author_kind == AuthorKind::User)
            .map(at);
        let resolved = resolved_at_after(status, None, updated);
        let (first_due, resolution_due) = m.sla.due_times(&cal, opened);
        // The inbox's last activity and the customer's wait, as live messages keep them: the
        // last message either side wrote (notes aside), and — when the customer wrote last —
        // their oldest message since the desk's last reply.
        let said: Vec<(Direction, DateTime<Utc>)> =
            r.messages.iter().filter(|msg| !msg.internal).map(|msg| (msg.direction, at(msg))).collect();
        let last_message = said.iter().map(|(_, t)| *t).max();
        let replied = said.iter().filter(|(d, _)| *d == Direction::Outbound).map(|(_, t)| *t).max();
        let waiting = said
            .iter()
            .filter(|(d, t)| *d == Direction::Inbound && replied.is_none_or(|r| *t > r))
            .map(|(_, t)| *t)
            .min();
        conversations.push(HistoryRow {
            last_message,
            waiting,
            p,
            number,
            opened,
            updated,
            status,
            first_response,
            resolved,
            first_due,
            resolution_due,
        });
        for msg in &r.messages {
            messages.push((p, MessageId::at_or_now(at(msg)), msg, at(msg)));
        }
        let created = serde_json::json!({ "channel": r.channel, "number": number });
        events.push((p.id, EventKind::Created, created, opened));
        if let Some(t) = first_response {
            events.push((p.id, EventKind::FirstResponse, serde_json::json!({}), t));
        }
        if status != ConversationStatus::New {
            events.push((
                p.id,
                EventKind::StatusChanged,
                serde_json::json!({ "from": ConversationStatus::New, "to": status }),
                updated,
            ));
        }
    }

    for chunk in conversations.chunks(ROWS_PER_INSERT) {
        on_db!(tx, c => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO conversations (id, merchant_id, number, channel, status, priority, subject, customer_id, order_id,
                    assignee_id, queue, category, created_at, updated_at, first_response_at, resolved_at,
                    first_response_due_at, resolution_due_at, last_message_at, waiting_since) ",
            );
            qb.push_values(chunk, |mut b, row| {
                let r = &row.p.h.record;
                b.push_bind(row.p.id.0)
                    .push_bind(m.id.0)
                    .push_bind(row.number)
                    .push_bind(r.channel.as_str())
                    .push_bind(row.status.as_str())
                    .push_bind(r.priority.as_str())
                    .push_bind(r.subject.clone())
                    .push_bind(row.p.customer.map(|c| c.0))
                    .push_bind(row.p.order.map(|o| o.0))
                    .push_bind(Option::<Uuid>::None)
                    .push_bind(r.queue.clone())
                    .push_bind(r.category.clone())
                    .push_bind(row.opened)
                    .push_bind(row.updated)
                    .push_bind(row.first_response)
                    .push_bind(row.resolved)
                    .push_bind(row.first_due)
                    .push_bind(row.resolution_due)
                    .push_bind(row.last_message)
                    .push_bind(row.waiting);
            });
            qb.build().execute(&mut *c).await.map(|r| r.rows_affected())
        })?;
    }
    // History is never delivered: no outbox rows, no delivery status.
    for chunk in messages.chunks(ROWS_PER_INSERT) {
        on_db!(tx, c => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO messages (id, merchant_id, conversation_id, channel, direction, internal, author_kind,
                    author_user_id, body_text, body_html, attachments, provider_message_id, delivery_status, meta, created_at) ",
            );
            qb.push_values(chunk, |mut b, (p, id, msg, at)| {
                b.push_bind(id.0)
                    .push_bind(m.id.0)
                    .push_bind(p.id.0)
                    .push_bind(msg.channel.unwrap_or(p.h.record.channel).as_str())
                    .push_bind(msg.direction.as_str())
                    .push_bind(msg.internal)
                    .push_bind(msg.author_kind.as_str())
                    .push_bind(msg.author_user_id.map(|u| u.0))
                    .push_bind(msg.body_text.clone())
                    .push_bind(msg.body_html.clone())
                    .push_bind(Json(msg.attachments.clone()))
                    .push_bind(msg.provider_message_id.clone())
                    .push_bind(Option::<String>::None)
                    .push_bind(Json(msg.meta.clone()))
                    .push_bind(*at);
            });
            qb.build().execute(&mut *c).await.map(|r| r.rows_affected())
        })?;
    }
    for chunk in events.chunks(ROWS_PER_INSERT) {
        on_db!(tx, c => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO conversation_events (id, merchant_id, conversation_id, kind, actor_user_id, data, created_at) ",
            );
            qb.push_values(chunk, |mut b, (conv, kind, data, at)| {
                b.push_bind(EventId::at_or_now(*at).0)
                    .push_bind(m.id.0)
                    .push_bind(conv.0)
                    .push_bind(kind.as_str())
                    .push_bind(Option::<Uuid>::None)
                    .push_bind(Json(data.clone()))
                    .push_bind(*at);
            });
            qb.build().execute(&mut *c).await.map(|r| r.rows_affected())
        })?;
    }
    let t = madoguchi_core::time::now();
    for chunk in conversations.chunks(ROWS_PER_INSERT) {
        on_db!(tx, c => {
            // One feed entry a conversation: the indexer takes all of its messages.
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO search_feed (merchant_id, kind, subject_id, created_at) ");
            qb.push_values(chunk, |mut b, row| {
                b.push_bind(m.id.0).push_bind(FeedKind::Conversation.as_str()).push_bind(row.p.id.0).push_bind(t);
            });
            qb.build().execute(&mut *c).await.map(|r| r.rows_affected())
        })?;
        on_db!(tx, c => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO audit_events (id, merchant_id, actor_user_id, action, subject_type, subject_id, details, created_at) ",
            );
            qb.push_values(chunk, |mut b, row| {
                b.push_bind(madoguchi_core::ids::AuditEventId::new().0)
                    .push_bind(Some(m.id.0))
                    .push_bind(Option::<Uuid>::None)
                    .push_bind(AuditAction::Create.as_str())
                    .push_bind(SubjectType::Conversation.as_str())
                    .push_bind(row.p.id.to_string())
                    .push_bind(Json(serde_json::json!({ "number": row.number, "channel": row.p.h.record.channel, "import": row.p.h.external_id })))
                    .push_bind(t);
            });
            qb.build().execute(&mut *c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// A conversation as it is written.
struct HistoryRow<'a> {
    last_message: Option<DateTime<Utc>>,
    waiting: Option<DateTime<Utc>>,
    p: &'a Prepared<'a>,
    number: i64,
    opened: DateTime<Utc>,
    updated: DateTime<Utc>,
    status: ConversationStatus,
    first_response: Option<DateTime<Utc>>,
    resolved: Option<DateTime<Utc>>,
    first_due: Option<DateTime<Utc>>,
    resolution_due: Option<DateTime<Utc>>,
}
