-- Foundation schema (PostgreSQL). Keep in step with ../sqlite/0001_foundation.sql: same tables,
-- columns and index names; a test compares them.
-- Ids are UUIDv7; instants are timestamptz; JSON is jsonb.

CREATE TABLE merchants (
    id UUID PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    greeting TEXT NOT NULL,
    timezone TEXT NOT NULL,
    business_hours JSONB NOT NULL,
    conversation_counter BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX merchants_slug_key ON merchants (slug);

CREATE TABLE merchant_closed_days (
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (merchant_id, day)
);

CREATE TABLE users (
    id UUID PRIMARY KEY NOT NULL,
    login TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX users_login_key ON users (login);

CREATE TABLE user_merchants (
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, merchant_id)
);
CREATE INDEX user_merchants_merchant_idx ON user_merchants (merchant_id);

CREATE TABLE api_tokens (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens (token_hash);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE customers (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    name TEXT,
    name_kana TEXT,
    address JSONB,
    rank TEXT,
    notes TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- Lets child rows reference (merchant_id, id): a row can never point at another merchant's customer.
CREATE UNIQUE INDEX customers_merchant_id_key ON customers (merchant_id, id);

CREATE TABLE customer_identities (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL,
    customer_id UUID NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    display TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (merchant_id, customer_id) REFERENCES customers (merchant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX customer_identities_value_key ON customer_identities (merchant_id, kind, value);
CREATE INDEX customer_identities_customer_idx ON customer_identities (customer_id);

CREATE TABLE customer_tags (
    customer_id UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (customer_id, tag)
);

CREATE TABLE orders (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    order_number TEXT NOT NULL,
    customer_id UUID,
    status TEXT NOT NULL,
    ordered_at TIMESTAMPTZ NOT NULL,
    total_amount BIGINT NOT NULL,
    payment_method TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (merchant_id, customer_id) REFERENCES customers (merchant_id, id)
);
CREATE UNIQUE INDEX orders_number_key ON orders (merchant_id, order_number);
CREATE UNIQUE INDEX orders_merchant_id_key ON orders (merchant_id, id);
CREATE INDEX orders_customer_idx ON orders (customer_id);

CREATE TABLE order_lines (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL,
    order_id UUID NOT NULL,
    position INTEGER NOT NULL,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    unit_price BIGINT NOT NULL,
    category TEXT,
    FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id) ON DELETE CASCADE
);
CREATE INDEX order_lines_order_idx ON order_lines (order_id, position);

CREATE TABLE shipments (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL,
    order_id UUID NOT NULL,
    carrier TEXT NOT NULL,
    tracking_number TEXT,
    status TEXT NOT NULL,
    shipped_at TIMESTAMPTZ,
    delivered_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id) ON DELETE CASCADE
);
CREATE INDEX shipments_order_idx ON shipments (order_id);
CREATE INDEX shipments_tracking_idx ON shipments (merchant_id, tracking_number);

CREATE TABLE shipment_events (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    shipment_id UUID NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    location TEXT,
    note TEXT
);
CREATE INDEX shipment_events_shipment_idx ON shipment_events (shipment_id, occurred_at);

CREATE TABLE conversations (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    subject TEXT,
    customer_id UUID,
    order_id UUID,
    assignee_id UUID REFERENCES users (id) ON DELETE SET NULL,
    queue TEXT,
    category TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    first_response_at TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ,
    FOREIGN KEY (merchant_id, customer_id) REFERENCES customers (merchant_id, id),
    FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id)
);
CREATE UNIQUE INDEX conversations_number_key ON conversations (merchant_id, number);
CREATE UNIQUE INDEX conversations_merchant_id_key ON conversations (merchant_id, id);
CREATE INDEX conversations_customer_idx ON conversations (customer_id);
CREATE INDEX conversations_order_idx ON conversations (order_id);
CREATE INDEX conversations_assignee_idx ON conversations (assignee_id, status);
CREATE INDEX conversations_updated_idx ON conversations (merchant_id, updated_at);

CREATE TABLE conversation_tags (
    conversation_id UUID NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (conversation_id, tag)
);
CREATE INDEX conversation_tags_tag_idx ON conversation_tags (tag);

CREATE TABLE messages (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL,
    conversation_id UUID NOT NULL,
    channel TEXT NOT NULL,
    direction TEXT NOT NULL,
    internal BOOLEAN NOT NULL,
    author_kind TEXT NOT NULL,
    author_user_id UUID REFERENCES users (id) ON DELETE SET NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    attachments JSONB NOT NULL,
    provider_message_id TEXT,
    delivery_status TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (merchant_id, conversation_id) REFERENCES conversations (merchant_id, id) ON DELETE CASCADE
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);
-- A provider's redelivery of the same message is stored once.
CREATE UNIQUE INDEX messages_provider_key ON messages (merchant_id, channel, provider_message_id);

CREATE TABLE conversation_events (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL,
    conversation_id UUID NOT NULL,
    kind TEXT NOT NULL,
    actor_user_id UUID REFERENCES users (id) ON DELETE SET NULL,
    data JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (merchant_id, conversation_id) REFERENCES conversations (merchant_id, id) ON DELETE CASCADE
);
CREATE INDEX conversation_events_conversation_idx ON conversation_events (conversation_id, id);
CREATE INDEX conversation_events_kind_idx ON conversation_events (merchant_id, kind, created_at);

-- Append-only. No foreign keys: the log outlives the records it is about.
CREATE TABLE audit_events (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID,
    actor_user_id UUID,
    action TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    details JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_events_merchant_idx ON audit_events (merchant_id, id);
CREATE INDEX audit_events_subject_idx ON audit_events (subject_type, subject_id);
