-- What event insights read (POST .../events/insights): per project, UTC hour
-- of the events' date, event type and metric, the sum over the events of
-- that hour. Metrics: 'event-count' (1 per event), each statistic key (its
-- current value) and each state key (1 when its current value is 1). Kept
-- in the transaction that writes the event or changes a current value, so
-- insights never read the events themselves.
CREATE TABLE project_metrics_hourly (
    tenant_id   bigint NOT NULL,
    hour        timestamptz NOT NULL,
    event_type  text NOT NULL,
    metric      text NOT NULL,
    value       double precision NOT NULL,
    PRIMARY KEY (tenant_id, hour, event_type, metric)
);

-- the current value of each state and statistic of each event
CREATE VIEW event_metrics_current AS
SELECT DISTINCT ON (tenant_id, event_id, storage_key) tenant_id, event_id, storage_key, kind, value
FROM event_metrics
ORDER BY tenant_id, event_id, storage_key, metric_date DESC, id DESC;

-- events computed before this migration
INSERT INTO project_metrics_hourly (tenant_id, hour, event_type, metric, value)
SELECT tenant_id, date_trunc('hour', event_date AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', event_type, 'event-count', count(*)
FROM computed_events GROUP BY 1, 2, 3;
INSERT INTO project_metrics_hourly (tenant_id, hour, event_type, metric, value)
SELECT e.tenant_id, date_trunc('hour', e.event_date AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', e.event_type, m.storage_key,
       sum(CASE WHEN m.kind = 'state' THEN (m.value = 1)::int ELSE m.value END)
FROM computed_events e JOIN event_metrics_current m ON m.tenant_id = e.tenant_id AND m.event_id = e.id
GROUP BY 1, 2, 3, 4;
