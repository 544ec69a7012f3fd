//! The audit log: who did what to which record, and when — including every read of a
//! customer's personal data by staff (APPI, 個人情報保護法).

use serde::Serialize;

use crate::enums::{AuditAction, SubjectType};
use crate::ids::{AuditEventId, MerchantId, UserId};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    pub id: AuditEventId,
    /// The merchant whose data this is; `None` for desk-wide records (users, merchants list).
    pub merchant_id: Option<MerchantId>,
    pub actor_user_id: Option<UserId>,
    pub action: AuditAction,
    pub subject_type: SubjectType,
    pub subject_id: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// An audit entry to append.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub merchant_id: Option<MerchantId>,
    pub actor_user_id: Option<UserId>,
    pub action: AuditAction,
    pub subject_type: SubjectType,
    pub subject_id: String,
    pub details: serde_json::Value,
}
