//! Conversations, their messages and timeline events. A message with a provider id is stored
//! once per merchant and channel, however often the provider redelivers it.

mod inbox;
mod sla;
mod writes;

pub use inbox::InboxDetail;
use writes::{check_assignee, check_order, write_tags};
pub(crate) use writes::{insert_message, insert_message_in, open_conversation};

use chrono::{DateTime, Utc};
use madoguchi_core::access::Scope;
use madoguchi_core::audit::NewAuditEvent;
use madoguchi_core::bot::{BotOutcome, HandOverReason};
use madoguchi_core::conversation::{
    Attachment, Conversation, Message, MessageMeta, TimelineEvent, TimelineItem, resolved_at_after,
};
use madoguchi_core::enums::{
    AuditAction, AuthorKind, Channel, ConversationStatus, DeliveryStatus, Direction, EventKind, Priority, SubjectType,
};
use madoguchi_core::identity::NormalizedIdentity;
use madoguchi_core::ids::{ConversationId, CustomerId, EventId, MerchantId, MessageId, OrderId, UserId};
use madoguchi_core::page::{Page, PageRequest};
use madoguchi_core::time::now;
use sqlx::types::Json;
use uuid::Uuid;

use crate::customers::{find_or_create_by_identity, merchant_of_customer};
use crate::rows::{parse, parse_opt, push_page, push_scope};
use crate::search_feed::FeedKind;
use crate::{Result, Store, StoreError, Tx, audit, on_db, on_pool};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    merchant_id: Uuid,
    number: i64,
    channel: String,
    status: String,
    priority: String,
    subject: Option<String>,
    customer_id: Option<Uuid>,
    order_id: Option<Uuid>,
    assignee_id: Option<Uuid>,
    queue: Option<String>,
    category: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    first_response_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    first_response_due_at: Option<DateTime<Utc>>,
    resolution_due_at: Option<DateTime<Utc>>,
    first_response_breached_at: Option<DateTime<Utc>>,
    resolution_breached_at: Option<DateTime<Utc>>,
    bot_outcome: Option<String>,
    last_message_at: Option<DateTime<Utc>>,
    waiting_since: Option<DateTime<Utc>>,
    offered_at: Option<DateTime<Utc>>,
    accepted_at: Option<DateTime<Utc>>,
    contact_ended_at: Option<DateTime<Utc>>,
}

impl Row {
    fn into_conversation(self, tags: Vec<String>) -> Result<Conversation> {
        Ok(Conversation {
            id: self.id.into(),
            merchant_id: self.merchant_id.into(),
            number: self.number,
            channel: parse("conversations.channel", &self.channel)?,
            status: parse("conversations.status", &self.status)?,
            priority: parse("conversations.priority", &self.priority)?,
            subject: self.subject,
            customer_id: self.customer_id.map(Into::into),
            order_id: self.order_id.map(Into::into),
            assignee_id: self.assignee_id.map(Into::into),
            queue: self.queue,
            category: self.category,
            tags,
            created_at: self.created_at,
            updated_at: self.updated_at,
            first_response_at: self.first_response_at,
            resolved_at: self.resolved_at,
            first_response_due_at: self.first_response_due_at,
            resolution_due_at: self.resolution_due_at,
            first_response_breached_at: self.first_response_breached_at,
            resolution_breached_at: self.resolution_breached_at,
            bot_outcome: parse_opt("conversations.bot_outcome", self.bot_outcome.as_deref())?,
            last_message_at: self.last_message_at,
            waiting_since: self.waiting_since,
            offered_at: self.offered_at,
            accepted_at: self.accepted_at,
            contact_ended_at: self.contact_ended_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    id: Uuid,
    merchant_id: Uuid,
    conversation_id: Uuid,
    channel: String,
    direction: String,
    internal: bool,
    author_kind: String,
    author_user_id: Option<Uuid>,
    body_text: String,
    body_html: Option<String>,
    attachments: Json<Vec<Attachment>>,
    provider_message_id: Option<String>,
    delivery_status: Option<String>,
    delivery_error: Option<String>,
    meta: Json<MessageMeta>,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: Uuid,
    conversation_id: Uuid,
    kind: String,
    actor_user_id: Option<Uuid>,
    data: Json<serde_json::Value>,
    created_at: DateTime<Utc>,
}

impl MessageRow {
    pub(crate) fn into_message(self) -> Result<Message> {
        Ok(Message {
            id: self.id.into(),
            conversation_id: self.conversation_id.into(),
            merchant_id: self.merchant_id.into(),
            channel: parse("messages.channel", &self.channel)?,
            direction: parse("messages.direction", &self.direction)?,
            internal: self.internal,
            author_kind: parse("messages.author_kind", &self.author_kind)?,
            author_user_id: self.author_user_id.map(Into::into),
            body_text: self.body_text,
            body_html: self.body_html,
            attachments: self.attachments.0,
            provider_message_id: self.provider_message_id,
            delivery_status: parse_opt("messages.delivery_status", self.delivery_status.as_deref())?,
            delivery_error: self.delivery_error,
            meta: self.meta.0,
            created_at: self.created_at,
        })
    }
}

/// The conditions of a filter, shared by the list and its count so that they always agree.
/// A macro, like `push_scope!`, so one text serves both databases' query builders.
macro_rules! push_filter {
    ($qb:expr, $scope:expr, $f:expr) => {{
        let f: &ConversationFilter = $f;
        push_scope!($qb, "merchant_id", $scope);
        if let Some(m) = f.merchant {
            $qb.push(" AND merchant_id = ").push_bind(m.0);
        }
        if let Some(n) = f.number {
            $qb.push(" AND number = ").push_bind(n);
        }
        if let Some(s) = f.status {
            $qb.push(" AND status = ").push_bind(s.as_str());
        }
        if let Some(c) = f.channel {
            $qb.push(" AND channel = ").push_bind(c.as_str());
        }
        if let Some(pr) = f.priority {
            $qb.push(" AND priority = ").push_bind(pr.as_str());
        }
        if let Some(a) = f.assignee {
            $qb.push(" AND assignee_id = ").push_bind(a.0);
        }
        if f.unassigned {
            // Waiting for a person: a chat the bot holds is nobody's work yet.
            $qb.push(" AND assignee_id IS NULL AND status <> 'bot'");
        }
        if let Some(c) = f.customer {
            $qb.push(" AND customer_id = ").push_bind(c.0);
        }
        if let Some(c) = &f.category {
            $qb.push(" AND category = ").push_bind(c.clone());
        }
        if let Some(q) = &f.queue {
            $qb.push(" AND queue = ").push_bind(q.clone());
        }
        if let Some(t) = &f.tag {
            $qb.push(" AND id IN (SELECT conversation_id FROM conversation_tags WHERE tag = ")
                .push_bind(t.clone())
                .push(")");
        }
        if let Some(s) = f.updated_since {
            $qb.push(" AND updated_at >= ").push_bind(s);
        }
        if f.waiting {
            $qb.push(" AND waiting_since IS NOT NULL");
        }
        if f.open_escalation {
            $qb.push(" AND id IN (SELECT conversation_id FROM escalations WHERE status = 'open')");
        }
        // Written exactly as the partial indexes of active conversations say it (migration
        // 0019), so that the planners use them.
        // A status still being worked on (open, pending, …) is one of the active ones: saying so
        // lets the planner stay on the active rows' indexes.
        let active_status =
            f.status.is_some_and(|s| !matches!(s, ConversationStatus::Resolved | ConversationStatus::Closed));
        if f.active_only || f.waiting || active_status {
            $qb.push(" AND status NOT IN ('resolved', 'closed')");
        }
    }};
}

/// How the conversation list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConversationSort {
    /// Newest first by when the conversation was opened.
    #[default]
    Newest,
    Oldest,
    /// Whoever wrote last comes first: a customer's reply brings a conversation to the top.
    LastActivity,
    /// The customer who has waited longest for an answer first (only those waiting).
    LongestWaiting,
}

/// Filters for the conversation list; every one is optional.
#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    pub merchant: Option<MerchantId>,
    /// The shop's ticket number (with `merchant`, one conversation: HM-201).
    pub number: Option<i64>,
    pub status: Option<ConversationStatus>,
    pub channel: Option<Channel>,
    pub priority: Option<Priority>,
    pub assignee: Option<UserId>,
    pub unassigned: bool,
    pub customer: Option<CustomerId>,
    pub category: Option<String>,
    pub queue: Option<String>,
    pub tag: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    /// Only conversations still being worked on (not resolved or closed).
    pub active_only: bool,
    /// Only conversations whose customer waits for an answer (they wrote last), still active.
    pub waiting: bool,
    /// Only conversations with an escalation the shop has not answered (what its portal lists).
    pub open_escalation: bool,
    /// Oldest first (longest waiting at the top) instead of newest first.
    pub oldest_first: bool,
    /// The order; `oldest_first` is the older way to ask for [`ConversationSort::Oldest`].
    pub sort: ConversationSort,
}

/// A conversation to open, after validation. The customer is given by id or by identity.
#[derive(Debug, Clone)]
pub struct ConversationRecord {
    pub merchant: MerchantId,
    pub channel: Channel,
    pub subject: Option<String>,
    pub customer_id: Option<CustomerId>,
    pub customer_identity: Option<NormalizedIdentity>,
    pub order_id: Option<OrderId>,
    pub priority: Priority,
    pub queue: Option<String>,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub assignee_id: Option<UserId>,
    /// Messages to store with it, oldest first (usually the customer's first message).
    pub messages: Vec<MessageRecord>,
    /// Where the conversation stands after its messages, for history imports and demo data;
    /// `None` leaves it new (or open, when assigned).
    pub status: Option<ConversationStatus>,
    /// When the contact happened, for history imports and demo data; `None` is now.
    pub created_at: Option<DateTime<Utc>>,
}

impl ConversationRecord {
    /// A new conversation on `channel` with nothing else set: no customer, subject or message,
    /// normal priority, unassigned.
    pub fn new(merchant: MerchantId, channel: Channel) -> ConversationRecord {
        ConversationRecord {
            merchant,
            channel,
            subject: None,
            customer_id: None,
            customer_identity: None,
            order_id: None,
            priority: Priority::Normal,
            queue: None,
            category: None,
            tags: vec![],
            assignee_id: None,
            messages: vec![],
            status: None,
            created_at: None,
        }
    }
}

/// A message to append, after validation and HTML sanitising.
#[derive(Debug, Clone)]
pub struct MessageRecord {
    pub channel: Option<Channel>,
    pub direction: Direction,
    pub internal: bool,
    pub author_kind: AuthorKind,
    pub author_user_id: Option<UserId>,
    pub body_text: String,
    pub body_html: Option<String>,
    pub attachments: Vec<Attachment>,
    pub provider_message_id: Option<String>,
    pub meta: MessageMeta,
    /// When it was written, for history imports and demo data; `None` is now.
    pub created_at: Option<DateTime<Utc>>,
}

impl MessageRecord {
    /// A customer's message as a channel hands it over: inbound, plain text, stored at arrival
    /// (ids and the timeline stay in the order the desk saw them). Channels set the rest.
    pub fn from_customer(channel: Channel, body_text: String) -> Self {
        MessageRecord {
            channel: Some(channel),
            direction: Direction::Inbound,
            internal: false,
            author_kind: AuthorKind::Customer,
            author_user_id: None,
            body_text,
            body_html: None,
            attachments: vec![],
            provider_message_id: None,
            meta: MessageMeta::default(),
            created_at: None,
        }
    }
}

/// A validated change to a conversation: `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct ConversationChange {
    pub status: Option<ConversationStatus>,
    pub priority: Option<Priority>,
    pub assignee_id: Option<Option<UserId>>,
    pub queue: Option<Option<String>>,
    pub category: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub subject: Option<String>,
    pub customer_id: Option<Option<CustomerId>>,
    pub order_id: Option<Option<OrderId>>,
    /// When the change happened, for history imports and demo data; `None` is now.
    pub at: Option<DateTime<Utc>>,
}

pub(crate) async fn insert_event(
    tx: &mut Tx,
    merchant: MerchantId,
    conversation: ConversationId,
    kind: EventKind,
    actor: Option<UserId>,
    data: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<()> {
    on_db!(tx, c => sqlx::query(
        "INSERT INTO conversation_events (id, merchant_id, conversation_id, kind, actor_user_id, data, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(EventId::at_or_now(at).0)
    .bind(merchant.0)
    .bind(conversation.0)
    .bind(kind.as_str())
    .bind(actor.map(|u| u.0))
    .bind(Json(data))
    .bind(at)
    .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

impl Store {
    async fn conversations_from_rows(&self, rows: Vec<Row>) -> Result<Vec<Conversation>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let tags: Vec<(Uuid, String)> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT conversation_id, tag FROM conversation_tags WHERE conversation_id IN (");
            let mut sep = qb.separated(", ");
            for id in &ids {
                sep.push_bind(*id);
            }
            sep.push_unseparated(") ORDER BY tag");
            qb.build_query_as().fetch_all(p).await
        })?;
        rows.into_iter()
            .map(|r| {
                let t = tags.iter().filter(|(c, _)| *c == r.id).map(|(_, t)| t.clone()).collect();
                r.into_conversation(t)
            })
            .collect()
    }

    pub(crate) async fn conversation_in_tx(tx: &mut Tx, scope: &Scope, id: ConversationId) -> Result<Conversation> {
        let row: Option<Row> = on_db!(tx, c => sqlx::query_as("SELECT * FROM conversations WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await)?;
        let row = row.filter(|r| scope.allows(MerchantId(r.merchant_id))).ok_or(StoreError::NotFound)?;
        let tags: Vec<String> = on_db!(tx, c => sqlx::query_scalar("SELECT tag FROM conversation_tags WHERE conversation_id = $1 ORDER BY tag")
            .bind(id.0)
            .fetch_all(&mut *c)
            .await)?;
        row.into_conversation(tags)
    }

    /// Opens a conversation (and its first message, if any) in one transaction.
    pub async fn create_conversation(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        r: &ConversationRecord,
    ) -> Result<Conversation> {
        if !scope.allows(r.merchant) {
            return Err(StoreError::NotFound);
        }
        let merchant = self.get_merchant(scope, crate::merchants::MerchantKey::Id(r.merchant)).await?;
        let mut tx = self.begin().await?;
        let customer = match (&r.customer_id, &r.customer_identity) {
            (Some(c), _) => {
                if merchant_of_customer(&mut tx, scope, *c).await? != r.merchant {
                    return Err(StoreError::NotFound);
                }
                Some(*c)
            }
            (None, Some(i)) => Some(find_or_create_by_identity(&mut tx, actor, r.merchant, i).await?),
            (None, None) => None,
        };
        let conv = open_conversation(&mut tx, &merchant, actor, r, customer).await?;
        tx.commit().await?;
        self.get_conversation(scope, conv.id).await
    }

    pub async fn get_conversation(&self, scope: &Scope, id: ConversationId) -> Result<Conversation> {
        let row: Option<Row> = on_pool!(self, p => sqlx::query_as("SELECT * FROM conversations WHERE id = $1")
            .bind(id.0)
            .fetch_optional(p)
            .await)?;
        let row = row.filter(|r| scope.allows(MerchantId(r.merchant_id))).ok_or(StoreError::NotFound)?;
        Ok(self.conversations_from_rows(vec![row]).await?.remove(0))
    }

    /// The conversations the filter selects, in its order.
    pub async fn list_conversations(
        &self,
        scope: &Scope,
        f: &ConversationFilter,
        page: PageRequest,
    ) -> Result<Page<Conversation>> {
        let sort = if f.oldest_first { ConversationSort::Oldest } else { f.sort };
        let rows: Vec<Row> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT * FROM conversations WHERE 1 = 1");
            push_filter!(qb, scope, f);
            let limit = i64::from(page.limit) + 1;
            // The cursor is the last id seen; a sort by a time continues after that row's time.
            match sort {
                ConversationSort::Newest => {
                    push_page!(qb, "id", page);
                }
                ConversationSort::Oldest => {
                    if let Some(after) = page.before {
                        qb.push(" AND id > ").push_bind(after);
                    }
                    qb.push(" ORDER BY id ASC LIMIT ").push_bind(limit);
                }
                ConversationSort::LastActivity => {
                    if let Some(after) = page.before {
                        qb.push(" AND (last_message_at, id) < (SELECT last_message_at, id FROM conversations WHERE id = ")
                            .push_bind(after)
                            .push(")");
                    }
                    qb.push(" ORDER BY last_message_at DESC, id DESC LIMIT ").push_bind(limit);
                }
                ConversationSort::LongestWaiting => {
                    qb.push(" AND waiting_since IS NOT NULL");
                    if let Some(after) = page.before {
                        qb.push(" AND (waiting_since, id) > (SELECT waiting_since, id FROM conversations WHERE id = ")
                            .push_bind(after)
                            .push(")");
                    }
                    qb.push(" ORDER BY waiting_since ASC, id ASC LIMIT ").push_bind(limit);
                }
            }
            qb.build_query_as().fetch_all(p).await
        })?;
        let convs = self.conversations_from_rows(rows).await?;
        Ok(Page::from_rows(convs, page.limit, |c: &Conversation| c.id.0))
    }

    /// Messages and events of a conversation in time order. Internal notes only when asked for.
    pub async fn timeline(&self, scope: &Scope, id: ConversationId, internal_notes: bool) -> Result<Vec<TimelineItem>> {
        self.get_conversation(scope, id).await?;
        let (messages, events): (Vec<MessageRow>, Vec<EventRow>) = on_pool!(self, p => {
            let messages = sqlx::query_as("SELECT * FROM messages WHERE conversation_id = $1 AND (internal = $2 OR $3) ORDER BY id")
                .bind(id.0)
                .bind(false)
                .bind(internal_notes)
                .fetch_all(p)
                .await?;
            let events = sqlx::query_as(
                "SELECT id, conversation_id, kind, actor_user_id, data, created_at FROM conversation_events WHERE conversation_id = $1 ORDER BY id",
            )
            .bind(id.0)
            .fetch_all(p)
            .await?;
            Ok::<_, sqlx::Error>((messages, events))
        })?;
        let mut items: Vec<TimelineItem> = Vec::with_capacity(messages.len() + events.len());
        for m in messages {
            items.push(TimelineItem::Message(m.into_message()?));
        }
        for e in events {
            items.push(TimelineItem::Event(TimelineEvent {
                id: e.id.into(),
                conversation_id: e.conversation_id.into(),
                kind: parse("conversation_events.kind", &e.kind)?,
                actor_user_id: e.actor_user_id.map(Into::into),
                data: e.data.0,
                created_at: e.created_at,
            }));
        }
        // Stable: an event and the message that caused it share an instant; the message comes first.
        items.sort_by_key(|i| (i.at(), matches!(i, TimelineItem::Event(_))));
        Ok(items)
    }

    /// Messages of a conversation, newest first, a page at a time.
    pub async fn list_messages(
        &self,
        scope: &Scope,
        id: ConversationId,
        internal_notes: bool,
        page: PageRequest,
    ) -> Result<Page<Message>> {
        self.get_conversation(scope, id).await?;
        let rows: Vec<MessageRow> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT * FROM messages WHERE conversation_id = ");
            qb.push_bind(id.0);
            if !internal_notes {
                qb.push(" AND internal = ").push_bind(false);
            }
            push_page!(qb, "id", page);
            qb.build_query_as().fetch_all(p).await
        })?;
        let msgs = rows.into_iter().map(MessageRow::into_message).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(msgs, page.limit, |m: &Message| m.id.0))
    }

    pub async fn get_message(&self, scope: &Scope, id: MessageId) -> Result<Message> {
        let row: Option<MessageRow> = on_pool!(self, p => sqlx::query_as("SELECT * FROM messages WHERE id = $1").bind(id.0).fetch_optional(p).await)?;
        row.filter(|r| scope.allows(MerchantId(r.merchant_id))).ok_or(StoreError::NotFound)?.into_message()
    }

    /// Appends a message. Returns it and whether it is new: a provider id seen before returns the
    /// stored message and writes nothing.
    pub async fn add_message(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        id: ConversationId,
        m: &MessageRecord,
    ) -> Result<(Message, bool)> {
        let mut tx = self.begin().await?;
        let mut conv = Store::conversation_in_tx(&mut tx, scope, id).await?;
        let (mid, created) = insert_message(&mut tx, &mut conv, m, m.created_at.unwrap_or_else(now)).await?;
        if created {
            audit::record(
                &mut tx,
                NewAuditEvent {
                    merchant_id: Some(conv.merchant_id),
                    actor_user_id: actor,
                    action: AuditAction::Create,
                    subject_type: SubjectType::Message,
                    subject_id: mid.to_string(),
                    details: serde_json::json!({ "conversation_id": id, "direction": m.direction, "internal": m.internal }),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok((self.get_message(scope, mid).await?, created))
    }

    /// Applies a change, recording one timeline event per changed field.
    pub async fn update_conversation(
        &self,
        scope: &Scope,
        actor: Option<UserId>,
        id: ConversationId,
        ch: &ConversationChange,
    ) -> Result<Conversation> {
        let mut tx = self.begin().await?;
        let before = Store::conversation_in_tx(&mut tx, scope, id).await?;
        let m = before.merchant_id;
        let t = ch.at.unwrap_or_else(now);
        let mut after = before.clone();
        let mut events: Vec<(EventKind, serde_json::Value)> = Vec::new();

        if let Some(s) = ch.status.filter(|s| *s != before.status) {
            if s == ConversationStatus::Bot {
                return Err(madoguchi_core::ValidationError::new(
                    "status",
                    "bot_only",
                    "only the chat bot puts a conversation in its hands",
                )
                .into());
            }
            // The escalated views and the shop's portal count escalations: a status set by hand
            // would show in one and not the other.
            if s == ConversationStatus::Escalated {
                return Err(madoguchi_core::ValidationError::new(
                    "status",
                    "escalation_only",
                    "a conversation is escalated by asking the shop (an escalation), not by its status",
                )
                .into());
            }
            if madoguchi_core::playbook::wrap_up_required(before.channel, s)
                && !crate::playbook::has_wrap_up(&mut tx, id).await?
            {
                return Err(madoguchi_core::ValidationError::new(
                    "status",
                    "wrap_up_required",
                    "record the wrap-up (disposition code) before closing a call or chat",
                )
                .into());
            }
            after.status = s;
            after.resolved_at = resolved_at_after(s, before.resolved_at, t);
            events.push((EventKind::StatusChanged, serde_json::json!({ "from": before.status, "to": s })));
        }
        if let Some(p) = ch.priority.filter(|p| *p != before.priority) {
            after.priority = p;
            events.push((EventKind::PriorityChanged, serde_json::json!({ "from": before.priority, "to": p })));
        }
        if let Some(a) = ch.assignee_id.filter(|a| *a != before.assignee_id) {
            if let Some(u) = a {
                check_assignee(&mut tx, m, u).await?;
                if after.status == ConversationStatus::New {
                    after.status = ConversationStatus::Open;
                }
            }
            after.assignee_id = a;
            // Assigned by a person, not offered by routing: nothing rings.
            after.offered_at = None;
            after.accepted_at = a.map(|_| t);
            events.push((EventKind::Assigned, serde_json::json!({ "from": before.assignee_id, "to": a })));
        }
        if let Some(q) = ch.queue.clone().filter(|q| *q != before.queue) {
            events.push((EventKind::QueueChanged, serde_json::json!({ "from": before.queue, "to": q })));
            after.queue = q;
        }
        if let Some(c) = ch.category.clone().filter(|c| *c != before.category) {
            events.push((EventKind::CategoryChanged, serde_json::json!({ "from": before.category, "to": c })));
            after.category = c;
        }
        if let Some(tags) = ch.tags.clone().filter(|t| *t != before.tags) {
            events.push((EventKind::TagsChanged, serde_json::json!({ "from": before.tags, "to": tags })));
            write_tags(&mut tx, id, &tags).await?;
            after.tags = tags;
        }
        if let Some(s) = ch.subject.clone().filter(|s| Some(s) != before.subject.as_ref()) {
            events.push((EventKind::SubjectChanged, serde_json::json!({ "from": before.subject, "to": s })));
            after.subject = Some(s);
        }
        if let Some(c) = ch.customer_id.filter(|c| *c != before.customer_id) {
            if let Some(cid) = c
                && merchant_of_customer(&mut tx, scope, cid).await? != m
            {
                return Err(StoreError::NotFound);
            }
            events.push((EventKind::CustomerLinked, serde_json::json!({ "from": before.customer_id, "to": c })));
            after.customer_id = c;
        }
        if let Some(o) = ch.order_id.filter(|o| *o != before.order_id) {
            if let Some(oid) = o {
                check_order(&mut tx, m, oid).await?;
            }
            events.push((EventKind::OrderLinked, serde_json::json!({ "from": before.order_id, "to": o })));
            after.order_id = o;
        }
        if events.is_empty() {
            return Ok(before);
        }
        // Assigning a chat the bot holds, or moving it on, takes it over from the bot.
        let taken_over =
            before.status == ConversationStatus::Bot && (after.status != before.status || after.assignee_id.is_some());
        if taken_over && after.status == ConversationStatus::Bot {
            after.status = ConversationStatus::Open;
            events.push((EventKind::StatusChanged, serde_json::json!({ "from": before.status, "to": after.status })));
        }
        if taken_over {
            let data = serde_json::json!({ "reason": HandOverReason::TakenOver });
            crate::bot::end_bot(&mut tx, m, id, BotOutcome::HandedOver, actor, data, t).await?;
        }
        on_db!(&mut tx, c => sqlx::query(
            "UPDATE conversations SET status = $2, priority = $3, assignee_id = $4, queue = $5, category = $6, subject = $7,
                    customer_id = $8, order_id = $9, resolved_at = $10, updated_at = $11,
                    offered_at = $12, accepted_at = $13
             WHERE id = $1",
        )
        .bind(id.0)
        .bind(after.status.as_str())
        .bind(after.priority.as_str())
        .bind(after.assignee_id.map(|u| u.0))
        .bind(&after.queue)
        .bind(&after.category)
        .bind(&after.subject)
        .bind(after.customer_id.map(|c| c.0))
        .bind(after.order_id.map(|o| o.0))
        .bind(after.resolved_at)
        .bind(t)
        .bind(after.offered_at)
        .bind(after.accepted_at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        let changed: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: Some(m),
                actor_user_id: actor,
                action: AuditAction::Update,
                subject_type: SubjectType::Conversation,
                subject_id: id.to_string(),
                details: serde_json::json!({ "changed": changed }),
            },
        )
        .await?;
        if after.status != before.status || after.subject != before.subject || after.order_id != before.order_id {
            crate::search_feed::enqueue(&mut tx, m, FeedKind::Conversation, id.0).await?;
        }
        for (kind, data) in events {
            insert_event(&mut tx, m, id, kind, actor, data, t).await?;
        }
        tx.commit().await?;
        self.get_conversation(scope, id).await
    }
}

impl Store {
    /// The most recent change among the conversations in scope: its time and id. The console
    /// polls this to update open inboxes; it works the same with one node or many.
    pub async fn latest_conversation_change(&self, scope: &Scope) -> Result<Option<(DateTime<Utc>, ConversationId)>> {
        let row: Option<(DateTime<Utc>, Uuid)> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT updated_at, id FROM conversations WHERE 1 = 1");
            push_scope!(qb, "merchant_id", scope);
            qb.push(" ORDER BY updated_at DESC, id DESC LIMIT 1");
            qb.build_query_as().fetch_optional(p).await
        })?;
        Ok(row.map(|(t, id)| (t, ConversationId(id))))
    }

    /// The conversations in scope changed after `since` (at most `limit`, newest first), so an
    /// open page learns of every one, not only of the newest.
    pub async fn conversations_changed_since(
        &self,
        scope: &Scope,
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ConversationId>> {
        let ids: Vec<Uuid> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT id FROM conversations WHERE updated_at > ");
            qb.push_bind(since);
            push_scope!(qb, "merchant_id", scope);
            qb.push(" ORDER BY updated_at DESC LIMIT ").push_bind(limit);
            qb.build_query_scalar().fetch_all(p).await
        })?;
        Ok(ids.into_iter().map(ConversationId).collect())
    }
}

impl Store {
    /// How many conversations match: the same filter as the list, so a view's count is what
    /// it lists.
    pub async fn count_conversations(&self, scope: &Scope, f: &ConversationFilter) -> Result<i64> {
        Ok(on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM conversations WHERE 1 = 1");
            push_filter!(qb, scope, f);
            if f.sort == ConversationSort::LongestWaiting && !f.oldest_first {
                qb.push(" AND waiting_since IS NOT NULL");
            }
            qb.build_query_scalar().fetch_one(p).await
        })?)
    }
}
