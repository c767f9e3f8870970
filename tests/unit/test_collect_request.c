/* The tracker's hits: a JSON body or the query of collect.gif, one set of rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "collect_request.h"

static analytics_body_status
body(const char *text, analytics_track_request *request, analytics_validation_errors *errors)
{
    char problem[256];
    return analytics_collect_request_parse(text, strlen(text), request, errors, problem, sizeof(problem));
}

static analytics_body_status
query(const char *text, analytics_track_request *request, analytics_validation_errors *errors)
{
    char problem[256];
    return analytics_collect_query_parse(text, strlen(text), request, errors, problem, sizeof(problem));
}

static void
expect_metadata(const analytics_track_request *request, const char *json)
{
    assert_int_equal(request->metadata_json_len, strlen(json));
    assert_string_equal(request->metadata_json, json);
}

static void
test_a_page_view_body(void **state)
{
    analytics_track_request request;
    analytics_validation_errors errors;
    (void) state;

    assert_int_equal(body("{\"tenant\":\"demo\",\"url\":\"https://shop.example/?utm_source=google\","
                          "\"referrer\":\"https://www.google.com/\"}", &request, &errors), ANALYTICS_BODY_OK);
    assert_memory_equal(request.tenant_ref, "demo", 4);
    assert_int_equal(request.tenant_ref_len, 4);
    assert_string_equal(request.type, "pageview");
    expect_metadata(&request, "{\"url\":\"https://shop.example/?utm_source=google\",\"referrer\":\"https://www.google.com/\"}");
    analytics_track_request_free(&request);
}

static void
test_a_custom_event_body(void **state)
{
    analytics_track_request request;
    analytics_validation_errors errors;
    (void) state;

    assert_int_equal(body("{\"tenant\":\"demo\",\"url\":\"http://a.example/x\",\"referrer\":\"\",\"name\":\"signup\","
                          "\"props\":{\"plan\":\"pro\"},\"trackerId\":\"u-1\"}", &request, &errors), ANALYTICS_BODY_OK);
    assert_string_equal(request.type, "signup");
    expect_metadata(&request, "{\"url\":\"http://a.example/x\",\"name\":\"signup\",\"props\":{\"plan\":\"pro\"},\"trackerId\":\"u-1\"}");
    analytics_track_request_free(&request);
}

static void
test_the_gif_query(void **state)
{
    analytics_track_request request;
    analytics_validation_errors errors;
    (void) state;

    assert_int_equal(query("t=demo&u=https%3A%2F%2Fshop.example%2F%3Fgclid%3D1&r=&n=add+to&p=%7B%22a%22%3A1%7D&z=123",
                           &request, &errors), ANALYTICS_BODY_INVALID);
    assert_int_equal(errors.count, 1);
    assert_string_equal(errors.items[0].field, "name");
    analytics_track_request_free(&request);

    assert_int_equal(query("t=demo&u=https%3A%2F%2Fshop.example%2F%3Fgclid%3D1&r=&n=add_to_cart&p=%7B%22a%22%3A1%7D&z=123"
                           "&t=other", &request, &errors), ANALYTICS_BODY_OK);
    assert_memory_equal(request.tenant_ref, "demo", 4);
    assert_string_equal(request.type, "add_to_cart");
    expect_metadata(&request, "{\"url\":\"https://shop.example/?gclid=1\",\"name\":\"add_to_cart\",\"props\":{\"a\":1}}");
    analytics_track_request_free(&request);
}

static void
test_invalid_fields(void **state)
{
    analytics_track_request request;
    analytics_validation_errors errors;
    (void) state;

    assert_int_equal(body("{}", &request, &errors), ANALYTICS_BODY_INVALID);
    assert_int_equal(errors.count, 2);
    assert_string_equal(errors.items[0].message, "The tenant field is required.");
    assert_string_equal(errors.items[1].message, "The url field is required.");
    analytics_track_request_free(&request);

    assert_int_equal(body("{\"tenant\":7,\"url\":\"javascript:alert(1)\",\"referrer\":\"ftp://x\",\"props\":[1],"
                          "\"trackerId\":\"\"}", &request, &errors), ANALYTICS_BODY_INVALID);
    assert_int_equal(errors.count, 5);
    assert_string_equal(errors.items[0].message, "The tenant field must be a string.");
    assert_string_equal(errors.items[1].message, "The url field must be a valid URL.");
    assert_string_equal(errors.items[2].message, "The referrer field must be a valid URL.");
    assert_string_equal(errors.items[3].message, "The props field must be an object.");
    assert_string_equal(errors.items[4].field, "trackerId");
    analytics_track_request_free(&request);

    /* invalid UTF-8 and props that are not JSON */
    assert_int_equal(query("t=demo&u=https://a.example/%FF&p=nope", &request, &errors), ANALYTICS_BODY_INVALID);
    assert_int_equal(errors.count, 2);
    assert_string_equal(errors.items[0].field, "url");
    assert_string_equal(errors.items[1].field, "props");
    analytics_track_request_free(&request);

    /* a broken escape stays as it is, and a space is no URL */
    assert_int_equal(query("t=demo&u=https://a.example/%2", &request, &errors), ANALYTICS_BODY_OK);
    expect_metadata(&request, "{\"url\":\"https://a.example/%2\"}");
    analytics_track_request_free(&request);
    assert_int_equal(query("t=demo&u=https://a.example/a+b", &request, &errors), ANALYTICS_BODY_INVALID);
    analytics_track_request_free(&request);
}

static void
test_malformed_bodies(void **state)
{
    analytics_track_request request;
    analytics_validation_errors errors;
    (void) state;

    assert_int_equal(body("{\"tenant\":", &request, &errors), ANALYTICS_BODY_MALFORMED);
    analytics_track_request_free(&request);
    assert_int_equal(body("[1]", &request, &errors), ANALYTICS_BODY_MALFORMED);
    analytics_track_request_free(&request);
    assert_int_equal(query("", &request, &errors), ANALYTICS_BODY_INVALID);
    assert_int_equal(errors.count, 2);
    analytics_track_request_free(&request);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_page_view_body),
        cmocka_unit_test(test_a_custom_event_body),
        cmocka_unit_test(test_the_gif_query),
        cmocka_unit_test(test_invalid_fields),
        cmocka_unit_test(test_malformed_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
