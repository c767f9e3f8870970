/* Webmarketer events: the envelope, and the data against an event type's fields. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "project_event.h"

static analytics_body_status
parse(const char *body, analytics_project_event *event, analytics_validation_errors *errors)
{
    char problem[256];
    return analytics_project_event_parse(body, strlen(body), event, errors, problem, sizeof(problem));
}

static void
test_the_documents_example(void **state)
{
    analytics_project_event event;
    analytics_validation_errors errors;
    (void) state;

    assert_int_equal(parse("{\"projectId\":\"my-shop\",\"eventType\":\"purchase\",\"eventDate\":\"1955-11-12T22:00:00Z\","
                           "\"trackerId\":\"23jkfs1ufeuih1fh\",\"nonce\":123456789,\"data\":{}}", &event, &errors),
                     ANALYTICS_BODY_OK);
    assert_int_equal(errors.count, 0);
    assert_memory_equal(event.project_id, "my-shop", 7);
    assert_int_equal(event.project_id_len, 7);
    assert_memory_equal(event.event_type, "purchase", 8);
    assert_memory_equal(event.tracker_id, "23jkfs1ufeuih1fh", 16);
    assert_string_equal(event.nonce, "123456789");
    assert_true(event.has_event_date);
    assert_int_equal(event.event_date_ms, -446090400000LL);
    assert_non_null(event.data);
    analytics_project_event_free(&event);

    /* no offset means UTC; a string nonce is kept as it is */
    assert_int_equal(parse("{\"projectId\":\"abc\",\"eventType\":\"x\",\"eventDate\":\"2024-04-16T20:37:02\","
                           "\"nonce\":\"n-1\",\"data\":{\"a\":1}}", &event, &errors), ANALYTICS_BODY_OK);
    assert_int_equal(event.event_date_ms, 1713299822000LL);
    assert_string_equal(event.nonce, "n-1");
    assert_null(event.tracker_id);
    analytics_project_event_free(&event);
}

static void
test_only_a_non_object_is_malformed(void **state)
{
    analytics_project_event event;
    analytics_validation_errors errors;
    (void) state;

    assert_int_equal(parse("[1,2]", &event, &errors), ANALYTICS_BODY_MALFORMED);
    analytics_project_event_free(&event);
    assert_int_equal(parse("{\"projectId\":", &event, &errors), ANALYTICS_BODY_MALFORMED);
    analytics_project_event_free(&event);
    assert_int_equal(parse("\"x\"", &event, &errors), ANALYTICS_BODY_MALFORMED);
    analytics_project_event_free(&event);

    assert_int_equal(parse("{}", &event, &errors), ANALYTICS_BODY_INVALID);
    assert_int_equal(errors.count, 4);
    assert_string_equal(errors.items[0].field, "projectId");
    assert_string_equal(errors.items[0].message, "projectId is required");
    assert_string_equal(errors.items[1].field, "eventType");
    assert_string_equal(errors.items[2].field, "nonce");
    assert_string_equal(errors.items[3].field, "data");
    analytics_project_event_free(&event);
}

static void
test_every_envelope_field_wrong(void **state)
{
    analytics_project_event event;
    analytics_validation_errors errors;
    (void) state;

    assert_int_equal(parse("{\"projectId\":\"Bad--Slug\",\"eventType\":7,\"eventDate\":\"yesterday\","
                           "\"trackerId\":\"\",\"nonce\":{},\"data\":[]}", &event, &errors), ANALYTICS_BODY_INVALID);
    assert_int_equal(errors.count, 6);
    assert_string_equal(errors.items[0].message,
                        "projectId must be a string of 3 to 64 characters matching ^[a-z0-9]+(?:-[a-z0-9]+)*$");
    assert_string_equal(errors.items[1].message, "eventType must be an event type reference of 1 to 64 characters");
    assert_string_equal(errors.items[2].message, "eventDate must be an RFC 3339 date-time");
    assert_string_equal(errors.items[3].message, "trackerId must be a string of 1 to 256 characters");
    assert_string_equal(errors.items[4].message, "nonce must be a string of 1 to 256 characters or a number");
    assert_string_equal(errors.items[5].message, "data must be an object");
    assert_null(event.project_id);
    assert_null(event.data);
    assert_false(event.has_nonce);
    analytics_project_event_free(&event);

    assert_int_equal(parse("{\"projectId\":\"ab\",\"eventType\":\"x\",\"nonce\":1.5,\"data\":{}}", &event, &errors),
                     ANALYTICS_BODY_INVALID);
    assert_int_equal(errors.count, 1);
    assert_string_equal(errors.items[0].field, "projectId");
    assert_string_equal(event.nonce, "1.5");
    analytics_project_event_free(&event);
}

static void
test_data_against_the_fields(void **state)
{
    static const analytics_event_type_field fields[] = {
        { "orderId", ANALYTICS_FIELD_STRING, ANALYTICS_FIELD_KIND_FIELD, 1 },
        { "turnover", ANALYTICS_FIELD_NUMBER, ANALYTICS_FIELD_KIND_STATISTIC, 1 },
        { "paid", ANALYTICS_FIELD_NUMBER, ANALYTICS_FIELD_KIND_STATE, 0 },
        { "gift", ANALYTICS_FIELD_BOOLEAN, ANALYTICS_FIELD_KIND_FIELD, 0 },
        { "shippedAt", ANALYTICS_FIELD_DATE, ANALYTICS_FIELD_KIND_FIELD, 0 },
        { "email", ANALYTICS_FIELD_STRING, ANALYTICS_FIELD_KIND_IDENTITY, 0 },
    };
    analytics_project_event event;
    analytics_validation_errors errors;
    (void) state;

    assert_int_equal(parse("{\"projectId\":\"abc\",\"eventType\":\"purchase\",\"nonce\":\"1\",\"data\":"
                           "{\"orderId\":\"A1\",\"turnover\":4000,\"paid\":true,\"gift\":false,"
                           "\"shippedAt\":\"2024-01-02T03:04:05+01:00\",\"extra\":[1]}}", &event, &errors),
                     ANALYTICS_BODY_OK);
    assert_int_equal(analytics_project_event_check_data(&event, fields, 6, &errors), 0);
    assert_int_equal(errors.count, 0);
    analytics_project_event_free(&event);

    assert_int_equal(parse("{\"projectId\":\"abc\",\"eventType\":\"purchase\",\"nonce\":\"1\",\"data\":"
                           "{\"orderId\":5,\"paid\":2,\"gift\":\"yes\",\"shippedAt\":\"soon\",\"email\":null}}",
                           &event, &errors), ANALYTICS_BODY_OK);
    assert_int_equal(analytics_project_event_check_data(&event, fields, 6, &errors), 5);
    assert_int_equal(errors.count, 5);
    assert_string_equal(errors.items[0].field, "data.orderId");
    assert_string_equal(errors.items[0].message, "data.orderId must be a string");
    assert_string_equal(errors.items[1].field, "data.turnover");
    assert_string_equal(errors.items[1].message, "data.turnover is required");
    assert_string_equal(errors.items[2].message, "data.paid must be a state: 0 or 1");
    assert_string_equal(errors.items[3].message, "data.gift must be a boolean");
    assert_string_equal(errors.items[4].message, "data.shippedAt must be an RFC 3339 date-time");
    analytics_project_event_free(&event);
}

static void
test_names_of_types_and_kinds(void **state)
{
    (void) state;
    assert_int_equal(analytics_field_type_from_name("date"), ANALYTICS_FIELD_DATE);
    assert_int_equal(analytics_field_type_from_name("Date"), -1);
    assert_int_equal(analytics_field_kind_from_name("identity"), ANALYTICS_FIELD_KIND_IDENTITY);
    assert_int_equal(analytics_field_kind_from_name(""), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_documents_example),
        cmocka_unit_test(test_only_a_non_object_is_malformed),
        cmocka_unit_test(test_every_envelope_field_wrong),
        cmocka_unit_test(test_data_against_the_fields),
        cmocka_unit_test(test_names_of_types_and_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
