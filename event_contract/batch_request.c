#include "batch_request.h"
#include "collect_request.h"
#include "event_time.h"
#include "json_body.h"
#include "json_field.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static void analytics_batch_event_check(json_t *value, analytics_batch_items items,
    const analytics_batch_request *batch, int64_t received_ms, analytics_batch_event *event);

analytics_batch_status
analytics_batch_request_parse(const char *body, size_t len, analytics_batch_items items, int64_t received_ms,
    analytics_batch_request *batch, analytics_batch_event *events, analytics_validation_errors *errors,
    char *problem_buf, size_t problem_size)
{
    json_t                 *list, *sent_at, *value;
    size_t                  i;
    analytics_body_status   loaded;

    memset(batch, 0, sizeof(*batch));
    batch->events = events;
    analytics_validation_errors_init(errors);

    loaded = analytics_json_object_load(body, len, &batch->document, problem_buf, problem_size);
    if (loaded == ANALYTICS_BODY_NO_MEMORY) {
        return ANALYTICS_BATCH_NO_MEMORY;
    }
    if (loaded != ANALYTICS_BODY_OK) {
        return ANALYTICS_BATCH_MALFORMED;
    }

    list = json_object_get(batch->document, "batch");
    if (!json_is_array(list) || json_array_size(list) == 0) {
        snprintf(problem_buf, problem_size, "The batch field must be an array of 1 to %d events.",
                 ANALYTICS_BATCH_MAX_EVENTS);
        return ANALYTICS_BATCH_MALFORMED;
    }
    if (json_array_size(list) > ANALYTICS_BATCH_MAX_EVENTS) {
        snprintf(problem_buf, problem_size, "The batch may hold at most %d events.", ANALYTICS_BATCH_MAX_EVENTS);
        return ANALYTICS_BATCH_TOO_MANY;
    }

    sent_at = analytics_json_field(batch->document, "sent_at");
    if (sent_at != NULL) {
        if (!analytics_json_time(sent_at, &batch->sent_at_ms)) {
            analytics_validation_errors_add(errors, "sent_at", "The sent at field must be a valid date.");
            return ANALYTICS_BATCH_INVALID;
        }
        batch->has_sent_at = 1;
    }

    json_array_foreach(list, i, value) {
        analytics_batch_event_check(value, items, batch, received_ms, &events[i]);
        batch->count = i + 1;
        if (events[i].status == ANALYTICS_BODY_NO_MEMORY) {
            return ANALYTICS_BATCH_NO_MEMORY;
        }
    }
    return ANALYTICS_BATCH_OK;
}

/* one event: its single endpoint's checks, then its own timestamp */
static void
analytics_batch_event_check(json_t *value, analytics_batch_items items, const analytics_batch_request *batch,
    int64_t received_ms, analytics_batch_event *event)
{
    json_t   *timestamp;
    int64_t   client_ms;

    memset(event, 0, sizeof(*event));
    if (!json_is_object(value)) {
        analytics_validation_errors_init(&event->errors);
        analytics_validation_errors_add(&event->errors, "event", "The event must be a JSON object.");
        event->status = ANALYTICS_BODY_INVALID;
        return;
    }

    event->status = items == ANALYTICS_BATCH_OF_HITS
                    ? analytics_collect_request_check(value, &event->request, &event->errors)
                    : analytics_track_request_check(value, &analytics_track_rules, &event->request, &event->errors);

    timestamp = analytics_json_field(value, "timestamp");
    if (timestamp != NULL) {
        if (!analytics_json_time(timestamp, &client_ms)) {
            /* after the event's own errors, if any (the check began the list) */
            analytics_validation_errors_add(&event->errors, "timestamp", "The timestamp field must be a valid date.");
            event->status = ANALYTICS_BODY_INVALID;
            return;
        }
        event->has_occurred_at = 1;
        event->occurred_at_ms = analytics_time_corrected(client_ms, batch->has_sent_at, batch->sent_at_ms,
                                                         received_ms);
    }
}

void
analytics_batch_request_free(analytics_batch_request *batch)
{
    size_t  i;

    for (i = 0; i < batch->count; i++) {
        analytics_track_request_free(&batch->events[i].request);
    }
    json_decref(batch->document);
    memset(batch, 0, sizeof(*batch));
}
