/*
 * The intervals of the insights report (webmarketer-api): which bucket a UTC
 * day falls in. Linear intervals (day, week, month, quarter, semester, year)
 * name a bucket by its first day; the others (dayOfWeek ... semesterOfYear)
 * by an ordinal that repeats every year or week. Weeks start on Monday and
 * are numbered as ISO 8601 does (PostgreSQL's isodow and week agree).
 *
 * Days are counted from 1970-01-01 (UTC). Plain C on plain data, no I/O.
 */
#ifndef ANALYTICS_INSIGHT_INTERVAL_H
#define ANALYTICS_INSIGHT_INTERVAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ANALYTICS_INTERVAL_DAY,
    ANALYTICS_INTERVAL_WEEK,
    ANALYTICS_INTERVAL_MONTH,
    ANALYTICS_INTERVAL_QUARTER,
    ANALYTICS_INTERVAL_SEMESTER,
    ANALYTICS_INTERVAL_YEAR,
    ANALYTICS_INTERVAL_DAY_OF_WEEK,
    ANALYTICS_INTERVAL_DAY_OF_MONTH,
    ANALYTICS_INTERVAL_DAY_OF_YEAR,
    ANALYTICS_INTERVAL_WEEK_OF_YEAR,
    ANALYTICS_INTERVAL_MONTH_OF_YEAR,
    ANALYTICS_INTERVAL_QUARTER_OF_YEAR,
    ANALYTICS_INTERVAL_SEMESTER_OF_YEAR
} analytics_interval;

/* the interval the request names ("day" ... "semesterOfYear"); -1 for none */
int analytics_interval_parse(const char *name, size_t len, analytics_interval *interval);

/* 1 for day ... year: buckets follow one another in time */
int analytics_interval_is_linear(analytics_interval interval);

/* the bucket of day: a linear interval's first day, else the ordinal */
int64_t analytics_interval_bucket(analytics_interval interval, int64_t day);

/* a linear interval's bucket after the one starting on start */
int64_t analytics_interval_next(analytics_interval interval, int64_t start);

/* a non-linear interval's ordinals, first to last */
void analytics_interval_ordinals(analytics_interval interval, int *first, int *last);

#ifdef __cplusplus
}
#endif

#endif
