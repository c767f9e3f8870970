-- Interactions (touches with their classified source), the attribution of
-- every other event over them, and the hourly rollups reports read. All
-- three are written in the ingest transaction of the events they come from,
-- only for events that transaction inserted, so a redelivery counts nothing
-- twice. Hours are UTC; days, weeks and time zones are sums of hours.

ALTER TABLE tenants
    ADD COLUMN attribution_model text NOT NULL DEFAULT 'last_non_direct'
        CHECK (attribution_model IN ('last_non_direct', 'first_touch', 'linear', 'position_based', 'time_decay')),
    ADD COLUMN attribution_lookback_days integer NOT NULL DEFAULT 30
        CHECK (attribution_lookback_days BETWEEN 1 AND 365);

-- '' rather than NULL in grouping columns, so they can be part of a key
CREATE TABLE interactions (
    tenant_id      bigint NOT NULL,
    event_id       uuid NOT NULL,
    occurred_at    timestamptz NOT NULL,
    visitor_key    text,
    kind           text NOT NULL,                 -- view, whatsapp_click, ... as the interaction named it
    source         text NOT NULL,
    medium         text NOT NULL,
    campaign       text NOT NULL DEFAULT '',
    direct         boolean NOT NULL,              -- nothing named a source
    wmkt_id        text,                          -- the custom-ads integration, when one
    campaign_slug  text,
    country        text NOT NULL DEFAULT '',
    landing_page   text,
    referrer       text,
    PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX interactions_by_visitor ON interactions (tenant_id, visitor_key, occurred_at)
    WHERE visitor_key IS NOT NULL;

-- the share of one event given to one touch; an event no touch explains has
-- one row for Direct with touch_event_id NULL
CREATE TABLE attributions (
    tenant_id       bigint NOT NULL,
    event_id        uuid NOT NULL,
    position        smallint NOT NULL,            -- the touch's place in the visitor's path, from 0
    touch_event_id  uuid,
    occurred_at     timestamptz NOT NULL,         -- of the event attributed
    event_type      text NOT NULL,
    model           text NOT NULL,
    source          text NOT NULL,
    medium          text NOT NULL,
    campaign        text NOT NULL DEFAULT '',
    country         text NOT NULL DEFAULT '',
    currency        text NOT NULL DEFAULT '',
    credit_micros   bigint NOT NULL CHECK (credit_micros BETWEEN 0 AND 1000000),
    value_minor     bigint NOT NULL CHECK (value_minor >= 0),
    PRIMARY KEY (tenant_id, event_id, position)
);

CREATE TABLE rollup_events_hourly (
    tenant_id    bigint NOT NULL,
    hour         timestamptz NOT NULL,
    event_type   text NOT NULL,
    country      text NOT NULL,
    currency     text NOT NULL,
    events       bigint NOT NULL,
    value_minor  bigint NOT NULL,
    PRIMARY KEY (tenant_id, hour, event_type, country, currency)
);

CREATE TABLE rollup_attributed_hourly (
    tenant_id      bigint NOT NULL,
    hour           timestamptz NOT NULL,
    event_type     text NOT NULL,
    source         text NOT NULL,
    medium         text NOT NULL,
    campaign       text NOT NULL,
    country        text NOT NULL,
    currency       text NOT NULL,
    credit_micros  bigint NOT NULL,               -- conversions in millionths
    value_minor    bigint NOT NULL,
    PRIMARY KEY (tenant_id, hour, event_type, source, medium, campaign, country, currency)
);

CREATE TABLE rollup_interactions_hourly (
    tenant_id     bigint NOT NULL,
    hour          timestamptz NOT NULL,
    source        text NOT NULL,
    medium        text NOT NULL,
    campaign      text NOT NULL,
    country       text NOT NULL,
    interactions  bigint NOT NULL,
    PRIMARY KEY (tenant_id, hour, source, medium, campaign, country)
);

-- When an event happened, what it is worth and in which currency: one
-- definition for the rollups, the attribution and the reports. Only the
-- module's conversion entries carry a value; a track event's metadata is
-- the client's and is never read as money.
CREATE FUNCTION event_occurred_at(kind text, metadata jsonb, received_at timestamptz) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN CASE WHEN kind = 'conversion'
                THEN coalesce((metadata->>'occurred_at')::timestamptz, received_at)
                ELSE received_at END;

CREATE FUNCTION event_value_minor(kind text, metadata jsonb) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN kind = 'conversion' THEN coalesce((metadata->>'value_minor')::bigint, 0) ELSE 0 END;

CREATE FUNCTION event_currency(kind text, metadata jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN kind = 'conversion' THEN coalesce(metadata->>'currency', '') ELSE '' END;
