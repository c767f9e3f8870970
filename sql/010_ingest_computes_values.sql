-- The ingest computes an event's time, value and currency once, in C++
-- (aggregator/ingest/incoming_event.cpp), for the events, conversions,
-- attributions and rollups alike; the SQL spellings of 007 go, so the rule
-- lives in one place.
DROP FUNCTION event_occurred_at(text, jsonb, timestamptz);
DROP FUNCTION event_value_minor(text, jsonb);
DROP FUNCTION event_currency(text, jsonb);
