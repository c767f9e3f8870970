-- The day's visitor key of an event: sha1(day's salt, tenant, address, user
-- agent), made in Redis; the address itself is never stored.
ALTER TABLE events ADD COLUMN visitor_key text CHECK (visitor_key ~ '^[0-9a-f]{40}$');
