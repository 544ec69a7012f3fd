-- Each merchant's knowledge base (SQLite). Keep in step with postgres/0011_knowledge_base.sql.
CREATE TABLE kb_articles (
    id BLOB PRIMARY KEY NOT NULL,
    merchant_id BLOB NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    -- The id in the shop's own system or import file; unique per merchant when set.
    external_id TEXT,
    category TEXT NOT NULL,
    question TEXT NOT NULL,
    -- Markdown.
    answer TEXT NOT NULL,
    -- JSON array of keywords and synonyms.
    keywords TEXT NOT NULL,
    published BOOLEAN NOT NULL,
    -- 「この回答は役に立ちましたか？」 answers.
    helpful INTEGER NOT NULL DEFAULT 0,
    unhelpful INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX kb_articles_external_key ON kb_articles (merchant_id, external_id);
CREATE INDEX kb_articles_category_idx ON kb_articles (merchant_id, category);
