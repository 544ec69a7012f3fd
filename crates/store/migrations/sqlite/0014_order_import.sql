-- How each merchant's orders come in: file layouts and the webhook's secret. Keep in step with postgres/0014_order_import.sql.

-- The merchant's column mapping for order CSV files: a JSON object of what a column holds
-- (order_number, ordered_at, sku, …) to the header their shop system prints.
CREATE TABLE order_import_mappings (
    merchant_id BLOB PRIMARY KEY NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    columns TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- The secret a merchant's shop system signs its order webhook calls with (HMAC-SHA256).
CREATE TABLE order_webhooks (
    merchant_id BLOB PRIMARY KEY NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
