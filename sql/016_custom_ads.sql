-- Custom-ads integrations (webmarketer-api): a project's own ad channel,
-- named in landing URLs by its wmktId (?wmktid=...&wmkt_campaign=<slug>);
-- its campaigns, explicit (made through the API) or implicit (made when
-- traffic names a slug nobody declared); and their outlays, the money spent,
-- which give reports their cost.
CREATE TABLE custom_ads_integrations (
    tenant_id   bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    wmkt_id     text NOT NULL CHECK (wmkt_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    currency    char(3) NOT NULL DEFAULT 'HNL' CHECK (currency ~ '^[A-Z]{3}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, wmkt_id)
);

CREATE TABLE custom_ads_campaigns (
    tenant_id       bigint NOT NULL,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    integration_id  uuid NOT NULL,
    campaign_slug   text NOT NULL CHECK (length(campaign_slug) BETWEEN 1 AND 200),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    active          boolean NOT NULL DEFAULT true,
    explicit        boolean NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, integration_id, campaign_slug),
    FOREIGN KEY (tenant_id, integration_id) REFERENCES custom_ads_integrations (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE custom_ads_outlays (
    tenant_id       bigint NOT NULL,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    integration_id  uuid NOT NULL,
    campaign_id     uuid NOT NULL,
    amount          numeric(18, 4) NOT NULL CHECK (amount >= 0),
    start_date      timestamptz NOT NULL,
    end_date        timestamptz NOT NULL,
    country         text CHECK (length(country) <= 100),
    region          text CHECK (length(region) <= 100),
    deleted_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CHECK (start_date < end_date),
    FOREIGN KEY (tenant_id, campaign_id) REFERENCES custom_ads_campaigns (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX custom_ads_outlays_of_campaign ON custom_ads_outlays (tenant_id, campaign_id, start_date);
