-- The same sums as project_metrics_hourly by UTC day: insights read whole
-- days from here and only the hours at the edges of their range from the
-- hourly table. Kept in the same transactions.
CREATE TABLE project_metrics_daily (
    tenant_id   bigint NOT NULL,
    day         date NOT NULL,
    event_type  text NOT NULL,
    metric      text NOT NULL,
    value       double precision NOT NULL,
    PRIMARY KEY (tenant_id, day, event_type, metric)
);

INSERT INTO project_metrics_daily
SELECT tenant_id, (hour AT TIME ZONE 'UTC')::date, event_type, metric, sum(value)
FROM project_metrics_hourly GROUP BY 1, 2, 3, 4;
