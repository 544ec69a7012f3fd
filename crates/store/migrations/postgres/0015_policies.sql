-- Each merchant's policies, versioned, and the decisions taken by them. Keep in step with
-- sqlite/0015_policies.sql.

-- Every saved edit is a new version; the highest is in force. Decisions name the version they
-- used, so an old decision can be read against the rules of its day.
CREATE TABLE merchant_policies (
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    policies JSONB NOT NULL,
    created_by UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, version)
);

-- What the desk decided on a customer's request: the decision as computed (eligible, reasons,
-- steps), the policy version (0: the defaults, never saved), and the agent's choice.
CREATE TABLE decisions (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    order_id UUID NOT NULL,
    conversation_id UUID,
    request TEXT NOT NULL,
    eligible BOOLEAN NOT NULL,
    policy_version INTEGER NOT NULL,
    decision JSONB NOT NULL,
    choice TEXT NOT NULL,
    offer_code TEXT,
    note TEXT,
    decided_by UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (merchant_id, conversation_id) REFERENCES conversations (merchant_id, id) ON DELETE CASCADE
);
CREATE INDEX decisions_order_idx ON decisions (order_id, created_at);
