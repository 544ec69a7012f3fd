-- What the search index must pick up (PostgreSQL), written in the same transaction as the
-- change, so nothing stored is missed by search even across a crash. Keep in step with
-- sqlite/0010_search_feed.sql.
CREATE TABLE search_feed (
    seq BIGSERIAL PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL,
    -- message, conversation (all its messages), customer, article
    kind TEXT NOT NULL,
    subject_id UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
