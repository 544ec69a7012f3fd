-- The views of an agent who works for several shops say `merchant_id IN (…)`; with only the
-- partial indexes of 0019 the planner took a whole-history index on merchant_id and counted a
-- million rows per view. Active conversations by shop, first by shop, keep every view on the
-- active rows.
CREATE INDEX conversations_active_shop_activity_idx ON conversations (merchant_id, last_message_at)
    WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX conversations_active_shop_assignee_idx ON conversations (merchant_id, assignee_id, last_message_at)
    WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX conversations_active_shop_waiting_idx ON conversations (merchant_id, waiting_since)
    WHERE status NOT IN ('resolved', 'closed');
