-- What the help center learns (the FAQ-gap report). Keep in step with
-- sqlite/0012_help_center.sql.

-- Searches in a shop's help center that found nothing, counted per normalised query.
CREATE TABLE kb_unanswered (
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    query_key TEXT NOT NULL,
    query TEXT NOT NULL,
    count BIGINT NOT NULL,
    last_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, query_key)
);
