//! Writing conversations inside a caller's transaction: opening one with its first messages,
//! appending messages (the status rules a customer's reply or an agent's answer trigger), tags,
//! and the checks that every order, assignee and file named belongs to the same merchant.

use super::*;

pub(super) async fn write_tags(tx: &mut Tx, conversation: ConversationId, tags: &[String]) -> Result<()> {
    on_db!(tx, c => {
        sqlx::query("DELETE FROM conversation_tags WHERE conversation_id = $1").bind(conversation.0).execute(&mut *c).await?;
        for t in tags {
            sqlx::query("INSERT INTO conversation_tags (conversation_id, tag) VALUES ($1, $2)")
                .bind(conversation.0)
                .bind(t)
                .execute(&mut *c)
                .await?;
        }
    });
    Ok(())
}

/// Checks that the order belongs to the merchant (and is visible).
pub(super) async fn check_order(tx: &mut Tx, merchant: MerchantId, order: OrderId) -> Result<()> {
    let m: Option<Uuid> = on_db!(tx, c => sqlx::query_scalar("SELECT merchant_id FROM orders WHERE id = $1")
        .bind(order.0)
        .fetch_optional(&mut *c)
        .await)?;
    if m != Some(merchant.0) {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Checks that the assignee is an active user who may work on this merchant's conversations.
pub(super) async fn check_assignee(tx: &mut Tx, merchant: MerchantId, user: UserId) -> Result<()> {
    let ok: i64 = on_db!(tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM users u WHERE u.id = $1 AND u.active = $3
           AND (u.role = 'admin' OR EXISTS (SELECT 1 FROM user_merchants m WHERE m.user_id = u.id AND m.merchant_id = $2))",
    )
    .bind(user.0)
    .bind(merchant.0)
    .bind(true)
    .fetch_one(&mut *c)
    .await)?;
    if ok == 0 {
        return Err(madoguchi_core::ValidationError::new(
            "assignee_id",
            "invalid_assignee",
            "the assignee is not an active user of this merchant",
        )
        .into());
    }
    Ok(())
}

/// Appends a message inside the caller's transaction. Returns the stored message and whether
/// it is new (`false`: the provider id was seen before and nothing was written).
/// `conv` is updated in place to what was stored, so several messages can follow each other
/// without re-reading the row.
pub(crate) async fn insert_message_in(
    tx: &mut Tx,
    scope: &Scope,
    conversation: ConversationId,
    m: &MessageRecord,
) -> Result<(MessageId, bool)> {
    let mut conv = Store::conversation_in_tx(tx, scope, conversation).await?;
    insert_message(tx, &mut conv, m, m.created_at.unwrap_or_else(now)).await
}

/// Checks that every stored file a message refers to is the merchant's own, and marks it
/// attached so the clean-up of unattached uploads keeps it. One conditional update does both: it
/// locks the row, so a clean-up running at the same moment cannot delete it from under us.
async fn check_attachments(tx: &mut Tx, merchant: MerchantId, attachments: &[Attachment]) -> Result<()> {
    for a in attachments {
        let Some(key) = &a.storage_key else { continue };
        let id = Uuid::parse_str(key).map_err(|_| {
            madoguchi_core::ValidationError::new("attachments", "invalid_attachment", "unknown stored file")
        })?;
        let n = on_db!(tx, c => sqlx::query(
            "UPDATE blobs SET attached_at = COALESCE(attached_at, $3) WHERE id = $1 AND merchant_id = $2",
        )
        .bind(id)
        .bind(merchant.0)
        .bind(now())
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(madoguchi_core::ValidationError::new(
                "attachments",
                "invalid_attachment",
                "unknown stored file",
            )
            .into());
        }
    }
    Ok(())
}

pub(crate) async fn insert_message(
    tx: &mut Tx,
    conv: &mut Conversation,
    m: &MessageRecord,
    at: DateTime<Utc>,
) -> Result<(MessageId, bool)> {
    let channel = m.channel.unwrap_or(conv.channel);
    if let Some(pid) = &m.provider_message_id {
        let seen: Option<Uuid> = on_db!(tx, c => sqlx::query_scalar(
            "SELECT id FROM messages WHERE merchant_id = $1 AND channel = $2 AND provider_message_id = $3",
        )
        .bind(conv.merchant_id.0)
        .bind(channel.as_str())
        .bind(pid)
        .fetch_optional(&mut *c)
        .await)?;
        if let Some(id) = seen {
            return Ok((MessageId(id), false));
        }
    }
    check_attachments(tx, conv.merchant_id, &m.attachments).await?;
    let id = MessageId::at_or_now(at);
    // A message written with its own time is history (an import, demo data): it was answered
    // long ago and is never sent again.
    let delivery =
        (m.direction == Direction::Outbound && !m.internal && channel.delivers_replies() && m.created_at.is_none())
            .then_some(DeliveryStatus::Queued);
    on_db!(tx, c => sqlx::query(
        "INSERT INTO messages (id, merchant_id, conversation_id, channel, direction, internal, author_kind, author_user_id,
                               body_text, body_html, attachments, provider_message_id, delivery_status, meta, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(id.0)
    .bind(conv.merchant_id.0)
    .bind(conv.id.0)
    .bind(channel.as_str())
    .bind(m.direction.as_str())
    .bind(m.internal)
    .bind(m.author_kind.as_str())
    .bind(m.author_user_id.map(|u| u.0))
    .bind(&m.body_text)
    .bind(&m.body_html)
    .bind(Json(&m.attachments))
    .bind(&m.provider_message_id)
    .bind(delivery.map(|d| d.as_str()))
    .bind(Json(&m.meta))
    .bind(at)
    .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    if delivery.is_some() {
        // Queued in the same transaction as the message: a reply that is stored is delivered.
        crate::outbox::enqueue(tx, conv.merchant_id, conv.id, id, channel, at).await?;
    }
    crate::search_feed::enqueue(tx, conv.merchant_id, FeedKind::Message, id.0).await?;

    // The first reply to the customer stops the first-response clock; a customer writing to a
    // finished conversation reopens it.
    // Automatic messages (a form's confirmation mail) are not an answer from a person.
    let by_person = m.direction == Direction::Outbound && !m.internal && m.author_kind == AuthorKind::User;
    let first_response = by_person && conv.first_response_at.is_none();
    let reopen = m.direction == Direction::Inbound
        && matches!(conv.status, ConversationStatus::Resolved | ConversationStatus::Closed);
    // A reply to a new conversation means it is being handled.
    let answered_new = by_person && conv.status == ConversationStatus::New;
    // A person writing in a chat the bot holds takes it over.
    let taken_over = by_person && conv.status == ConversationStatus::Bot;
    let status = if reopen || answered_new || taken_over { ConversationStatus::Open } else { conv.status };
    // The customer waits from their oldest unanswered message until a person answers; the
    // assignee answering takes the offer (an agent who replies has clearly picked it up).
    let customer_wrote = m.direction == Direction::Inbound && !m.internal;
    let last_message = (!m.internal).then_some(at);
    let waiting_since = if by_person {
        None
    } else if customer_wrote {
        Some(conv.waiting_since.unwrap_or(at))
    } else {
        conv.waiting_since
    };
    let accepted_at = match (conv.accepted_at, conv.assignee_id) {
        (None, Some(a)) if by_person && m.author_user_id == Some(a) => Some(at),
        (before, _) => before,
    };
    on_db!(tx, c => sqlx::query(
        "UPDATE conversations SET updated_at = $2, status = $3, resolved_at = $4,
                first_response_at = CASE WHEN $5 THEN $2 ELSE first_response_at END,
                last_message_at = COALESCE($6, last_message_at), waiting_since = $7, accepted_at = $8
         WHERE id = $1",
    )
    .bind(conv.id.0)
    .bind(at)
    .bind(status.as_str())
    .bind(if reopen { None } else { conv.resolved_at })
    .bind(first_response)
    .bind(last_message)
    .bind(waiting_since)
    .bind(accepted_at)
    .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    if status != conv.status {
        // The conversation's other messages carry its status in the index.
        crate::search_feed::enqueue(tx, conv.merchant_id, FeedKind::Conversation, conv.id.0).await?;
    }
    if first_response {
        insert_event(
            tx,
            conv.merchant_id,
            conv.id,
            EventKind::FirstResponse,
            m.author_user_id,
            serde_json::json!({}),
            at,
        )
        .await?;
    }
    if reopen {
        let data = serde_json::json!({ "from": conv.status, "to": status, "reason": "customer_replied" });
        insert_event(tx, conv.merchant_id, conv.id, EventKind::StatusChanged, None, data, at).await?;
    }
    if taken_over {
        let data = serde_json::json!({ "reason": HandOverReason::TakenOver });
        crate::bot::end_bot(tx, conv.merchant_id, conv.id, BotOutcome::HandedOver, m.author_user_id, data, at).await?;
        let data = serde_json::json!({ "from": conv.status, "to": status });
        insert_event(tx, conv.merchant_id, conv.id, EventKind::StatusChanged, m.author_user_id, data, at).await?;
        conv.bot_outcome = Some(BotOutcome::HandedOver);
    }
    // Later messages of the same call (a history import's) see what this one changed.
    conv.status = status;
    conv.updated_at = at;
    conv.waiting_since = waiting_since;
    conv.accepted_at = accepted_at;
    if last_message.is_some() {
        conv.last_message_at = last_message;
    }
    if first_response {
        conv.first_response_at = Some(at);
    }
    if reopen {
        conv.resolved_at = None;
    }
    Ok((id, true))
}

/// Opens a conversation, its first messages and their outbox rows inside the caller's
/// transaction, for a customer already resolved (or none).
pub(crate) async fn open_conversation(
    tx: &mut Tx,
    merchant: &madoguchi_core::merchant::Merchant,
    actor: Option<UserId>,
    r: &ConversationRecord,
    customer: Option<CustomerId>,
) -> Result<Conversation> {
    let opened = r.created_at.unwrap_or_else(now);
    let closed = merchant.closed_day_pairs();
    let cal = madoguchi_core::calendar::BusinessCalendar {
        timezone: merchant.tz(),
        hours: &merchant.business_hours,
        closed_days: &closed,
    };
    // A conversation the bot holds is nobody's work yet: its clocks start at the hand-over.
    let with_bot = r.status == Some(ConversationStatus::Bot);
    let (first_due, resolution_due) = if with_bot { (None, None) } else { merchant.sla.due_times(&cal, opened) };
    if let Some(o) = r.order_id {
        check_order(tx, r.merchant, o).await?;
    }
    if let Some(a) = r.assignee_id {
        check_assignee(tx, r.merchant, a).await?;
    }
    let number = Store::next_conversation_number(tx, r.merchant).await?;
    let id = ConversationId::at_or_now(opened);
    let t = opened;
    let status = match (with_bot, r.assignee_id) {
        (true, _) => ConversationStatus::Bot,
        (false, Some(_)) => ConversationStatus::Open,
        (false, None) => ConversationStatus::New,
    };
    let bot_outcome = with_bot.then_some(BotOutcome::Active);
    on_db!(tx, c => sqlx::query(
            "INSERT INTO conversations (id, merchant_id, number, channel, status, priority, subject, customer_id, order_id,
                                        assignee_id, queue, category, created_at, updated_at, first_response_due_at, resolution_due_at,
                                        bot_outcome, last_message_at, accepted_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15, $16, $13,
                     CASE WHEN $10 IS NULL THEN NULL ELSE $13 END)",
        )
        .bind(id.0)
        .bind(r.merchant.0)
        .bind(number)
        .bind(r.channel.as_str())
        .bind(status.as_str())
        .bind(r.priority.as_str())
        .bind(&r.subject)
        .bind(customer.map(|c| c.0))
        .bind(r.order_id.map(|o| o.0))
        .bind(r.assignee_id.map(|a| a.0))
        .bind(&r.queue)
        .bind(&r.category)
        .bind(t)
        .bind(first_due)
        .bind(resolution_due)
        .bind(bot_outcome.map(BotOutcome::as_str))
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    if !r.tags.is_empty() {
        write_tags(tx, id, &r.tags).await?;
    }
    let data = serde_json::json!({ "channel": r.channel, "number": number });
    insert_event(tx, r.merchant, id, EventKind::Created, actor, data, t).await?;
    let mut conv = Conversation {
        id,
        merchant_id: r.merchant,
        number,
        channel: r.channel,
        status,
        priority: r.priority,
        subject: r.subject.clone(),
        customer_id: customer,
        order_id: r.order_id,
        assignee_id: r.assignee_id,
        queue: r.queue.clone(),
        category: r.category.clone(),
        tags: r.tags.clone(),
        created_at: t,
        updated_at: t,
        first_response_at: None,
        resolved_at: None,
        first_response_due_at: first_due,
        resolution_due_at: resolution_due,
        first_response_breached_at: None,
        resolution_breached_at: None,
        bot_outcome,
        last_message_at: None,
        waiting_since: None,
        offered_at: None,
        accepted_at: r.assignee_id.map(|_| t),
        contact_ended_at: None,
    };
    for m in &r.messages {
        insert_message(tx, &mut conv, m, m.created_at.unwrap_or(t)).await?;
    }
    if let Some(s) = r.status.filter(|s| *s != conv.status) {
        let at = conv.updated_at;
        let resolved_at = resolved_at_after(s, None, at);
        on_db!(tx, c => sqlx::query("UPDATE conversations SET status = $2, resolved_at = $3 WHERE id = $1")
                .bind(id.0)
                .bind(s.as_str())
                .bind(resolved_at)
                .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        let data = serde_json::json!({ "from": conv.status, "to": s });
        insert_event(tx, r.merchant, id, EventKind::StatusChanged, actor, data, at).await?;
        crate::search_feed::enqueue(tx, r.merchant, FeedKind::Conversation, id.0).await?;
    }
    audit::record(
        tx,
        NewAuditEvent {
            merchant_id: Some(r.merchant),
            actor_user_id: actor,
            action: AuditAction::Create,
            subject_type: SubjectType::Conversation,
            subject_id: id.to_string(),
            details: serde_json::json!({ "number": number, "channel": r.channel }),
        },
    )
    .await?;
    Ok(conv)
}

impl Store {
    /// Gives an unassigned conversation to `user` — the agent who just answered it — and says
    /// whether it did. One statement decides, so of two agents answering at once only the first
    /// takes it; a conversation someone holds is left alone.
    pub async fn take_unassigned(&self, scope: &Scope, user: UserId, id: ConversationId) -> Result<bool> {
        let mut tx = self.begin().await?;
        let conv = Store::conversation_in_tx(&mut tx, scope, id).await?;
        if conv.assignee_id.is_some() {
            return Ok(false);
        }
        check_assignee(&mut tx, conv.merchant_id, user).await?;
        let t = now();
        let taken = on_db!(&mut tx, c => sqlx::query(
            "UPDATE conversations SET assignee_id = $2, offered_at = NULL, accepted_at = $3, updated_at = $3,
                    status = CASE WHEN status = 'new' THEN 'open' ELSE status END
             WHERE id = $1 AND assignee_id IS NULL",
        )
        .bind(id.0)
        .bind(user.0)
        .bind(t)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        if taken == 0 {
            return Ok(false);
        }
        let data = serde_json::json!({ "from": null, "to": user, "reason": "replied" });
        insert_event(&mut tx, conv.merchant_id, id, EventKind::Assigned, Some(user), data, t).await?;
        audit::record(
            &mut tx,
            NewAuditEvent {
                merchant_id: Some(conv.merchant_id),
                actor_user_id: Some(user),
                action: AuditAction::Update,
                subject_type: SubjectType::Conversation,
                subject_id: id.to_string(),
                details: serde_json::json!({ "changed": ["assigned"], "reason": "replied" }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
