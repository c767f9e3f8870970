#include "insight_interval.h"

#include "event_time.h"

#include <string.h>

static const char *const analytics_interval_names[] = {
    "day", "week", "month", "quarter", "semester", "year", "dayOfWeek", "dayOfMonth", "dayOfYear",
    "weekOfYear", "monthOfYear", "quarterOfYear", "semesterOfYear"
};

/* 1 (Monday) to 7; 1970-01-01 was a Thursday */
static int64_t
analytics_isodow(int64_t day)
{
    return ((day + 3) % 7 + 7) % 7 + 1;
}

/* ISO 8601: a year has 53 weeks when it starts on a Thursday, or on a
 * Wednesday in a leap year; both are the years whose last day is a Thursday
 * or whose first is */
static int
analytics_iso_weeks(int64_t year)
{
    int64_t  first, last;

    first = analytics_isodow(analytics_days_from_civil(year, 1, 1));
    last = analytics_isodow(analytics_days_from_civil(year, 12, 31));
    return first == 4 || last == 4 ? 53 : 52;
}

int
analytics_interval_parse(const char *name, size_t len, analytics_interval *interval)
{
    size_t  i;

    for (i = 0; i < sizeof(analytics_interval_names) / sizeof(analytics_interval_names[0]); i++) {
        if (strlen(analytics_interval_names[i]) == len && memcmp(analytics_interval_names[i], name, len) == 0) {
            *interval = (analytics_interval) i;
            return 0;
        }
    }
    return -1;
}

int
analytics_interval_is_linear(analytics_interval interval)
{
    return interval <= ANALYTICS_INTERVAL_YEAR;
}

int64_t
analytics_interval_bucket(analytics_interval interval, int64_t day)
{
    int64_t   year, week;
    unsigned  month, mday;

    analytics_civil_from_days(day, &year, &month, &mday);

    switch (interval) {
    case ANALYTICS_INTERVAL_DAY:
        return day;
    case ANALYTICS_INTERVAL_WEEK:
        return day - (analytics_isodow(day) - 1);
    case ANALYTICS_INTERVAL_MONTH:
        return analytics_days_from_civil(year, month, 1);
    case ANALYTICS_INTERVAL_QUARTER:
        return analytics_days_from_civil(year, (month - 1) / 3 * 3 + 1, 1);
    case ANALYTICS_INTERVAL_SEMESTER:
        return analytics_days_from_civil(year, month <= 6 ? 1 : 7, 1);
    case ANALYTICS_INTERVAL_YEAR:
        return analytics_days_from_civil(year, 1, 1);
    case ANALYTICS_INTERVAL_DAY_OF_WEEK:
        return analytics_isodow(day);
    case ANALYTICS_INTERVAL_DAY_OF_MONTH:
        return mday;
    case ANALYTICS_INTERVAL_DAY_OF_YEAR:
        return day - analytics_days_from_civil(year, 1, 1) + 1;
    case ANALYTICS_INTERVAL_WEEK_OF_YEAR:
        /* the week of this Thursday of the day's week is the day's */
        week = (day - analytics_days_from_civil(year, 1, 1) + 1 - analytics_isodow(day) + 10) / 7;
        if (week < 1) {
            return analytics_iso_weeks(year - 1);
        }
        return week > analytics_iso_weeks(year) ? 1 : week;
    case ANALYTICS_INTERVAL_MONTH_OF_YEAR:
        return month;
    case ANALYTICS_INTERVAL_QUARTER_OF_YEAR:
        return (month - 1) / 3 + 1;
    case ANALYTICS_INTERVAL_SEMESTER_OF_YEAR:
        return month <= 6 ? 1 : 2;
    }
    return day;
}

int64_t
analytics_interval_next(analytics_interval interval, int64_t start)
{
    int64_t   year;
    unsigned  month, mday, months;

    switch (interval) {
    case ANALYTICS_INTERVAL_DAY:
        return start + 1;
    case ANALYTICS_INTERVAL_WEEK:
        return start + 7;
    default:
        break;
    }
    months = interval == ANALYTICS_INTERVAL_MONTH ? 1
             : interval == ANALYTICS_INTERVAL_QUARTER ? 3
             : interval == ANALYTICS_INTERVAL_SEMESTER ? 6 : 12;
    analytics_civil_from_days(start, &year, &month, &mday);
    month += months;
    year += (month - 1) / 12;
    month = (month - 1) % 12 + 1;
    return analytics_days_from_civil(year, month, 1);
}

void
analytics_interval_ordinals(analytics_interval interval, int *first, int *last)
{
    static const int  lasts[] = {7, 31, 366, 53, 12, 4, 2};

    *first = 1;
    *last = interval >= ANALYTICS_INTERVAL_DAY_OF_WEEK ? lasts[interval - ANALYTICS_INTERVAL_DAY_OF_WEEK] : 0;
}
