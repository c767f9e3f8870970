/* The track endpoint's body rules, exactly as docs/api.md states them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "track_request.h"

static analytics_body_status
parse(const char *body, analytics_track_request *request, analytics_validation_errors *errors,
      char *problem)
{
    return analytics_track_request_parse(body, strlen(body), &analytics_track_rules, request, errors, problem, 256);
}

static char rendered[2048];

static const char *
render(const analytics_validation_errors *errors)
{
    analytics_validation_errors_render(errors, rendered, sizeof(rendered));
    return rendered;
}

static void
test_valid_event_with_product_merges_it_into_metadata(void **state)
{
    analytics_track_request request;
    analytics_validation_errors errors;
    char problem[256];
    (void) state;

    assert_int_equal(parse("{\"tenant_id\":\"acme-shop\",\"type\":\"cart_add\",\"product_id\":101,"
                           "\"metadata\":{\"source\":\"catalog_page\"}}",
                           &request, &errors, problem),
                     ANALYTICS_BODY_OK);
    assert_int_equal(request.tenant_ref_len, 9);
    assert_memory_equal(request.tenant_ref, "acme-shop", 9);
    assert_string_equal(request.type, "cart_add");
    assert_int_equal(request.has_product_id, 1);
    assert_int_equal(request.product_id, 101);
    assert_string_equal(request.metadata_json, "{\"source\":\"catalog_page\",\"product_id\":101}");
    analytics_track_request_free(&request);
}

static void
test_every_documented_type_is_accepted(void **state)
{
    const char *types[] = {"whatsapp_click", "call", "location_view", "cart_add",
                           "social_share", "conversion", "purchase"};
    char body[128];
    size_t i;
    (void) state;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        analytics_track_request request;
        analytics_validation_errors errors;
        char problem[256];
        snprintf(body, sizeof(body), "{\"tenant_id\":\"1\",\"type\":\"%s\"}", types[i]);
        assert_int_equal(parse(body, &request, &errors, problem), ANALYTICS_BODY_OK);
        assert_string_equal(request.type, types[i]);
        assert_string_equal(request.metadata_json, "{}");
        assert_int_equal(request.has_product_id, 0);
        analytics_track_request_free(&request);
    }
}

static void
test_empty_body_lists_both_required_fields(void **state)
{
    analytics_track_request request;
    analytics_validation_errors errors;
    char problem[256];
    (void) state;

    assert_int_equal(parse("", &request, &errors, problem), ANALYTICS_BODY_INVALID);
    assert_string_equal(render(&errors),
        "{\"message\":\"The tenant id field is required. (and 1 more error)\","
        "\"errors\":{\"tenant_id\":[\"The tenant id field is required.\"],"
        "\"type\":[\"The type field is required.\"]}}");
    analytics_track_request_free(&request);
}

static void
test_wrong_types_for_every_field(void **state)
{
    analytics_track_request request;
    analytics_validation_errors errors;
    char problem[256];
    (void) state;

    assert_int_equal(parse("{\"tenant_id\":42,\"type\":true,\"product_id\":\"7\",\"metadata\":[1]}",
                           &request, &errors, problem),
                     ANALYTICS_BODY_INVALID);
    assert_string_equal(render(&errors),
        "{\"message\":\"The tenant id field must be a string. (and 3 more errors)\","
        "\"errors\":{\"tenant_id\":[\"The tenant id field must be a string.\"],"
        "\"type\":[\"The type field must be a string.\"],"
        "\"product_id\":[\"The product id field must be an integer.\"],"
        "\"metadata\":[\"The metadata field must be an object.\"]}}");
    analytics_track_request_free(&request);
}

static void
test_unknown_type_and_long_tenant(void **state)
{
    analytics_track_request request;
    analytics_validation_errors errors;
    char problem[256];
    (void) state;

    assert_int_equal(parse("{\"tenant_id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
                           "\"type\":\"view\"}", &request, &errors, problem),
                     ANALYTICS_BODY_INVALID);
    assert_int_equal(errors.count, 2);
    assert_string_equal(errors.items[0].field, "tenant_id");
    assert_string_equal(errors.items[0].message,
                        "The tenant id field must not be greater than 64 characters.");
    assert_string_equal(errors.items[1].field, "type");
    assert_string_equal(errors.items[1].message, "The selected type is invalid.");
    analytics_track_request_free(&request);
}

static void
test_null_optional_fields_are_absent(void **state)
{
    analytics_track_request request;
    analytics_validation_errors errors;
    char problem[256];
    (void) state;

    assert_int_equal(parse("{\"tenant_id\":\"demo\",\"type\":\"call\",\"product_id\":null,\"metadata\":null}",
                           &request, &errors, problem),
                     ANALYTICS_BODY_OK);
    assert_int_equal(request.has_product_id, 0);
    assert_string_equal(request.metadata_json, "{}");
    analytics_track_request_free(&request);
}

static void
test_non_positive_and_fractional_product_ids(void **state)
{
    analytics_track_request request;
    analytics_validation_errors errors;
    char problem[256];
    (void) state;

    assert_int_equal(parse("{\"tenant_id\":\"demo\",\"type\":\"call\",\"product_id\":0}",
                           &request, &errors, problem), ANALYTICS_BODY_INVALID);
    assert_string_equal(errors.items[0].message, "The product id field must be at least 1.");
    analytics_track_request_free(&request);

    assert_int_equal(parse("{\"tenant_id\":\"demo\",\"type\":\"call\",\"product_id\":1.5}",
                           &request, &errors, problem), ANALYTICS_BODY_INVALID);
    assert_string_equal(errors.items[0].message, "The product id field must be an integer.");
    analytics_track_request_free(&request);
}

static void
test_malformed_and_non_object_bodies(void **state)
{
    analytics_track_request request;
    analytics_validation_errors errors;
    char problem[256];
    (void) state;

    assert_int_equal(parse("{\"tenant_id\":", &request, &errors, problem), ANALYTICS_BODY_MALFORMED);
    assert_string_equal(problem, "Malformed JSON body: unexpected token near end of file.");
    analytics_track_request_free(&request);

    assert_int_equal(parse("[1,2]", &request, &errors, problem), ANALYTICS_BODY_MALFORMED);
    assert_string_equal(problem, "The request body must be a JSON object.");
    analytics_track_request_free(&request);

    assert_int_equal(parse("{\"type\":\"call\",\"type\":\"call\"}", &request, &errors, problem),
                     ANALYTICS_BODY_MALFORMED);
    assert_string_equal(problem, "Malformed JSON body: duplicate object key near '\"type\"'.");
    analytics_track_request_free(&request);
}

static void
test_nul_byte_inside_body_is_malformed(void **state)
{
    analytics_track_request request;
    analytics_validation_errors errors;
    char problem[256];
    const char body[] = "{\"tenant_id\":\"de\0mo\",\"type\":\"call\"}";
    (void) state;

    assert_int_equal(analytics_track_request_parse(body, sizeof(body) - 1, &analytics_track_rules, &request, &errors,
                                                   problem, sizeof(problem)),
                     ANALYTICS_BODY_MALFORMED);
    analytics_track_request_free(&request);
}

static analytics_body_status
parse_interaction(const char *body, analytics_track_request *request, analytics_validation_errors *errors)
{
    char problem[256];
    return analytics_track_request_parse(body, strlen(body), &analytics_interaction_rules, request, errors,
                                         problem, sizeof(problem));
}

static void
test_interactions_take_an_integer_tenant_and_their_own_types(void **state)
{
    analytics_track_request request;
    analytics_validation_errors errors;
    (void) state;

    assert_int_equal(parse_interaction("{\"tenant_id\":1,\"type\":\"view\"}", &request, &errors),
                     ANALYTICS_BODY_OK);
    assert_string_equal(request.tenant_ref, "1");
    assert_int_equal(request.tenant_ref_len, 1);
    assert_string_equal(request.type, "view");
    analytics_track_request_free(&request);

    assert_int_equal(parse_interaction("{\"tenant_id\":\"42\",\"type\":\"maps_click\",\"product_id\":7}",
                                       &request, &errors), ANALYTICS_BODY_OK);
    assert_string_equal(request.tenant_ref, "42");
    assert_string_equal(request.metadata_json, "{\"product_id\":7}");
    analytics_track_request_free(&request);

    assert_int_equal(parse_interaction("{\"tenant_id\":\"demo\",\"type\":\"call\"}", &request, &errors),
                     ANALYTICS_BODY_INVALID);
    assert_int_equal(errors.count, 2);
    assert_string_equal(errors.items[0].message, "The tenant id field must be an integer.");
    assert_string_equal(errors.items[1].message, "The selected type is invalid.");
    analytics_track_request_free(&request);

    assert_int_equal(parse_interaction("{\"tenant_id\":0,\"type\":\"view\"}", &request, &errors),
                     ANALYTICS_BODY_INVALID);
    assert_string_equal(errors.items[0].message, "The tenant id field must be at least 1.");
    analytics_track_request_free(&request);

    assert_int_equal(parse_interaction("{\"tenant_id\":1.5,\"type\":\"view\"}", &request, &errors),
                     ANALYTICS_BODY_INVALID);
    assert_string_equal(errors.items[0].message, "The tenant id field must be an integer.");
    analytics_track_request_free(&request);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_event_with_product_merges_it_into_metadata),
        cmocka_unit_test(test_every_documented_type_is_accepted),
        cmocka_unit_test(test_empty_body_lists_both_required_fields),
        cmocka_unit_test(test_wrong_types_for_every_field),
        cmocka_unit_test(test_unknown_type_and_long_tenant),
        cmocka_unit_test(test_null_optional_fields_are_absent),
        cmocka_unit_test(test_non_positive_and_fractional_product_ids),
        cmocka_unit_test(test_malformed_and_non_object_bodies),
        cmocka_unit_test(test_nul_byte_inside_body_is_malformed),
        cmocka_unit_test(test_interactions_take_an_integer_tenant_and_their_own_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
