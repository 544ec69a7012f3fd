//! How a message shows in the timeline beyond its text: its files (and the raw mail it came
//! as), whether the reply went out, and what the mail checks flagged.

use crate::i18n::Texts;

/// Download links for a message's files, and for the raw mail it came as.
pub(super) fn message_files(t: &Texts, m: &madoguchi_core::conversation::Message) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = m
        .attachments
        .iter()
        .filter_map(|a| a.storage_key.as_ref().map(|k| (a.filename.clone(), format!("/desk/files/{k}"))))
        .collect();
    if let Some(raw) = &m.meta.raw_blob_id {
        files.push((t.raw_message.to_owned(), format!("/desk/files/{raw}")));
    }
    files
}

/// What the agent must know about a message beyond its text: whether the reply went out (and
/// why not), and whether the mail was written by a machine.
pub(super) fn message_status(t: &'static Texts, m: &madoguchi_core::conversation::Message) -> String {
    use madoguchi_core::enums::DeliveryStatus;
    let mut parts: Vec<String> = Vec::new();
    match (m.delivery_status, m.delivery_error.as_deref()) {
        (Some(DeliveryStatus::Queued), None) => parts.push(t.delivery_queued.to_owned()),
        (Some(DeliveryStatus::Queued), Some(e)) => {
            parts.push(format!("{}（{}: {e}）", t.delivery_queued, t.last_error))
        }
        (Some(DeliveryStatus::Sent | DeliveryStatus::Delivered), _) => parts.push(t.delivery_sent.to_owned()),
        (Some(DeliveryStatus::Failed), e) => parts.push(format!("{}: {}", t.delivery_failed, e.unwrap_or_default())),
        (None, _) => {}
    }
    for f in &m.meta.flags {
        parts.push(match f.as_str() {
            "auto_reply" => t.flag_auto_reply.to_owned(),
            "bounce" => t.flag_bounce.to_owned(),
            "bulk" => t.flag_bulk.to_owned(),
            "undecoded_mail" => t.flag_undecoded_mail.to_owned(),
            // The measured depth and count after the code are for the log, not the agent.
            f if f.starts_with("html_too_complex") => t.flag_html_too_complex.to_owned(),
            other => format!("{}: {other}", t.flag_check),
        });
    }
    parts.join(" ・ ")
}
