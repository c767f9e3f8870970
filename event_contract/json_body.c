#include "json_body.h"
#include "event_time.h"
#include "json_field.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static int
analytics_json_is_blank(const char *body, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' && body[i] != '\n') {
            return 0;
        }
    }
    return 1;
}

analytics_body_status
analytics_json_object_load(const char *body, size_t len, void **root_out, char *problem_buf,
    size_t problem_size)
{
    json_t       *root;
    json_error_t  error;

    *root_out = NULL;
    if (analytics_json_is_blank(body, len)) {
        root = json_object();
    } else {
        /* any value decodes, so that a scalar body gets the object message */
        root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);
        if (root == NULL) {
            if (json_error_code(&error) == json_error_null_character) {
                snprintf(problem_buf, problem_size,
                         "Malformed JSON body: NUL characters (\\u0000) are not allowed.");
            } else {
                snprintf(problem_buf, problem_size, "Malformed JSON body: %s.", error.text);
            }
            return ANALYTICS_BODY_MALFORMED;
        }
    }
    if (root == NULL) {
        return ANALYTICS_BODY_NO_MEMORY;
    }
    *root_out = root;
    if (!json_is_object(root)) {
        snprintf(problem_buf, problem_size, "The request body must be a JSON object.");
        return ANALYTICS_BODY_MALFORMED;
    }
    return ANALYTICS_BODY_OK;
}

void
analytics_json_text_free(char *text)
{
    json_malloc_t  allocate;
    json_free_t    release;

    json_get_alloc_funcs(&allocate, &release);
    release(text);
}

json_t *
analytics_json_field(json_t *root, const char *key)
{
    json_t  *value;

    value = json_object_get(root, key);
    return json_is_null(value) ? NULL : value;
}

json_t *
analytics_json_required_field(json_t *root, const char *key)
{
    json_t  *value;

    value = analytics_json_field(root, key);
    return json_is_string(value) && json_string_length(value) == 0 ? NULL : value;
}

int
analytics_json_text(json_t *value, size_t min_len, size_t max_len, const char **text, size_t *len)
{
    if (!json_is_string(value) || json_string_length(value) < min_len || json_string_length(value) > max_len) {
        return 0;
    }
    *text = json_string_value(value);
    *len = json_string_length(value);
    return 1;
}

int
analytics_json_string_rule(json_t *value, const analytics_string_rule *rule, analytics_validation_errors *errors,
    const char **text, size_t *len)
{
    if (value == NULL) {
        analytics_validation_errors_add(errors, rule->key, rule->required);
    } else if (!json_is_string(value)) {
        analytics_validation_errors_add(errors, rule->key, rule->not_string);
    } else if (!analytics_json_text(value, 1, rule->max_len, text, len)) {
        analytics_validation_errors_add(errors, rule->key, rule->too_long);
    } else {
        return 1;
    }
    return 0;
}

void
analytics_json_number_text(long long number, char *buf, size_t size, const char **text, size_t *len)
{
    snprintf(buf, size, "%lld", number);
    *text = buf;
    *len = strlen(buf);
}

int
analytics_json_time(json_t *value, int64_t *unix_ms)
{
    return json_is_string(value)
           && analytics_time_parse_iso8601(json_string_value(value), json_string_length(value), unix_ms) == 0;
}

json_t *
analytics_json_pick(json_t *root, const char *const *keys)
{
    json_t  *picked, *value;

    picked = json_object();
    for (; picked != NULL && *keys != NULL; keys++) {
        value = analytics_json_required_field(root, *keys);
        if (value != NULL && json_object_set(picked, *keys, value) != 0) {
            json_decref(picked);
            picked = NULL;
        }
    }
    return picked;
}

analytics_body_status
analytics_json_keep_text(json_t *value, int failed, char **text, size_t *len)
{
    *text = value != NULL && !failed ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(value);
    if (*text == NULL) {
        return ANALYTICS_BODY_NO_MEMORY;
    }
    *len = strlen(*text);
    return ANALYTICS_BODY_OK;
}

analytics_body_status
analytics_json_request_parse(const char *body, size_t len, void **document, analytics_json_fields_check check,
    void *request, const void *rules, analytics_validation_errors *errors, char *problem_buf, size_t problem_size)
{
    analytics_body_status  status;

    analytics_validation_errors_init(errors);
    status = analytics_json_object_load(body, len, document, problem_buf, problem_size);
    if (status != ANALYTICS_BODY_OK) {
        return status;
    }
    return check(*document, request, rules, errors);
}
