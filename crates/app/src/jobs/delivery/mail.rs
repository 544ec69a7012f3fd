//! Replies by mail: from the shop's address to the customer's, answering the customer's
//! latest mail so their mailer threads it, with the conversation's ticket in the subject.

use madoguchi_channels::delivery::DeliveryError;
use madoguchi_channels::email::smtp::{MailFile, Mailer, OutgoingMail};
use madoguchi_channels::email::ticket_token;
use madoguchi_core::access::Scope;
use madoguchi_core::conversation::{Conversation, Message, TimelineItem};
use madoguchi_core::enums::{Channel, Direction};
use madoguchi_core::identity::IdentityKind;
use madoguchi_store::Store;
use madoguchi_store::merchants::MerchantKey;

use super::{BoxFuture, Outgoing, Sender, from_store};

pub struct MailSender(pub Mailer);

impl Sender for MailSender {
    fn send<'a>(&'a self, out: Outgoing<'a>) -> BoxFuture<'a, Result<Option<String>, DeliveryError>> {
        Box::pin(async move { send_mail(&self.0, out.store, out.conversation, out.message).await.map(Some) })
    }
}

async fn send_mail(
    mailer: &Mailer,
    store: &Store,
    conv: &Conversation,
    message: &Message,
) -> Result<String, DeliveryError> {
    let scope = Scope::All;
    let account = store
        .channel_account(&scope, conv.merchant_id, Channel::Email)
        .await
        .map_err(from_store)?
        .and_then(|a| a.address)
        .ok_or_else(|| {
            DeliveryError::permanent("このショップには送信元メールアドレスがありません / the shop has no mail address")
        })?;
    let customer = conv
        .customer_id
        .ok_or_else(|| DeliveryError::permanent("顧客が未設定です / the conversation has no customer"))?;
    // A message addressed on its own (a transcript asked for from the chat window) goes there;
    // a reply goes to the customer's address.
    let addressed = message.meta.email.as_ref().filter(|_| message.direction == Direction::Outbound);
    let to = match addressed.and_then(|e| e.to.first()) {
        Some(to) => to.clone(),
        None => store.customer_identity_value(customer, IdentityKind::Email).await.map_err(from_store)?.ok_or_else(
            || DeliveryError::permanent("顧客のメールアドレスがありません / the customer has no e-mail address"),
        )?,
    };
    let merchant = store.get_merchant(&scope, MerchantKey::Id(conv.merchant_id)).await.map_err(from_store)?;
    let domain = account.rsplit('@').next().unwrap_or("localhost");
    let message_id = format!("<mdg-{}@{}>", message.id, domain);

    // Answer the customer's latest mail so their mailer threads it.
    let timeline = store.timeline(&scope, conv.id, false).await.map_err(from_store)?;
    let parent = timeline.iter().rev().find_map(|t| match t {
        TimelineItem::Message(m)
            if m.direction == Direction::Inbound && m.channel == Channel::Email && m.provider_message_id.is_some() =>
        {
            Some(m)
        }
        _ => None,
    });
    let token = ticket_token(conv.number);
    // A subject the agent wrote is sent as written (with the ticket); otherwise the thread's.
    let own_subject = addressed.and_then(|e| e.subject.clone()).filter(|s| !s.trim().is_empty());
    let base = own_subject
        .clone()
        .or_else(|| conv.subject.clone())
        .unwrap_or_else(|| format!("{}へのお問い合わせ", merchant.name));
    let with_token = if base.contains(&token) { base } else { format!("{base} {token}") };
    // "Re:" only when answering a mail; a web-form confirmation starts the thread.
    let subject = if parent.is_some() && own_subject.is_none() { format!("Re: {with_token}") } else { with_token };

    let (in_reply_to, references) = match parent {
        Some(p) => {
            let parent_id = format!("<{}>", p.provider_message_id.as_deref().unwrap_or_default());
            let mut refs: Vec<String> = p
                .meta
                .email
                .as_ref()
                .map(|e| e.references.iter().map(|r| format!("<{r}>")).collect())
                .unwrap_or_default();
            refs.push(parent_id.clone());
            (Some(parent_id), refs)
        }
        None => (None, vec![]),
    };
    let mail = OutgoingMail {
        from_name: merchant.name.clone(),
        from_address: account.clone(),
        to,
        cc: addressed.map(|e| e.cc.clone()).unwrap_or_default(),
        bcc: addressed.map(|e| e.bcc.clone()).unwrap_or_default(),
        subject,
        message_id: message_id.clone(),
        in_reply_to,
        references,
        body: message.body_text.clone(),
        attachments: files_of(store, message).await?,
        auto_submitted: message.author_kind != madoguchi_core::enums::AuthorKind::User,
    };
    mailer.send(&mail).await?;
    Ok(message_id)
}

/// The message's stored files, read for the mail. A file that is gone fails the delivery for
/// good rather than sending the mail without it.
async fn files_of(store: &Store, message: &Message) -> Result<Vec<MailFile>, DeliveryError> {
    let mut out = Vec::new();
    for a in &message.attachments {
        let Some(id) = a.storage_key.as_deref().and_then(|k| k.parse::<uuid::Uuid>().ok()) else { continue };
        let blob = store.get_blob(&Scope::All, id).await.map_err(|e| match e {
            madoguchi_store::StoreError::NotFound => {
                DeliveryError::permanent(format!("添付ファイル {} がありません / the file is gone", a.filename))
            }
            e => from_store(e),
        })?;
        out.push(MailFile { filename: a.filename.clone(), content_type: a.content_type.clone(), data: blob.data });
    }
    Ok(out)
}
