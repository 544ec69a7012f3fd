//! The feed of changes the search index picks up: written in the transaction that makes the
//! change (a transactional outbox), read and cleared by the indexer. Also the rows the indexer
//! turns into documents, and the pages a full rebuild walks through.

use chrono::{DateTime, Utc};
use madoguchi_core::ids::MerchantId;
use madoguchi_core::time::now;
use uuid::Uuid;

use crate::{Result, Store, Tx, on_db, on_pool};

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    Message,
    /// Every message of the conversation (its status or subject changed).
    Conversation,
    Customer,
    Article,
    /// Rebuild the whole index from the database (asked for while a server holds the index).
    Rebuild,
}

impl FeedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::Message => "message",
            FeedKind::Conversation => "conversation",
            FeedKind::Customer => "customer",
            FeedKind::Article => "article",
            FeedKind::Rebuild => "rebuild",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "message" => FeedKind::Message,
            "conversation" => FeedKind::Conversation,
            "customer" => FeedKind::Customer,
            "article" => FeedKind::Article,
            "rebuild" => FeedKind::Rebuild,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedItem {
    pub seq: i64,
    pub merchant: MerchantId,
    pub kind: FeedKind,
    pub id: Uuid,
}

/// Records, inside the caller's transaction, that the index must pick `id` up.
pub(crate) async fn enqueue(tx: &mut Tx, merchant: MerchantId, kind: FeedKind, id: Uuid) -> Result<()> {
    on_db!(tx, c => sqlx::query(
        "INSERT INTO search_feed (merchant_id, kind, subject_id, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(merchant.0)
    .bind(kind.as_str())
    .bind(id)
    .bind(now())
    .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A message as the index sees it, with its conversation's subject, channel and status.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageForIndex {
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub conversation_id: Uuid,
    pub channel: String,
    pub status: String,
    pub internal: bool,
    pub subject: Option<String>,
    pub body_text: String,
    pub created_at: DateTime<Utc>,
    /// The order the conversation is about, for exact lookups by order number.
    pub order_number: Option<String>,
}

const MESSAGE_ROWS: &str = "SELECT m.id, m.merchant_id, m.conversation_id, m.channel, c.status, m.internal, c.subject,
        m.body_text, m.created_at, o.order_number
   FROM messages m JOIN conversations c ON c.id = m.conversation_id LEFT JOIN orders o ON o.id = c.order_id";

impl Store {
    /// The oldest changes not yet indexed.
    pub async fn search_feed(&self, limit: i64) -> Result<Vec<FeedItem>> {
        let rows: Vec<(i64, Uuid, String, Uuid)> = on_pool!(self, p => sqlx::query_as(
            "SELECT seq, merchant_id, kind, subject_id FROM search_feed ORDER BY seq LIMIT $1",
        )
        .bind(limit)
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .filter_map(|(seq, m, k, id)| {
                FeedKind::parse(&k).map(|kind| FeedItem { seq, merchant: MerchantId(m), kind, id })
            })
            .collect())
    }

    /// Asks the server that holds the index to rebuild it from the database.
    pub async fn request_search_rebuild(&self) -> Result<()> {
        let mut tx = self.begin().await?;
        enqueue(&mut tx, MerchantId(Uuid::nil()), FeedKind::Rebuild, Uuid::nil()).await?;
        tx.commit().await
    }

    /// The newest entry of the feed, if any.
    pub async fn search_feed_last_seq(&self) -> Result<Option<i64>> {
        let seq: Option<i64> =
            on_pool!(self, p => sqlx::query_scalar("SELECT MAX(seq) FROM search_feed").fetch_one(p).await)?;
        Ok(seq)
    }

    /// Clears the feed up to and including `seq`, once those changes are in the index.
    pub async fn search_feed_done(&self, seq: i64) -> Result<()> {
        on_pool!(self, p => sqlx::query("DELETE FROM search_feed WHERE seq <= $1")
            .bind(seq)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Messages by id (those that still exist).
    pub async fn messages_for_index(&self, ids: &[Uuid]) -> Result<Vec<MessageForIndex>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let rows = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(MESSAGE_ROWS);
            qb.push(" WHERE m.id IN (");
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            sep.push_unseparated(")");
            qb.build_query_as().fetch_all(p).await
        })?;
        Ok(rows)
    }

    /// Every message of a conversation.
    pub async fn conversation_messages_for_index(&self, conversation: Uuid) -> Result<Vec<MessageForIndex>> {
        let sql = format!("{MESSAGE_ROWS} WHERE m.conversation_id = $1 ORDER BY m.id");
        let rows = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(conversation).fetch_all(p).await)?;
        Ok(rows)
    }

    /// A page of all messages in id (time) order, for a full rebuild.
    pub async fn message_page_for_index(&self, after: Option<Uuid>, limit: i64) -> Result<Vec<MessageForIndex>> {
        let sql = format!("{MESSAGE_ROWS} WHERE m.id > $1 ORDER BY m.id LIMIT $2");
        let rows = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(after.unwrap_or(Uuid::nil()))
            .bind(limit)
            .fetch_all(p)
            .await)?;
        Ok(rows)
    }
}
