#include "date_range.h"
#include "event_time.h"

#include <string.h>

#define ANALYTICS_DAY_MS 86400000LL

static int analytics_parse_day(const char *text, int64_t *days);
static int64_t analytics_floor_div(int64_t a, int64_t b);

static int64_t
analytics_floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* exactly eight digits naming a day that exists */
static int
analytics_parse_day(const char *text, int64_t *days)
{
    static const unsigned  month_days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    unsigned               year, month, day, i;
    int                    leap;

    for (i = 0; i < 8; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return -1;
        }
    }
    year = (unsigned) ((text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0'));
    month = (unsigned) ((text[4] - '0') * 10 + (text[5] - '0'));
    day = (unsigned) ((text[6] - '0') * 10 + (text[7] - '0'));
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > month_days[month - 1]) {
        return -1;
    }
    leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month == 2 && day == 29 && !leap) {
        return -1;
    }
    *days = analytics_days_from_civil(year, month, day);
    return 0;
}

int
analytics_date_range_parse(const char *text, size_t len, int64_t now_ms, analytics_date_range *range)
{
    int64_t   today, first, last, year, weekday;
    unsigned  month, day;

    today = analytics_floor_div(now_ms, ANALYTICS_DAY_MS);
    analytics_civil_from_days(today, &year, &month, &day);
    weekday = analytics_floor_div(today + 3, 7) * 7 - 3;    /* 1970-01-05 was a Monday: today's week's Monday */
    last = today;

#define ANALYTICS_NAMED(name) (len == sizeof(name) - 1 && memcmp(text, name, len) == 0)

    if (len == 17 && text[8] == ',') {
        if (analytics_parse_day(text, &first) != 0 || analytics_parse_day(text + 9, &last) != 0 || last < first) {
            return -1;
        }
    } else if (ANALYTICS_NAMED("today")) {
        first = today;
    } else if (ANALYTICS_NAMED("yesterday")) {
        first = last = today - 1;
    } else if (ANALYTICS_NAMED("this_week")) {
        first = weekday;
    } else if (ANALYTICS_NAMED("last_week")) {
        first = weekday - 7;
        last = weekday - 1;
    } else if (ANALYTICS_NAMED("this_month")) {
        first = analytics_days_from_civil(year, month, 1);
    } else if (ANALYTICS_NAMED("last_month")) {
        last = analytics_days_from_civil(year, month, 1) - 1;
        first = month == 1 ? analytics_days_from_civil(year - 1, 12, 1) : analytics_days_from_civil(year, month - 1, 1);
    } else if (ANALYTICS_NAMED("last_7_days")) {
        first = today - 6;
    } else if (ANALYTICS_NAMED("last_30_days")) {
        first = today - 29;
    } else if (ANALYTICS_NAMED("this_year")) {
        first = analytics_days_from_civil(year, 1, 1);
    } else {
        return -1;
    }

#undef ANALYTICS_NAMED

    range->from_ms = first * ANALYTICS_DAY_MS;
    range->to_ms = (last + 1) * ANALYTICS_DAY_MS;
    return 0;
}
