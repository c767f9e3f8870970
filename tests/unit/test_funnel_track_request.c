/* funnel/track bodies: the steps' shape, the domain path and the early close. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "funnel_track_request.h"

static analytics_body_status
parse(const char *body, analytics_funnel_track_request *request, analytics_validation_errors *errors)
{
    char problem[256];
    return analytics_funnel_track_request_parse(body, strlen(body), request, errors, problem, sizeof(problem));
}

static void
test_the_documents_examples(void **state)
{
    analytics_funnel_track_request request;
    analytics_validation_errors errors;
    (void) state;

    assert_int_equal(parse("{\"steps\":[\"celebration_opened_at\",\"first_published_at\"]}", &request, &errors),
                     ANALYTICS_BODY_OK);
    assert_int_equal(request.step_count, 2);
    assert_memory_equal(request.steps[1], "first_published_at", request.step_lens[1]);
    assert_string_equal(request.steps_json, "[\"celebration_opened_at\",\"first_published_at\"]");
    assert_string_equal(request.metadata_json, "{\"steps\":[\"celebration_opened_at\",\"first_published_at\"]}");
    analytics_funnel_track_request_free(&request);

    assert_int_equal(parse("{\"steps\":[\"domain_choice_step_at\"],\"domain_path\":\"buy_new\",\"closed_early\":false}",
                           &request, &errors), ANALYTICS_BODY_OK);
    assert_string_equal(request.metadata_json,
                        "{\"steps\":[\"domain_choice_step_at\"],\"domain_path\":\"buy_new\",\"closed_early\":false}");
    analytics_funnel_track_request_free(&request);
}

static void
test_invalid_fields(void **state)
{
    analytics_funnel_track_request request;
    analytics_validation_errors errors;
    (void) state;

    assert_int_equal(parse("{\"steps\":[]}", &request, &errors), ANALYTICS_BODY_INVALID);
    assert_string_equal(errors.items[0].message, "The steps field is required.");
    analytics_funnel_track_request_free(&request);

    assert_int_equal(parse("{\"steps\":[\"ok\",7,\"Upper\",\"\"],\"domain_path\":\"x\",\"closed_early\":1}",
                           &request, &errors), ANALYTICS_BODY_INVALID);
    assert_int_equal(errors.count, 5);
    assert_string_equal(errors.items[0].field, "steps.1");
    assert_string_equal(errors.items[1].field, "steps.2");
    assert_string_equal(errors.items[2].field, "steps.3");
    assert_string_equal(errors.items[3].field, "domain_path");
    assert_string_equal(errors.items[4].field, "closed_early");
    analytics_funnel_track_request_free(&request);

    assert_int_equal(parse("{\"steps\":[\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\","
                           "\"a\",\"a\",\"a\",\"a\"]}", &request, &errors), ANALYTICS_BODY_INVALID);
    assert_string_equal(errors.items[0].message, "The steps field must not have more than 16 items.");
    analytics_funnel_track_request_free(&request);

    assert_int_equal(parse("[\"steps\"]", &request, &errors), ANALYTICS_BODY_MALFORMED);
    analytics_funnel_track_request_free(&request);
}

static void
test_step_names_of_the_answers(void **state)
{
    (void) state;
    assert_string_equal(analytics_funnel_step_field(0), "steps.0");
    assert_string_equal(analytics_funnel_step_field(15), "steps.15");
    assert_string_equal(analytics_funnel_step_invalid_message(3), "The selected steps.3 is invalid.");
    assert_string_equal(analytics_funnel_step_field(16), "steps");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_documents_examples),
        cmocka_unit_test(test_invalid_fields),
        cmocka_unit_test(test_step_names_of_the_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
