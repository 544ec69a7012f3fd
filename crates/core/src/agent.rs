//! Agents as the desk routes to them: presence, skills and live capacity; and the queues
//! contacts wait in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{MerchantId, QueueId, UserId};
use crate::presence::Presence;
use crate::validation::{ValidationError, limits, tags};

/// Live chats an agent takes at once unless told otherwise.
pub const DEFAULT_MAX_MESSAGING: u32 = 3;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AgentProfile {
    pub user_id: UserId,
    pub presence: Presence,
    /// Queue names this agent takes (配送, 返品・交換, …).
    pub skills: Vec<String>,
    /// Live chats (web chat, LINE) at once.
    pub max_messaging: u32,
    /// Extension on the centre's PBX (内線番号), named by its CTI events.
    pub extension: Option<String>,
    pub presence_since: DateTime<Utc>,
    /// Since when nothing new was offered; the longest idle agent is offered the next contact.
    pub idle_since: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceChange {
    pub presence: Presence,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentProfilePatch {
    pub skills: Option<Vec<String>>,
    /// 1–20.
    pub max_messaging: Option<u32>,
    /// The PBX extension, 1–20 of digits, letters, `*` and `#`; empty takes it away.
    pub extension: Option<String>,
}

/// A checked patch: `extension` is `Some(None)` to take it away.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProfileChange {
    pub skills: Option<Vec<String>>,
    pub max_messaging: Option<u32>,
    pub extension: Option<Option<String>>,
}

impl AgentProfilePatch {
    pub fn validate(&self) -> Result<ProfileChange, ValidationError> {
        let skills = self.skills.as_deref().map(|s| tags("skills", s)).transpose()?;
        if let Some(m) = self.max_messaging
            && !(1..=20).contains(&m)
        {
            return Err(ValidationError::new("max_messaging", "out_of_range", "max_messaging must be 1–20"));
        }
        let extension = match self.extension.as_deref().map(|e| crate::validation::nfkc(e).trim().to_owned()) {
            None => None,
            Some(e) if e.is_empty() => Some(None),
            Some(e) if e.len() <= 20 && e.chars().all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '#') => {
                Some(Some(e))
            }
            Some(_) => {
                return Err(ValidationError::new(
                    "extension",
                    "invalid_extension",
                    "an extension is 1–20 of digits, letters, * and #",
                ));
            }
        };
        Ok(ProfileChange { skills, max_messaging: self.max_messaging, extension })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Queue {
    pub id: QueueId,
    pub merchant_id: MerchantId,
    /// Also the skill an agent needs to take its contacts.
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQueue {
    pub name: String,
}

impl NewQueue {
    pub fn validate(&self) -> Result<String, ValidationError> {
        let name = crate::validation::required("name", &crate::validation::nfkc(&self.name), limits::TAG)?;
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_patches_are_checked() {
        let p = AgentProfilePatch {
            skills: Some(vec!["配送".into(), "配送".into(), "返品・交換".into()]),
            max_messaging: Some(4),
            extension: Some(" ２０１ ".into()),
        };
        let change = ProfileChange {
            skills: Some(vec!["返品・交換".to_string(), "配送".to_string()]),
            max_messaging: Some(4),
            extension: Some(Some("201".into())),
        };
        assert_eq!(p.validate().unwrap(), change, "a full-width extension is the PBX's digits");
        assert!(AgentProfilePatch { max_messaging: Some(0), ..Default::default() }.validate().is_err());
        let cleared = AgentProfilePatch { extension: Some(String::new()), ..Default::default() }.validate().unwrap();
        assert_eq!(cleared.extension, Some(None), "empty takes the extension away");
        for bad in ["20 1", "内線201", "123456789012345678901"] {
            let p = AgentProfilePatch { extension: Some(bad.into()), ..Default::default() };
            assert!(p.validate().is_err(), "{bad}");
        }
        assert!(NewQueue { name: "  ".into() }.validate().is_err());
        assert_eq!(NewQueue { name: "ｷﾞﾌﾄ".into() }.validate().unwrap(), "ギフト");
    }
}
