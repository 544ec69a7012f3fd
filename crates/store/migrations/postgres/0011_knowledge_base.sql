-- Each merchant's knowledge base (PostgreSQL). Keep in step with sqlite/0011_knowledge_base.sql.
CREATE TABLE kb_articles (
    id UUID PRIMARY KEY NOT NULL,
    merchant_id UUID NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    -- The id in the shop's own system or import file; unique per merchant when set.
    external_id TEXT,
    category TEXT NOT NULL,
    question TEXT NOT NULL,
    -- Markdown.
    answer TEXT NOT NULL,
    -- JSON array of keywords and synonyms.
    keywords JSONB NOT NULL,
    published BOOLEAN NOT NULL,
    -- 「この回答は役に立ちましたか？」 answers.
    helpful BIGINT NOT NULL DEFAULT 0,
    unhelpful BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX kb_articles_external_key ON kb_articles (merchant_id, external_id);
CREATE INDEX kb_articles_category_idx ON kb_articles (merchant_id, category);
