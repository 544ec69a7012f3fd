//! A contact typed in by staff — a FAX, a postcard, a phone memo, a visit — taken in like any
//! channel's: stored once (the form's submission id makes a second send a no-op) as the
//! customer's message, at the time it was received, with its scans.

use madoguchi_core::access::Principal;
use madoguchi_core::enums::Channel;
use madoguchi_core::identity::NormalizedIdentity;
use madoguchi_core::ids::{ConversationId, MerchantId};
use madoguchi_store::StoreError;
use madoguchi_store::blobs::NewBlob;
use madoguchi_store::conversations::MessageRecord;
use madoguchi_store::inbound::{InboundContact, InboundOutcome, Thread};

use super::{Routing, ingest_routed};
use crate::App;
use crate::usecases::error::UseCaseResult;

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
    app: &App,
    p: &Principal,
    merchant: MerchantId,
    channel: Channel,
    c: Typed,
) -> UseCaseResult<ConversationId> {
    let identity = c.phone.clone().or_else(|| c.email.clone());
    let message = MessageRecord {
        provider_message_id: Some(format!("typed:{}", c.submission)),
        created_at: Some(c.received_at),
        ..MessageRecord::from_customer(channel, c.body)
    };
    let contact = InboundContact {
        identity,
        customer_name: (!c.name.is_empty()).then(|| c.name.clone()),
        subject: Some(c.subject),
        category: c.category.map(str::to_owned),
        order_number: c.order_number,
        files: c.scans,
        entered_by: Some(p.user_id),
        ..InboundContact::new(merchant, channel, Thread::New, message)
    };
    let store = &app.store;
    // Routed before the page shows it, so the one who typed it in sees where it went.
    let conversation = match ingest_routed(app, contact, Routing::Now).await? {
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
    Ok(conversation)
}
