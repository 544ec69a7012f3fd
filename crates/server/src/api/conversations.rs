//! Conversations, their timelines and messages.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use madoguchi_core::conversation::{
    Conversation, ConversationPatch, Message, NewConversation, NewMessage, TimelineItem, validate_label,
};
use madoguchi_core::enums::{Channel, ConversationStatus, Priority, SubjectType};
use madoguchi_core::ids::{ConversationId, UserId};
use madoguchi_core::page::{Page, PageRequest};
use madoguchi_core::validation::{limits, optional, tags};
use madoguchi_store::conversations::{ConversationFilter, ConversationRecord};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery, Json, created, id};
use madoguchi_app::usecases::audit::audit_read;
use madoguchi_app::usecases::messages::message_record;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConversationQuery {
    /// Merchant id or slug.
    pub merchant: Option<String>,
    pub status: Option<ConversationStatus>,
    pub channel: Option<Channel>,
    pub priority: Option<Priority>,
    /// A user id, `me`, or `none` for unassigned.
    pub assignee: Option<String>,
    pub customer: Option<String>,
    pub category: Option<String>,
    pub queue: Option<String>,
    pub tag: Option<String>,
    /// Only conversations changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConversationDetail {
    pub conversation: Conversation,
    /// Messages and events in time order.
    pub timeline: Vec<TimelineItem>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessageCreated {
    pub message: Message,
    /// `false` when the provider message id was seen before and nothing new was stored.
    pub created: bool,
}

#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(ConversationQuery),
    responses((status = 200, body = Page<Conversation>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_conversations(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<ConversationQuery>,
) -> ApiResult<Json<Page<Conversation>>> {
    let scope = p.scope();
    let merchant = match &q.merchant {
        Some(m) => Some(st.store.resolve_merchant(&scope, m).await?),
        None => None,
    };
    let (assignee, unassigned) = match q.assignee.as_deref() {
        None => (None, false),
        Some("me") => (Some(p.user_id), false),
        Some("none") => (None, true),
        Some(u) => (
            Some(
                id::<UserId>(u)
                    .map_err(|_| ApiError::bad_request("invalid_query", "assignee: a user id, me or none"))?,
            ),
            false,
        ),
    };
    let customer = match &q.customer {
        Some(c) => Some(st.store.get_customer(&scope, id(c)?).await?.id),
        None => None,
    };
    let f = ConversationFilter {
        merchant,
        status: q.status,
        channel: q.channel,
        priority: q.priority,
        assignee,
        unassigned,
        customer,
        category: q.category,
        queue: q.queue,
        tag: q.tag,
        updated_since: q.updated_since,
        ..Default::default()
    };
    let page = st.store.list_conversations(&scope, &f, PageRequest::parse(q.cursor.as_deref(), q.limit)?).await?;
    let seen: Vec<_> = page.items.iter().map(|c| (c.merchant_id, c.id.to_string())).collect();
    audit_read(&st, &p, SubjectType::Conversation, &seen).await?;
    Ok(Json(page))
}

/// Opens a conversation, optionally with its first message. The customer is given by id, or
/// by an identity that finds (or creates) the merchant's customer.
#[utoipa::path(post, path = "/api/v1/conversations", tag = "conversations", request_body = NewConversation,
    responses((status = 201, body = Conversation), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_conversation(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<NewConversation>,
) -> ApiResult<(StatusCode, Json<Conversation>)> {
    let scope = p.scope();
    let merchant = st.store.resolve_merchant(&scope, &req.merchant).await?;
    req.validate()?;
    if let Some(m) = &req.message {
        madoguchi_app::usecases::messages::may_send(&st.store, &p, merchant, m).await?;
    }
    let record = ConversationRecord {
        merchant,
        channel: req.channel,
        subject: optional("subject", req.subject.as_deref(), limits::SHORT)?,
        customer_id: req.customer_id,
        customer_identity: req.customer_identity.as_ref().map(|i| i.normalize()).transpose()?,
        order_id: req.order_id,
        priority: req.priority.unwrap_or(Priority::Normal),
        queue: validate_label("queue", req.queue.as_deref())?,
        category: validate_label("category", req.category.as_deref())?,
        tags: tags("tags", &req.tags)?,
        assignee_id: req.assignee_id,
        messages: req.message.as_ref().map(|m| message_record(&p, m)).transpose()?.into_iter().collect(),
        status: None,
        created_at: None,
    };
    let conv = st.store.create_conversation(&scope, Some(p.user_id), &record).await?;
    // Offer it at once if an agent is free; the periodic pass catches anything missed.
    madoguchi_app::usecases::routing::route_merchants(&st.store, &[merchant]).await;
    Ok(created(st.store.get_conversation(&scope, conv.id).await?))
}

/// A conversation with its whole timeline. Merchant staff do not see internal notes.
#[utoipa::path(get, path = "/api/v1/conversations/{conversation}", tag = "conversations", params(("conversation" = String, Path)),
    responses((status = 200, body = ConversationDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_conversation(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(conversation): Path<String>,
) -> ApiResult<Json<ConversationDetail>> {
    let scope = p.scope();
    let cid: ConversationId = id(&conversation)?;
    let c = st.store.get_conversation(&scope, cid).await?;
    let timeline = st.store.timeline(&scope, cid, p.sees_internal_notes()).await?;
    audit_read(&st, &p, SubjectType::Conversation, &[(c.merchant_id, c.id.to_string())]).await?;
    Ok(Json(ConversationDetail { conversation: c, timeline }))
}

/// Changes status, priority, assignee, queue, category, tags, subject, customer or order; each
/// change is recorded in the timeline.
#[utoipa::path(patch, path = "/api/v1/conversations/{conversation}", tag = "conversations", params(("conversation" = String, Path)),
    request_body = ConversationPatch,
    responses((status = 200, body = Conversation), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_conversation(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(conversation): Path<String>,
    ApiJson(req): ApiJson<ConversationPatch>,
) -> ApiResult<Json<Conversation>> {
    let ch = madoguchi_app::usecases::conversations::change_of(&req)?;
    Ok(Json(st.store.update_conversation(&p.scope(), Some(p.user_id), id(&conversation)?, &ch).await?))
}

#[utoipa::path(get, path = "/api/v1/conversations/{conversation}/messages", tag = "conversations",
    params(("conversation" = String, Path), super::users::PageQuery),
    responses((status = 200, body = Page<Message>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_messages(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(conversation): Path<String>,
    ApiQuery(q): ApiQuery<super::users::PageQuery>,
) -> ApiResult<Json<Page<Message>>> {
    let scope = p.scope();
    let c = st.store.get_conversation(&scope, id(&conversation)?).await?;
    let page = st.store.list_messages(&scope, c.id, p.sees_internal_notes(), q.page()?).await?;
    audit_read(&st, &p, SubjectType::Conversation, &[(c.merchant_id, c.id.to_string())]).await?;
    Ok(Json(page))
}

/// Adds an inbound message, an outbound reply or an internal note. With a
/// `provider_message_id` seen before, nothing is stored and the earlier message is returned
/// with 200.
#[utoipa::path(post, path = "/api/v1/conversations/{conversation}/messages", tag = "conversations",
    params(("conversation" = String, Path)), request_body = NewMessage,
    responses((status = 201, body = MessageCreated), (status = 200, body = MessageCreated), (status = 404, body = crate::error::ErrorBody)))]
pub async fn add_message(
    State(st): State<AppState>,
    Caller(p): Caller,
    Path(conversation): Path<String>,
    ApiJson(req): ApiJson<NewMessage>,
) -> ApiResult<(StatusCode, Json<MessageCreated>)> {
    let cid: ConversationId = id(&conversation)?;
    let w = madoguchi_app::usecases::messages::write(&st, &p, cid, &req).await?;
    let status = if w.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(MessageCreated { message: w.message, created: w.created })))
}
