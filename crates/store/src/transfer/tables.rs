//! What a bundle holds: every table of a shop with its columns and their kinds, how its rows
//! are chosen, and what is deliberately left out.

/// How a column's value is read, written and shown in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Uuid,
    /// A UUID naming a user; users referenced this way travel with the merchant.
    User,
    I32,
    I64,
    Bool,
    /// An instant: RFC 3339 in UTC with microseconds.
    Time,
    /// A calendar day: `YYYY-MM-DD`.
    Date,
    /// Stored JSON, nested as is.
    Json,
    /// Bytes, written to `files/<sha256>`; the column holds that relative path.
    Bytes,
}

impl Kind {
    fn parse(s: &str) -> Kind {
        match s {
            "uuid" => Kind::Uuid,
            "user" => Kind::User,
            "i32" => Kind::I32,
            "i64" => Kind::I64,
            "bool" => Kind::Bool,
            "time" => Kind::Time,
            "date" => Kind::Date,
            "json" => Kind::Json,
            "bytes" => Kind::Bytes,
            "text" => Kind::Text,
            other => panic!("unknown column kind {other:?} in the transfer table list"),
        }
    }
}

/// Which rows of a table belong to the merchant.
#[derive(Debug, Clone, Copy)]
pub(super) enum Rows {
    /// The merchant's own row (`id`).
    Itself,
    /// Rows whose `merchant_id` is the merchant.
    Owned,
    /// Rows whose `column` names a row of `parent` owned by the merchant.
    Via { column: &'static str, parent: &'static str },
    /// Users linked to the merchant or named by any of its rows.
    Users,
}

/// One table of the bundle.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub(super) rows: Rows,
    /// `name:kind` separated by spaces; the kind is `text` when left out.
    pub(super) columns: &'static str,
    /// Keeps the files in a stable order.
    pub(super) order_by: &'static str,
    /// Columns naming a row of another bundled table by its id alone (no merchant in the key):
    /// on restore they must name a row restored from the same bundle.
    pub(super) refs: &'static [(&'static str, &'static str)],
}

impl Table {
    pub fn file(&self) -> String {
        format!("{}.jsonl", self.name)
    }

    pub fn columns(&self) -> Vec<(&'static str, Kind)> {
        self.columns
            .split_whitespace()
            .map(|c| match c.split_once(':') {
                Some((name, kind)) => (name, Kind::parse(kind)),
                None => (c, Kind::Text),
            })
            .collect()
    }

    pub(super) fn all_refs(&self) -> Vec<(&'static str, &'static str)> {
        let mut refs = self.refs.to_vec();
        if let Rows::Via { column, parent } = self.rows {
            refs.push((column, parent));
        }
        refs
    }
}

pub(super) const fn owned(name: &'static str, columns: &'static str) -> Table {
    Table { name, rows: Rows::Owned, columns, order_by: "id", refs: &[] }
}

/// Every bundled table, parents first.
pub const TABLES: &[Table] = &[
    Table {
        name: "merchants",
        rows: Rows::Itself,
        columns: "id:uuid slug name greeting timezone business_hours:json conversation_counter:i64 \
                  created_at:time updated_at:time sla_first_response_minutes:i64 sla_resolution_minutes:i64 code \
                  greetings:json staff_may_reply:bool",
        order_by: "id",
        refs: &[],
    },
    Table {
        name: "users",
        rows: Rows::Users,
        columns: "id:uuid login display_name public_name role active:bool created_at:time updated_at:time email",
        order_by: "id",
        refs: &[],
    },
    Table {
        name: "user_merchants",
        rows: Rows::Owned,
        columns: "user_id:user merchant_id:uuid",
        order_by: "user_id",
        refs: &[],
    },
    Table {
        name: "merchant_closed_days",
        rows: Rows::Owned,
        columns: "merchant_id:uuid day:date label",
        order_by: "day",
        refs: &[],
    },
    owned(
        "customers",
        "id:uuid merchant_id:uuid name name_kana address:json rank notes created_at:time updated_at:time name_key kana_key",
    ),
    owned("customer_identities", "id:uuid merchant_id:uuid customer_id:uuid kind value display created_at:time"),
    Table {
        name: "customer_tags",
        rows: Rows::Via { column: "customer_id", parent: "customers" },
        columns: "customer_id:uuid tag",
        order_by: "customer_id, tag",
        refs: &[],
    },
    Table {
        name: "identity_claims",
        rows: Rows::Owned,
        columns: "merchant_id:uuid customer_id:uuid kind value display channel created_at:time",
        order_by: "customer_id, kind, value, created_at",
        refs: &[],
    },
    Table {
        name: "distinct_customers",
        rows: Rows::Owned,
        columns: "merchant_id:uuid first_id:uuid second_id:uuid decided_by:user created_at:time",
        order_by: "first_id, second_id",
        refs: &[],
    },
    owned(
        "orders",
        "id:uuid merchant_id:uuid order_number customer_id:uuid status ordered_at:time total_amount:i64 \
         payment_method created_at:time updated_at:time",
    ),
    owned(
        "order_lines",
        "id:uuid merchant_id:uuid order_id:uuid position:i32 sku name quantity:i32 unit_price:i64 category",
    ),
    owned(
        "shipments",
        "id:uuid merchant_id:uuid order_id:uuid carrier tracking_number status shipped_at:time delivered_at:time \
         created_at:time updated_at:time",
    ),
    Table {
        name: "shipment_events",
        rows: Rows::Owned,
        columns: "id:uuid merchant_id:uuid shipment_id:uuid status occurred_at:time location note",
        order_by: "id",
        refs: &[("shipment_id", "shipments")],
    },
    owned(
        "conversations",
        "id:uuid merchant_id:uuid number:i64 channel status priority subject customer_id:uuid order_id:uuid \
         assignee_id:user queue category created_at:time updated_at:time first_response_at:time resolved_at:time \
         first_response_due_at:time resolution_due_at:time first_response_breached_at:time \
         resolution_breached_at:time bot_outcome bot_answers:i64 bot_ended_at:time last_message_at:time \
         waiting_since:time offered_at:time accepted_at:time contact_ended_at:time",
    ),
    Table {
        name: "conversation_tags",
        rows: Rows::Via { column: "conversation_id", parent: "conversations" },
        columns: "conversation_id:uuid tag",
        order_by: "conversation_id, tag",
        refs: &[],
    },
    owned(
        "messages",
        "id:uuid merchant_id:uuid conversation_id:uuid channel direction internal:bool author_kind \
         author_user_id:user body_text body_html attachments:json provider_message_id delivery_status \
         created_at:time meta:json delivery_error",
    ),
    owned(
        "conversation_events",
        "id:uuid merchant_id:uuid conversation_id:uuid kind actor_user_id:user data:json created_at:time",
    ),
    owned(
        "escalations",
        "id:uuid merchant_id:uuid conversation_id:uuid question due_at:time status created_by:user \
         created_at:time answer answered_by:user answered_at:time",
    ),
    owned(
        "wrap_ups",
        "id:uuid merchant_id:uuid conversation_id:uuid user_id:user disposition_code note acw_seconds:i64 created_at:time",
    ),
    owned(
        "blobs",
        "id:uuid merchant_id:uuid filename content_type size:i64 sha256 data:bytes created_at:time attached_at:time",
    ),
    owned("queues", "id:uuid merchant_id:uuid name created_at:time"),
    owned("scripts", "id:uuid merchant_id:uuid category body updated_at:time"),
    owned("canned_responses", "id:uuid merchant_id:uuid title body created_at:time"),
    owned("disposition_codes", "id:uuid merchant_id:uuid code label created_at:time"),
    owned(
        "channel_accounts",
        "id:uuid merchant_id:uuid kind address inbound_token secret access_token settings:json \
         created_at:time updated_at:time",
    ),
    owned(
        "kb_articles",
        "id:uuid merchant_id:uuid external_id category question answer keywords:json published:bool \
         helpful:i64 unhelpful:i64 created_at:time updated_at:time",
    ),
    Table {
        name: "kb_unanswered",
        rows: Rows::Owned,
        columns: "merchant_id:uuid query_key query count:i64 last_at:time",
        order_by: "query_key",
        refs: &[],
    },
    Table {
        name: "order_import_mappings",
        rows: Rows::Owned,
        columns: "merchant_id:uuid columns:json updated_at:time",
        order_by: "merchant_id",
        refs: &[],
    },
    Table {
        name: "order_webhooks",
        rows: Rows::Owned,
        columns: "merchant_id:uuid secret updated_at:time",
        order_by: "merchant_id",
        refs: &[],
    },
    Table {
        name: "merchant_policies",
        rows: Rows::Owned,
        columns: "merchant_id:uuid version:i32 policies:json created_by:user created_at:time",
        order_by: "version",
        refs: &[],
    },
    owned(
        "decisions",
        "id:uuid merchant_id:uuid order_id:uuid conversation_id:uuid request eligible:bool policy_version:i32 \
         decision:json choice offer_code note decided_by:user created_at:time",
    ),
    owned(
        "cases",
        "id:uuid merchant_id:uuid order_id:uuid conversation_id:uuid kind status fields:json resolution \
         created_by:user created_at:time closed_at:time",
    ),
    Table {
        name: "case_checklists",
        rows: Rows::Owned,
        columns: "merchant_id:uuid kind tasks:json updated_by:user updated_at:time",
        order_by: "kind",
        refs: &[],
    },
    owned(
        "case_tasks",
        "id:uuid merchant_id:uuid case_id:uuid position:i32 key title owner due_at:time done_at:time \
         done_by:user note",
    ),
    Table {
        name: "inbound_events",
        rows: Rows::Owned,
        columns: "merchant_id:uuid channel event_id received_at:time",
        order_by: "channel, event_id",
        refs: &[],
    },
    owned("voice_flows", "id:uuid merchant_id:uuid name version:i32 definition:json created_by:user created_at:time"),
    owned(
        "phone_numbers",
        "id:uuid merchant_id:uuid e164 label flow_name provider inbound_token account_sid auth_token hours:json \
         created_at:time updated_at:time",
    ),
    owned(
        "calls",
        "id:uuid merchant_id:uuid conversation_id:uuid phone_number_id:uuid provider provider_call_id direction \
         caller:json to_e164 state flow_name flow_version:i32 position:json vars:json skill offered_to:user \
         agent_id:user record:json created_at:time updated_at:time ended_at:time",
    ),
    owned("call_events", "id:uuid merchant_id:uuid call_id:uuid kind at:time agent_id:user data:json dedupe_key"),
    owned("call_legs", "id:uuid merchant_id:uuid call_id:uuid kind agent_id:user provider_leg_id created_at:time"),
    owned(
        "audit_events",
        "id:uuid merchant_id:uuid actor_user_id:user action subject_type subject_id details:json created_at:time",
    ),
];

/// Tables deliberately left out of a bundle, and why (see the module comment).
pub const NOT_TRANSFERRED: &[(&str, &str)] = &[
    ("agent_skills", "desk-level: an agent's skills on this desk"),
    ("agent_states", "desk-level: presence right now"),
    ("api_tokens", "credentials of this instance"),
    ("call_commands", "in-flight commands to a provider about live calls; a restore must not ring anyone"),
    ("conversation_viewers", "who has a conversation open right now on this instance"),
    ("conversation_reads", "which user of this instance read what; the restored desk starts unread"),
    ("sessions", "credentials of this instance"),
    ("user_invitations", "password links of this instance; a restored user asks for a new one"),
    ("login_attempts", "security log of this instance"),
    ("login_unlocks", "security log of this instance"),
    ("outbox", "in-flight sends; a restore must not send a reply twice"),
    ("search_feed", "derived; the restored instance rebuilds its index"),
    ("webhook_replies", "answers to a provider's retries to this instance"),
];

/// Columns of bundled tables deliberately left out.
pub const COLUMNS_NOT_TRANSFERRED: &[(&str, &str)] = &[("users", "password_hash")];
