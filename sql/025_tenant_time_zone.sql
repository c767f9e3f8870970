-- A tenant's time zone (an IANA name from the system tz database that
-- PostgreSQL reads): its reports' days, weeks and months, and what "today"
-- is in a named date range. Rollups stay in UTC hours and days; a report in
-- another zone reads whole UTC days from the daily rollups and the edge
-- hours from the hourly ones.
ALTER TABLE tenants ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';
