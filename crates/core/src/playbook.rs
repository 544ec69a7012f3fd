//! A merchant's playbook: talk scripts (話法) per inquiry category, canned responses with
//! placeholders, and the disposition codes of wrap-up (後処理) — plus the rule that a phone
//! or chat contact is wrapped up before it is closed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::enums::{Channel, ConversationStatus};
use crate::ids::{CannedResponseId, ConversationId, DispositionCodeId, MerchantId, ScriptId, UserId, WrapUpId};
use crate::validation::{ValidationError, limits, nfkc, optional, required};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Script {
    pub id: ScriptId,
    pub merchant_id: MerchantId,
    /// The conversation category it is for (配送, 返品・交換, …).
    pub category: String,
    pub body: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptInput {
    pub category: String,
    pub body: String,
}

impl ScriptInput {
    pub fn validate(&self) -> Result<(String, String), ValidationError> {
        Ok((required("category", &nfkc(&self.category), limits::TAG)?, required("body", &self.body, limits::NOTES)?))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CannedResponse {
    pub id: CannedResponseId,
    pub merchant_id: MerchantId,
    pub title: String,
    /// May use the [`PLACEHOLDERS`], by either name ({お客様名} or {customer_name}).
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedResponseInput {
    pub title: String,
    pub body: String,
}

/// The placeholders a canned response may use: the name for programs (the API) and the name
/// Japanese staff type and read ({お客様名}); both are filled alike.
pub const PLACEHOLDERS: [(&str, &str); 3] =
    [("customer_name", "お客様名"), ("order_number", "注文番号"), ("tracking_url", "配送状況URL")];

fn known_placeholder(name: &str) -> bool {
    PLACEHOLDERS.iter().any(|(key, ja)| *key == name || *ja == name)
}

impl CannedResponseInput {
    pub fn validate(&self) -> Result<(String, String), ValidationError> {
        let title = required("title", &self.title, limits::SHORT)?;
        let body = required("body", &self.body, limits::TEXT)?;
        // An unknown {placeholder} would reach a customer verbatim: refuse it now.
        let mut rest = body.as_str();
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else { break };
            let name = &after[..close];
            if !known_placeholder(name) {
                return Err(ValidationError::new(
                    "body",
                    "unknown_placeholder",
                    format!(
                        "unknown placeholder {{{name}}}; use {{お客様名}} ({{customer_name}}), {{注文番号}} ({{order_number}}) or {{配送状況URL}} ({{tracking_url}})"
                    ),
                ));
            }
            rest = &after[close + 1..];
        }
        Ok((title, body))
    }
}

/// Values for the placeholders of one conversation; a missing value becomes empty text.
#[derive(Debug, Clone, Default)]
pub struct PlaceholderValues {
    pub customer_name: Option<String>,
    pub order_number: Option<String>,
    pub tracking_url: Option<String>,
}

/// Fills a canned response for one conversation.
pub fn fill_placeholders(body: &str, v: &PlaceholderValues) -> String {
    let mut out = body.to_owned();
    for ((key, ja), value) in PLACEHOLDERS.iter().zip([&v.customer_name, &v.order_number, &v.tracking_url]) {
        let value = value.as_deref().unwrap_or("");
        out = out.replace(&format!("{{{key}}}"), value).replace(&format!("{{{ja}}}"), value);
    }
    out
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DispositionCode {
    pub id: DispositionCodeId,
    pub merchant_id: MerchantId,
    /// Short and stable, for reports (e.g. `DELIVERY_INFO`).
    pub code: String,
    /// What agents read (e.g. 配送状況を案内).
    pub label: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispositionCodeInput {
    pub code: String,
    pub label: String,
}

impl DispositionCodeInput {
    pub fn validate(&self) -> Result<(String, String), ValidationError> {
        let code = nfkc(self.code.trim()).to_uppercase();
        if code.is_empty() || code.len() > 40 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ValidationError::new(
                "code",
                "invalid_code",
                "code: letters, digits and _ (for example DELIVERY_INFO)",
            ));
        }
        Ok((code, required("label", &self.label, limits::SHORT)?))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WrapUp {
    pub id: WrapUpId,
    pub conversation_id: ConversationId,
    pub user_id: Option<UserId>,
    pub disposition_code: String,
    pub note: Option<String>,
    /// After-contact work, in seconds.
    pub acw_seconds: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WrapUpInput {
    pub disposition_code: String,
    #[serde(default)]
    pub note: Option<String>,
    /// Not used any more: the server measures after-contact work from the end of the contact
    /// (see `presence::acw_seconds`), whatever a client's timer says. Still accepted (0–86400)
    /// so older clients keep working.
    #[serde(default)]
    pub acw_seconds: Option<i64>,
}

impl WrapUpInput {
    pub fn validate(&self) -> Result<(String, Option<String>), ValidationError> {
        if self.acw_seconds.is_some_and(|s| !(0..=86_400).contains(&s)) {
            return Err(ValidationError::new("acw_seconds", "out_of_range", "acw_seconds must be 0–86400"));
        }
        Ok((nfkc(self.disposition_code.trim()).to_uppercase(), optional("note", self.note.as_deref(), limits::TEXT)?))
    }
}

/// Live contacts (calls, chats) are wrapped up before they are closed; mail and paper are not.
pub fn wrap_up_required(channel: Channel, to: ConversationStatus) -> bool {
    matches!(channel, Channel::Phone | Channel::Chat)
        && matches!(to, ConversationStatus::Resolved | ConversationStatus::Closed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_checked_and_filled() {
        let ok = CannedResponseInput {
            title: "発送案内".into(),
            body: "{customer_name}様、ご注文{order_number}は発送済みです。{tracking_url}".into(),
        };
        let (_, body) = ok.validate().unwrap();
        let v = PlaceholderValues {
            customer_name: Some("山田 花子".into()),
            order_number: Some("HM-1".into()),
            tracking_url: None,
        };
        assert_eq!(fill_placeholders(&body, &v), "山田 花子様、ご注文HM-1は発送済みです。");
        let bad = CannedResponseInput { title: "x".into(), body: "{customer}様".into() };
        assert_eq!(bad.validate().unwrap_err().code, "unknown_placeholder");
        // The Japanese names staff type are the same placeholders.
        let ja = CannedResponseInput {
            title: "発送案内".into(),
            body: "{お客様名}様、ご注文{注文番号}は発送済みです。".into(),
        };
        let (_, body) = ja.validate().unwrap();
        assert_eq!(fill_placeholders(&body, &v), "山田 花子様、ご注文HM-1は発送済みです。");
    }

    #[test]
    fn calls_and_chats_need_a_wrap_up_to_close() {
        assert!(wrap_up_required(Channel::Phone, ConversationStatus::Closed));
        assert!(wrap_up_required(Channel::Chat, ConversationStatus::Resolved));
        assert!(!wrap_up_required(Channel::Phone, ConversationStatus::Pending));
        assert!(!wrap_up_required(Channel::Email, ConversationStatus::Closed));
    }

    #[test]
    fn codes_and_acw() {
        assert_eq!(
            DispositionCodeInput { code: "delivery_info".into(), label: "配送案内".into() }.validate().unwrap().0,
            "DELIVERY_INFO"
        );
        assert!(DispositionCodeInput { code: "配送".into(), label: "x".into() }.validate().is_err());
        assert!(WrapUpInput { disposition_code: "X".into(), note: None, acw_seconds: Some(-1) }.validate().is_err());
    }
}
