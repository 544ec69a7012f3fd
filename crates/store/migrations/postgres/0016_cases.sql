-- Delivery cases (事務処理) and their checklists. Keep in step with sqlite/0016_cases.sql.

CREATE TABLE cases (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    order_id UUID NOT NULL,
    conversation_id UUID,
    kind TEXT NOT NULL,
    -- 'open' until every task is done, then 'closed'.
    status TEXT NOT NULL,
    fields JSONB NOT NULL,
    -- How it closed: 'settled_on_desk' (no task was the shop's) or 'settled_with_merchant'.
    resolution TEXT,
    created_by UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ,
    FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (merchant_id, conversation_id) REFERENCES conversations (merchant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX cases_merchant_id_key ON cases (merchant_id, id);
CREATE INDEX cases_order_idx ON cases (order_id, created_at);

-- One task of a case's checklist: the task queue is the open ones by due time.
CREATE TABLE case_tasks (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL,
    case_id UUID NOT NULL,
    position INTEGER NOT NULL,
    key TEXT NOT NULL,
    title TEXT NOT NULL,
    -- 'desk' or 'merchant'.
    owner TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    done_at TIMESTAMPTZ,
    done_by UUID REFERENCES users (id) ON DELETE SET NULL,
    note TEXT,
    FOREIGN KEY (merchant_id, case_id) REFERENCES cases (merchant_id, id) ON DELETE CASCADE
);
CREATE INDEX case_tasks_queue_idx ON case_tasks (merchant_id, done_at, due_at);
CREATE INDEX case_tasks_case_idx ON case_tasks (case_id, position);
