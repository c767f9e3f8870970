/* The batch endpoints' bodies (event_contract/batch_request.h) and the
 * clock rule they apply (analytics_time_corrected). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_request.h"
#include "event_time.h"

#define RECEIVED_MS  1796601600000LL   /* 2026-12-07T00:00:00Z */

static analytics_batch_event  events[ANALYTICS_BATCH_MAX_EVENTS];

static analytics_batch_status
parse(const char *body, analytics_batch_items items, analytics_batch_request *batch,
      analytics_validation_errors *errors, char *problem)
{
    return analytics_batch_request_parse(body, strlen(body), items, RECEIVED_MS, batch, events, errors, problem, 256);
}

static const char *
render(const analytics_validation_errors *errors)
{
    static char rendered[2048];

    analytics_validation_errors_render(errors, rendered, sizeof(rendered));
    return rendered;
}

static void
test_each_event_has_its_own_verdict(void **state)
{
    analytics_batch_request batch;
    analytics_validation_errors errors;
    char problem[256];
    (void) state;

    assert_int_equal(parse("{\"batch\":[{\"tenant_id\":\"shop\",\"type\":\"call\",\"product_id\":7},"
                           "{\"tenant_id\":\"shop\",\"type\":\"nope\"}, 5, null,"
                           "{\"tenant_id\":\"shop\",\"type\":\"cart_add\",\"timestamp\":\"soon\"}]}",
                           ANALYTICS_BATCH_OF_TRACK, &batch, &errors, problem),
                     ANALYTICS_BATCH_OK);
    assert_int_equal(batch.count, 5);
    assert_int_equal(events[0].status, ANALYTICS_BODY_OK);
    assert_memory_equal(events[0].request.tenant_ref, "shop", 4);
    assert_string_equal(events[0].request.type, "call");
    assert_string_equal(events[0].request.metadata_json, "{\"product_id\":7}");
    assert_int_equal(events[0].has_occurred_at, 0);
    assert_int_equal(events[1].status, ANALYTICS_BODY_INVALID);
    assert_string_equal(render(&events[1].errors),
                        "{\"message\":\"The selected type is invalid.\",\"errors\":{\"type\":[\"The selected type is invalid.\"]}}");
    assert_int_equal(events[2].status, ANALYTICS_BODY_INVALID);
    assert_string_equal(render(&events[2].errors),
                        "{\"message\":\"The event must be a JSON object.\",\"errors\":{\"event\":[\"The event must be a JSON object.\"]}}");
    assert_int_equal(events[3].status, ANALYTICS_BODY_INVALID);
    assert_int_equal(events[4].status, ANALYTICS_BODY_INVALID);
    assert_string_equal(render(&events[4].errors),
                        "{\"message\":\"The timestamp field must be a valid date.\",\"errors\":{\"timestamp\":[\"The timestamp field must be a valid date.\"]}}");
    analytics_batch_request_free(&batch);
}

static void
test_hits_are_checked_as_the_tracker_s(void **state)
{
    analytics_batch_request batch;
    analytics_validation_errors errors;
    char problem[256];
    (void) state;

    assert_int_equal(parse("{\"batch\":[{\"tenant\":\"shop\",\"url\":\"https://a.example/x\",\"trackerId\":\"t1\"},"
                           "{\"tenant\":\"shop\",\"url\":\"ftp://a.example/\"}]}",
                           ANALYTICS_BATCH_OF_HITS, &batch, &errors, problem),
                     ANALYTICS_BATCH_OK);
    assert_int_equal(events[0].status, ANALYTICS_BODY_OK);
    assert_string_equal(events[0].request.type, "pageview");
    assert_memory_equal(events[0].request.tracker_id, "t1", 2);
    assert_int_equal(events[1].status, ANALYTICS_BODY_INVALID);
    analytics_batch_request_free(&batch);
}

static void
test_a_body_that_is_no_batch(void **state)
{
    analytics_batch_request batch;
    analytics_validation_errors errors;
    char problem[256], *many;
    size_t i, at;
    (void) state;

    assert_int_equal(parse("[1]", ANALYTICS_BATCH_OF_TRACK, &batch, &errors, problem), ANALYTICS_BATCH_MALFORMED);
    assert_string_equal(problem, "The request body must be a JSON object.");
    analytics_batch_request_free(&batch);

    assert_int_equal(parse("{}", ANALYTICS_BATCH_OF_TRACK, &batch, &errors, problem), ANALYTICS_BATCH_MALFORMED);
    assert_string_equal(problem, "The batch field must be an array of 1 to 100 events.");
    analytics_batch_request_free(&batch);

    assert_int_equal(parse("{\"batch\":[]}", ANALYTICS_BATCH_OF_TRACK, &batch, &errors, problem),
                     ANALYTICS_BATCH_MALFORMED);
    analytics_batch_request_free(&batch);

    assert_int_equal(parse("{\"batch\":[{}],\"sent_at\":\"later\"}", ANALYTICS_BATCH_OF_TRACK, &batch, &errors,
                           problem),
                     ANALYTICS_BATCH_INVALID);
    assert_string_equal(render(&errors),
                        "{\"message\":\"The sent at field must be a valid date.\",\"errors\":{\"sent_at\":[\"The sent at field must be a valid date.\"]}}");
    analytics_batch_request_free(&batch);

    /* 100 events are a batch, 101 are not */
    many = malloc(16 + 101 * 3);
    assert_non_null(many);
    for (int n = 100; n <= 101; n++) {
        at = (size_t) sprintf(many, "{\"batch\":[");
        for (i = 0; i < (size_t) n; i++) {
            at += (size_t) sprintf(many + at, "%s{}", i > 0 ? "," : "");
        }
        sprintf(many + at, "]}");
        assert_int_equal(parse(many, ANALYTICS_BATCH_OF_TRACK, &batch, &errors, problem),
                         n == 100 ? ANALYTICS_BATCH_OK : ANALYTICS_BATCH_TOO_MANY);
        assert_int_equal(batch.count, n == 100 ? 100 : 0);
        analytics_batch_request_free(&batch);
    }
    assert_string_equal(problem, "The batch may hold at most 100 events.");
    free(many);
}

static void
test_sent_at_corrects_the_client_clock(void **state)
{
    analytics_batch_request batch;
    analytics_validation_errors errors;
    char problem[256];
    (void) state;

    /* the client's clock is an hour behind: sent at 23:00, the event 10 s before */
    assert_int_equal(parse("{\"sent_at\":\"2026-12-06T23:00:00Z\",\"batch\":["
                           "{\"tenant_id\":\"shop\",\"type\":\"call\",\"timestamp\":\"2026-12-06T22:59:50Z\"},"
                           "{\"tenant_id\":\"shop\",\"type\":\"call\",\"timestamp\":\"2026-12-07T05:00:00+05:00\"}]}",
                           ANALYTICS_BATCH_OF_TRACK, &batch, &errors, problem),
                     ANALYTICS_BATCH_OK);
    assert_int_equal(batch.has_sent_at, 1);
    assert_int_equal(events[0].has_occurred_at, 1);
    assert_int_equal(events[0].occurred_at_ms, RECEIVED_MS - 10000);
    /* 05:00+05:00 is 00:00Z by the client's clock, an hour after it sent: the arrival */
    assert_int_equal(events[1].occurred_at_ms, RECEIVED_MS);
    analytics_batch_request_free(&batch);
}

static void
test_the_clock_rule_and_its_bounds(void **state)
{
    (void) state;

    /* without sent_at the client's time stands, within the bounds */
    assert_int_equal(analytics_time_corrected(RECEIVED_MS - 5000, 0, 0, RECEIVED_MS), RECEIVED_MS - 5000);
    /* never after the arrival */
    assert_int_equal(analytics_time_corrected(RECEIVED_MS + 1, 0, 0, RECEIVED_MS), RECEIVED_MS);
    assert_int_equal(analytics_time_corrected(RECEIVED_MS, 1, RECEIVED_MS - 1, RECEIVED_MS), RECEIVED_MS);
    /* a clock ahead by a day: moved back by it */
    assert_int_equal(analytics_time_corrected(RECEIVED_MS + 86400000 - 3000, 1, RECEIVED_MS + 86400000, RECEIVED_MS),
                     RECEIVED_MS - 3000);
    /* at most a week back */
    assert_int_equal(analytics_time_corrected(RECEIVED_MS - ANALYTICS_EVENT_MAX_AGE_MS, 0, 0, RECEIVED_MS),
                     RECEIVED_MS - ANALYTICS_EVENT_MAX_AGE_MS);
    assert_int_equal(analytics_time_corrected(RECEIVED_MS - ANALYTICS_EVENT_MAX_AGE_MS - 1, 0, 0, RECEIVED_MS),
                     RECEIVED_MS - ANALYTICS_EVENT_MAX_AGE_MS);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_event_has_its_own_verdict),
        cmocka_unit_test(test_hits_are_checked_as_the_tracker_s),
        cmocka_unit_test(test_a_body_that_is_no_batch),
        cmocka_unit_test(test_sent_at_corrects_the_client_clock),
        cmocka_unit_test(test_the_clock_rule_and_its_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
