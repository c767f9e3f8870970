/*
 * The batch endpoints' bodies: {"batch": [event, ...], "sent_at": "<RFC 3339>"}
 * with 1 to ANALYTICS_BATCH_MAX_EVENTS events, each checked as its single
 * endpoint checks one (a track body, or a tracker's hit), plus an optional
 * "timestamp" (ISO 8601, the client's time of the event), corrected by
 * sent_at as analytics_time_corrected says. One invalid event does not
 * spoil the others: each has its own verdict and errors.
 */
#ifndef ANALYTICS_BATCH_REQUEST_H
#define ANALYTICS_BATCH_REQUEST_H

#include "track_request.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_BATCH_MAX_EVENTS 100

typedef enum {
    ANALYTICS_BATCH_OF_TRACK = 0,     /* POST /api/v1/analytics/track bodies */
    ANALYTICS_BATCH_OF_HITS           /* the tracker's /collect bodies */
} analytics_batch_items;

typedef enum {
    ANALYTICS_BATCH_OK = 0,           /* every event has its own verdict */
    ANALYTICS_BATCH_MALFORMED,        /* not JSON, not an object, no events: 400 */
    ANALYTICS_BATCH_INVALID,          /* sent_at is no time: 422, errors set */
    ANALYTICS_BATCH_TOO_MANY,         /* more than ANALYTICS_BATCH_MAX_EVENTS: 413 */
    ANALYTICS_BATCH_NO_MEMORY
} analytics_batch_status;

typedef struct {
    analytics_body_status        status;       /* OK, INVALID or NO_MEMORY */
    analytics_track_request      request;      /* when OK */
    analytics_validation_errors  errors;       /* when INVALID */
    int                          has_occurred_at;
    int64_t                      occurred_at_ms;   /* corrected; when has_occurred_at */
} analytics_batch_event;

typedef struct {
    void                   *document;      /* the body's json_t, owned */
    size_t                  count;         /* events[0 .. count) */
    int                     has_sent_at;
    int64_t                 sent_at_ms;
    analytics_batch_event  *events;        /* the caller's ANALYTICS_BATCH_MAX_EVENTS */
} analytics_batch_request;

/*
 * Parses body, received at received_ms, into batch (events: the caller's
 * array of ANALYTICS_BATCH_MAX_EVENTS). On MALFORMED and TOO_MANY problem
 * holds the reason; on INVALID errors lists the batch's own fields. Always
 * call analytics_batch_request_free.
 */
analytics_batch_status analytics_batch_request_parse(const char *body, size_t len, analytics_batch_items items,
    int64_t received_ms, analytics_batch_request *batch, analytics_batch_event *events,
    analytics_validation_errors *errors, char *problem_buf, size_t problem_size);

void analytics_batch_request_free(analytics_batch_request *batch);

#ifdef __cplusplus
}
#endif

#endif
