-- Conversion beacons: a repeated transaction_id of a tenant is counted once.
-- The event row of a conversion is written only with its first sighting.
CREATE TABLE conversions (
    tenant_id       bigint NOT NULL,
    transaction_id  text NOT NULL CHECK (length(transaction_id) BETWEEN 1 AND 128),
    event_id        uuid NOT NULL,
    received_at     timestamptz NOT NULL,
    occurred_at     timestamptz NOT NULL,                -- the beacon's timestamp, or received_at
    event           text NOT NULL,
    value_minor     bigint NOT NULL CHECK (value_minor >= 0),   -- minor units of currency
    currency        char(3) NOT NULL,
    PRIMARY KEY (tenant_id, transaction_id)
);
