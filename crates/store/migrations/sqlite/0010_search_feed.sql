-- What the search index must pick up (SQLite), written in the same transaction as the change,
-- so nothing stored is missed by search even across a crash. Keep in step with
-- postgres/0010_search_feed.sql.
CREATE TABLE search_feed (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    merchant_id BLOB NOT NULL,
    -- message, conversation (all its messages), customer, article
    kind TEXT NOT NULL,
    subject_id BLOB NOT NULL,
    created_at TEXT NOT NULL
);
