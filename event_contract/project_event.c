#include "project_event.h"
#include "event_time.h"
#include "json_field.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* the fields' rules, run once the body is a JSON object */
static analytics_body_status analytics_project_event_fields(json_t *root, void *event_out, const void *rules,
    analytics_validation_errors *errors);

/* ^[a-z0-9]+(?:-[a-z0-9]+)*$, 3 to 64 characters (webmarketer-api project_id) */
static int
analytics_is_project_slug(const char *text, size_t len)
{
    size_t i;
    int    after_hyphen = 1;

    if (len < 3 || len > 64) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        char c = text[i];
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            after_hyphen = 0;
        } else if (c == '-' && !after_hyphen) {
            after_hyphen = 1;
        } else {
            return 0;
        }
    }
    return !after_hyphen;
}

/* the nonce's text: a string as it is, a number as JSON writes it */
static int
analytics_nonce_text(json_t *nonce, analytics_project_event *event)
{
    int n;

    if (json_is_string(nonce)) {
        if (json_string_length(nonce) == 0 || json_string_length(nonce) > ANALYTICS_NONCE_MAX_LEN) {
            return -1;
        }
        memcpy(event->nonce, json_string_value(nonce), json_string_length(nonce));
        event->nonce_len = json_string_length(nonce);
    } else if (json_is_integer(nonce)) {
        n = snprintf(event->nonce, sizeof(event->nonce), "%" JSON_INTEGER_FORMAT, json_integer_value(nonce));
        event->nonce_len = (size_t) n;
    } else if (json_is_real(nonce) && isfinite(json_real_value(nonce))) {
        n = snprintf(event->nonce, sizeof(event->nonce), "%.17g", json_real_value(nonce));
        event->nonce_len = (size_t) n;
    } else {
        return -1;
    }
    event->nonce[event->nonce_len] = '\0';
    event->has_nonce = 1;
    return 0;
}

analytics_body_status
analytics_project_event_parse(const char *body, size_t len, analytics_project_event *event,
    analytics_validation_errors *errors, char *problem_buf, size_t problem_size)
{
    memset(event, 0, offsetof(analytics_project_event, error_fields));
    event->data_errors = 0;
    return analytics_json_request_parse(body, len, &event->document, analytics_project_event_fields, event, NULL,
                                        errors, problem_buf, problem_size);
}

analytics_body_status
analytics_project_event_check_document(void *root, analytics_project_event *event,
    analytics_validation_errors *errors)
{
    memset(event, 0, offsetof(analytics_project_event, error_fields));
    event->data_errors = 0;
    analytics_validation_errors_init(errors);
    event->document = json_incref((json_t *) root);
    return analytics_project_event_fields((json_t *) root, event, NULL, errors);
}

static analytics_body_status
analytics_project_event_fields(json_t *root, void *event_out, const void *rules, analytics_validation_errors *errors)
{
    analytics_project_event  *event;
    json_t                   *value;

    event = event_out;
    (void) rules;

    value = analytics_json_field(root, "projectId");
    if (value == NULL) {
        analytics_validation_errors_add(errors, "projectId", "projectId is required");
    } else if (!json_is_string(value)
               || !analytics_is_project_slug(json_string_value(value), json_string_length(value)))
    {
        analytics_validation_errors_add(errors, "projectId",
            "projectId must be a string of 3 to 64 characters matching ^[a-z0-9]+(?:-[a-z0-9]+)*$");
    } else {
        event->project_id = json_string_value(value);
        event->project_id_len = json_string_length(value);
    }

    value = analytics_json_field(root, "eventType");
    if (value == NULL) {
        analytics_validation_errors_add(errors, "eventType", "eventType is required");
    } else if (!analytics_json_text(value, 1, ANALYTICS_EVENT_TYPE_MAX_LEN, &event->event_type, &event->event_type_len)) {
        analytics_validation_errors_add(errors, "eventType",
                                        "eventType must be an event type reference of 1 to 64 characters");
    }

    value = analytics_json_field(root, "eventDate");
    if (value != NULL) {
        if (!analytics_json_time(value, &event->event_date_ms)) {
            analytics_validation_errors_add(errors, "eventDate",
                                            "eventDate must be an RFC 3339 date-time");
        } else {
            event->has_event_date = 1;
        }
    }

    value = analytics_json_field(root, "trackerId");
    if (value != NULL) {
        if (!analytics_json_text(value, 1, ANALYTICS_TRACKER_ID_MAX_LEN, &event->tracker_id, &event->tracker_id_len)) {
            analytics_validation_errors_add(errors, "trackerId",
                                            "trackerId must be a string of 1 to 256 characters");
        }
    }

    value = analytics_json_field(root, "nonce");
    if (value == NULL) {
        analytics_validation_errors_add(errors, "nonce", "nonce is required");
    } else if (analytics_nonce_text(value, event) != 0) {
        analytics_validation_errors_add(errors, "nonce",
                                        "nonce must be a string of 1 to 256 characters or a number");
    }

    value = analytics_json_field(root, "data");
    if (value == NULL) {
        analytics_validation_errors_add(errors, "data", "data is required");
    } else if (!json_is_object(value)) {
        analytics_validation_errors_add(errors, "data", "data must be an object");
    } else {
        event->data = value;
    }

    return errors->count == 0 ? ANALYTICS_BODY_OK : ANALYTICS_BODY_INVALID;
}

int
analytics_project_event_state_value(const void *value)
{
    const json_t *json = value;

    if (json_is_boolean(json)) {
        return json_is_true(json) ? 1 : 0;
    }
    if (json_is_integer(json) && (json_integer_value(json) == 0 || json_integer_value(json) == 1)) {
        return (int) json_integer_value(json);
    }
    if (json_is_real(json) && (json_real_value(json) == 0.0 || json_real_value(json) == 1.0)) {
        return (int) json_real_value(json);
    }
    return -1;
}

/* NULL when value suits the field, else what is wrong with it */
static const char *
analytics_field_problem(const analytics_event_type_field *field, json_t *value)
{
    int64_t ms;

    switch (field->kind) {
    case ANALYTICS_FIELD_KIND_STATE:
        return analytics_project_event_state_value(value) < 0 ? "must be a state: 0 or 1" : NULL;
    case ANALYTICS_FIELD_KIND_STATISTIC:
        return json_is_number(value) && isfinite(json_number_value(value)) ? NULL
               : "must be a statistic: a number";
    default:
        break;
    }
    switch (field->type) {
    case ANALYTICS_FIELD_STRING:
        return json_is_string(value) ? NULL : "must be a string";
    case ANALYTICS_FIELD_NUMBER:
        return json_is_number(value) ? NULL : "must be a number";
    case ANALYTICS_FIELD_BOOLEAN:
        return json_is_boolean(value) ? NULL : "must be a boolean";
    case ANALYTICS_FIELD_DATE:
        return analytics_json_time(value, &ms) ? NULL : "must be an RFC 3339 date-time";
    }
    return "has an unknown type";
}

size_t
analytics_project_event_check_data(analytics_project_event *event,
    const analytics_event_type_field *fields, size_t n_fields, analytics_validation_errors *errors)
{
    size_t       i, added = 0;
    json_t      *value;
    const char  *problem;

    if (event->data == NULL) {
        return 0;
    }
    for (i = 0; i < n_fields; i++) {
        value = analytics_json_field(event->data, fields[i].storage_key);
        if (value == NULL) {
            problem = fields[i].required ? "is required" : NULL;
        } else {
            problem = analytics_field_problem(&fields[i], value);
        }
        if (problem == NULL || event->data_errors == ANALYTICS_MAX_VALIDATION_ERRORS
            || errors->count == ANALYTICS_MAX_VALIDATION_ERRORS)
        {
            continue;
        }
        snprintf(event->error_fields[event->data_errors], sizeof(event->error_fields[0]),
                 "data.%.*s", ANALYTICS_STORAGE_KEY_MAX_LEN, fields[i].storage_key);
        snprintf(event->error_messages[event->data_errors], sizeof(event->error_messages[0]),
                 "data.%.*s %s", ANALYTICS_STORAGE_KEY_MAX_LEN, fields[i].storage_key, problem);
        analytics_validation_errors_add(errors, event->error_fields[event->data_errors],
                                        event->error_messages[event->data_errors]);
        event->data_errors++;
        added++;
    }
    return added;
}

void
analytics_project_event_free(analytics_project_event *event)
{
    json_decref(event->document);
    event->document = NULL;
    event->data = NULL;
}

/* the index of name in names, or -1 */
static int
analytics_name_index(const char *const *names, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            return (int) i;
        }
    }
    return -1;
}

int
analytics_field_type_from_name(const char *name)
{
    static const char *const names[] = { "string", "number", "boolean", "date" };
    return analytics_name_index(names, sizeof(names) / sizeof(names[0]), name);
}

int
analytics_field_kind_from_name(const char *name)
{
    static const char *const names[] = { "field", "state", "statistic", "identity" };
    return analytics_name_index(names, sizeof(names) / sizeof(names[0]), name);
}
