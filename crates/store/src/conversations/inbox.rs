//! What an inbox row shows besides the conversation itself: the customer's name, the last
//! message, and whether the reader has seen the customer's latest words. Read for one page of
//! rows at a time, in one query each.

use std::collections::HashMap;

use super::*;

/// The extra columns of one inbox row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxDetail {
    pub customer_name: Option<String>,
    /// The last message either side wrote (not internal notes), as text.
    pub preview: Option<String>,
    /// When the reader last opened the conversation.
    pub read_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Details of the conversations listed on one inbox page, as `user` sees them.
    pub async fn inbox_details(
        &self,
        user: UserId,
        conversations: &[ConversationId],
    ) -> Result<HashMap<ConversationId, InboxDetail>> {
        if conversations.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(Uuid, Option<String>, Option<String>, Option<DateTime<Utc>>)> = on_pool!(self, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT c.id, cu.name,
                        (SELECT m.body_text FROM messages m WHERE m.conversation_id = c.id AND m.internal = ",
            );
            qb.push_bind(false);
            qb.push(" ORDER BY m.id DESC LIMIT 1),
                        (SELECT r.read_at FROM conversation_reads r WHERE r.conversation_id = c.id AND r.user_id = ");
            qb.push_bind(user.0);
            qb.push(") FROM conversations c LEFT JOIN customers cu ON cu.id = c.customer_id WHERE c.id IN (");
            let mut list = qb.separated(", ");
            for id in conversations {
                list.push_bind(id.0);
            }
            qb.push(")");
            qb.build_query_as().fetch_all(p).await
        })?;
        Ok(rows
            .into_iter()
            .map(|(id, customer_name, preview, read_at)| {
                (ConversationId(id), InboxDetail { customer_name, preview, read_at })
            })
            .collect())
    }

    /// The user opened the conversation: what the customer wrote so far is read.
    pub async fn mark_read(&self, user: UserId, conversation: ConversationId) -> Result<()> {
        on_pool!(self, p => sqlx::query(
            "INSERT INTO conversation_reads (conversation_id, user_id, read_at) VALUES ($1, $2, $3)
             ON CONFLICT (conversation_id, user_id) DO UPDATE SET read_at = $3",
        )
        .bind(conversation.0)
        .bind(user.0)
        .bind(now())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
