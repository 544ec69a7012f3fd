//! A staff member's new message (reply or internal note), validated and made ready to store,
//! for the API and the console alike.

use madoguchi_core::access::Principal;
use madoguchi_core::conversation::{MessageKind, NewMessage};
use madoguchi_core::enums::{AuthorKind, Direction};
use madoguchi_core::validation::ValidationError;
use madoguchi_store::conversations::MessageRecord;

use super::error::{UseCaseError, UseCaseResult};
use crate::sanitize::clean_html;

/// Turns an API message into a store record: validated, HTML sanitised, authored by the caller.
pub fn message_record(p: &Principal, m: &NewMessage) -> UseCaseResult<MessageRecord> {
    m.validate()?;
    if m.kind == MessageKind::InternalNote && !p.sees_internal_notes() {
        return Err(UseCaseError::Forbidden("merchant staff cannot write the desk's internal notes".into()));
    }
    let (direction, internal, author_kind, author) = match m.kind {
        // Staff record what a customer said (a phone memo, a typed-in FAX); the author is the customer.
        MessageKind::Inbound => (Direction::Inbound, false, AuthorKind::Customer, None),
        MessageKind::Outbound => (Direction::Outbound, false, AuthorKind::User, Some(p.user_id)),
        MessageKind::InternalNote => (Direction::Outbound, true, AuthorKind::User, Some(p.user_id)),
    };
    Ok(MessageRecord {
        channel: m.channel,
        direction,
        internal,
        author_kind,
        author_user_id: author,
        body_text: m.body_text.clone(),
        body_html: m
            .body_html
            .as_deref()
            .map(clean_html)
            .transpose()
            .map_err(|e| ValidationError::new("body_html", "html_too_complex", e.to_string()))?,
        attachments: m.attachments.clone(),
        provider_message_id: m.provider_message_id.as_ref().map(|s| s.trim().to_owned()),
        meta: mail_meta(m)?,
        created_at: None,
    })
}

/// A reply's own subject and copies, kept with it for the mail sender.
fn mail_meta(m: &NewMessage) -> UseCaseResult<madoguchi_core::conversation::MessageMeta> {
    let headers = match &m.mail {
        Some(h) if m.kind == MessageKind::Outbound => h.validated()?,
        _ => return Ok(Default::default()),
    };
    if headers.is_empty() {
        return Ok(Default::default());
    }
    Ok(madoguchi_core::conversation::MessageMeta {
        email: Some(madoguchi_core::conversation::EmailMeta {
            subject: headers.subject,
            cc: headers.cc,
            bcc: headers.bcc,
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// A message written from the desk as it was stored.
pub struct Written {
    pub message: madoguchi_core::conversation::Message,
    /// `false`: its provider id was seen before and the earlier message is returned.
    pub created: bool,
}

/// Writes a reply or a note on a conversation — the one path for the API and the console.
/// The first reply by one of the desk's staff takes an unassigned conversation (as Zendesk and
/// Chatwoot do), so the next agent does not answer it a second time; a conversation someone
/// else holds stays theirs (the console asks before answering it).
pub async fn write(
    app: &crate::App,
    p: &Principal,
    conversation: madoguchi_core::ids::ConversationId,
    m: &NewMessage,
) -> UseCaseResult<Written> {
    let scope = p.scope();
    let c = app.store.get_conversation(&scope, conversation).await?;
    may_send(&app.store, p, c.merchant_id, m).await?;
    let record = message_record(p, m)?;
    let (message, created) = app.store.add_message(&scope, Some(p.user_id), c.id, &record).await?;
    let replied = created && m.kind == MessageKind::Outbound && !p.role.is_merchant_role();
    // The message is stored: a take that cannot happen (the writer may not hold this shop's
    // conversations) must not turn the reply into an error the client would send again.
    if replied
        && c.assignee_id.is_none()
        && let Err(e) = app.store.take_unassigned(&scope, p.user_id, c.id).await
    {
        tracing::warn!(conversation = %c.id, error = ?e, "the reply did not take the conversation");
    }
    Ok(Written { message, created })
}

/// Whether the caller may write this message to the shop's customer: the shop's own staff only
/// where the shop lets them (off on a shared desk, where the desk answers customers and the
/// shop answers the desk's escalations). Notes and recorded inbound contacts are not replies.
pub async fn may_send(
    store: &madoguchi_store::Store,
    p: &Principal,
    merchant: madoguchi_core::ids::MerchantId,
    m: &NewMessage,
) -> UseCaseResult<()> {
    if m.kind != MessageKind::Outbound || !p.role.is_merchant_role() {
        return Ok(());
    }
    let shop = store.get_merchant(&p.scope(), madoguchi_store::merchants::MerchantKey::Id(merchant)).await?;
    if shop.staff_may_reply {
        return Ok(());
    }
    Err(UseCaseError::Forbidden(
        "this shop's staff answer the desk's escalations; the desk replies to customers".into(),
    ))
}
