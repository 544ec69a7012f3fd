//! Taking a contact in from a channel: one transaction stores the provider's event id, the
//! customer (found by phone, mail or LINE id, or created), the conversation it threads into (or
//! a new one), the files and the message. The channel acknowledges only after it commits, and a
//! redelivery of the same event or message finds it there and stores nothing.

use madoguchi_core::audit::NewAuditEvent;
use madoguchi_core::enums::{AuditAction, Channel, ConversationStatus, Priority, SubjectType};
use madoguchi_core::identity::NormalizedIdentity;
use madoguchi_core::ids::{ConversationId, CustomerId, MerchantId, MessageId, OrderId, UserId};
use madoguchi_core::time::now;
use uuid::Uuid;

use crate::blobs::{self, NewBlob};
use crate::conversations::{ConversationRecord, MessageRecord, insert_message_in, open_conversation};
use crate::customers::find_or_create_by_identity;
use crate::merchants::MerchantKey;
use crate::{Result, Store, Tx, audit, on_db};
use madoguchi_core::access::Scope;

/// Which conversation a contact belongs to.
#[derive(Debug, Clone)]
pub enum Thread {
    /// Mail: the message ids it answers (nearest first), then the ticket number from the
    /// subject, which counts only when the conversation is the same customer's.
    Mail { references: Vec<String>, ticket: Option<i64> },
    /// Chat and LINE: the customer's latest conversation on the channel that is not closed.
    Ongoing,
    /// A given conversation (a chat session that already has one).
    Conversation(ConversationId),
    /// Always a new conversation (web form, typed-in contacts).
    New,
}

#[derive(Debug, Clone)]
pub struct InboundContact {
    pub merchant: MerchantId,
    pub channel: Channel,
    pub identity: Option<NormalizedIdentity>,
    /// The name the channel gives the sender; set on the customer if it has none yet.
    pub customer_name: Option<String>,
    /// For a new conversation.
    pub subject: Option<String>,
    pub category: Option<String>,
    pub order_number: Option<String>,
    pub thread: Thread,
    pub message: MessageRecord,
    /// Files to store and attach to the message.
    pub files: Vec<NewBlob>,
    /// The raw message (mail) to keep with it.
    pub raw: Option<NewBlob>,
    /// The provider's webhook event id, stored once per merchant and channel.
    pub event_id: Option<String>,
    /// The staff member who typed the contact in (FAX, postcard, phone memo, walk-in). Such a
    /// contact without any contact detail still gets a customer, by name alone.
    pub entered_by: Option<UserId>,
    /// A new conversation starts with the chat bot (status `bot`) instead of in the queue.
    pub bot: bool,
}

impl InboundContact {
    /// A contact on `channel` for `merchant` with nothing known but its message and thread;
    /// each channel fills in what it carries (the sender, a subject, files, the event id).
    pub fn new(merchant: MerchantId, channel: Channel, thread: Thread, message: MessageRecord) -> Self {
        InboundContact {
            merchant,
            channel,
            identity: None,
            customer_name: None,
            subject: None,
            category: None,
            order_number: None,
            thread,
            message,
            files: vec![],
            raw: None,
            event_id: None,
            entered_by: None,
            bot: false,
        }
    }

    /// The contact with every NUL character replaced by U+FFFD. A channel may carry NUL (a mail
    /// header, a LINE name) but PostgreSQL's text and jsonb cannot hold it; a contact is never
    /// refused for it, so it is kept visibly replaced, on both databases alike.
    pub fn without_nul(mut self) -> Self {
        fn fix(s: &mut String) {
            if s.contains('\0') {
                *s = s.replace('\0', "\u{FFFD}");
            }
        }
        fn fix_opt(s: &mut Option<String>) {
            if let Some(s) = s {
                fix(s);
            }
        }
        fix_opt(&mut self.customer_name);
        fix_opt(&mut self.subject);
        fix_opt(&mut self.category);
        fix_opt(&mut self.order_number);
        fix_opt(&mut self.event_id);
        if let Thread::Mail { references, .. } = &mut self.thread {
            references.iter_mut().for_each(fix);
        }
        let m = &mut self.message;
        fix(&mut m.body_text);
        fix_opt(&mut m.body_html);
        fix_opt(&mut m.provider_message_id);
        m.meta.flags.iter_mut().for_each(fix);
        fix_opt(&mut m.meta.sender_name);
        if let Some(e) = &mut m.meta.email {
            fix_opt(&mut e.from);
            e.to.iter_mut().for_each(fix);
            fix_opt(&mut e.subject);
            e.references.iter_mut().for_each(fix);
        }
        for f in self.files.iter_mut().chain(self.raw.as_mut()) {
            fix(&mut f.filename);
            fix(&mut f.content_type);
        }
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub conversation: ConversationId,
    pub message: MessageId,
    pub customer: Option<CustomerId>,
    pub new_conversation: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundOutcome {
    Stored(Received),
    /// Seen before (same event id or provider message id): nothing was written.
    Duplicate {
        message: Option<MessageId>,
    },
}

/// Stores the event id; `false` if it was there already.
async fn first_time(tx: &mut Tx, merchant: MerchantId, channel: Channel, event_id: &str) -> Result<bool> {
    let n = on_db!(tx, c => sqlx::query(
        "INSERT INTO inbound_events (merchant_id, channel, event_id, received_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
    )
    .bind(merchant.0)
    .bind(channel.as_str())
    .bind(event_id)
    .bind(now())
    .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub(crate) async fn seen_message(
    tx: &mut Tx,
    merchant: MerchantId,
    channel: Channel,
    pid: &str,
) -> Result<Option<MessageId>> {
    let id: Option<Uuid> = on_db!(tx, c => sqlx::query_scalar(
        "SELECT id FROM messages WHERE merchant_id = $1 AND channel = $2 AND provider_message_id = $3",
    )
    .bind(merchant.0)
    .bind(channel.as_str())
    .bind(pid)
    .fetch_optional(&mut *c)
    .await)?;
    Ok(id.map(MessageId))
}

/// The conversation a mail answers: a message of the merchant with one of the referenced ids
/// (mail we received, or mail we sent, whose Message-ID carries our message id).
async fn thread_by_references(tx: &mut Tx, merchant: MerchantId, refs: &[String]) -> Result<Option<ConversationId>> {
    for r in refs {
        let ours = r.split('@').next().and_then(|local| Uuid::parse_str(local.trim_start_matches("mdg-")).ok());
        let found: Option<Uuid> = on_db!(tx, c => sqlx::query_scalar(
            "SELECT conversation_id FROM messages WHERE merchant_id = $1 AND (provider_message_id = $2 OR id = $3)
             ORDER BY id DESC LIMIT 1",
        )
        .bind(merchant.0)
        .bind(r)
        .bind(ours.unwrap_or(Uuid::nil()))
        .fetch_optional(&mut *c)
        .await)?;
        if let Some(c) = found {
            return Ok(Some(ConversationId(c)));
        }
    }
    Ok(None)
}

async fn thread_by_ticket(
    tx: &mut Tx,
    merchant: MerchantId,
    number: i64,
    customer: Option<CustomerId>,
) -> Result<Option<ConversationId>> {
    let Some(customer) = customer else { return Ok(None) };
    let found: Option<Uuid> = on_db!(tx, c => sqlx::query_scalar(
        "SELECT id FROM conversations WHERE merchant_id = $1 AND number = $2 AND customer_id = $3",
    )
    .bind(merchant.0)
    .bind(number)
    .bind(customer.0)
    .fetch_optional(&mut *c)
    .await)?;
    Ok(found.map(ConversationId))
}

async fn ongoing(
    tx: &mut Tx,
    merchant: MerchantId,
    channel: Channel,
    customer: Option<CustomerId>,
) -> Result<Option<ConversationId>> {
    let Some(customer) = customer else { return Ok(None) };
    let found: Option<Uuid> = on_db!(tx, c => sqlx::query_scalar(
        "SELECT id FROM conversations WHERE merchant_id = $1 AND customer_id = $2 AND channel = $3 AND status <> $4
         ORDER BY id DESC LIMIT 1",
    )
    .bind(merchant.0)
    .bind(customer.0)
    .bind(channel.as_str())
    .bind(ConversationStatus::Closed.as_str())
    .fetch_optional(&mut *c)
    .await)?;
    Ok(found.map(ConversationId))
}

pub(crate) async fn order_by_number(tx: &mut Tx, merchant: MerchantId, number: &str) -> Result<Option<OrderId>> {
    let found: Option<Uuid> = on_db!(tx, c => sqlx::query_scalar("SELECT id FROM orders WHERE merchant_id = $1 AND order_number = $2")
        .bind(merchant.0)
        .bind(number)
        .fetch_optional(&mut *c)
        .await)?;
    Ok(found.map(OrderId))
}

impl Store {
    /// Takes a contact in; see the module comment.
    pub async fn receive(&self, inbound: InboundContact) -> Result<InboundOutcome> {
        let inbound = inbound.without_nul();
        let scope = Scope::Merchants(vec![inbound.merchant]);
        let merchant = self.get_merchant(&scope, MerchantKey::Id(inbound.merchant)).await?;
        let mut tx = self.begin().await?;
        if let Some(e) = &inbound.event_id
            && !first_time(&mut tx, inbound.merchant, inbound.channel, e).await?
        {
            return Ok(InboundOutcome::Duplicate { message: None });
        }
        let channel = inbound.message.channel.unwrap_or(inbound.channel);
        if let Some(pid) = &inbound.message.provider_message_id
            && let Some(m) = seen_message(&mut tx, inbound.merchant, channel, pid).await?
        {
            return Ok(InboundOutcome::Duplicate { message: Some(m) });
        }
        let actor = inbound.entered_by;
        let customer = match (&inbound.identity, &inbound.customer_name, actor) {
            (Some(i), _, _) => Some(find_or_create_by_identity(&mut tx, actor, inbound.merchant, i).await?),
            (None, Some(name), Some(_)) => {
                let profile = madoguchi_core::customer::CustomerProfile::named(name);
                Some(crate::customers::insert_customer(&mut tx, actor, inbound.merchant, &profile, &[]).await?)
            }
            (None, _, _) => None,
        };
        if let (Some(c), Some(name)) = (customer, &inbound.customer_name) {
            crate::customers::name_if_missing(&mut tx, inbound.merchant, c, name).await?;
        }
        let existing = match &inbound.thread {
            Thread::Mail { references, ticket } => {
                match thread_by_references(&mut tx, inbound.merchant, references).await? {
                    Some(c) => Some(c),
                    None => match ticket {
                        Some(n) => thread_by_ticket(&mut tx, inbound.merchant, *n, customer).await?,
                        None => None,
                    },
                }
            }
            Thread::Ongoing => ongoing(&mut tx, inbound.merchant, inbound.channel, customer).await?,
            Thread::Conversation(c) => Some(*c),
            Thread::New => None,
        };

        let mut message = inbound.message.clone();
        for f in &inbound.files {
            message.attachments.push(blobs::put(&mut tx, inbound.merchant, f).await?);
        }
        if let Some(raw) = &inbound.raw {
            message.meta.raw_blob_id = blobs::put(&mut tx, inbound.merchant, raw).await?.storage_key;
        }

        let (conversation, new_conversation) = match existing {
            Some(id) => (id, false),
            None => {
                let order_id = match &inbound.order_number {
                    Some(n) => order_by_number(&mut tx, inbound.merchant, n).await?,
                    None => None,
                };
                let record = ConversationRecord {
                    merchant: inbound.merchant,
                    channel: inbound.channel,
                    subject: inbound.subject.clone(),
                    customer_id: customer,
                    customer_identity: None,
                    order_id,
                    priority: Priority::Normal,
                    queue: None,
                    category: inbound.category.clone(),
                    tags: vec![],
                    assignee_id: None,
                    messages: vec![],
                    status: inbound.bot.then_some(ConversationStatus::Bot),
                    // A postcard read today arrived when its message says: service levels count
                    // from then.
                    created_at: inbound.message.created_at,
                };
                (open_conversation(&mut tx, &merchant, actor, &record, customer).await?.id, true)
            }
        };
        let (message_id, _) = insert_message_in(&mut tx, &scope, conversation, &message).await?;
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: Some(inbound.merchant),
                actor_user_id: actor,
                action: AuditAction::Create,
                subject_type: SubjectType::Message,
                subject_id: message_id.to_string(),
                details: serde_json::json!({ "conversation_id": conversation, "channel": channel, "inbound": true }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(InboundOutcome::Stored(Received { conversation, message: message_id, customer, new_conversation }))
    }

    /// Uses a LINE reply token at most once: returns the newest unused token on the
    /// conversation's inbound messages since `since`, and clears it.
    pub async fn take_line_reply_token(
        &self,
        conversation: ConversationId,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<String>> {
        let mut tx = self.begin().await?;
        let row: Option<(Uuid, sqlx::types::Json<madoguchi_core::conversation::MessageMeta>)> = on_db!(&mut tx, c => sqlx::query_as(
            "SELECT id, meta FROM messages WHERE conversation_id = $1 AND direction = 'inbound' AND channel = 'line' AND created_at >= $2
             ORDER BY id DESC LIMIT 1",
        )
        .bind(conversation.0)
        .bind(since)
        .fetch_optional(&mut *c)
        .await)?;
        let Some((id, mut meta)) = row else { return Ok(None) };
        let token = meta.0.line_reply_token.take();
        if token.is_some() {
            on_db!(&mut tx, c => sqlx::query("UPDATE messages SET meta = $2 WHERE id = $1")
                .bind(id)
                .bind(&meta)
                .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(token)
    }

    /// The id a merchant's customer has on a channel (mail address, LINE user id, chat visitor).
    pub async fn customer_identity_value(
        &self,
        customer: CustomerId,
        kind: madoguchi_core::identity::IdentityKind,
    ) -> Result<Option<String>> {
        let v: Option<String> = crate::on_pool!(self, p => sqlx::query_scalar(
            "SELECT value FROM customer_identities WHERE customer_id = $1 AND kind = $2 ORDER BY value LIMIT 1",
        )
        .bind(customer.0)
        .bind(kind.as_str())
        .fetch_optional(p)
        .await)?;
        Ok(v)
    }
}

/// The tag a customer carries while they have blocked the shop's LINE account.
pub const LINE_BLOCKED_TAG: &str = "LINEブロック";

impl Store {
    /// A LINE follow (`followed`) or unfollow: the customer exists from the first follow, and
    /// carries [`LINE_BLOCKED_TAG`] while they have blocked the account. Idempotent on the event id.
    pub async fn line_follow(
        &self,
        merchant: MerchantId,
        identity: &NormalizedIdentity,
        name: Option<&str>,
        event_id: Option<&str>,
        followed: bool,
    ) -> Result<Option<CustomerId>> {
        let mut tx = self.begin().await?;
        if let Some(e) = event_id
            && !first_time(&mut tx, merchant, Channel::Line, e).await?
        {
            return Ok(None);
        }
        let customer = find_or_create_by_identity(&mut tx, None, merchant, identity).await?;
        if let Some(n) = name {
            crate::customers::name_if_missing(&mut tx, merchant, customer, n).await?;
        }
        on_db!(&mut tx, c => {
            let sql = if followed {
                "DELETE FROM customer_tags WHERE customer_id = $1 AND tag = $2"
            } else {
                "INSERT INTO customer_tags (customer_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            };
            sqlx::query(sql).bind(customer.0).bind(LINE_BLOCKED_TAG).execute(&mut *c).await.map(|r| r.rows_affected())
        })?;
        tx.commit().await?;
        Ok(Some(customer))
    }
}

impl Store {
    /// The customer's open conversation on a channel (the chat session a visitor comes back to).
    pub async fn ongoing_conversation(
        &self,
        merchant: MerchantId,
        channel: Channel,
        customer: CustomerId,
    ) -> Result<Option<ConversationId>> {
        let mut tx = self.begin().await?;
        let found = ongoing(&mut tx, merchant, channel, Some(customer)).await?;
        tx.commit().await?;
        Ok(found)
    }

    /// What the customer may see of a conversation: its messages without internal notes, oldest
    /// first, from `since` on. A reader that polls with an overlapping `since` and skips the
    /// ids it has shown never misses a message committed late with an earlier time stamp.
    pub async fn public_messages_since(
        &self,
        scope: &Scope,
        conversation: ConversationId,
        since: Option<chrono::DateTime<chrono::Utc>>,
        limit: i64,
    ) -> Result<Vec<madoguchi_core::conversation::Message>> {
        self.get_conversation(scope, conversation).await?;
        let since = since.unwrap_or(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH);
        let rows: Vec<crate::conversations::MessageRow> = crate::on_pool!(self, p => sqlx::query_as(
            "SELECT * FROM messages WHERE conversation_id = $1 AND internal = $2 AND created_at >= $3
             ORDER BY created_at, id LIMIT $4",
        )
        .bind(conversation.0)
        .bind(false)
        .bind(since)
        .bind(limit)
        .fetch_all(p)
        .await)?;
        rows.into_iter().map(crate::conversations::MessageRow::into_message).collect()
    }
}
