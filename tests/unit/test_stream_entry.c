/* The stream entry round trip: what the module writes, the aggregator reads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "stream_entry.h"

static const unsigned char fixed_random[10] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06};

static void
test_encode_then_decode_keeps_every_field(void **state)
{
    analytics_track_request request;
    analytics_validation_errors errors;
    analytics_outgoing_event event;
    analytics_stream_entry entry;
    analytics_stream_event decoded;
    const char *problem = NULL;
    char text[256];
    const char body[] = "{\"tenant_id\":\"demo\",\"type\":\"purchase\",\"product_id\":9,\"metadata\":{\"k\":\"v\"}}";
    (void) state;

    assert_int_equal(analytics_track_request_parse(body, sizeof(body) - 1, &analytics_track_rules, &request, &errors, text,
                                                   sizeof(text)),
                     ANALYTICS_BODY_OK);
    analytics_outgoing_event_init(&event, ANALYTICS_EVENT_KIND_TRACK, 1795426719878ULL, fixed_random);
    analytics_outgoing_event_from_track(&event, &request);
    event.country = "HN";
    event.country_len = 2;
    analytics_outgoing_event_encode(&event, &entry);

    /* version 2: the small fields packed in h, the metadata apart */
    assert_int_equal(entry.count, 3);
    assert_string_equal(entry.fields[0].name, "v");
    assert_memory_equal(entry.fields[0].value, "2", 1);
    assert_string_equal(entry.fields[1].name, "h");
    static const char header[] = "5:track36:01a207c5-9886-7ead-beef-01020304050613:17954267198784:demo8:purchase1:92:HN";
    assert_int_equal(entry.fields[1].value_len, sizeof(header) - 1);
    assert_memory_equal(entry.fields[1].value, header, sizeof(header) - 1);
    assert_memory_equal(analytics_stream_entry_find(&entry, "metadata")->value,
                        "{\"k\":\"v\",\"product_id\":9}", 24);

    /* the Redis function appends the resolved tenant */
    analytics_stream_entry_add(&entry, "tenant_id", "42", 2);

    assert_int_equal(analytics_stream_event_decode(&entry, &decoded, &problem), 0);
    assert_int_equal(decoded.tenant_id, 42);
    assert_int_equal(decoded.received_at_ms, 1795426719878LL);
    assert_int_equal(decoded.has_product_id, 1);
    assert_int_equal(decoded.product_id, 9);
    assert_int_equal(decoded.type_len, 8);
    assert_memory_equal(decoded.type, "purchase", 8);
    assert_memory_equal(decoded.tenant_ref, "demo", 4);
    assert_memory_equal(decoded.country, "HN", 2);
    assert_memory_equal(decoded.id, "01a207c5-9886-7ead-beef-010203040506", 36);
    assert_memory_equal(decoded.kind, "track", 5);

    /* without product and country: empty in h, absent once decoded */
    event.has_product_id = 0;
    event.country = NULL;
    analytics_outgoing_event_encode(&event, &entry);
    assert_memory_equal(entry.fields[1].value + entry.fields[1].value_len - 4, "0:0:", 4);
    analytics_stream_entry_add(&entry, "tenant_id", "42", 2);
    assert_int_equal(analytics_stream_event_decode(&entry, &decoded, &problem), 0);
    assert_int_equal(decoded.has_product_id, 0);
    assert_int_equal(decoded.country_len, 0);
    analytics_track_request_free(&request);
}

/* an interaction received at 1795426719878 with the least an event needs */
static void
a_pageview(analytics_outgoing_event *event)
{
    analytics_outgoing_event_init(event, ANALYTICS_EVENT_KIND_INTERACTION, 1795426719878ULL, fixed_random);
    event->tenant_ref = "demo";
    event->tenant_ref_len = 4;
    event->type = "pageview";
    event->metadata = "{}";
    event->metadata_len = 2;
}

static void
test_an_event_time_travels_after_metadata(void **state)
{
    analytics_outgoing_event event;
    analytics_stream_entry entry;
    analytics_stream_event decoded;
    const char *problem = NULL;
    (void) state;

    a_pageview(&event);
    analytics_outgoing_event_occurred_at(&event, 1795426709878LL);
    analytics_outgoing_event_encode(&event, &entry);
    assert_int_equal(entry.count, 4);
    assert_string_equal(entry.fields[3].name, "occurred_at");
    assert_memory_equal(entry.fields[3].value, "1795426709878", 13);

    analytics_stream_entry_add(&entry, "tenant_id", "3", 1);
    assert_int_equal(analytics_stream_event_decode(&entry, &decoded, &problem), 0);
    assert_int_equal(decoded.has_occurred_at, 1);
    assert_int_equal(decoded.occurred_at_ms, 1795426709878LL);
    assert_int_equal(decoded.received_at_ms, 1795426719878LL);

    entry.fields[3].value = "soon";
    entry.fields[3].value_len = 4;
    assert_int_equal(analytics_stream_event_decode(&entry, &decoded, &problem), -1);
    assert_string_equal(problem, "occurred_at is not Unix milliseconds");

    /* none given: none sent */
    a_pageview(&event);
    analytics_outgoing_event_encode(&event, &entry);
    assert_int_equal(entry.count, 3);
}

static void
test_a_reference_too_long_for_h_goes_as_version_1(void **state)
{
    analytics_outgoing_event event;
    analytics_stream_entry entry;
    analytics_stream_event decoded;
    const char *problem = NULL;
    static char reference[600];
    (void) state;

    memset(reference, 'r', sizeof(reference));
    analytics_outgoing_event_init(&event, ANALYTICS_EVENT_KIND_TRACK, 1795426719878ULL, fixed_random);
    event.tenant_ref = reference;
    event.tenant_ref_len = sizeof(reference);
    event.type = "call";
    event.metadata = "{}";
    event.metadata_len = 2;
    analytics_outgoing_event_encode(&event, &entry);
    assert_memory_equal(entry.fields[0].value, "1", 1);
    assert_int_equal(entry.count, 7);
    analytics_stream_entry_add(&entry, "tenant_id", "42", 2);
    assert_int_equal(analytics_stream_event_decode(&entry, &decoded, &problem), 0);
    assert_int_equal(decoded.tenant_ref_len, sizeof(reference));
}

static void
test_a_bad_header_is_named(void **state)
{
    static const char *const headers[] = {
        "",                                   /* nothing */
        "5:track",                            /* fields missing */
        "5:track36:01a207c5-9886-7ead-beef-01020304050613:17954267198784:demo4:call0:0:x",  /* bytes left */
        "9:track",                            /* a length past the end */
        "5track",                             /* no colon */
        "1234567:x",                          /* a length of seven digits */
    };
    analytics_stream_entry entry;
    analytics_stream_event decoded;
    const char *problem = NULL;
    size_t i;
    (void) state;

    for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        entry.count = 0;
        analytics_stream_entry_add(&entry, "v", "2", 1);
        analytics_stream_entry_add(&entry, "h", headers[i], strlen(headers[i]));
        analytics_stream_entry_add(&entry, "metadata", "{}", 2);
        analytics_stream_entry_add(&entry, "tenant_id", "7", 1);
        assert_int_equal(analytics_stream_event_decode(&entry, &decoded, &problem), -1);
        assert_string_equal(problem, "h is not a packed header");
    }

    entry.count = 0;
    analytics_stream_entry_add(&entry, "v", "2", 1);
    analytics_stream_entry_add(&entry, "metadata", "{}", 2);
    assert_int_equal(analytics_stream_event_decode(&entry, &decoded, &problem), -1);
    assert_string_equal(problem, "missing field: h");

    /* a whole header with an empty type is as version 1 without one */
    static const char no_type[] = "5:track36:01a207c5-9886-7ead-beef-01020304050613:17954267198784:demo0:0:0:";
    entry.count = 0;
    analytics_stream_entry_add(&entry, "v", "2", 1);
    analytics_stream_entry_add(&entry, "h", no_type, sizeof(no_type) - 1);
    analytics_stream_entry_add(&entry, "metadata", "{}", 2);
    analytics_stream_entry_add(&entry, "tenant_id", "7", 1);
    assert_int_equal(analytics_stream_event_decode(&entry, &decoded, &problem), -1);
    assert_string_equal(problem, "missing field: type");
}

static void
test_decode_names_what_is_wrong(void **state)
{
    analytics_stream_entry entry;
    analytics_stream_event decoded;
    const char *problem = NULL;
    (void) state;

    entry.count = 0;
    analytics_stream_entry_add(&entry, "v", "3", 1);
    assert_int_equal(analytics_stream_event_decode(&entry, &decoded, &problem), -1);
    assert_string_equal(problem, "unsupported encoding version");

    entry.count = 0;
    analytics_stream_entry_add(&entry, "v", "1", 1);
    analytics_stream_entry_add(&entry, "id", "01a207c5-9886-7ead-bee8-010203040506", 36);
    analytics_stream_entry_add(&entry, "kind", "track", 5);
    analytics_stream_entry_add(&entry, "tenant_ref", "demo", 4);
    analytics_stream_entry_add(&entry, "type", "call", 4);
    assert_int_equal(analytics_stream_event_decode(&entry, &decoded, &problem), -1);
    assert_string_equal(problem, "missing field: metadata");

    analytics_stream_entry_add(&entry, "metadata", "{}", 2);
    analytics_stream_entry_add(&entry, "received_at", "-5", 2);
    assert_int_equal(analytics_stream_event_decode(&entry, &decoded, &problem), -1);
    assert_string_equal(problem, "received_at is not Unix milliseconds");

    entry.fields[entry.count - 1].value = "1795426719878";
    entry.fields[entry.count - 1].value_len = 13;
    assert_int_equal(analytics_stream_event_decode(&entry, &decoded, &problem), -1);
    assert_string_equal(problem, "tenant_id is not a resolved tenant");

    analytics_stream_entry_add(&entry, "tenant_id", "7", 1);
    assert_int_equal(analytics_stream_event_decode(&entry, &decoded, &problem), 0);
    assert_int_equal(decoded.has_product_id, 0);
    assert_int_equal(decoded.country_len, 0);
    assert_int_equal(decoded.visitor_len, 0);

    analytics_stream_entry_add(&entry, "visitor", "127.0.0.1", 9);
    assert_int_equal(analytics_stream_event_decode(&entry, &decoded, &problem), -1);
    assert_string_equal(problem, "visitor is not a key");

    entry.fields[entry.count - 1].value = "0123456789abcdef0123456789abcdef01234567";
    entry.fields[entry.count - 1].value_len = 40;
    assert_int_equal(analytics_stream_event_decode(&entry, &decoded, &problem), 0);
    assert_int_equal(decoded.visitor_len, 40);
    assert_memory_equal(decoded.visitor, "0123456789abcdef0123456789abcdef01234567", 40);
    assert_int_equal(decoded.kind_code, ANALYTICS_EVENT_KIND_TRACK);

    /* a kind event_kind.h does not list: refused, and only once the rest is sound */
    entry.fields[2].value = "pageview";
    entry.fields[2].value_len = 8;
    assert_int_equal(analytics_stream_event_decode(&entry, &decoded, &problem), -1);
    assert_string_equal(problem, "unknown kind");
}

static void
test_every_event_kind_has_one_name(void **state)
{
    static const char *names[] = {
        "track", "conversion", "interaction", "order_tracked", "funnel_step", "project_event"
    };
    size_t i;
    (void) state;

    assert_string_equal(analytics_event_kind_name(ANALYTICS_EVENT_KIND_UNKNOWN), "");
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        analytics_event_kind kind = (analytics_event_kind) (ANALYTICS_EVENT_KIND_TRACK + i);
        assert_string_equal(analytics_event_kind_name(kind), names[i]);
        assert_int_equal(analytics_event_kind_parse(names[i], strlen(names[i])), kind);
    }
    assert_int_equal(analytics_event_kind_parse("track", 4), ANALYTICS_EVENT_KIND_UNKNOWN);
    assert_int_equal(analytics_event_kind_parse("tracks", 6), ANALYTICS_EVENT_KIND_UNKNOWN);
    assert_int_equal(analytics_event_kind_parse("", 0), ANALYTICS_EVENT_KIND_UNKNOWN);
    assert_int_equal(analytics_event_kind_parse("TRACK", 5), ANALYTICS_EVENT_KIND_UNKNOWN);
    assert_string_equal(analytics_event_kind_name((analytics_event_kind) 99), "");
}

static analytics_stream_field
field(const char *name, const char *value)
{
    analytics_stream_field f = {name, value, strlen(value)};
    return f;
}

/* version 3: the events of one batch in one entry, each from its h on */
static void
test_a_packed_entry_gives_each_event(void **state)
{
    static const char h1[] = "5:track36:01a207c5-9886-7ead-beef-01020304050613:17954267198784:demo8:purchase0:0:";
    static const char h2[] = "5:track36:01a207c5-9886-7ead-beef-01020304050713:17954267198794:demo4:call0:0:";
    analytics_stream_field fields[] = {
        field("h", h1), field("metadata", "{}"), field("tenant_id", "42"),
        field("visitor", "0123456789abcdef0123456789abcdef01234567"),
        field("h", h2), field("metadata", "{\"n\":1}"), field("tenant_id", "42"),
    };
    analytics_stream_entry event_entry;
    analytics_stream_event decoded;
    const char *problem = NULL;
    size_t pos = 0;
    (void) state;

    assert_int_equal(analytics_stream_packed_next(fields, 7, &pos, &event_entry, &problem), 1);
    assert_int_equal(pos, 4);
    assert_int_equal(event_entry.count, 5);
    assert_string_equal(event_entry.fields[0].name, "v");
    assert_memory_equal(event_entry.fields[0].value, "2", 1);
    assert_int_equal(analytics_stream_event_decode(&event_entry, &decoded, &problem), 0);
    assert_memory_equal(decoded.type, "purchase", 8);
    assert_int_equal(decoded.visitor_len, 40);

    assert_int_equal(analytics_stream_packed_next(fields, 7, &pos, &event_entry, &problem), 1);
    assert_int_equal(pos, 7);
    assert_int_equal(analytics_stream_event_decode(&event_entry, &decoded, &problem), 0);
    assert_memory_equal(decoded.type, "call", 4);
    assert_memory_equal(decoded.id, "01a207c5-9886-7ead-beef-010203040507", 36);
    assert_int_equal(decoded.visitor_len, 0);
    assert_memory_equal(decoded.metadata, "{\"n\":1}", 7);

    assert_int_equal(analytics_stream_packed_next(fields, 7, &pos, &event_entry, &problem), 0);
    assert_int_equal(pos, 7);
}

/* a bad event is named, and the next one still comes */
static void
test_a_bad_packed_event_leaves_its_neighbours(void **state)
{
    static const char h[] = "5:track36:01a207c5-9886-7ead-beef-01020304050613:17954267198784:demo8:purchase0:0:";
    analytics_stream_field fields[ANALYTICS_STREAM_MAX_FIELDS + 4];
    analytics_stream_entry event_entry;
    const char *problem = NULL;
    size_t pos = 0, n = 0, i;
    (void) state;

    fields[n++] = field("metadata", "{}");       /* before any h */
    fields[n++] = field("h", h);                 /* one field too many */
    for (i = 0; i < ANALYTICS_STREAM_MAX_FIELDS - 1; i++) {
        fields[n++] = field("x", "y");
    }
    fields[n++] = field("h", h);
    fields[n++] = field("tenant_id", "1");

    assert_int_equal(analytics_stream_packed_next(fields, n, &pos, &event_entry, &problem), -1);
    assert_string_equal(problem, "a packed event does not start with h");
    assert_int_equal(pos, 1);
    assert_int_equal(event_entry.count, 2);   /* v, and the stray metadata for the trash */
    assert_string_equal(event_entry.fields[1].name, "metadata");
    assert_int_equal(analytics_stream_packed_next(fields, n, &pos, &event_entry, &problem), -1);
    assert_string_equal(problem, "too many fields");
    assert_int_equal(pos, n - 2);
    assert_int_equal(event_entry.count, ANALYTICS_STREAM_MAX_FIELDS);   /* what fits */
    assert_int_equal(analytics_stream_packed_next(fields, n, &pos, &event_entry, &problem), 1);
    assert_int_equal(event_entry.count, 3);
    assert_int_equal(analytics_stream_packed_next(fields, n, &pos, &event_entry, &problem), 0);

    /* the largest event that fits: v and fifteen fields */
    pos = 1;
    assert_int_equal(analytics_stream_packed_next(fields, n - 3, &pos, &event_entry, &problem), 1);
    assert_int_equal(event_entry.count, ANALYTICS_STREAM_MAX_FIELDS);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_then_decode_keeps_every_field),
        cmocka_unit_test(test_decode_names_what_is_wrong),
        cmocka_unit_test(test_an_event_time_travels_after_metadata),
        cmocka_unit_test(test_a_reference_too_long_for_h_goes_as_version_1),
        cmocka_unit_test(test_a_bad_header_is_named),
        cmocka_unit_test(test_a_packed_entry_gives_each_event),
        cmocka_unit_test(test_a_bad_packed_event_leaves_its_neighbours),
        cmocka_unit_test(test_every_event_kind_has_one_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
