-- One spelling of a timestamp in API answers: RFC 3339 in UTC with
-- milliseconds, as the event contract's analytics_time_format_rfc3339_ms.
CREATE FUNCTION rfc3339(value timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN to_char(value AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
