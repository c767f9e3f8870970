-- Day rollups (UTC) of interactions and attributed events: the funnel report
-- asks whole days, and a month of hours is thirty times the rows a month of
-- days is. Kept in the same transaction as the hourly ones.
CREATE TABLE rollup_interactions_daily (
    tenant_id     bigint NOT NULL,
    day           date NOT NULL,
    source        text NOT NULL,
    medium        text NOT NULL,
    campaign      text NOT NULL,
    country       text NOT NULL,
    interactions  bigint NOT NULL,
    PRIMARY KEY (tenant_id, day, source, medium, campaign, country)
);

CREATE TABLE rollup_attributed_daily (
    tenant_id      bigint NOT NULL,
    day            date NOT NULL,
    event_type     text NOT NULL,
    source         text NOT NULL,
    medium         text NOT NULL,
    campaign       text NOT NULL,
    country        text NOT NULL,
    currency       text NOT NULL,
    credit_micros  bigint NOT NULL,
    value_minor    bigint NOT NULL,
    PRIMARY KEY (tenant_id, day, event_type, source, medium, campaign, country, currency)
);

INSERT INTO rollup_interactions_daily
SELECT tenant_id, (hour AT TIME ZONE 'UTC')::date, source, medium, campaign, country, sum(interactions)
FROM rollup_interactions_hourly GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO rollup_attributed_daily
SELECT tenant_id, (hour AT TIME ZONE 'UTC')::date, event_type, source, medium, campaign, country, currency,
       sum(credit_micros), sum(value_minor)
FROM rollup_attributed_hourly GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
