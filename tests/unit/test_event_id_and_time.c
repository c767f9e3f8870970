/* UUIDv7 ids and RFC 3339 times. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "event_id.h"
#include "event_time.h"

static void
test_v7_layout_and_round_trip(void **state)
{
    const unsigned char random[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    char id[ANALYTICS_UUID_TEXT_LEN + 1];
    (void) state;

    analytics_event_id_v7(0x0123456789abULL, random, id);
    assert_string_equal(id, "01234567-89ab-7fff-bfff-ffffffffffff");
    assert_int_equal(analytics_uuid_is_valid(id, strlen(id)), 1);
    assert_int_equal(analytics_event_id_unix_ms(id, strlen(id)), 0x0123456789abLL);
}

static void
test_ids_sort_by_time(void **state)
{
    const unsigned char high[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const unsigned char low[10] = {0};
    char earlier[ANALYTICS_UUID_TEXT_LEN + 1], later[ANALYTICS_UUID_TEXT_LEN + 1];
    (void) state;

    analytics_event_id_v7(1795426719878ULL, high, earlier);
    analytics_event_id_v7(1795426719879ULL, low, later);
    assert_true(strcmp(earlier, later) < 0);
}

static void
test_uuid_validation(void **state)
{
    (void) state;
    assert_int_equal(analytics_uuid_is_valid("ae92581c-6769-45a2-bb23-84e433e183c9", 36), 1);
    assert_int_equal(analytics_uuid_is_valid("AE92581C-6769-45A2-BB23-84E433E183C9", 36), 1);
    assert_int_equal(analytics_uuid_is_valid("ae92581c-6769-45a2-bb23-84e433e183c", 35), 0);
    assert_int_equal(analytics_uuid_is_valid("ae92581c_6769-45a2-bb23-84e433e183c9", 36), 0);
    assert_int_equal(analytics_uuid_is_valid("ge92581c-6769-45a2-bb23-84e433e183c9", 36), 0);
    assert_int_equal(analytics_event_id_unix_ms("ae92581c-6769-45a2-bb23-84e433e183c9", 36), -1);
}

static void
test_uuid_parse(void **state)
{
    const unsigned char expected[16] = {0xae, 0x92, 0x58, 0x1c, 0x67, 0x69, 0x45, 0xa2,
                                        0xbb, 0x23, 0x84, 0xe4, 0x33, 0xe1, 0x83, 0xc9};
    unsigned char bytes[16];
    (void) state;

    assert_int_equal(analytics_uuid_parse("ae92581c-6769-45a2-bb23-84e433e183c9", 36, bytes), 0);
    assert_memory_equal(bytes, expected, 16);
    memset(bytes, 0, sizeof(bytes));
    assert_int_equal(analytics_uuid_parse("AE92581C-6769-45A2-BB23-84E433E183C9", 36, bytes), 0);
    assert_memory_equal(bytes, expected, 16);

    memset(bytes, 0x55, sizeof(bytes));
    assert_int_equal(analytics_uuid_parse("ae92581c676945a2bb2384e433e183c9", 32, bytes), -1);
    assert_int_equal(analytics_uuid_parse("ae92581c-6769-45a2-bb23-84e433e183c", 35, bytes), -1);
    assert_int_equal(analytics_uuid_parse("ae92581c-6769-45a2-bb23-84e433e183cg", 36, bytes), -1);
    assert_int_equal(analytics_uuid_parse("", 0, bytes), -1);
    assert_int_equal(bytes[0], 0x55);   /* untouched */
}

static void
test_format_rfc3339(void **state)
{
    char text[ANALYTICS_RFC3339_MS_LEN + 1];
    (void) state;

    analytics_time_format_rfc3339_ms(0, text);
    assert_string_equal(text, "1970-01-01T00:00:00.000Z");
    analytics_time_format_rfc3339_ms(1795426719878LL, text);
    assert_string_equal(text, "2026-11-23T09:38:39.878Z");
    analytics_time_format_rfc3339_ms(951782400000LL, text);   /* a leap day */
    assert_string_equal(text, "2000-02-29T00:00:00.000Z");
    analytics_time_format_rfc3339_ms(-1, text);
    assert_string_equal(text, "1969-12-31T23:59:59.999Z");
}

static void
check_parse(const char *text, int64_t expected)
{
    int64_t ms = 0;
    assert_int_equal(analytics_time_parse_iso8601(text, strlen(text), &ms), 0);
    assert_int_equal(ms, expected);
}

static void
check_rejected(const char *text)
{
    int64_t ms = 0;
    assert_int_equal(analytics_time_parse_iso8601(text, strlen(text), &ms), -1);
}

static void
test_parse_rfc3339(void **state)
{
    (void) state;
    check_parse("2026-11-23T09:38:39.878Z", 1795426719878LL);
    check_parse("2026-11-23T09:38:39.878123Z", 1795426719878LL);   /* truncated to ms */
    check_parse("2026-11-23T09:38:39Z", 1795426719000LL);
    check_parse("2026-11-23T09:38:39", 1795426719000LL);           /* no offset: UTC */
    check_parse("2026-11-23t09:38:39z", 1795426719000LL);
    check_parse("2026-11-23 09:38", 1795426680000LL);
    check_parse("2026-11-23T03:38:39-06:00", 1795426719000LL);
    check_parse("2026-11-23T15:08:39+0530", 1795426719000LL);
    check_parse("2026-11-23", 1795392000000LL);
    check_parse("2024-02-29T00:00:00Z", 1709164800000LL);

    check_rejected("");
    check_rejected("2026-13-01");
    check_rejected("2026-02-29");
    check_rejected("2026-11-23T24:00:00Z");
    check_rejected("2026-11-23T09:38:39.Z");
    check_rejected("2026-11-23T09:38:39+25:00");
    check_rejected("2026-11-23T09:38:39Zjunk");
    check_rejected("23/11/2026");
    check_rejected("2026-11-23T9:38:39Z");

    /* ISO 8601's basic format, hour-only offsets, comma fractions */
    check_parse("20261123T093839Z", 1795426719000LL);
    check_parse("20261123T093839.878Z", 1795426719878LL);
    check_parse("20261123T033839-0600", 1795426719000LL);
    check_parse("20261123T1508+0530", 1795426680000LL);
    check_parse("20261123T093839", 1795426719000LL);
    check_parse("20261123", 1795392000000LL);
    check_parse("2026-11-23T10:38:39+01", 1795426719000LL);
    check_parse("2026-11-23T09:38:39,878Z", 1795426719878LL);
    check_parse("20261123T093839,5Z", 1795426719500LL);
    /* the Webmarketer document's example: Z between date and time, UTC */
    check_parse("2022-04-01Z05:00:00", 1648789200000LL);
    check_parse("2022-04-01T06:00:00+01:00", 1648789200000LL);

    check_rejected("20261123T09:38:39Z");      /* basic date, extended time */
    check_rejected("2026-11-23T093839Z");      /* extended date, basic time */
    check_rejected("20261123 093839");         /* a space only in the extended form */
    check_rejected("20261323");
    check_rejected("2026112");
    check_rejected("2026-W48-1");              /* week dates */
    check_rejected("2026-327");                /* ordinal dates */
    check_rejected("20261123T09Z");            /* an hour without minutes */
    check_rejected("2022-04-01Z05:00:00+01:00");
    check_rejected("2026-11-23T09:38:39+1");
    check_rejected("2026-11-23T09:38:39+01:0");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v7_layout_and_round_trip),
        cmocka_unit_test(test_ids_sort_by_time),
        cmocka_unit_test(test_uuid_validation),
        cmocka_unit_test(test_uuid_parse),
        cmocka_unit_test(test_format_rfc3339),
        cmocka_unit_test(test_parse_rfc3339),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
