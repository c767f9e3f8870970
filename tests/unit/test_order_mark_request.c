/* mark-purchase-tracked bodies: which order, and whether to mark it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "order_mark_request.h"

static analytics_body_status
parse(const char *body, analytics_order_mark_request *request, analytics_validation_errors *errors)
{
    char problem[256];
    return analytics_order_mark_request_parse(body, strlen(body), request, errors, problem, sizeof(problem));
}

static void
test_the_documents_example_marks(void **state)
{
    analytics_order_mark_request request;
    analytics_validation_errors errors;
    (void) state;

    assert_int_equal(parse("{\"website_id\":\"1\",\"order_session\":\"abc123def456ghi789\",\"mark\":true}",
                           &request, &errors), ANALYTICS_BODY_OK);
    assert_memory_equal(request.website_ref, "1", 1);
    assert_int_equal(request.order_session_len, 18);
    assert_int_equal(request.mark, 1);
    analytics_order_mark_request_free(&request);
}

static void
test_mark_absent_marks_false_or_null_reads(void **state)
{
    analytics_order_mark_request request;
    analytics_validation_errors errors;
    (void) state;

    assert_int_equal(parse("{\"website_id\":7,\"order_session\":\"s1\"}", &request, &errors), ANALYTICS_BODY_OK);
    assert_int_equal(request.mark, 1);
    assert_string_equal(request.website_text, "7");
    analytics_order_mark_request_free(&request);
    assert_int_equal(parse("{\"website_id\":\"demo\",\"order_session\":\"s1\",\"mark\":false}", &request, &errors),
                     ANALYTICS_BODY_OK);
    assert_int_equal(request.mark, 0);
    analytics_order_mark_request_free(&request);
    assert_int_equal(parse("{\"website_id\":\"demo\",\"order_session\":\"s1\",\"mark\":null}", &request, &errors),
                     ANALYTICS_BODY_OK);
    assert_int_equal(request.mark, 0);
    analytics_order_mark_request_free(&request);
}

static void
test_invalid_fields(void **state)
{
    analytics_order_mark_request request;
    analytics_validation_errors errors;
    (void) state;

    assert_int_equal(parse("{}", &request, &errors), ANALYTICS_BODY_INVALID);
    assert_int_equal(errors.count, 2);
    assert_string_equal(errors.items[0].message, "The website id field is required.");
    assert_string_equal(errors.items[1].message, "The order session field is required.");
    analytics_order_mark_request_free(&request);

    assert_int_equal(parse("{\"website_id\":[1],\"order_session\":\"a b\",\"mark\":\"yes\"}", &request, &errors),
                     ANALYTICS_BODY_INVALID);
    assert_int_equal(errors.count, 3);
    assert_string_equal(errors.items[0].message, "The website id field must be a string.");
    assert_string_equal(errors.items[1].message,
        "The order session field must be 1 to 191 letters, digits, dots, colons, underscores or hyphens.");
    assert_string_equal(errors.items[2].message, "The mark field must be true or false.");
    analytics_order_mark_request_free(&request);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_documents_example_marks),
        cmocka_unit_test(test_mark_absent_marks_false_or_null_reads),
        cmocka_unit_test(test_invalid_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
