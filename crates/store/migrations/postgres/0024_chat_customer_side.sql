-- The customer's side of chat: the name customers see beside an agent's messages (「佐藤」),
-- chosen by the agent or their manager; empty shows the display name's first word.
-- Keep in step with ../sqlite/0024_chat_customer_side.sql.
ALTER TABLE users ADD COLUMN public_name TEXT NOT NULL DEFAULT '';
