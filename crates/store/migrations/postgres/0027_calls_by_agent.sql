-- The calls an agent is on, for their presence on every routing decision and board refresh.
-- Keep in step with ../sqlite/0027_calls_by_agent.sql.

CREATE INDEX calls_agent_idx ON calls (agent_id, state);
