-- An agent's extension on the centre's PBX (内線番号): the CTI events name it, and the screen
-- pops for that agent only. One agent's at a time.
ALTER TABLE agent_states ADD COLUMN extension TEXT;
CREATE UNIQUE INDEX agent_states_extension_key ON agent_states (extension);
