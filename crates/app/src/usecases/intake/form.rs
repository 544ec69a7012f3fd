//! An inquiry sent through a shop's web form, taken in: stored once (the form's submission id
//! makes a resend the same message) on the customer with that mail address, the phone number
//! joined to them or offered for merging, a confirmation queued to the customer.

use madoguchi_core::access::Scope;
use madoguchi_core::conversation::{EmailMeta, MessageMeta};
use madoguchi_core::enums::{AuthorKind, Channel, Direction};
use madoguchi_core::identity::NormalizedIdentity;
use madoguchi_core::merchant::Merchant;
use madoguchi_store::StoreError;
use madoguchi_store::blobs::NewBlob;
use madoguchi_store::conversations::MessageRecord;
use madoguchi_store::inbound::{InboundContact, InboundOutcome, Thread};

use super::ingest;
use crate::App;
use crate::usecases::error::UseCaseResult;

/// What the customer sent, already checked.
pub struct FormInquiry {
    pub name: String,
    pub email: NormalizedIdentity,
    pub phone: Option<NormalizedIdentity>,
    pub category: &'static str,
    pub order_number: String,
    pub message: String,
    pub submission: uuid::Uuid,
    pub files: Vec<NewBlob>,
}

/// Takes the inquiry in; returns the conversation's number (the one the customer was given
/// the first time, when the form is sent twice).
pub async fn take_in(app: &App, m: &Merchant, f: FormInquiry) -> UseCaseResult<i64> {
    let store = &app.store;
    let FormInquiry { name, email, phone, category, order_number, message, submission, files } = f;
    let first_line: String = message.lines().next().unwrap_or_default().chars().take(40).collect();
    let mut body = message.clone();
    if let Some(p) = &phone {
        body.push_str(&format!("\n\n電話番号: {}", p.display));
    }
    let inquiry = MessageRecord {
        // The submission id: a resend of the same form is the same message.
        provider_message_id: Some(format!("form:{submission}")),
        meta: MessageMeta {
            sender_name: Some(name.clone()),
            email: Some(EmailMeta { from: Some(email.value.clone()), ..EmailMeta::default() }),
            ..MessageMeta::default()
        },
        ..MessageRecord::from_customer(Channel::WebForm, body)
    };
    let contact = InboundContact {
        identity: Some(email.clone()),
        customer_name: Some(name.clone()),
        subject: Some(format!("【{category}】{first_line}")),
        category: Some(category.to_owned()),
        order_number: (!order_number.is_empty()).then(|| order_number.clone()),
        files,
        ..InboundContact::new(m.id, Channel::WebForm, Thread::New, inquiry)
    };
    let received = match ingest(app, contact).await? {
        InboundOutcome::Stored(r) => r,
        InboundOutcome::Duplicate { message } => {
            // Sent twice (double click, back and send): the first one stands.
            let scope = Scope::Merchants(vec![m.id]);
            let mid = message.ok_or(StoreError::NotFound)?;
            let conv = store.get_message(&scope, mid).await?.conversation_id;
            return Ok(store.get_conversation(&scope, conv).await?.number);
        }
    };
    let scope = Scope::Merchants(vec![m.id]);
    // The number joins the customer unless another customer of the shop has it; then the desk
    // is offered the two for merging instead.
    if let Some(p) = &phone
        && let Some(c) = received.customer
        && let Err(e) = store.attach_or_claim_identity(c, p, Channel::WebForm).await
    {
        tracing::warn!(error = %e, "phone number from the web form not kept");
    }
    let conv = store.get_conversation(&scope, received.conversation).await?;
    let confirmation = MessageRecord {
        channel: Some(Channel::WebForm),
        direction: Direction::Outbound,
        internal: false,
        author_kind: AuthorKind::System,
        author_user_id: None,
        body_text: confirmation_text(&m, &name, conv.number, category, &order_number, &message),
        body_html: None,
        attachments: vec![],
        provider_message_id: None,
        meta: MessageMeta::default(),
        created_at: None,
    };
    // Stored after the inquiry: the inquiry is safe even if this fails; the desk sees no
    // confirmation in the timeline and can write to the customer itself.
    if let Err(e) = store.add_message(&scope, None, received.conversation, &confirmation).await {
        tracing::error!(error = ?e, conversation = %received.conversation, "web form confirmation not queued");
    }
    Ok(conv.number)
}

fn confirmation_text(m: &Merchant, name: &str, number: i64, category: &str, order: &str, message: &str) -> String {
    let order = if order.is_empty() { "（なし）" } else { order };
    format!(
        "{name} 様\n\n{shop}へのお問い合わせを受け付けました。\n受付番号: {number}\n\n\
         内容を確認のうえ、担当者より順にご連絡いたします。\n\
         このメールにご返信いただくと、同じお問い合わせとしてお受けします。\n\n\
         ――― お問い合わせ内容 ―――\n種類: {category}\nご注文番号: {order}\n\n{message}\n――――――――――――\n\n{shop}\n",
        shop = m.name
    )
}
