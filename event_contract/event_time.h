/*
 * Times cross the stream as Unix milliseconds and the API as RFC 3339.
 * A timestamp without an offset is UTC (the Webmarketer document's rule).
 */
#ifndef ANALYTICS_EVENT_TIME_H
#define ANALYTICS_EVENT_TIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_RFC3339_MS_LEN 24   /* 2026-11-23T09:30:00.123Z */

/* out receives 24 characters and a NUL */
void analytics_time_format_rfc3339_ms(int64_t unix_ms, char out[ANALYTICS_RFC3339_MS_LEN + 1]);

/*
 * ISO 8601 instants, of which RFC 3339 is a profile. Extended:
 * YYYY-MM-DD[(T|t| )hh:mm[:ss[(.|,)fraction]][zone]]; basic:
 * YYYYMMDD[(T|t)hhmm[ss[(.|,)fraction]][zone]]; zone is Z, z, +hh, +hhmm,
 * +hh:mm (or -), and none means UTC. Also the Webmarketer document's own
 * example, YYYY-MM-DDZhh:mm:ss (UTC). Refused: a time in the other form
 * than its date, week and ordinal dates, 24:00, hours without minutes.
 * Fractions beyond milliseconds are truncated. Returns 0 and sets *unix_ms,
 * or -1.
 */
int analytics_time_parse_iso8601(const char *text, size_t len, int64_t *unix_ms);

/*
 * When an event happened, from the time its client stamped on it
 * (client_ms, by the client's clock) and, when the request says when it
 * was sent (sent_at_ms, by the same clock), that clock's error as the
 * request shows it: client_ms + (received_ms - sent_at_ms), as Snowplow's
 * derived timestamp and PostHog's sent_at do. The result is kept within
 * [received_ms - ANALYTICS_EVENT_MAX_AGE_MS, received_ms]: an event is
 * never later than its arrival, and one older than a week says more about a
 * broken clock than about the event.
 */
#define ANALYTICS_EVENT_MAX_AGE_MS  (7LL * 24 * 3600 * 1000)

int64_t analytics_time_corrected(int64_t client_ms, int has_sent_at, int64_t sent_at_ms, int64_t received_ms);

/* days since 1970-01-01 of a proleptic Gregorian date, and back */
int64_t analytics_days_from_civil(int64_t year, unsigned month, unsigned day);
void analytics_civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);

#ifdef __cplusplus
}
#endif

#endif
