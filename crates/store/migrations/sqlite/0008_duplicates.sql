-- Likely duplicate customers (SQLite). Keep in step with postgres/0008_duplicates.sql.

-- Names folded for comparison (width, kana, spaces, honorifics), written by the store whenever
-- a name changes; NULL means "not computed yet" and is filled in at start-up.
ALTER TABLE customers ADD COLUMN name_key TEXT;
ALTER TABLE customers ADD COLUMN kana_key TEXT;
CREATE INDEX customers_name_key_idx ON customers (merchant_id, name_key);
CREATE INDEX customers_kana_key_idx ON customers (merchant_id, kana_key);

-- A contact detail a customer gave on a channel that already belongs to another customer of the
-- same merchant (a chat visitor typing a known address, a form with a known phone number). It is
-- not attached, because anyone can type anything, but it suggests the two are one person.
CREATE TABLE identity_claims (
    merchant_id BLOB NOT NULL,
    customer_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    display TEXT NOT NULL,
    channel TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (customer_id, kind, value),
    FOREIGN KEY (merchant_id, customer_id) REFERENCES customers (merchant_id, id) ON DELETE CASCADE
);
CREATE INDEX identity_claims_value_idx ON identity_claims (merchant_id, kind, value);

-- Pairs staff have judged to be different people, so they are not suggested again. The smaller
-- id comes first.
CREATE TABLE distinct_customers (
    merchant_id BLOB NOT NULL,
    first_id BLOB NOT NULL,
    second_id BLOB NOT NULL,
    decided_by BLOB REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (first_id, second_id),
    FOREIGN KEY (merchant_id, first_id) REFERENCES customers (merchant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (merchant_id, second_id) REFERENCES customers (merchant_id, id) ON DELETE CASCADE
);
CREATE INDEX distinct_customers_second_idx ON distinct_customers (second_id);
