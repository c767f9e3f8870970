-- ingested_at is when the row was written, not when its transaction began,
-- so (ingested_at - received_at) is the event's time from nginx to the table.
ALTER TABLE events ALTER COLUMN ingested_at SET DEFAULT clock_timestamp();
