/* The field checks every request parser shares (event_contract/json_field.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json_field.h"

static json_t *
object_of(const char *text)
{
    json_error_t  error;
    json_t       *root = json_loads(text, 0, &error);

    assert_non_null(root);
    return root;
}

static void
test_null_is_missing_and_empty_text_is_not_filled(void **state)
{
    json_t *root = object_of("{\"a\":null,\"b\":\"\",\"c\":\"x\",\"d\":0,\"e\":false}");

    (void) state;
    assert_null(analytics_json_field(root, "a"));
    assert_null(analytics_json_field(root, "missing"));
    assert_non_null(analytics_json_field(root, "b"));
    assert_null(analytics_json_required_field(root, "b"));
    assert_string_equal(json_string_value(analytics_json_required_field(root, "c")), "x");
    /* 0 and false are filled: only null and "" count as missing */
    assert_non_null(analytics_json_required_field(root, "d"));
    assert_non_null(analytics_json_required_field(root, "e"));
    json_decref(root);
}

static void
test_text_takes_strings_within_bounds_only(void **state)
{
    json_t      *root = object_of("{\"s\":\"abcd\",\"n\":12}");
    const char  *text = NULL;
    size_t       len = 0;

    (void) state;
    assert_int_equal(analytics_json_text(json_object_get(root, "s"), 1, 3, &text, &len), 0);
    assert_null(text);
    assert_int_equal(analytics_json_text(json_object_get(root, "s"), 5, 9, &text, &len), 0);
    assert_int_equal(analytics_json_text(json_object_get(root, "n"), 0, 9, &text, &len), 0);
    assert_int_equal(analytics_json_text(json_object_get(root, "s"), 4, 4, &text, &len), 1);
    assert_int_equal(len, 4);
    assert_memory_equal(text, "abcd", 4);
    json_decref(root);
}

static void
test_number_text_points_into_the_buffer(void **state)
{
    char         buf[24];
    const char  *text = NULL;
    size_t       len = 0;

    (void) state;
    analytics_json_number_text(9007199254740993LL, buf, sizeof(buf), &text, &len);
    assert_ptr_equal(text, buf);
    assert_string_equal(text, "9007199254740993");
    assert_int_equal(len, 16);
}

static void
test_pick_keeps_filled_keys_in_list_order(void **state)
{
    static const char *const keys[] = { "url", "referrer", "name", "props", NULL };
    json_t  *root = object_of("{\"props\":{\"k\":1},\"referrer\":\"\",\"url\":\"https://a.example/\",\"x\":1}");
    char    *text = NULL;
    size_t   len = 0;

    (void) state;
    assert_int_equal(analytics_json_keep_text(analytics_json_pick(root, keys), 0, &text, &len), ANALYTICS_BODY_OK);
    assert_string_equal(text, "{\"url\":\"https://a.example/\",\"props\":{\"k\":1}}");
    assert_int_equal(len, strlen(text));
    free(text);
    json_decref(root);
}

static void
test_keep_text_refuses_a_failed_or_missing_value(void **state)
{
    char    *text = (char *) "unchanged";
    size_t   len = 0;

    (void) state;
    assert_int_equal(analytics_json_keep_text(NULL, 0, &text, &len), ANALYTICS_BODY_NO_MEMORY);
    assert_null(text);
    text = (char *) "unchanged";
    assert_int_equal(analytics_json_keep_text(json_object(), 1, &text, &len), ANALYTICS_BODY_NO_MEMORY);
    assert_null(text);
}

static void
test_string_rule_says_the_first_rule_broken(void **state)
{
    static const analytics_string_rule rule = {
        "tenant", 4, "The tenant field is required.", "The tenant field must be a string.",
        "The tenant field must not be greater than 4 characters."
    };
    analytics_validation_errors  errors;
    json_t                      *root = object_of("{\"long\":\"abcde\",\"n\":7,\"ok\":\"abcd\",\"blank\":\"\"}");
    const char                  *text = NULL;
    size_t                       len = 0;

    (void) state;
    analytics_validation_errors_init(&errors);
    assert_int_equal(analytics_json_string_rule(analytics_json_required_field(root, "blank"), &rule, &errors, &text,
                                                &len), 0);
    assert_int_equal(analytics_json_string_rule(analytics_json_required_field(root, "n"), &rule, &errors, &text, &len),
                     0);
    assert_int_equal(analytics_json_string_rule(analytics_json_required_field(root, "long"), &rule, &errors, &text,
                                                &len), 0);
    assert_null(text);
    assert_int_equal(errors.count, 3);
    assert_string_equal(errors.items[0].message, "The tenant field is required.");
    assert_string_equal(errors.items[1].message, "The tenant field must be a string.");
    assert_string_equal(errors.items[2].message, "The tenant field must not be greater than 4 characters.");
    assert_string_equal(errors.items[2].field, "tenant");
    assert_int_equal(analytics_json_string_rule(analytics_json_required_field(root, "ok"), &rule, &errors, &text, &len),
                     1);
    assert_int_equal(errors.count, 3);
    assert_int_equal(len, 4);
    assert_memory_equal(text, "abcd", 4);
    json_decref(root);
}

static analytics_body_status
count_fields(json_t *root, void *request, const void *rules, analytics_validation_errors *errors)
{
    (void) rules;
    *(size_t *) request = json_object_size(root);
    if (json_object_get(root, "bad") != NULL) {
        analytics_validation_errors_add(errors, "bad", "The bad field is bad.");
        return ANALYTICS_BODY_INVALID;
    }
    return ANALYTICS_BODY_OK;
}

static void
test_request_parse_loads_then_checks(void **state)
{
    analytics_validation_errors  errors;
    void                        *document = NULL;
    size_t                       fields = 99;
    char                         problem[128] = "";

    (void) state;
    analytics_validation_errors_add(&errors, "stale", "left from before");
    assert_int_equal(analytics_json_request_parse("{\"a\":1,\"bad\":2}", 15, &document, count_fields, &fields, NULL,
                                                  &errors, problem, sizeof(problem)),
                     ANALYTICS_BODY_INVALID);
    assert_int_equal(fields, 2);
    assert_int_equal(errors.count, 1);
    assert_string_equal(errors.items[0].field, "bad");
    json_decref(document);

    document = NULL;
    fields = 99;
    assert_int_equal(analytics_json_request_parse("[1]", 3, &document, count_fields, &fields, NULL, &errors, problem,
                                                  sizeof(problem)),
                     ANALYTICS_BODY_MALFORMED);
    assert_int_equal(fields, 99);   /* the check never ran */
    assert_string_equal(problem, "The request body must be a JSON object.");
    json_decref(document);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_is_missing_and_empty_text_is_not_filled),
        cmocka_unit_test(test_text_takes_strings_within_bounds_only),
        cmocka_unit_test(test_number_text_points_into_the_buffer),
        cmocka_unit_test(test_pick_keeps_filled_keys_in_list_order),
        cmocka_unit_test(test_keep_text_refuses_a_failed_or_missing_value),
        cmocka_unit_test(test_string_rule_says_the_first_rule_broken),
        cmocka_unit_test(test_request_parse_loads_then_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
