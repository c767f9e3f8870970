/*
 * libFuzzer target for the event contract's request parsers: whatever the
 * bytes, inflating them never writes past its buffer and parsing never
 * crashes or leaks, and an accepted body survives the
 * stream encoding round trip unchanged; as a stream entry's packed header
 * they decode or are refused, never read past; as a batch, each of its
 * events gets a verdict.
 */
#include "batch_request.h"
#include "body_encoding.h"
#include "collect_request.h"
#include "conversion_request.h"
#include "funnel_track_request.h"
#include "event_time.h"
#include "order_mark_request.h"
#include "project_event.h"
#include "stream_entry.h"
#include "track_request.h"
#include "traffic_source.h"
#include "web_origin.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check(int condition)
{
    if (!condition) {
        abort();
    }
}

static void
round_trip(analytics_outgoing_event *event)
{
    analytics_stream_entry entry;
    analytics_stream_event decoded;
    const char            *problem = NULL;

    analytics_outgoing_event_encode(event, &entry);
    analytics_stream_entry_add(&entry, "tenant_id", "7", 1);
    check(analytics_stream_event_decode(&entry, &decoded, &problem) == 0);
    check(decoded.tenant_ref_len == event->tenant_ref_len);
    check(memcmp(decoded.tenant_ref, event->tenant_ref, event->tenant_ref_len) == 0);
    check(decoded.metadata_len == event->metadata_len);
    check(memcmp(decoded.metadata, event->metadata, event->metadata_len) == 0);
    check(decoded.type_len == strlen(event->type));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char   random[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    const analytics_event_rules *rules[] = { &analytics_track_rules, &analytics_interaction_rules };
    analytics_track_request      request;
    analytics_conversion_request conversion;
    analytics_validation_errors  errors;
    analytics_outgoing_event     event;
    char                         problem[256], rendered[4096];
    const char                  *reason;
    int64_t                      ms;
    size_t                       i, needed;

    /* the bytes as a compressed body, in each coding: inflated within
     * room or refused, and an inflated body parses as any other */
    {
        static unsigned char           inflated[4096];
        size_t                         len;
        analytics_inflate_result       result;
        const analytics_content_encoding codings[] = { ANALYTICS_ENCODING_GZIP, ANALYTICS_ENCODING_DEFLATE };

        for (i = 0; i < 2; i++) {
            result = analytics_inflate(codings[i], data, size, inflated, sizeof(inflated), &len);
            check(len <= sizeof(inflated));
            check(result != ANALYTICS_INFLATE_TOO_LARGE || len == sizeof(inflated));
        }
        check(analytics_content_encoding_of((const char *) data, size) <= ANALYTICS_ENCODING_UNSUPPORTED);
    }

    /* the bytes as an origin: refused, or normalised to a valid origin
     * that normalises to itself */
    {
        char    origin[ANALYTICS_ORIGIN_MAX + 1], again[ANALYTICS_ORIGIN_MAX + 1];
        size_t  len;

        len = analytics_origin_normalise((const char *) data, size, origin, sizeof(origin));
        check(len <= ANALYTICS_ORIGIN_MAX);
        if (len > 0) {
            check(strlen(origin) == len);
            check(analytics_origin_normalise(origin, len, again, sizeof(again)) == len);
            check(memcmp(origin, again, len) == 0);
            for (i = 0; i < len; i++) {
                check(!(origin[i] >= 'A' && origin[i] <= 'Z'));
            }
        }
    }

    /* the bytes as a version 2 entry's packed header: decoded or refused */
    {
        analytics_stream_entry entry;
        analytics_stream_event decoded;
        const char            *why = NULL;

        entry.count = 0;
        analytics_stream_entry_add(&entry, "v", "2", 1);
        analytics_stream_entry_add(&entry, "h", (const char *) data, size);
        analytics_stream_entry_add(&entry, "metadata", "{}", 2);
        analytics_stream_entry_add(&entry, "tenant_id", "7", 1);
        if (analytics_stream_event_decode(&entry, &decoded, &why) == 0) {
            check(decoded.id_len == 36 && decoded.kind_len > 0 && decoded.type_len > 0);
            check(decoded.id >= (const char *) data && decoded.id + decoded.id_len <= (const char *) data + size);
        } else {
            check(why != NULL);
        }
    }

    /* the bytes as a version 3 entry's fields: each byte a field named "h"
     * when odd, "x" when even, so that events of every size and a stray
     * first field come up; every event is taken or refused, and the walk
     * always moves on */
    {
        analytics_stream_field fields[256];
        analytics_stream_entry one;
        const char            *why;
        size_t                 n, pos, before, seen;
        int                    found;

        n = size < 256 ? size : 256;
        for (i = 0; i < n; i++) {
            fields[i].name = (data[i] & 1) ? "h" : "x";
            fields[i].value = (const char *) data + i;
            fields[i].value_len = 1;
        }
        pos = 0;
        seen = 0;
        do {
            before = pos;
            why = NULL;
            found = analytics_stream_packed_next(fields, n, &pos, &one, &why);
            check(found == 0 ? pos == n : pos > before && pos <= n);
            check(found >= 0 || why != NULL);
            check(found != 1 || (one.count >= 2 && one.count <= ANALYTICS_STREAM_MAX_FIELDS));
            seen++;
        } while (found != 0);
        check(seen <= n + 1);
    }

    for (i = 0; i < 2; i++) {
        analytics_body_status status = analytics_track_request_parse((const char *) data, size, rules[i],
                                                                     &request, &errors, problem, sizeof(problem));
        if (status == ANALYTICS_BODY_INVALID) {
            check(errors.count > 0);
            needed = analytics_validation_errors_render(&errors, rendered, sizeof(rendered));
            check(needed < sizeof(rendered) && strlen(rendered) == needed);
        } else if (status == ANALYTICS_BODY_OK) {
            analytics_outgoing_event_init(&event, ANALYTICS_EVENT_KIND_TRACK, 1795426719878ULL, random);
            analytics_outgoing_event_from_track(&event, &request);
            round_trip(&event);
        }
        analytics_track_request_free(&request);
    }

    if (analytics_conversion_request_parse((const char *) data, size, &conversion, &reason) == 0) {
        check(conversion.value_minor >= 0);
        analytics_outgoing_event_init(&event, ANALYTICS_EVENT_KIND_CONVERSION, 1795426719878ULL, random);
        analytics_outgoing_event_from_conversion(&event, &conversion);
        round_trip(&event);
    }
    analytics_conversion_request_free(&conversion);

    {
        analytics_order_mark_request mark;
        if (analytics_order_mark_request_parse((const char *) data, size, &mark, &errors, problem,
                                               sizeof(problem)) == ANALYTICS_BODY_OK)
        {
            check(analytics_order_session_is_valid(mark.order_session, mark.order_session_len));
            check(mark.website_ref_len > 0);
        }
        analytics_order_mark_request_free(&mark);
    }

    analytics_time_parse_iso8601((const char *) data, size, &ms);

    {
        analytics_funnel_track_request funnel;
        analytics_body_status status = analytics_funnel_track_request_parse((const char *) data, size, &funnel,
                                                                            &errors, problem, sizeof(problem));
        if (status == ANALYTICS_BODY_OK) {
            check(funnel.step_count > 0 && funnel.step_count <= ANALYTICS_FUNNEL_MAX_STEPS);
            check(funnel.metadata_json != NULL && funnel.steps_json != NULL);
        } else if (status == ANALYTICS_BODY_INVALID) {
            check(errors.count > 0);
        }
        analytics_funnel_track_request_free(&funnel);
    }

    {
        /* a Webmarketer event, then its data against a type with one field of each kind */
        static const analytics_event_type_field fields[] = {
            { "a", ANALYTICS_FIELD_STRING, ANALYTICS_FIELD_KIND_FIELD, 1 },
            { "b", ANALYTICS_FIELD_NUMBER, ANALYTICS_FIELD_KIND_STATISTIC, 0 },
            { "c", ANALYTICS_FIELD_NUMBER, ANALYTICS_FIELD_KIND_STATE, 0 },
            { "d", ANALYTICS_FIELD_DATE, ANALYTICS_FIELD_KIND_FIELD, 0 },
            { "e", ANALYTICS_FIELD_BOOLEAN, ANALYTICS_FIELD_KIND_IDENTITY, 1 },
        };
        analytics_project_event project;
        analytics_body_status status = analytics_project_event_parse((const char *) data, size, &project,
                                                                     &errors, problem, sizeof(problem));
        if (status == ANALYTICS_BODY_OK || status == ANALYTICS_BODY_INVALID) {
            check(project.document != NULL);
            check((status == ANALYTICS_BODY_OK) == (errors.count == 0));
            check(!project.has_nonce || (project.nonce_len > 0 && project.nonce_len <= ANALYTICS_NONCE_MAX_LEN));
            analytics_project_event_check_data(&project, fields, sizeof(fields) / sizeof(fields[0]), &errors);
            check(errors.count <= ANALYTICS_MAX_VALIDATION_ERRORS);
        }
        analytics_project_event_free(&project);
    }

    for (i = 0; i < 2; i++) {
        analytics_body_status status = i == 0
            ? analytics_collect_request_parse((const char *) data, size, &request, &errors, problem, sizeof(problem))
            : analytics_collect_query_parse((const char *) data, size, &request, &errors, problem, sizeof(problem));
        if (status == ANALYTICS_BODY_OK) {
            check(request.tenant_ref_len > 0 && request.metadata_json != NULL);
            analytics_outgoing_event_init(&event, ANALYTICS_EVENT_KIND_INTERACTION, 1795426719878ULL, random);
            analytics_outgoing_event_from_track(&event, &request);
            round_trip(&event);
        } else if (status == ANALYTICS_BODY_INVALID) {
            check(errors.count > 0);
        }
        analytics_track_request_free(&request);
    }

    for (i = 0; i < 2; i++) {
        /* as a batch of either kind: every event has its own verdict, and a
         * valid one survives the stream encoding as its single endpoint's */
        static analytics_batch_event events[ANALYTICS_BATCH_MAX_EVENTS];
        analytics_batch_request      batch;
        analytics_batch_status       status;
        size_t                       k;

        status = analytics_batch_request_parse((const char *) data, size,
                                               i == 0 ? ANALYTICS_BATCH_OF_TRACK : ANALYTICS_BATCH_OF_HITS,
                                               1795426719878LL, &batch, events, &errors, problem, sizeof(problem));
        if (status == ANALYTICS_BATCH_OK) {
            check(batch.count > 0 && batch.count <= ANALYTICS_BATCH_MAX_EVENTS);
            for (k = 0; k < batch.count; k++) {
                check(events[k].status == ANALYTICS_BODY_OK || events[k].status == ANALYTICS_BODY_INVALID);
                check((events[k].status == ANALYTICS_BODY_INVALID) == (events[k].errors.count > 0));
                /* corrected times stay within a week before receipt, never after */
                check(!events[k].has_occurred_at
                      || (events[k].occurred_at_ms <= 1795426719878LL
                          && events[k].occurred_at_ms >= 1795426719878LL - 7LL * 86400 * 1000));
                if (events[k].status == ANALYTICS_BODY_OK) {
                    analytics_outgoing_event_init(&event, i == 0 ? ANALYTICS_EVENT_KIND_TRACK
                                                                 : ANALYTICS_EVENT_KIND_INTERACTION,
                                                  1795426719878ULL, random);
                    analytics_outgoing_event_from_track(&event, &events[k].request);
                    round_trip(&event);
                }
            }
        } else if (status == ANALYTICS_BATCH_INVALID) {
            check(errors.count > 0);
        } else if (status != ANALYTICS_BATCH_NO_MEMORY) {
            check(problem[0] != '\0');
        }
        analytics_batch_request_free(&batch);
    }

    {
        /* the input split at its first newline: landing URL, then referrer */
        analytics_traffic_source source;
        const uint8_t *newline = memchr(data, '\n', size);
        size_t landing_len = newline ? (size_t) (newline - data) : size;
        const char *referrer = newline ? (const char *) newline + 1 : NULL;
        size_t referrer_len = newline ? size - landing_len - 1 : 0;
        if (analytics_traffic_source_classify((const char *) data, landing_len, referrer, referrer_len,
                                              &source) == 0)
        {
            check(source.source[0] != '\0' && source.medium[0] != '\0');
            check(strlen(source.source) <= ANALYTICS_SOURCE_MAX_LEN);
            check(strlen(source.campaign) <= ANALYTICS_CAMPAIGN_MAX_LEN);
        }
    }
    return 0;
}
