-- The board counts a shop's calls of the day.
CREATE INDEX calls_day_idx ON calls (merchant_id, created_at);
