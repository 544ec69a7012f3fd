-- The live desk: presence that follows the console, offers that ring out, after-contact work
-- measured from the end of the contact, and the inbox ordered by what customers did last.
-- Keep in step with ../sqlite/0019_live_desk.sql.

-- The console's last heartbeat; a console that goes quiet is set offline.
ALTER TABLE agent_states ADD COLUMN last_seen_at TIMESTAMPTZ;

-- When routing offered the conversation to its assignee, and when the assignee took it. An
-- offer of a live contact not accepted in time goes to the next agent.
ALTER TABLE conversations ADD COLUMN offered_at TIMESTAMPTZ;
ALTER TABLE conversations ADD COLUMN accepted_at TIMESTAMPTZ;
-- When the agent ended the live contact (chat over, call hung up): after-contact work runs
-- from here.
ALTER TABLE conversations ADD COLUMN contact_ended_at TIMESTAMPTZ;
-- The last message either side wrote (not internal notes): the inbox's "last activity".
ALTER TABLE conversations ADD COLUMN last_message_at TIMESTAMPTZ;
-- The customer's oldest message not answered yet; empty when the desk spoke last.
ALTER TABLE conversations ADD COLUMN waiting_since TIMESTAMPTZ;

UPDATE conversations SET
    last_message_at = COALESCE(
        (SELECT MAX(m.created_at) FROM messages m WHERE m.conversation_id = conversations.id AND m.internal = false),
        created_at),
    waiting_since = (
        SELECT MIN(m.created_at) FROM messages m
        WHERE m.conversation_id = conversations.id AND m.internal = false AND m.direction = 'inbound'
          AND NOT EXISTS (SELECT 1 FROM messages o WHERE o.conversation_id = m.conversation_id
                          AND o.internal = false AND o.direction = 'outbound' AND o.created_at > m.created_at)),
    -- What was assigned before offers were timed counts as accepted.
    accepted_at = CASE WHEN assignee_id IS NOT NULL THEN updated_at END;

CREATE INDEX conversations_activity_idx ON conversations (merchant_id, last_message_at);
CREATE INDEX conversations_waiting_since_idx ON conversations (merchant_id, waiting_since);
CREATE INDEX conversations_offers_idx ON conversations (offered_at);

-- Who has a conversation open right now, and who is writing in it (the collision warning).
-- Rows older than a minute are stale and ignored; they are not worth keeping.
CREATE TABLE conversation_viewers (
    conversation_id UUID NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seen_at TIMESTAMPTZ NOT NULL,
    replying_at TIMESTAMPTZ,
    PRIMARY KEY (conversation_id, user_id)
);

-- The inbox's views list active conversations (about 1 % of a busy desk's table): partial
-- indexes over those rows only keep every view fast however large the history grows. The
-- condition is written exactly as the queries write it.
CREATE INDEX conversations_active_activity_idx ON conversations (last_message_at)
    WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX conversations_active_waiting_idx ON conversations (waiting_since)
    WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX conversations_active_assignee_idx ON conversations (assignee_id, last_message_at)
    WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX conversations_active_id_idx ON conversations (id)
    WHERE status NOT IN ('resolved', 'closed');

-- When each user last opened a conversation: a customer message after it is unread for them.
CREATE TABLE conversation_reads (
    conversation_id UUID NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    read_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);

-- A shop's short code before its ticket numbers (HM-201); empty for older shops, whose code
-- is derived from the slug when read.
ALTER TABLE merchants ADD COLUMN code TEXT;
