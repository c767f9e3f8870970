/* The conversion beacon's rules: defaults, money in minor units, skips. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "conversion_request.h"

static int
parse(const char *body, analytics_conversion_request *request, const char **reason)
{
    return analytics_conversion_request_parse(body, strlen(body), request, reason);
}

static void
test_defaults(void **state)
{
    analytics_conversion_request request;
    const char *reason = NULL;
    (void) state;

    assert_int_equal(parse("{\"tenant_slug\":\"mi-negocio\"}", &request, &reason), 0);
    assert_memory_equal(request.tenant_slug, "mi-negocio", 10);
    assert_null(request.transaction_id);
    assert_int_equal(request.value_minor, 0);
    assert_string_equal(request.currency, "HNL");
    assert_string_equal(request.event, "purchase");
    assert_int_equal(request.has_occurred_at, 0);
    assert_string_equal(request.transaction_json, "null");
    assert_string_equal(request.metadata_json,
        "{\"transaction_id\":null,\"value_minor\":0,\"currency\":\"HNL\",\"event\":\"purchase\"}");
    analytics_conversion_request_free(&request);
}

static void
test_the_documents_example(void **state)
{
    analytics_conversion_request request;
    const char *reason = NULL;
    (void) state;

    assert_int_equal(parse("{\"tenant_slug\":\"mi-negocio\",\"transaction_id\":\"txn_abc123\","
                           "\"value\":150.00,\"currency\":\"HNL\"}", &request, &reason), 0);
    assert_int_equal(request.value_minor, 15000);
    assert_string_equal(request.transaction_json, "\"txn_abc123\"");
    assert_string_equal(request.metadata_json,
        "{\"transaction_id\":\"txn_abc123\",\"value_minor\":15000,\"currency\":\"HNL\",\"event\":\"purchase\"}");
    analytics_conversion_request_free(&request);
}

static void
check_minor(const char *body, int64_t expected, const char *currency)
{
    analytics_conversion_request request;
    const char *reason = NULL;

    assert_int_equal(parse(body, &request, &reason), 0);
    assert_int_equal(request.value_minor, expected);
    assert_string_equal(request.currency, currency);
    analytics_conversion_request_free(&request);
}

static void
test_minor_units_follow_the_currency(void **state)
{
    (void) state;
    check_minor("{\"tenant_slug\":\"abc\",\"value\":19.99,\"currency\":\"usd\"}", 1999, "USD");
    check_minor("{\"tenant_slug\":\"abc\",\"value\":\"19.99\"}", 1999, "HNL");
    check_minor("{\"tenant_slug\":\"abc\",\"value\":1500,\"currency\":\"JPY\"}", 1500, "JPY");
    check_minor("{\"tenant_slug\":\"abc\",\"value\":1.234,\"currency\":\"KWD\"}", 1234, "KWD");
    check_minor("{\"tenant_slug\":\"abc\",\"value\":0.1,\"currency\":\"EUR\"}", 10, "EUR");
    check_minor("{\"tenant_slug\":\"abc\",\"value\":null}", 0, "HNL");
}

static void
test_timestamp_and_event(void **state)
{
    analytics_conversion_request request;
    const char *reason = NULL;
    (void) state;

    assert_int_equal(parse("{\"tenant_slug\":\"abc\",\"event\":\"conversion\","
                           "\"timestamp\":\"2026-11-20T10:00:00-06:00\",\"transaction_id\":12345}",
                           &request, &reason), 0);
    assert_string_equal(request.event, "conversion");
    assert_int_equal(request.has_occurred_at, 1);
    assert_int_equal(request.occurred_at_ms, 1795190400000LL);
    assert_string_equal(request.transaction_json, "\"12345\"");
    assert_string_equal(request.metadata_json,
        "{\"transaction_id\":\"12345\",\"value_minor\":0,\"currency\":\"HNL\",\"event\":\"conversion\","
        "\"occurred_at\":\"2026-11-20T16:00:00.000Z\"}");
    analytics_conversion_request_free(&request);
}

static void
check_skipped(const char *body, const char *expected_reason, const char *expected_echo)
{
    analytics_conversion_request request;
    const char *reason = NULL;

    assert_int_equal(parse(body, &request, &reason), -1);
    assert_string_equal(reason, expected_reason);
    if (expected_echo == NULL) {
        assert_null(request.transaction_json);
    } else {
        assert_string_equal(request.transaction_json, expected_echo);
    }
    analytics_conversion_request_free(&request);
}

static void
test_what_is_skipped(void **state)
{
    (void) state;
    check_skipped("{\"transaction_id\":\"t1\"}", "tenant_slug is missing", "\"t1\"");
    check_skipped("{\"tenant_slug\":\"\"}", "tenant_slug is missing", "null");
    check_skipped("{\"tenant_slug\":\"Bad Slug\"}", "tenant_slug is not a slug", "null");
    check_skipped("{\"tenant_slug\":\"abc\",\"currency\":\"EURO\"}", "currency is not an ISO 4217 code", "null");
    check_skipped("{\"tenant_slug\":\"abc\",\"currency\":\"E1R\"}", "currency is not an ISO 4217 code", "null");
    check_skipped("{\"tenant_slug\":\"abc\",\"value\":-1}", "value is negative or too large", "null");
    check_skipped("{\"tenant_slug\":\"abc\",\"value\":\"12abc\"}", "value is not a number", "null");
    check_skipped("{\"tenant_slug\":\"abc\",\"value\":true}", "value is not a number", "null");
    check_skipped("{\"tenant_slug\":\"abc\",\"event\":\"refund\"}", "event is not a known interaction type", "null");
    check_skipped("{\"tenant_slug\":\"abc\",\"timestamp\":\"yesterday\"}", "timestamp is not ISO 8601", "null");
    check_skipped("{\"tenant_slug\":\"abc\",\"transaction_id\":[1]}", "transaction_id is not a string", "null");
    check_skipped("[1]", "the body is not a JSON object", NULL);
    check_skipped("{\"tenant_slug\":", "the body is not JSON", NULL);
}

static void
test_slugs(void **state)
{
    (void) state;
    assert_int_equal(analytics_slug_is_valid("demo", 4), 1);
    assert_int_equal(analytics_slug_is_valid("mi-negocio-2", 12), 1);
    assert_int_equal(analytics_slug_is_valid("ab", 2), 0);
    assert_int_equal(analytics_slug_is_valid("-abc", 4), 0);
    assert_int_equal(analytics_slug_is_valid("abc-", 4), 0);
    assert_int_equal(analytics_slug_is_valid("a--b", 4), 0);
    assert_int_equal(analytics_slug_is_valid("Abc", 3), 0);
    assert_int_equal(analytics_currency_exponent("HNL"), 2);
    assert_int_equal(analytics_currency_exponent("CLP"), 0);
    assert_int_equal(analytics_currency_exponent("BHD"), 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_the_documents_example),
        cmocka_unit_test(test_minor_units_follow_the_currency),
        cmocka_unit_test(test_timestamp_and_event),
        cmocka_unit_test(test_what_is_skipped),
        cmocka_unit_test(test_slugs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
