/*
 * The product's own tracker (t.js): POST /collect with a JSON body (sent as
 * text/plain by navigator.sendBeacon) or GET /collect.gif with the same
 * fields in the query string under short names. Each hit becomes an
 * interaction: a page view ("pageview") or a custom event (its name).
 *
 *   field      query  rule
 *   tenant     t      required string: uuid, slug or numeric id, at most 64
 *   url        u      required absolute http(s) URL, at most 2048
 *   referrer   r      optional http(s) URL, at most 2048; empty is none
 *   name       n      optional event name, 1 to 64 of A-Z a-z 0-9 _ . : -
 *                     starting with a letter or digit
 *   props      p      optional object (in the query: its JSON text)
 *   trackerId  tid    optional string, at most 128
 *
 * The result is an analytics_track_request (type "pageview" or the name;
 * metadata {"url","referrer","name","props","trackerId"} as present), so it
 * travels the stream like any interaction.
 */
#ifndef ANALYTICS_COLLECT_REQUEST_H
#define ANALYTICS_COLLECT_REQUEST_H

#include "track_request.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_COLLECT_URL_MAX_LEN 2048

/* body: a JSON object; errors and problem as analytics_track_request_parse.
 * Free with analytics_track_request_free. */
analytics_body_status analytics_collect_request_parse(const char *body, size_t len,
    analytics_track_request *request, analytics_validation_errors *errors,
    char *problem_buf, size_t problem_size);

/* the same checks on an object already parsed (a hit of a batch, a
 * json_t); request holds a reference to it */
analytics_body_status analytics_collect_request_check(void *object, analytics_track_request *request,
    analytics_validation_errors *errors);

/* query: the raw query string (without '?'), percent-encoded */
analytics_body_status analytics_collect_query_parse(const char *query, size_t len,
    analytics_track_request *request, analytics_validation_errors *errors,
    char *problem_buf, size_t problem_size);

#ifdef __cplusplus
}
#endif

#endif
