-- funnel/track (funnel-track-api): the step names a tenant's onboarding
-- tracks, and for each token subject the first time of each step plus its
-- domain path and whether it closed onboarding early.

CREATE TABLE funnel_steps (
    tenant_id  bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    position   smallint NOT NULL CHECK (position BETWEEN 0 AND 99),
    name       text NOT NULL CHECK (name ~ '^[a-z0-9_]{1,64}$'),
    PRIMARY KEY (tenant_id, position),
    UNIQUE (tenant_id, name)
);

-- the steps of a tenant that configured none: the document's examples
CREATE FUNCTION default_funnel_steps() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ARRAY['celebration_opened_at', 'first_published_at', 'domain_choice_step_at'];

-- what the module reads: a tenant's step names, comma separated
CREATE FUNCTION funnel_steps_of(tenant bigint) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN coalesce((SELECT string_agg(name, ',' ORDER BY position) FROM funnel_steps WHERE tenant_id = tenant),
                    array_to_string(default_funnel_steps(), ','));

-- a live tenant token as the module reads it:
-- "<tenant id>\n<expires, Unix seconds, or ''>\n<scopes, comma separated>\n<subject>"
CREATE FUNCTION token_mirror_value(t api_tokens) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN t.tenant_id || E'\n' || coalesce(floor(extract(epoch FROM t.expires_at))::bigint::text, '')
           || E'\n' || array_to_string(t.scopes, ',') || E'\n' || t.subject;

CREATE TABLE onboarding_steps (
    tenant_id  bigint NOT NULL,
    subject    text NOT NULL,
    step       text NOT NULL,
    first_at   timestamptz NOT NULL,
    event_id   uuid NOT NULL,
    PRIMARY KEY (tenant_id, subject, step)
);

CREATE TABLE onboarding_subjects (
    tenant_id     bigint NOT NULL,
    subject       text NOT NULL,
    domain_path   text CHECK (domain_path IN ('buy_new', 'already_have', 'skipped')),
    closed_early  boolean,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, subject)
);
