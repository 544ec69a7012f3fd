-- The pass that records missed service targets runs on every sweep. Its two questions — past
-- due and still open without the target met, or met late — each get a partial index over the
-- few rows they can be about, so the pass no longer reads the whole history.
CREATE INDEX conversations_first_response_pending_idx ON conversations (first_response_due_at)
    WHERE first_response_breached_at IS NULL AND first_response_at IS NULL AND status NOT IN ('resolved', 'closed');
CREATE INDEX conversations_first_response_late_idx ON conversations (first_response_due_at)
    WHERE first_response_breached_at IS NULL AND first_response_at > first_response_due_at;
CREATE INDEX conversations_resolution_pending_idx ON conversations (resolution_due_at)
    WHERE resolution_breached_at IS NULL AND resolved_at IS NULL AND status NOT IN ('resolved', 'closed');
CREATE INDEX conversations_resolution_late_idx ON conversations (resolution_due_at)
    WHERE resolution_breached_at IS NULL AND resolved_at > resolution_due_at;
