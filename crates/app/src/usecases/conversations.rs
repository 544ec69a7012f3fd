//! Changing a conversation's fields — status, priority, assignee, queue, category, tags,
//! subject, customer, linked order — from the API and from the conversation page alike: one
//! place checks what was typed before the store records the change.

use madoguchi_core::conversation::{ConversationPatch, validate_label};
use madoguchi_core::validation::{limits, required, tags};
use madoguchi_store::conversations::ConversationChange;

use super::error::UseCaseError;

/// The change a patch asks for, with labels folded (NFKC) and tags normalised.
pub fn change_of(patch: &ConversationPatch) -> Result<ConversationChange, UseCaseError> {
    Ok(ConversationChange {
        status: patch.status,
        priority: patch.priority,
        assignee_id: patch.assignee_id,
        queue: patch.queue.as_ref().map(|q| validate_label("queue", q.as_deref())).transpose()?,
        category: patch.category.as_ref().map(|c| validate_label("category", c.as_deref())).transpose()?,
        tags: patch.tags.as_deref().map(|t| tags("tags", t)).transpose()?,
        subject: patch.subject.as_deref().map(|s| required("subject", s, limits::SHORT)).transpose()?,
        customer_id: patch.customer_id,
        order_id: patch.order_id,
        at: None,
    })
}

/// Tags as an agent types them in one field: separated by commas (also 、 and ，) or spaces.
pub fn tags_typed(text: &str) -> Vec<String> {
    text.split(|c: char| matches!(c, ',' | '、' | '，' | '､') || c.is_whitespace())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_tags_split_on_japanese_and_ascii_commas_and_spaces() {
        assert_eq!(tags_typed("VIP、要注意, ギフト　再配達"), vec!["VIP", "要注意", "ギフト", "再配達"]);
        assert!(tags_typed(" 、 ").is_empty());
    }

    #[test]
    fn a_blank_subject_is_refused_and_labels_are_folded() {
        let bad = ConversationPatch { subject: Some("  ".into()), ..Default::default() };
        assert!(matches!(change_of(&bad), Err(UseCaseError::Invalid(v)) if v.field == "subject"));
        let ok = ConversationPatch {
            queue: Some(Some("ギフト".into())),
            tags: Some(vec!["ＶＩＰ".into(), "VIP".into()]),
            ..Default::default()
        };
        let ch = change_of(&ok).unwrap();
        assert_eq!(ch.tags.unwrap(), vec!["VIP"]);
        assert_eq!(ch.queue.unwrap().as_deref(), Some("ギフト"));
    }
}
