-- Per tenant, the latest time of an event that has shares: a touch later
-- than it reaches no stored share, so a batch's touches skip the search for
-- shares to split again (the usual case: touches come before the events
-- they explain). Raised under the attribution lock whenever shares are
-- written, never lowered, so it is an upper bound even after shares are
-- taken back.
CREATE TABLE attribution_marks (
    tenant_id  bigint PRIMARY KEY,
    latest_at  timestamptz NOT NULL
);
INSERT INTO attribution_marks (tenant_id, latest_at)
SELECT tenant_id, max(occurred_at) FROM attributions GROUP BY tenant_id;
