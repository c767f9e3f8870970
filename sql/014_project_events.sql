-- Webmarketer events (POST /api/v1/events and /events/sync): each raw event
-- as it was sent, once per (project, nonce); the ones that fail their event
-- type's schema in the trash with every reason. Valid ones also become rows
-- of events (kind 'project_event', metadata = their data), so rollups,
-- attribution and reports take them like any other event.
CREATE TABLE raw_events (
    tenant_id    bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    -- NULL when the event carried no usable nonce (it is in the trash then)
    nonce        text,
    event_type   text,
    tracker_id   text,
    event_date   timestamptz,
    received_at  timestamptz NOT NULL,
    -- json, not jsonb: the text exactly as sent, key order and all
    body         json NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, nonce)
);

CREATE TABLE trashed_events (
    tenant_id    bigint NOT NULL,
    id           uuid NOT NULL,
    received_at  timestamptz NOT NULL,
    -- [{"field": "data.amount", "message": "data.amount must be a number"}, ...]
    errors       jsonb NOT NULL CHECK (jsonb_typeof(errors) = 'array'),
    trashed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, id) REFERENCES raw_events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX trashed_events_by_time ON trashed_events (tenant_id, received_at DESC, id);
