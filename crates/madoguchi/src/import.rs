//! `madoguchi import conversations`: history from another helpdesk as JSON Lines, one
//! conversation a line:
//!
//! ```json
//! {"external_id": "zd-1042", "channel": "email", "subject": "…", "status": "closed",
//!  "category": "配送", "created_at": "2025-03-01T10:00:00+09:00", "order_number": "HM-1",
//!  "customer": {"name": "山田 花子", "email": "…", "phone": "…", "line": "U…"},
//!  "messages": [{"direction": "inbound", "body": "…", "created_at": "…"},
//!               {"direction": "outbound", "body": "…", "created_at": "…", "internal": false}]}
//! ```
//!
//! Every line is checked before anything is stored; then the file goes in batches, each in
//! one transaction. A second run skips what is there (by `external_id`).

use anyhow::Context;
use chrono::{DateTime, Utc};
use madoguchi_core::enums::{AuthorKind, Channel, ConversationStatus, Direction, Priority};
use madoguchi_core::identity::{IdentityKind, normalize};
use madoguchi_core::ids::MerchantId;
use madoguchi_store::Store;
use madoguchi_store::conversations::{ConversationRecord, MessageRecord};
use madoguchi_store::history::{HistoryConversation, HistoryImported, import_message_id};
use serde::Deserialize;

const BATCH: usize = 500;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    external_id: String,
    channel: Channel,
    subject: Option<String>,
    status: Option<ConversationStatus>,
    category: Option<String>,
    created_at: Option<DateTime<Utc>>,
    order_number: Option<String>,
    #[serde(default)]
    customer: Customer,
    messages: Vec<Msg>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Customer {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    line: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Msg {
    direction: Direction,
    body: String,
    created_at: DateTime<Utc>,
    #[serde(default)]
    internal: bool,
}

/// One line of the file, checked.
fn parse_line(merchant: MerchantId, raw: &str) -> Result<HistoryConversation, String> {
    let l: Line = serde_json::from_str(raw).map_err(|e| e.to_string())?;
    let ext = l.external_id.trim().to_owned();
    if ext.is_empty() || ext.len() > 100 {
        return Err("external_id: 1–100 characters".into());
    }
    if l.messages.is_empty() {
        return Err("messages: at least one".into());
    }
    if l.status == Some(ConversationStatus::Bot) {
        return Err("status: bot is for chats the bot holds now, not for history".into());
    }
    let mut identities = Vec::new();
    for (kind, value) in [
        (IdentityKind::Email, &l.customer.email),
        (IdentityKind::Phone, &l.customer.phone),
        (IdentityKind::Line, &l.customer.line),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            identities.push(normalize(kind, v).map_err(|e| format!("customer.{}: {}", kind.as_str(), e.message))?);
        }
    }
    let mut messages = Vec::with_capacity(l.messages.len());
    for (n, m) in l.messages.iter().enumerate() {
        if m.body.trim().is_empty() {
            return Err(format!("messages[{n}].body: empty"));
        }
        let inbound = m.direction == Direction::Inbound;
        messages.push(MessageRecord {
            channel: Some(l.channel),
            direction: m.direction,
            internal: m.internal && !inbound,
            author_kind: if inbound { AuthorKind::Customer } else { AuthorKind::User },
            author_user_id: None,
            body_text: m.body.clone(),
            body_html: None,
            attachments: vec![],
            provider_message_id: Some(import_message_id(&ext, n)),
            meta: Default::default(),
            created_at: Some(m.created_at),
        });
    }
    let created_at = l.created_at.unwrap_or(l.messages[0].created_at);
    Ok(HistoryConversation {
        external_id: ext,
        record: ConversationRecord {
            merchant,
            channel: l.channel,
            subject: l.subject.map(|s| s.chars().take(200).collect()),
            customer_id: None,
            customer_identity: None,
            order_id: None,
            priority: Priority::Normal,
            queue: None,
            category: l.category,
            tags: vec![],
            assignee_id: None,
            messages,
            status: Some(l.status.unwrap_or(ConversationStatus::Closed)),
            created_at: Some(created_at),
        },
        customer_name: l.customer.name.filter(|n| !n.trim().is_empty()),
        identities,
        order_number: l.order_number,
    })
}

/// Reads and checks the whole file, then imports it in batches; prints progress.
pub async fn conversations(
    store: &Store,
    merchant: MerchantId,
    path: &std::path::Path,
) -> anyhow::Result<HistoryImported> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(merchant, line) {
            Ok(c) => parsed.push(c),
            Err(e) => errors.push(format!("line {}: {e}", n + 1)),
        }
    }
    if !errors.is_empty() {
        let shown: Vec<&String> = errors.iter().take(20).collect();
        anyhow::bail!(
            "{}: {} bad lines, nothing imported\n{}",
            path.display(),
            errors.len(),
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
        );
    }
    let started = std::time::Instant::now();
    let mut total = HistoryImported::default();
    for batch in parsed.chunks(BATCH) {
        let done = store.import_history(merchant, batch).await?;
        total.conversations += done.conversations;
        total.messages += done.messages;
        total.skipped += done.skipped;
        eprintln!("  {} / {} conversations", total.conversations + total.skipped, parsed.len());
    }
    let secs = started.elapsed().as_secs_f64().max(0.001);
    println!(
        "{} conversations ({} messages) imported, {} already there, in {secs:.1} s ({:.0} messages/s)",
        total.conversations,
        total.messages,
        total.skipped,
        total.messages as f64 / secs
    );
    Ok(total)
}

/// `madoguchi import orders`: a shop system's order CSV; prints what was (or would be) stored
/// and every bad row, and fails when nothing could be stored.
pub async fn orders(
    store: &Store,
    merchant: MerchantId,
    file: &std::path::Path,
    dry_run: bool,
    skip_invalid: bool,
) -> anyhow::Result<()> {
    use madoguchi_app::usecases::order_import::{ImportOptions, import_orders};
    let data = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let scope = madoguchi_core::access::Scope::All;
    let r = import_orders(store, &scope, None, merchant, &data, ImportOptions { dry_run, skip_invalid }).await?;
    println!(
        "{} ({}): {} rows, {} orders ({} new, {} known), {} lines, {} parcels, {} orders left out",
        file.display(),
        r.encoding,
        r.rows,
        r.orders,
        r.created,
        r.updated,
        r.lines,
        r.shipments,
        r.skipped
    );
    for e in &r.errors {
        eprintln!("{e} / {}", e.message_ja);
    }
    match (dry_run, r.stored) {
        (true, _) => println!("dry run: nothing stored"),
        (false, true) => println!("stored"),
        (false, false) => anyhow::bail!("nothing stored: fix the rows above, or pass --skip-invalid"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_line;
    use madoguchi_core::ids::MerchantId;

    #[test]
    fn lines_are_checked_field_by_field() {
        let m = MerchantId::new();
        let ok = r#"{"external_id":"zd-1","channel":"email","customer":{"name":"山田","email":"Yamada@Example.JP","phone":"090-1234-5678"},
            "messages":[{"direction":"inbound","body":"届きません","created_at":"2025-03-01T10:00:00+09:00"},
                        {"direction":"outbound","body":"確認します","created_at":"2025-03-01T11:00:00+09:00"}]}"#;
        let c = parse_line(m, ok).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.identities.len(), 2);
        assert_eq!(c.record.messages[1].provider_message_id.as_deref(), Some("import:zd-1:1"));
        assert!(c.record.messages.iter().all(|m| m.created_at.is_some()), "history is never delivered");
        for (bad, why) in [
            (
                r#"{"external_id":"","channel":"email","messages":[{"direction":"inbound","body":"x","created_at":"2025-03-01T10:00:00Z"}]}"#,
                "external_id",
            ),
            (r#"{"external_id":"a","channel":"email","messages":[]}"#, "messages"),
            (
                r#"{"external_id":"a","channel":"chat","status":"bot","messages":[{"direction":"inbound","body":"x","created_at":"2025-03-01T10:00:00Z"}]}"#,
                "status",
            ),
            (r#"{"external_id":"a","channel":"fax2","messages":[]}"#, "fax2"),
            (
                r#"{"external_id":"a","channel":"email","customer":{"phone":"12"},"messages":[{"direction":"inbound","body":"x","created_at":"2025-03-01T10:00:00Z"}]}"#,
                "customer.phone",
            ),
        ] {
            let e = parse_line(m, bad).unwrap_err();
            assert!(e.contains(why), "{why}: {e}");
        }
    }
}
