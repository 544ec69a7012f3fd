//! Escalations (エスカレーション): the desk hands a question to the merchant with a due time;
//! the merchant's answer flows back into the conversation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::enums::EscalationStatus;
use crate::ids::{ConversationId, EscalationId, MerchantId, UserId};
use crate::validation::{ValidationError, limits, required};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Escalation {
    pub id: EscalationId,
    pub merchant_id: MerchantId,
    pub conversation_id: ConversationId,
    pub question: String,
    pub due_at: DateTime<Utc>,
    pub status: EscalationStatus,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub answer: Option<String>,
    pub answered_by: Option<UserId>,
    pub answered_at: Option<DateTime<Utc>>,
}

impl Escalation {
    /// Open and past its due time: shown as overdue on both sides.
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.status == EscalationStatus::Open && self.due_at < now
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEscalation {
    pub question: String,
    pub due_at: DateTime<Utc>,
}

impl NewEscalation {
    pub fn validate(&self, now: DateTime<Utc>) -> Result<String, ValidationError> {
        let q = required("question", &self.question, limits::TEXT)?;
        if self.due_at <= now {
            return Err(ValidationError::new("due_at", "due_in_past", "the due time must be in the future"));
        }
        Ok(q)
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationAnswer {
    pub answer: String,
}

impl EscalationAnswer {
    pub fn validate(&self) -> Result<String, ValidationError> {
        required("answer", &self.answer, limits::TEXT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn questions_need_text_and_a_future_due_time() {
        let now = Utc::now();
        assert!(NewEscalation { question: "返品可否".into(), due_at: now + Duration::hours(4) }.validate(now).is_ok());
        assert_eq!(
            NewEscalation { question: " ".into(), due_at: now + Duration::hours(4) }.validate(now).unwrap_err().code,
            "required"
        );
        assert_eq!(NewEscalation { question: "x".into(), due_at: now }.validate(now).unwrap_err().code, "due_in_past");
        assert!(EscalationAnswer { answer: "".into() }.validate().is_err());
    }
}
