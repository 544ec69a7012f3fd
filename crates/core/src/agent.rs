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
}

impl AgentProfilePatch {
    pub fn validate(&self) -> Result<(Option<Vec<String>>, Option<u32>), ValidationError> {
        let skills = self.skills.as_deref().map(|s| tags("skills", s)).transpose()?;
        if let Some(m) = self.max_messaging
            && !(1..=20).contains(&m)
        {
            return Err(ValidationError::new("max_messaging", "out_of_range", "max_messaging must be 1–20"));
        }
        Ok((skills, self.max_messaging))
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
        };
        assert_eq!(p.validate().unwrap(), (Some(vec!["返品・交換".to_string(), "配送".to_string()]), Some(4)));
        assert!(AgentProfilePatch { skills: None, max_messaging: Some(0) }.validate().is_err());
        assert!(NewQueue { name: "  ".into() }.validate().is_err());
        assert_eq!(NewQueue { name: "ｷﾞﾌﾄ".into() }.validate().unwrap(), "ギフト");
    }
}
