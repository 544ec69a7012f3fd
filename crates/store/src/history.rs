//! Moving history in from another helpdesk: conversations with their messages, customers and
//! times, many to a transaction. Imported replies are history: they are never delivered. A
//! conversation is recognised by its external id, so an import can be run again after an
//! interruption and takes in only what is missing.

use madoguchi_core::access::Scope;
use madoguchi_core::customer::CustomerProfile;
use madoguchi_core::identity::NormalizedIdentity;
use madoguchi_core::ids::{CustomerId, MerchantId};

use crate::conversations::{ConversationRecord, open_conversation};
use crate::customers::{find_or_create_by_identity, insert_customer, name_if_missing};
use crate::duplicates::attach_or_claim;
use crate::inbound::{order_by_number, seen_message};
use crate::merchants::MerchantKey;
use crate::{Result, Store};

/// One conversation of an import file, validated.
#[derive(Debug, Clone)]
pub struct HistoryConversation {
    /// Its id in the other helpdesk: the first message carries `import:{external_id}:0`.
    pub external_id: String,
    /// Messages must carry `created_at` (history) and `provider_message_id`s
    /// `import:{external_id}:{n}`.
    pub record: ConversationRecord,
    pub customer_name: Option<String>,
    pub identities: Vec<NormalizedIdentity>,
    pub order_number: Option<String>,
}

/// The provider message id of an imported conversation's `n`th message.
pub fn import_message_id(external_id: &str, n: usize) -> String {
    format!("import:{external_id}:{n}")
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryImported {
    pub conversations: usize,
    pub messages: usize,
    /// Already there from an earlier run.
    pub skipped: usize,
}

impl Store {
    /// Imports a batch of conversations in one transaction.
    pub async fn import_history(&self, merchant: MerchantId, batch: &[HistoryConversation]) -> Result<HistoryImported> {
        let scope = Scope::Merchants(vec![merchant]);
        let m = self.get_merchant(&scope, MerchantKey::Id(merchant)).await?;
        let mut done = HistoryImported::default();
        let mut tx = self.begin().await?;
        for h in batch {
            let first = import_message_id(&h.external_id, 0);
            if seen_message(&mut tx, merchant, h.record.channel, &first).await?.is_some() {
                done.skipped += 1;
                continue;
            }
            let customer: Option<CustomerId> = match h.identities.first() {
                Some(i) => {
                    let c = find_or_create_by_identity(&mut tx, None, merchant, i).await?;
                    if let Some(name) = &h.customer_name {
                        name_if_missing(&mut tx, merchant, c, name).await?;
                    }
                    Some(c)
                }
                None => match &h.customer_name {
                    Some(name) => {
                        let profile = CustomerProfile {
                            name: Some(name.clone()),
                            name_kana: None,
                            address: None,
                            tags: vec![],
                            rank: None,
                            notes: None,
                        };
                        Some(insert_customer(&mut tx, None, merchant, &profile, &[]).await?)
                    }
                    None => None,
                },
            };
            if let Some(c) = customer {
                // Further contact details join the customer unless another customer has them;
                // then they suggest the two be merged.
                for i in h.identities.iter().skip(1) {
                    attach_or_claim(&mut tx, merchant, c, i, h.record.channel).await?;
                }
            }
            let mut record = h.record.clone();
            if let Some(n) = &h.order_number {
                record.order_id = order_by_number(&mut tx, merchant, n).await?;
            }
            open_conversation(&mut tx, &m, None, &record, customer).await?;
            done.conversations += 1;
            done.messages += record.messages.len();
        }
        tx.commit().await?;
        Ok(done)
    }
}
