#include "event_time.h"

#include <stdio.h>
#include <string.h>

/* Howard Hinnant's days_from_civil / civil_from_days, exact for all years */
int64_t
analytics_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t  era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned) (y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t) doe - 719468;
}

void
analytics_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t  era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned) (z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t) yoe + era * 400 + (*m <= 2);
}

/* value's last n decimal digits, zero-padded */
static void
analytics_put_digits(char *out, unsigned value, unsigned n)
{
    while (n-- > 0) {
        out[n] = (char) ('0' + value % 10);
        value /= 10;
    }
}

void
analytics_time_format_rfc3339_ms(int64_t unix_ms, char out[ANALYTICS_RFC3339_MS_LEN + 1])
{
    int64_t  days, ms_of_day, year;
    unsigned month, day;

    days = unix_ms / 86400000;
    ms_of_day = unix_ms % 86400000;
    if (ms_of_day < 0) {
        ms_of_day += 86400000;
        days -= 1;
    }
    analytics_civil_from_days(days, &year, &month, &day);

    /* by hand: every row the aggregator writes has a time or two, and
     * snprintf was a tenth of its CPU */
    year %= 10000;
    if (year < 0) {
        year += 10000;
    }
    analytics_put_digits(out, (unsigned) year, 4);
    out[4] = '-';
    analytics_put_digits(out + 5, month, 2);
    out[7] = '-';
    analytics_put_digits(out + 8, day, 2);
    out[10] = 'T';
    analytics_put_digits(out + 11, (unsigned) (ms_of_day / 3600000), 2);
    out[13] = ':';
    analytics_put_digits(out + 14, (unsigned) (ms_of_day / 60000 % 60), 2);
    out[16] = ':';
    analytics_put_digits(out + 17, (unsigned) (ms_of_day / 1000 % 60), 2);
    out[19] = '.';
    analytics_put_digits(out + 20, (unsigned) (ms_of_day % 1000), 3);
    out[23] = 'Z';
    out[ANALYTICS_RFC3339_MS_LEN] = '\0';
}

static int
analytics_digits(const char *p, size_t n, int *value)
{
    size_t i;
    int    v = 0;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }
        v = v * 10 + (p[i] - '0');
    }
    *value = v;
    return 0;
}

static int
analytics_days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int              leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return month == 2 && leap ? 29 : days[month - 1];
}

/* hh[:]mm[[:]ss[(.|,)fraction]] from s[*i], the colons as `extended` says */
static int
analytics_parse_clock(const char *s, size_t len, size_t *i, int extended, int *hour, int *minute,
    int *second, int *ms)
{
    size_t  at = *i, step = extended ? 3 : 2;
    int     scale;

    if (len < at + 2 + step || analytics_digits(s + at, 2, hour)
        || (extended && s[at + 2] != ':') || analytics_digits(s + at + step, 2, minute))
    {
        return -1;
    }
    at += step + 2;
    if (at < len && (extended ? s[at] == ':' : (s[at] >= '0' && s[at] <= '9'))) {
        at += extended;
        if (len < at + 2 || analytics_digits(s + at, 2, second)) {
            return -1;
        }
        at += 2;
        if (at < len && (s[at] == '.' || s[at] == ',')) {
            at++;
            if (at >= len || s[at] < '0' || s[at] > '9') {
                return -1;
            }
            for (scale = 100; at < len && s[at] >= '0' && s[at] <= '9'; at++) {
                *ms += (s[at] - '0') * scale;
                scale /= 10;
            }
        }
    }
    if (*hour > 23 || *minute > 59 || *second > 60) {
        return -1;
    }
    if (*second == 60) {
        *second = 59;   /* a leap second is held at :59 */
    }
    *i = at;
    return 0;
}

/* what is left of s from i: nothing (UTC), Z, or +hh, +hhmm, +hh:mm */
static int
analytics_parse_offset(const char *s, size_t len, size_t i, int *offset_min)
{
    int  sign, off_h, off_m = 0;

    if (i == len) {
        return 0;
    }
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
        return 0;
    }
    if (s[i] != '+' && s[i] != '-') {
        return -1;
    }
    sign = s[i] == '-' ? -1 : 1;
    if (len < i + 3 || analytics_digits(s + i + 1, 2, &off_h)) {
        return -1;
    }
    if (len == i + 6 && s[i + 3] == ':') {
        if (analytics_digits(s + i + 4, 2, &off_m)) {
            return -1;
        }
    } else if (len == i + 5) {
        if (analytics_digits(s + i + 3, 2, &off_m)) {
            return -1;
        }
    } else if (len != i + 3) {
        return -1;
    }
    if (off_h > 23 || off_m > 59) {
        return -1;
    }
    *offset_min = sign * (off_h * 60 + off_m);
    return 0;
}

int64_t
analytics_time_corrected(int64_t client_ms, int has_sent_at, int64_t sent_at_ms, int64_t received_ms)
{
    int64_t  occurred;

    occurred = client_ms;
    if (has_sent_at) {
        occurred += received_ms - sent_at_ms;
    }
    if (occurred > received_ms) {
        return received_ms;
    }
    if (occurred < received_ms - ANALYTICS_EVENT_MAX_AGE_MS) {
        return received_ms - ANALYTICS_EVENT_MAX_AGE_MS;
    }
    return occurred;
}

int
analytics_time_parse_iso8601(const char *s, size_t len, int64_t *unix_ms)
{
    int     year, month, day, hour = 0, minute = 0, second = 0, ms = 0, offset_min = 0;
    int     extended;
    size_t  i;

    extended = len >= 5 && s[4] == '-';
    if (extended) {
        if (len < 10 || analytics_digits(s, 4, &year) || analytics_digits(s + 5, 2, &month) || s[7] != '-'
            || analytics_digits(s + 8, 2, &day))
        {
            return -1;
        }
        i = 10;
    } else {
        if (len < 8 || analytics_digits(s, 4, &year) || analytics_digits(s + 4, 2, &month)
            || analytics_digits(s + 6, 2, &day))
        {
            return -1;
        }
        i = 8;
    }
    if (month < 1 || month > 12 || day < 1 || day > analytics_days_in_month(year, month)) {
        return -1;
    }

    if (i < len) {
        if (extended && s[i] == 'Z') {
            /* the Webmarketer document's own example, 2022-04-01Z05:00:00:
             * Z between date and time, the time in UTC */
            i++;
            if (analytics_parse_clock(s, len, &i, 1, &hour, &minute, &second, &ms) != 0 || i != len) {
                return -1;
            }
        } else {
            if (s[i] != 'T' && s[i] != 't' && (s[i] != ' ' || !extended)) {
                return -1;
            }
            i++;
            if (analytics_parse_clock(s, len, &i, extended, &hour, &minute, &second, &ms) != 0
                || analytics_parse_offset(s, len, i, &offset_min) != 0)
            {
                return -1;
            }
        }
    }

    *unix_ms = ((analytics_days_from_civil(year, (unsigned) month, (unsigned) day) * 86400
                 + hour * 3600 + minute * 60 + second - (int64_t) offset_min * 60) * 1000) + ms;
    return 0;
}
