#include "funnel_track_request.h"

#include <jansson.h>

#include <stdlib.h>
#include <string.h>

/* validation messages hold static strings only: one per index */
#define ANALYTICS_STEP_NAMES(F) F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13) F(14) F(15)
#define ANALYTICS_STEP_FIELD(i) "steps." #i,
#define ANALYTICS_STEP_STRING(i) "The steps." #i " field must be 1 to 64 of a-z, 0-9 and _.",
#define ANALYTICS_STEP_INVALID(i) "The selected steps." #i " is invalid.",

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
    json_t                *root, *steps, *step, *path, *closed, *metadata;
    size_t                 i;
    int                    failed;
    analytics_body_status  status;

    memset(request, 0, sizeof(*request));
    analytics_validation_errors_init(errors);

    root = NULL;
    status = analytics_json_object_load(body, len, (void **) &root, problem_buf, problem_size);
    request->document = root;
    if (status != ANALYTICS_BODY_OK) {
        return status;
    }

    steps = json_object_get(root, "steps");
    if (steps == NULL || json_is_null(steps) || (json_is_array(steps) && json_array_size(steps) == 0)) {
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

    path = json_object_get(root, "domain_path");
    if (path != NULL && !json_is_null(path)
        && !(json_is_string(path) && (strcmp(json_string_value(path), "buy_new") == 0
                                      || strcmp(json_string_value(path), "already_have") == 0
                                      || strcmp(json_string_value(path), "skipped") == 0)))
    {
        analytics_validation_errors_add(errors, "domain_path", "The selected domain path is invalid.");
    }

    closed = json_object_get(root, "closed_early");
    if (closed != NULL && !json_is_null(closed) && !json_is_boolean(closed)) {
        analytics_validation_errors_add(errors, "closed_early", "The closed early field must be true or false.");
    }

    if (errors->count > 0) {
        return ANALYTICS_BODY_INVALID;
    }

    metadata = json_object();
    if (metadata == NULL) {
        return ANALYTICS_BODY_NO_MEMORY;
    }
    failed = json_object_set(metadata, "steps", steps);
    if (json_is_string(path)) {
        failed |= json_object_set(metadata, "domain_path", path);
    }
    if (json_is_boolean(closed)) {
        failed |= json_object_set(metadata, "closed_early", closed);
    }
    request->metadata_json = failed ? NULL : json_dumps(metadata, JSON_COMPACT);
    json_decref(metadata);
    request->steps_json = json_dumps(steps, JSON_COMPACT);
    if (request->metadata_json == NULL || request->steps_json == NULL) {
        return ANALYTICS_BODY_NO_MEMORY;
    }
    request->metadata_json_len = strlen(request->metadata_json);
    request->steps_json_len = strlen(request->steps_json);
    return ANALYTICS_BODY_OK;
}

void
analytics_funnel_track_request_free(analytics_funnel_track_request *request)
{
    free(request->metadata_json);
    free(request->steps_json);
    if (request->document != NULL) {
        json_decref((json_t *) request->document);
    }
    memset(request, 0, sizeof(*request));
}
