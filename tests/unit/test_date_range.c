/* The funnel report's date_range: explicit days and every named range. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "date_range.h"
#include "event_time.h"

#define DAY_MS 86400000LL

/* Wednesday 2026-11-18 15:30 UTC */
static const int64_t now_ms = 1795015800000LL;

static int64_t
day(int64_t year, unsigned month, unsigned d)
{
    return analytics_days_from_civil(year, month, d) * DAY_MS;
}

static void
expect(const char *text, int64_t from_ms, int64_t to_ms)
{
    analytics_date_range range;

    assert_int_equal(analytics_date_range_parse(text, strlen(text), now_ms, &range), 0);
    assert_int_equal(range.from_ms, from_ms);
    assert_int_equal(range.to_ms, to_ms);
}

static void
test_civil_days(void **state)
{
    int64_t year;
    unsigned month, d;
    (void) state;

    assert_int_equal(analytics_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(analytics_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(day(2026, 11, 18), 1794960000000LL);
    analytics_civil_from_days(20775, &year, &month, &d);
    assert_int_equal(year, 2026);
    assert_int_equal(month, 11);
    assert_int_equal(d, 18);
}

static void
test_explicit_days_include_both_ends(void **state)
{
    (void) state;
    expect("20230601,20230630", day(2023, 6, 1), day(2023, 7, 1));
    expect("20240229,20240229", day(2024, 2, 29), day(2024, 3, 1));
    expect("20231231,20240101", day(2023, 12, 31), day(2024, 1, 2));
}

static void
test_named_ranges(void **state)
{
    (void) state;
    expect("today", day(2026, 11, 18), day(2026, 11, 19));
    expect("yesterday", day(2026, 11, 17), day(2026, 11, 18));
    expect("this_week", day(2026, 11, 16), day(2026, 11, 19));
    expect("last_week", day(2026, 11, 9), day(2026, 11, 16));
    expect("this_month", day(2026, 11, 1), day(2026, 11, 19));
    expect("last_month", day(2026, 10, 1), day(2026, 11, 1));
    expect("last_7_days", day(2026, 11, 12), day(2026, 11, 19));
    expect("last_30_days", day(2026, 10, 20), day(2026, 11, 19));
    expect("this_year", day(2026, 1, 1), day(2026, 11, 19));
}

static void
test_last_month_in_january_and_weeks_on_monday_and_sunday(void **state)
{
    analytics_date_range range;
    int64_t jan = day(2027, 1, 10) + 5;
    (void) state;

    assert_int_equal(analytics_date_range_parse("last_month", 10, jan, &range), 0);
    assert_int_equal(range.from_ms, day(2026, 12, 1));
    assert_int_equal(range.to_ms, day(2027, 1, 1));
    /* 2026-11-16 is a Monday, 2026-11-22 a Sunday: both in the week of the 16th */
    assert_int_equal(analytics_date_range_parse("this_week", 9, day(2026, 11, 16), &range), 0);
    assert_int_equal(range.from_ms, day(2026, 11, 16));
    assert_int_equal(analytics_date_range_parse("this_week", 9, day(2026, 11, 22) + DAY_MS - 1, &range), 0);
    assert_int_equal(range.from_ms, day(2026, 11, 16));
    assert_int_equal(range.to_ms, day(2026, 11, 23));
}

static void
test_refused(void **state)
{
    analytics_date_range range;
    const char *bad[] = { "", "20230630,20230601", "20230230,20230301", "20230229,20230301", "2023060,20230630",
                          "20230601-20230630", "20231301,20231302", "20230600,20230601", "20230601,2023063x",
                          "Today", "this-month", "last_90_days", "19691231,19700101", " today" };
    size_t i;
    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(analytics_date_range_parse(bad[i], strlen(bad[i]), now_ms, &range), -1);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil_days),
        cmocka_unit_test(test_explicit_days_include_both_ends),
        cmocka_unit_test(test_named_ranges),
        cmocka_unit_test(test_last_month_in_january_and_weeks_on_monday_and_sunday),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
