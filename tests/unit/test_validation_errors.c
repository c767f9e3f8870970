/* The {"message","errors"} body: grouping, escaping, truncation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "validation_errors.h"

static void
test_messages_group_by_field_in_first_failure_order(void **state)
{
    analytics_validation_errors errors;
    char out[512];
    (void) state;

    analytics_validation_errors_init(&errors);
    analytics_validation_errors_add(&errors, "type", "First.");
    analytics_validation_errors_add(&errors, "tenant_id", "Second.");
    analytics_validation_errors_add(&errors, "type", "Third \"quoted\"\n.");
    size_t len = analytics_validation_errors_render(&errors, out, sizeof(out));
    assert_int_equal(len, strlen(out));
    assert_string_equal(out,
        "{\"message\":\"First. (and 2 more errors)\",\"errors\":{\"type\":[\"First.\","
        "\"Third \\\"quoted\\\"\\n.\"],\"tenant_id\":[\"Second.\"]}}");
}

static void
test_small_buffer_reports_needed_length(void **state)
{
    analytics_validation_errors errors;
    char small[16], big[256];
    size_t needed;
    (void) state;

    analytics_validation_errors_init(&errors);
    analytics_validation_errors_add(&errors, "body", "Too large.");
    needed = analytics_validation_errors_render(&errors, small, sizeof(small));
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_int_equal(analytics_validation_errors_render(&errors, big, sizeof(big)), needed);
    assert_string_equal(big, "{\"message\":\"Too large.\",\"errors\":{\"body\":[\"Too large.\"]}}");
    assert_int_equal(analytics_validation_errors_render(&errors, NULL, 0), needed);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages_group_by_field_in_first_failure_order),
        cmocka_unit_test(test_small_buffer_reports_needed_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
