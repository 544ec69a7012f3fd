-- What the help center learns (the FAQ-gap report). Keep in step with
-- postgres/0012_help_center.sql.

-- Searches in a shop's help center that found nothing, counted per normalised query.
CREATE TABLE kb_unanswered (
    merchant_id BLOB NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    query_key TEXT NOT NULL,
    query TEXT NOT NULL,
    count INTEGER NOT NULL,
    last_at TEXT NOT NULL,
    PRIMARY KEY (merchant_id, query_key)
);
