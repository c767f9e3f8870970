-- Webmarketer event types: the schema a project's events are checked
-- against. fields is an array of {storageKey, name, type, required, kind}:
-- type string, number, boolean or date; kind field, state, statistic or
-- identity.
CREATE TABLE event_types (
    tenant_id          bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 uuid NOT NULL DEFAULT gen_random_uuid(),
    reference          text NOT NULL CHECK (reference ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(reference) <= 64),
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    fields             jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(fields) = 'array'),
    metadata           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    expiration_policy  jsonb,
    archived_at        timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, reference)
);
CREATE INDEX event_types_fields ON event_types USING gin (fields jsonb_path_ops);
