-- The chat bot's part in a conversation. Keep in step with postgres/0013_bot.sql.

-- NULL when the bot never held the conversation; otherwise 'active' (status 'bot'),
-- 'resolved' or 'handed_over'. Due times stay empty while the bot holds a conversation: the
-- service level counts from the hand-over.
ALTER TABLE conversations ADD COLUMN bot_outcome TEXT;
-- Answers the bot has given in this conversation (it hands over after two that did not help).
ALTER TABLE conversations ADD COLUMN bot_answers INTEGER NOT NULL DEFAULT 0;
-- When the bot resolved or handed the conversation over.
ALTER TABLE conversations ADD COLUMN bot_ended_at TEXT;
CREATE INDEX conversations_bot_idx ON conversations (merchant_id, bot_outcome, created_at);
