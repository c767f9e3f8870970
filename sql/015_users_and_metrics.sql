-- Webmarketer's computed side of an event: the user it belongs to, its data
-- as parsed against its event type, and the history of its states and
-- statistics (each change kept with its date).

-- a person a project's events and interactions are stitched to
CREATE TABLE project_users (
    tenant_id   bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

-- what names a user: a trackerId, or an identity field (email, phone...),
-- kept only as SHA-256 of "<tenant>\n<kind>\n<value>" (an identity value
-- trimmed and lower-cased first), never in clear
CREATE TABLE user_identities (
    tenant_id   bigint NOT NULL,
    kind        text NOT NULL,          -- 'trackerId' or the field's storage key
    value_hash  text NOT NULL CHECK (value_hash ~ '^[0-9a-f]{64}$'),
    user_id     uuid NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, kind, value_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES project_users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_identities_of_user ON user_identities (tenant_id, user_id);

CREATE TABLE computed_events (
    tenant_id      bigint NOT NULL,
    id             uuid NOT NULL,
    event_type_id  uuid NOT NULL,
    event_type     text NOT NULL,
    event_date     timestamptz NOT NULL,   -- eventDate, or when it came
    user_id        uuid,                   -- NULL: nothing named its user
    data           jsonb NOT NULL,
    created_at     timestamptz NOT NULL,   -- when nginx received it
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, id) REFERENCES raw_events (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES project_users (tenant_id, id) ON DELETE SET NULL (user_id)
);
CREATE INDEX computed_events_by_user ON computed_events (tenant_id, user_id);
CREATE INDEX computed_events_by_date ON computed_events (tenant_id, event_date);

-- every value a state or statistic took, with its date; the latest (by
-- metric_date, then id) is the current one
CREATE TABLE event_metrics (
    tenant_id    bigint NOT NULL,
    id           bigint GENERATED ALWAYS AS IDENTITY,
    event_id     uuid NOT NULL,
    user_id      uuid,
    storage_key  text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('state', 'statistic')),
    value        double precision NOT NULL CHECK (kind <> 'state' OR value IN (0, 1)),
    metric_date  timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, event_id) REFERENCES computed_events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX event_metrics_of_event ON event_metrics (tenant_id, event_id, storage_key, metric_date DESC, id DESC);
CREATE INDEX event_metrics_of_user ON event_metrics (tenant_id, user_id, metric_date);
