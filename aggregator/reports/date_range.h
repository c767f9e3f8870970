/*
 * The funnel report's date_range (funnel-report-api): "YYYYMMDD,YYYYMMDD"
 * (both days included) or a named range, as UTC days. Named ranges end with
 * today, included, except yesterday, last_week and last_month:
 *
 *   today, yesterday
 *   this_week, last_week      weeks start on Monday (ISO 8601)
 *   this_month, last_month
 *   last_7_days, last_30_days today and the 6 or 29 days before it
 *   this_year
 *
 * Plain C on plain data, no I/O.
 */
#ifndef ANALYTICS_DATE_RANGE_H
#define ANALYTICS_DATE_RANGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int64_t from_ms;    /* first millisecond, included (UTC midnight) */
    int64_t to_ms;      /* the midnight after the last day, excluded */
} analytics_date_range;

/* 0, or -1 when text is neither form, names an impossible day, or ends
 * before it starts; now_ms decides what "today" is */
int analytics_date_range_parse(const char *text, size_t len, int64_t now_ms, analytics_date_range *range);

#ifdef __cplusplus
}
#endif

#endif
