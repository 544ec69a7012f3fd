//! Closed vocabularies of the domain. Each is stored and sent as its snake_case name; an
//! unknown name is a client error, never a silent default.

use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumString,
            strum::IntoStaticStr, strum::EnumIter, utoipa::ToSchema,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),* }

        impl $name {
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// What a staff user may do. Desk roles see the merchants they are members of (admin sees
    /// all); merchant roles see only their own merchant.
    Role {
        Admin,
        Supervisor,
        Agent,
        MerchantAdmin,
        MerchantStaff,
    }
);

impl Role {
    /// Roles that belong to a merchant rather than to the desk.
    pub fn is_merchant_role(self) -> bool {
        matches!(self, Role::MerchantAdmin | Role::MerchantStaff)
    }
}

string_enum!(
    /// The way a contact reached the desk.
    Channel {
        Phone,
        Email,
        Chat,
        Line,
        WebForm,
        Fax,
        Postcard,
        WalkIn,
        Other,
    }
);

impl Channel {
    /// Whether replies on this channel are delivered by Madoguchi (mail, chat, LINE; a web
    /// form is answered by mail). A reply on the phone, to a FAX, a postcard or a visit is a
    /// record of what was said or sent by other means, with nothing to deliver.
    pub fn delivers_replies(self) -> bool {
        matches!(self, Channel::Email | Channel::Chat | Channel::Line | Channel::WebForm)
    }
}

string_enum!(
    /// Where a conversation stands.
    ConversationStatus {
        /// With the chat bot: nobody's work until it hands over (see `bot`).
        Bot,
        New,
        Open,
        Pending,
        Escalated,
        Resolved,
        Closed,
    }
);

string_enum!(Priority { Low, Normal, High, Urgent });

string_enum!(Direction { Inbound, Outbound });

string_enum!(
    /// Who wrote a message.
    AuthorKind {
        Customer,
        User,
        Bot,
        System,
    }
);

string_enum!(
    /// Delivery of an outbound message through its channel.
    DeliveryStatus {
        Queued,
        Sent,
        Delivered,
        Failed,
    }
);

string_enum!(
    /// Parcel carriers common in Japanese EC.
    Carrier {
        /// ヤマト運輸
        Yamato,
        /// 佐川急便
        Sagawa,
        /// 日本郵便
        JapanPost,
        Other,
    }
);

impl Carrier {
    pub fn label_ja(self) -> &'static str {
        match self {
            Carrier::Yamato => "ヤマト運輸",
            Carrier::Sagawa => "佐川急便",
            Carrier::JapanPost => "日本郵便",
            Carrier::Other => "その他",
        }
    }
}

string_enum!(OrderStatus { Pending, Confirmed, Shipped, Delivered, Cancelled, Returned });

string_enum!(ShipmentStatus {
    Preparing,
    Shipped,
    InTransit,
    OutForDelivery,
    Delivered,
    /// 不在持ち戻り
    Absent,
    /// 返送
    Returned,
    /// 事故・紛失
    Exception,
});

string_enum!(
    /// What happened in a conversation's timeline besides messages.
    EventKind {
        Created,
        StatusChanged,
        PriorityChanged,
        Assigned,
        QueueChanged,
        CategoryChanged,
        TagsChanged,
        SubjectChanged,
        CustomerLinked,
        OrderLinked,
        FirstResponse,
        Escalated,
        Merged,
        /// A service target was missed (data: which one and its due time).
        SlaBreached,
        /// The merchant answered an escalation (data: the answer).
        EscalationAnswered,
        /// The chat bot handed the conversation to a person (data: why, the articles offered).
        BotHandedOver,
        /// The customer said the bot's answer helped (data: the article).
        BotResolved,
        /// An offer went back to the queue (data: the agent and why: `no_answer` when it rang
        /// out, `agent_offline` when the agent's console went away).
        OfferWithdrawn,
        /// The agent ended the live contact (chat over, call hung up); after-contact work starts.
        ContactEnded,
    }
);

string_enum!(
    /// What an audit entry records.
    AuditAction {
        Create,
        Update,
        Delete,
        Read,
        Merge,
        Login,
    }
);

string_enum!(
    /// The kind of record an audit entry is about.
    SubjectType {
        Merchant,
        User,
        ApiToken,
        Customer,
        Order,
        Shipment,
        Conversation,
        Message,
        Escalation,
        Case,
    }
);

string_enum!(
    /// Where an escalation to the merchant stands.
    EscalationStatus {
        Open,
        Answered,
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;
    use strum::IntoEnumIterator;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for c in Channel::iter() {
            assert_eq!(Channel::from_str(c.as_str()).unwrap(), c);
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
        assert_eq!(Channel::WebForm.as_str(), "web_form");
        assert_eq!(Role::MerchantAdmin.as_str(), "merchant_admin");
        assert!(Channel::from_str("telegram").is_err());
        assert!(
            Channel::Email.delivers_replies() && !Channel::Phone.delivers_replies() && !Channel::Fax.delivers_replies()
        );
        assert!(serde_json::from_str::<ConversationStatus>("\"archived\"").is_err());
    }
}
