//! A chat's transcript, mailed to the visitor who asks for it from the chat window. It is a
//! message of the conversation (channel mail, from the system), so the outbox sends it once,
//! retries it, and the desk sees that it went and to whom.

use chrono::{DateTime, Utc};
use madoguchi_core::ValidationError;
use madoguchi_core::access::Scope;
use madoguchi_core::conversation::{EmailMeta, Message, MessageMeta};
use madoguchi_core::enums::{AuthorKind, Channel, Direction};
use madoguchi_core::identity::normalize_email;
use madoguchi_core::ids::{ConversationId, UserId};
use madoguchi_core::merchant::Merchant;
use madoguchi_store::conversations::MessageRecord;

use super::error::{UseCaseError, UseCaseResult};

/// Messages a transcript holds at most (the latest ones).
const MAX_MESSAGES: i64 = 500;

/// Queues the conversation so far, as text, for mail to `email`. Refused when the address is
/// not one, or when the shop has no mail address to send from.
pub async fn mail_transcript(
    app: &crate::App,
    merchant: &Merchant,
    conversation: ConversationId,
    email: &str,
) -> UseCaseResult<String> {
    let to = normalize_email(email.trim())
        .map_err(|_| ValidationError::new("email", "invalid_email", "that mail address is not valid"))?;
    let scope = Scope::Merchants(vec![merchant.id]);
    let has_sender = app.store.channel_account(&scope, merchant.id, Channel::Email).await?.and_then(|a| a.address);
    if has_sender.is_none() {
        return Err(UseCaseError::Malformed {
            code: "transcript_unavailable",
            message: "this shop sends no mail; the transcript cannot be sent".into(),
        });
    }
    let messages = app.store.public_messages_since(&scope, conversation, None, MAX_MESSAGES).await?;
    let mut names = std::collections::HashMap::new();
    for m in &messages {
        if let Some(u) = m.author_user_id
            && !names.contains_key(&u)
        {
            let name = app.store.get_user_unscoped(u).await.map(|u| u.name_for_customers()).unwrap_or_default();
            names.insert(u, name);
        }
    }
    let body = transcript_text(merchant, &messages, &names);
    let record = MessageRecord {
        channel: Some(Channel::Email),
        direction: Direction::Outbound,
        internal: false,
        author_kind: AuthorKind::System,
        author_user_id: None,
        body_text: body,
        body_html: None,
        attachments: vec![],
        provider_message_id: None,
        meta: MessageMeta {
            email: Some(EmailMeta {
                to: vec![to.clone()],
                subject: Some(format!("【{}】チャットの記録", merchant.name)),
                ..EmailMeta::default()
            }),
            ..MessageMeta::default()
        },
        created_at: None,
    };
    app.store.add_message(&scope, None, conversation, &record).await?;
    Ok(to)
}

/// The chat as the visitor saw it: who, when (in the shop's zone) and what, oldest first.
/// Mail of the conversation (earlier transcripts) is left out.
pub fn transcript_text(
    merchant: &Merchant,
    messages: &[Message],
    names: &std::collections::HashMap<UserId, String>,
) -> String {
    let tz = merchant.tz();
    let mut out = format!("{}のチャットでのやりとりをお送りします。\n", merchant.name);
    out.push_str("(A transcript of your chat.)\n");
    for m in messages.iter().filter(|m| m.channel != Channel::Email) {
        let who = match m.author_kind {
            AuthorKind::Customer => "お客様".to_owned(),
            AuthorKind::User => match m.author_user_id.and_then(|u| names.get(&u)).filter(|n| !n.is_empty()) {
                Some(n) => format!("担当 {n}"),
                None => "担当".to_owned(),
            },
            AuthorKind::Bot => "自動応答".to_owned(),
            AuthorKind::System => "お知らせ".to_owned(),
        };
        let at: DateTime<Utc> = m.created_at;
        let local = at.with_timezone(&tz).format("%Y/%m/%d %H:%M");
        out.push_str(&format!("\n[{local}] {who}\n{}\n", m.body_text));
    }
    out.push_str("\n――\nこのメールにご返信いただくと、同じお問い合わせとして担当者に届きます。\n");
    out
}
