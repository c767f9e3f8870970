#include "funnel_track_request.h"
#include "json_body.h"
#include "json_field.h"

#include <jansson.h>

#include <stdlib.h>
#include <string.h>

/* the fields' rules, run once the body is a JSON object */
static analytics_body_status analytics_funnel_track_fields(json_t *root, void *request_out, const void *rules,
    analytics_validation_errors *errors);

/* validation messages hold static strings only: one per index */
#define ANALYTICS_STEP_NAMES(F) F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13) F(14) F(15)
#define ANALYTICS_STEP_FIELD(i) "steps." #i,
#define ANALYTICS_STEP_STRING(i) "The steps." #i " field must be 1 to 64 of a-z, 0-9 and _.",
#define ANALYTICS_STEP_INVALID(i) "The selected steps." #i " is invalid.",

/* the fields the funnel event's metadata keeps */
static const char *const analytics_funnel_kept[] = { "steps", "domain_path", "closed_early", NULL };

static const char *const analytics_step_fields[] = { ANALYTICS_STEP_NAMES(ANALYTICS_STEP_FIELD) };
static const char *const analytics_step_string_messages[] = { ANALYTICS_STEP_NAMES(ANALYTICS_STEP_STRING) };
static const char *const analytics_step_invalid_messages[] = { ANALYTICS_STEP_NAMES(ANALYTICS_STEP_INVALID) };

const char *
analytics_funnel_step_field(size_t index)
{
    return index < ANALYTICS_FUNNEL_MAX_STEPS ? analytics_step_fields[index] : "steps";
}

const char *
analytics_funnel_step_invalid_message(size_t index)
{
    return index < ANALYTICS_FUNNEL_MAX_STEPS ? analytics_step_invalid_messages[index]
                                              : "The selected steps is invalid.";
}

int
analytics_funnel_step_name_is_valid(const char *text, size_t len)
{
    size_t  i;

    if (len == 0 || len > 64) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= '0' && text[i] <= '9') || text[i] == '_')) {
            return 0;
        }
    }
    return 1;
}

analytics_body_status
analytics_funnel_track_request_parse(const char *body, size_t len, analytics_funnel_track_request *request,
    analytics_validation_errors *errors, char *problem_buf, size_t problem_size)
{
    memset(request, 0, sizeof(*request));
    return analytics_json_request_parse(body, len, &request->document, analytics_funnel_track_fields, request, NULL,
                                        errors, problem_buf, problem_size);
}

static analytics_body_status
analytics_funnel_track_fields(json_t *root, void *request_out, const void *rules, analytics_validation_errors *errors)
{
    analytics_funnel_track_request  *request;
    json_t                          *steps, *step, *path, *closed;
    size_t                           i;
    analytics_body_status            status;

    request = request_out;
    (void) rules;

    steps = analytics_json_field(root, "steps");
    if (steps == NULL || (json_is_array(steps) && json_array_size(steps) == 0)) {
        analytics_validation_errors_add(errors, "steps", "The steps field is required.");
    } else if (!json_is_array(steps)) {
        analytics_validation_errors_add(errors, "steps", "The steps field must be an array.");
    } else if (json_array_size(steps) > ANALYTICS_FUNNEL_MAX_STEPS) {
        analytics_validation_errors_add(errors, "steps", "The steps field must not have more than 16 items.");
    } else {
        json_array_foreach(steps, i, step) {
            if (!json_is_string(step) || !analytics_funnel_step_name_is_valid(json_string_value(step), json_string_length(step))) {
                analytics_validation_errors_add(errors, analytics_step_fields[i], analytics_step_string_messages[i]);
                continue;
            }
            request->steps[request->step_count] = json_string_value(step);
            request->step_lens[request->step_count] = json_string_length(step);
            request->step_count++;
        }
    }

    path = analytics_json_field(root, "domain_path");
    if (path != NULL
        && !(json_is_string(path) && (strcmp(json_string_value(path), "buy_new") == 0
                                      || strcmp(json_string_value(path), "already_have") == 0
                                      || strcmp(json_string_value(path), "skipped") == 0)))
    {
        analytics_validation_errors_add(errors, "domain_path", "The selected domain path is invalid.");
    }

    closed = analytics_json_field(root, "closed_early");
    if (closed != NULL && !json_is_boolean(closed)) {
        analytics_validation_errors_add(errors, "closed_early", "The closed early field must be true or false.");
    }

    if (errors->count > 0) {
        return ANALYTICS_BODY_INVALID;
    }

    status = analytics_json_keep_text(analytics_json_pick(root, analytics_funnel_kept), 0, &request->metadata_json,
                                      &request->metadata_json_len);
    if (status != ANALYTICS_BODY_OK) {
        return status;
    }
    return analytics_json_keep_text(json_incref(steps), 0, &request->steps_json, &request->steps_json_len);
}

void
analytics_funnel_track_request_free(analytics_funnel_track_request *request)
{
    analytics_json_text_free(request->metadata_json);
    analytics_json_text_free(request->steps_json);
    json_decref(request->document);
    memset(request, 0, sizeof(*request));
}
