-- A tenant's funnel: ordered stages, each a name (a column of the funnel
-- report) and the event types that count for it. A tenant without rows gets
-- the report document's stages (aggregator/funnels/funnel_store.cpp).
CREATE TABLE funnel_stages (
    tenant_id    bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    position     smallint NOT NULL CHECK (position BETWEEN 0 AND 19),
    name         text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$'),
    event_types  text[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 50),
    PRIMARY KEY (tenant_id, position),
    UNIQUE (tenant_id, name)
);
