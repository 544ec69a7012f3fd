//! A contact typed in by staff — a FAX, a postcard, a phone memo, a visit — taken in like any
//! channel's: stored once (the form's submission id makes a second send a no-op) as the
//! customer's message, at the time it was received, with its scans.

use madoguchi_core::access::Principal;
use madoguchi_core::conversation::MessageMeta;
use madoguchi_core::enums::{AuthorKind, Channel, Direction};
use madoguchi_core::identity::NormalizedIdentity;
use madoguchi_core::ids::{ConversationId, MerchantId};
use madoguchi_store::blobs::NewBlob;
use madoguchi_store::conversations::MessageRecord;
use madoguchi_store::inbound::{InboundContact, InboundOutcome, Thread};
use madoguchi_store::{Store, StoreError};

use super::error::UseCaseResult;

/// What the staff member typed, already checked.
pub struct Typed {
    pub name: String,
    pub phone: Option<NormalizedIdentity>,
    pub email: Option<NormalizedIdentity>,
    pub subject: String,
    pub category: Option<&'static str>,
    pub order_number: Option<String>,
    pub body: String,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub submission: uuid::Uuid,
    pub scans: Vec<NewBlob>,
}

/// Stores the contact once and returns its conversation. The phone number identifies the
/// customer first (it is what a FAX or postcard carries); a mail address given as well joins the
/// same customer, or is kept as a claim if another customer has it.
pub async fn store_contact(
    store: &Store,
    p: &Principal,
    merchant: MerchantId,
    channel: Channel,
    c: Typed,
) -> UseCaseResult<ConversationId> {
    let identity = c.phone.clone().or_else(|| c.email.clone());
    let contact = InboundContact {
        merchant,
        channel,
        identity,
        customer_name: (!c.name.is_empty()).then(|| c.name.clone()),
        subject: Some(c.subject),
        category: c.category.map(str::to_owned),
        order_number: c.order_number,
        thread: Thread::New,
        message: MessageRecord {
            channel: Some(channel),
            direction: Direction::Inbound,
            internal: false,
            author_kind: AuthorKind::Customer,
            author_user_id: None,
            body_text: c.body,
            body_html: None,
            attachments: vec![],
            provider_message_id: Some(format!("typed:{}", c.submission)),
            meta: MessageMeta::default(),
            created_at: Some(c.received_at),
        },
        files: c.scans,
        raw: None,
        event_id: None,
        entered_by: Some(p.user_id),
        bot: false,
    };
    let conversation = match store.receive(contact).await? {
        InboundOutcome::Stored(r) => {
            if let (Some(email), Some(_), Some(customer)) = (&c.email, &c.phone, r.customer) {
                store.attach_or_claim_identity(customer, email, channel).await?;
            }
            r.conversation
        }
        // The same form sent twice: the first one stands.
        InboundOutcome::Duplicate { message: Some(m) } => store.get_message(&p.scope(), m).await?.conversation_id,
        InboundOutcome::Duplicate { message: None } => return Err(StoreError::NotFound.into()),
    };
    metrics::counter!("madoguchi_inbound_total", "channel" => channel.as_str()).increment(1);
    Ok(conversation)
}
