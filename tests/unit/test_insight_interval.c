/* The insights report's intervals: the bucket of a day, the next bucket,
 * and ISO weeks at the turns of the year (checked against Python's and
 * PostgreSQL's isocalendar). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "event_time.h"
#include "insight_interval.h"

static int64_t
day_of(int64_t year, unsigned month, unsigned day)
{
    return analytics_days_from_civil(year, month, day);
}

static analytics_interval
named(const char *name)
{
    analytics_interval interval = ANALYTICS_INTERVAL_DAY;
    assert_int_equal(analytics_interval_parse(name, strlen(name), &interval), 0);
    return interval;
}

static void
test_names(void **state)
{
    analytics_interval interval;
    (void) state;

    assert_int_equal(named("day"), ANALYTICS_INTERVAL_DAY);
    assert_int_equal(named("semesterOfYear"), ANALYTICS_INTERVAL_SEMESTER_OF_YEAR);
    assert_int_equal(analytics_interval_parse("hour", 4, &interval), -1);
    assert_int_equal(analytics_interval_parse("dayOfWeeks", 10, &interval), -1);
    assert_int_equal(analytics_interval_parse("da", 2, &interval), -1);
    assert_true(analytics_interval_is_linear(named("year")));
    assert_false(analytics_interval_is_linear(named("dayOfWeek")));
}

static void
test_linear_buckets_start_on_their_first_day(void **state)
{
    int64_t d = day_of(2026, 11, 23);   /* a Monday */
    (void) state;

    assert_int_equal(analytics_interval_bucket(named("day"), d), d);
    assert_int_equal(analytics_interval_bucket(named("week"), d), d);
    assert_int_equal(analytics_interval_bucket(named("week"), day_of(2026, 11, 29)), d);
    assert_int_equal(analytics_interval_bucket(named("week"), day_of(1970, 1, 1)), day_of(1969, 12, 29));
    assert_int_equal(analytics_interval_bucket(named("month"), d), day_of(2026, 11, 1));
    assert_int_equal(analytics_interval_bucket(named("quarter"), d), day_of(2026, 10, 1));
    assert_int_equal(analytics_interval_bucket(named("quarter"), day_of(2026, 3, 31)), day_of(2026, 1, 1));
    assert_int_equal(analytics_interval_bucket(named("semester"), d), day_of(2026, 7, 1));
    assert_int_equal(analytics_interval_bucket(named("semester"), day_of(2026, 6, 30)), day_of(2026, 1, 1));
    assert_int_equal(analytics_interval_bucket(named("year"), d), day_of(2026, 1, 1));

    assert_int_equal(analytics_interval_next(named("day"), d), d + 1);
    assert_int_equal(analytics_interval_next(named("week"), d), d + 7);
    assert_int_equal(analytics_interval_next(named("month"), day_of(2026, 12, 1)), day_of(2027, 1, 1));
    assert_int_equal(analytics_interval_next(named("month"), day_of(2024, 1, 1)), day_of(2024, 2, 1));
    assert_int_equal(analytics_interval_next(named("quarter"), day_of(2026, 10, 1)), day_of(2027, 1, 1));
    assert_int_equal(analytics_interval_next(named("semester"), day_of(2026, 7, 1)), day_of(2027, 1, 1));
    assert_int_equal(analytics_interval_next(named("semester"), day_of(2026, 1, 1)), day_of(2026, 7, 1));
    assert_int_equal(analytics_interval_next(named("year"), day_of(1999, 1, 1)), day_of(2000, 1, 1));
}

static void
test_ordinals(void **state)
{
    int first, last;
    int64_t d = day_of(2000, 2, 29);   /* a Tuesday */
    (void) state;

    assert_int_equal(analytics_interval_bucket(named("dayOfWeek"), d), 2);
    assert_int_equal(analytics_interval_bucket(named("dayOfWeek"), day_of(1969, 12, 31)), 3);
    assert_int_equal(analytics_interval_bucket(named("dayOfMonth"), d), 29);
    assert_int_equal(analytics_interval_bucket(named("dayOfYear"), d), 60);
    assert_int_equal(analytics_interval_bucket(named("dayOfYear"), day_of(2020, 12, 31)), 366);
    assert_int_equal(analytics_interval_bucket(named("monthOfYear"), d), 2);
    assert_int_equal(analytics_interval_bucket(named("quarterOfYear"), day_of(2026, 7, 1)), 3);
    assert_int_equal(analytics_interval_bucket(named("semesterOfYear"), day_of(2026, 7, 1)), 2);
    assert_int_equal(analytics_interval_bucket(named("semesterOfYear"), day_of(2026, 6, 30)), 1);

    analytics_interval_ordinals(named("dayOfWeek"), &first, &last);
    assert_int_equal(first, 1);
    assert_int_equal(last, 7);
    analytics_interval_ordinals(named("dayOfYear"), &first, &last);
    assert_int_equal(last, 366);
    analytics_interval_ordinals(named("weekOfYear"), &first, &last);
    assert_int_equal(last, 53);
    analytics_interval_ordinals(named("semesterOfYear"), &first, &last);
    assert_int_equal(last, 2);
}

static void
test_iso_weeks_at_the_turn_of_the_year(void **state)
{
    static const struct { int64_t y; unsigned m, d; int64_t week; } cases[] = {
        {2020, 12, 31, 53}, {2021, 1, 1, 53}, {2021, 1, 3, 53}, {2021, 1, 4, 1},
        {2015, 12, 31, 53}, {2016, 1, 3, 53}, {2026, 12, 31, 53}, {2027, 1, 1, 53},
        {2024, 12, 30, 1}, {2008, 12, 29, 1}, {2010, 1, 3, 53}, {2026, 11, 23, 48},
        {2000, 2, 29, 9}, {1969, 12, 31, 1},
    };
    size_t i;
    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(analytics_interval_bucket(named("weekOfYear"), day_of(cases[i].y, cases[i].m, cases[i].d)),
                         cases[i].week);
    }
}

/* every day of sixty years: its week bucket is the Monday on or before it,
 * and each interval's bucket holds it */
static void
test_every_day_falls_in_its_buckets(void **state)
{
    int64_t day, start;
    int     k;
    (void) state;

    for (day = day_of(1990, 1, 1); day < day_of(2050, 1, 1); day++) {
        for (k = ANALYTICS_INTERVAL_DAY; k <= ANALYTICS_INTERVAL_YEAR; k++) {
            start = analytics_interval_bucket((analytics_interval) k, day);
            assert_true(start <= day);
            assert_true(day < analytics_interval_next((analytics_interval) k, start));
            assert_int_equal(analytics_interval_bucket((analytics_interval) k, start), start);
        }
        assert_int_equal(analytics_interval_bucket(ANALYTICS_INTERVAL_DAY_OF_WEEK,
                                                   analytics_interval_bucket(ANALYTICS_INTERVAL_WEEK, day)), 1);
        k = (int) analytics_interval_bucket(ANALYTICS_INTERVAL_WEEK_OF_YEAR, day);
        assert_true(k >= 1 && k <= 53);
        /* the seven days of a week share its number */
        assert_int_equal(analytics_interval_bucket(ANALYTICS_INTERVAL_WEEK_OF_YEAR,
                                                   analytics_interval_bucket(ANALYTICS_INTERVAL_WEEK, day)), k);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_linear_buckets_start_on_their_first_day),
        cmocka_unit_test(test_ordinals),
        cmocka_unit_test(test_iso_weeks_at_the_turn_of_the_year),
        cmocka_unit_test(test_every_day_falls_in_its_buckets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
