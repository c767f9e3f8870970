-- Monthly partitions of events, made ahead by the aggregator (at start and
-- every hour) through make_event_partitions. Rows that reached the DEFAULT
-- partition for a month without a partition (an aggregator down for months,
-- a clock far off) are moved into the new partition before it is attached,
-- so making a partition never fails on them.
CREATE FUNCTION make_event_partitions(months_ahead integer) RETURNS integer
    LANGUAGE plpgsql AS $$
DECLARE
    month_start date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
    made        integer := 0;
    name        text;
    from_at     timestamptz;
    to_at       timestamptz;
BEGIN
    -- one maker at a time: aggregators starting together do not race
    PERFORM pg_advisory_xact_lock(hashtext('make_event_partitions'));
    FOR i IN 0 .. months_ahead LOOP
        name := 'events_' || to_char(month_start + make_interval(months => i), 'YYYY_MM');
        CONTINUE WHEN to_regclass(name) IS NOT NULL;
        from_at := (month_start + make_interval(months => i))::timestamp AT TIME ZONE 'UTC';
        to_at := (month_start + make_interval(months => i + 1))::timestamp AT TIME ZONE 'UTC';
        EXECUTE format('CREATE TABLE %I (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
        EXECUTE format('WITH moved AS (DELETE FROM events_default WHERE received_at >= $1 AND received_at < $2'
                       ' RETURNING *) INSERT INTO %I SELECT * FROM moved', name) USING from_at, to_at;
        EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, from_at, to_at);
        made := made + 1;
    END LOOP;
    RETURN made;
END $$;

SELECT make_event_partitions(2);
