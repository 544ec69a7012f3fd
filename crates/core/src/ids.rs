//! Newtype ids. Every public id is a UUIDv7: unguessable, yet ordered by creation time,
//! which keyset pagination and "newest first" lists rely on.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// An id whose time part is `at`: records imported or backdated keep their order
            /// among ids made now (lists are ordered by id).
            pub fn at(at: chrono::DateTime<chrono::Utc>) -> Self {
                let secs = u64::try_from(at.timestamp()).unwrap_or(0);
                Self(Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, secs, at.timestamp_subsec_nanos())))
            }

            /// [`Self::at`] for a backdated instant, [`Self::new`] (strictly increasing within
            /// this process) for one that is now.
            pub fn at_or_now(at: chrono::DateTime<chrono::Utc>) -> Self {
                if chrono::Utc::now() - at > chrono::Duration::seconds(1) { Self::at(at) } else { Self::new() }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    )*};
}

id_type!(
    /// A merchant (shop): the tenant boundary.
    MerchantId,
    /// A staff user of the desk or of a merchant.
    UserId,
    /// An API token (the id, never the secret).
    TokenId,
    /// An end customer of one merchant.
    CustomerId,
    /// One identity (phone, email, LINE id, chat visitor) of a customer.
    IdentityId,
    /// An EC order.
    OrderId,
    /// One line of an order.
    OrderLineId,
    /// A parcel.
    ShipmentId,
    /// A status event of a parcel.
    ShipmentEventId,
    /// A conversation (問い合わせ).
    ConversationId,
    /// A message in a conversation.
    MessageId,
    /// A timeline event in a conversation.
    EventId,
    /// An audit log entry.
    AuditEventId,
    /// A merchant's own closed day.
    ClosedDayId,
    /// A routing queue of a merchant.
    QueueId,
    /// A question from the desk to a merchant.
    EscalationId,
    /// A talk script of a merchant.
    ScriptId,
    /// A canned response of a merchant.
    CannedResponseId,
    /// A disposition code of a merchant.
    DispositionCodeId,
    /// An agent's wrap-up of a contact.
    WrapUpId,
    /// A knowledge-base article (FAQ) of a merchant.
    ArticleId,
    /// A phone call on a phone conversation.
    CallId,
    /// A phone number (DID) of a merchant.
    PhoneNumberId,
);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};

    #[test]
    fn backdated_ids_sort_by_their_time() {
        let now = Utc::now();
        let old = ConversationId::at(now - Duration::days(30));
        let older = ConversationId::at(now - Duration::days(31));
        let fresh = ConversationId::new();
        assert!(older < old && old < fresh);
        assert_eq!(old.0.get_version_num(), 7);
    }
}
