/*
 * POST /services/platforms/v1/funnel/track (funnel-track-api): onboarding
 * steps of the token's subject. The steps' names are checked against the
 * tenant's configured steps in Redis (the tenant comes from the token), so
 * here only their shape is.
 *
 *   steps         required array of 1 to 16 names, each 1 to 64 of a-z 0-9 _
 *   domain_path   optional: buy_new, already_have or skipped
 *   closed_early  optional boolean
 */
#ifndef ANALYTICS_FUNNEL_TRACK_REQUEST_H
#define ANALYTICS_FUNNEL_TRACK_REQUEST_H

#include "json_body.h"
#include "validation_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_FUNNEL_MAX_STEPS 16

typedef struct {
    size_t      step_count;
    const char *steps[ANALYTICS_FUNNEL_MAX_STEPS];     /* point into the document */
    size_t      step_lens[ANALYTICS_FUNNEL_MAX_STEPS];
    char       *metadata_json;       /* {"steps":[...],"domain_path"?,"closed_early"?}; malloc'd */
    size_t      metadata_json_len;
    char       *steps_json;          /* the steps array alone, for the answer; malloc'd */
    size_t      steps_json_len;
    void       *document;
} analytics_funnel_track_request;

analytics_body_status analytics_funnel_track_request_parse(const char *body, size_t len,
    analytics_funnel_track_request *request, analytics_validation_errors *errors,
    char *problem_buf, size_t problem_size);

void analytics_funnel_track_request_free(analytics_funnel_track_request *request);

/* 1 when text is a step name: 1 to 64 of a-z, 0-9 and _ (the names a
 * tenant configures and the names funnel/track sends) */
int analytics_funnel_step_name_is_valid(const char *text, size_t len);

/* "steps.<index>", and its messages, for index < ANALYTICS_FUNNEL_MAX_STEPS */
const char *analytics_funnel_step_field(size_t index);
const char *analytics_funnel_step_invalid_message(size_t index);

#ifdef __cplusplus
}
#endif

#endif
