//! Audited reads (APPI): staff who are shown customers' personal data leave a record of it.

use madoguchi_core::access::Principal;
use madoguchi_core::audit::NewAuditEvent;
use madoguchi_core::enums::{AuditAction, SubjectType};
use madoguchi_core::ids::MerchantId;

use super::error::UseCaseResult;
use crate::App;

/// Records that staff read personal data (APPI): one entry per merchant whose records were shown.
pub async fn audit_read(
    st: &App,
    p: &Principal,
    subject_type: SubjectType,
    records: &[(MerchantId, String)],
) -> UseCaseResult<()> {
    let mut merchants: Vec<MerchantId> = records.iter().map(|(m, _)| *m).collect();
    merchants.sort();
    merchants.dedup();
    for m in merchants {
        let ids: Vec<&str> = records.iter().filter(|(rm, _)| *rm == m).map(|(_, id)| id.as_str()).collect();
        let (subject_id, details) = match ids.as_slice() {
            [one] => ((*one).to_owned(), serde_json::json!({})),
            many => ("list".to_owned(), serde_json::json!({ "ids": many })),
        };
        st.store
            .record_audit(NewAuditEvent {
                merchant_id: Some(m),
                actor_user_id: Some(p.user_id),
                action: AuditAction::Read,
                subject_type,
                subject_id,
                details,
            })
            .await?;
    }
    Ok(())
}
