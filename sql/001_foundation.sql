-- Tenants, API tokens, events and the entries the consumer could not decode.
-- Every table carries tenant_id where it holds tenant data, so a Citus
-- cluster can distribute by it later.

CREATE TABLE tenants (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uuid        uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    slug        text NOT NULL UNIQUE
                CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) BETWEEN 3 AND 64),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    active      boolean NOT NULL DEFAULT true,
    public      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Opaque bearer secrets are never stored: only their SHA-256.
CREATE TABLE api_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint REFERENCES tenants (id) ON DELETE CASCADE,  -- NULL: an admin token
    subject     text NOT NULL,
    scopes      text[] NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    prefix      text NOT NULL,                                     -- shown in lists to tell tokens apart
    expires_at  timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Partitioned by receive time; the unique key holds the partition key and
-- the receive time comes from the module, so a redelivered entry meets the
-- same key and changes nothing.
CREATE TABLE events (
    tenant_id    bigint NOT NULL,
    id           uuid NOT NULL,
    received_at  timestamptz NOT NULL,
    kind         text NOT NULL,
    type         text NOT NULL,
    product_id   bigint,
    metadata     jsonb NOT NULL DEFAULT '{}',
    country      char(2),
    stream_id    text NOT NULL,
    ingested_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id, received_at)
) PARTITION BY RANGE (received_at);

CREATE TABLE events_default PARTITION OF events DEFAULT;

-- Stream entries that could not be decoded: kept, not dropped, and
-- acknowledged in the same transaction that keeps them.
CREATE TABLE stream_rejects (
    stream      text NOT NULL,
    stream_id   text NOT NULL,
    fields      jsonb NOT NULL,
    problem     text NOT NULL,
    rejected_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream, stream_id)
);
