/*
 * The checks every request parser makes on the fields of its JSON object,
 * and the text it keeps of what passed. An explicit null is the same as a
 * missing field in every seed API; Laravel's `required` also counts "" as
 * missing.
 */
#ifndef ANALYTICS_JSON_FIELD_H
#define ANALYTICS_JSON_FIELD_H

#include "json_body.h"
#include "validation_errors.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a parser checks of its request's fields once the body is a JSON
 * object; request and rules are of the parser's own types. */
typedef analytics_body_status (*analytics_json_fields_check)(json_t *root, void *request, const void *rules,
    analytics_validation_errors *errors);

/* The steps of every body parser: errors emptied, body loaded as a JSON
 * object into *document (the request's free releases it), then check run
 * on it. */
analytics_body_status analytics_json_request_parse(const char *body, size_t len, void **document,
    analytics_json_fields_check check, void *request, const void *rules, analytics_validation_errors *errors,
    char *problem_buf, size_t problem_size);

/* root's value under key, or NULL when it is missing or null */
json_t *analytics_json_field(json_t *root, const char *key);

/* the same, and NULL also for "": what `required` accepts */
json_t *analytics_json_required_field(json_t *root, const char *key);

/* 1 when value is a string of min_len to max_len bytes, its text and
 * length then set; 0 otherwise, nothing set */
int analytics_json_text(json_t *value, size_t min_len, size_t max_len, const char **text, size_t *len);

/* Laravel's required|string|max:N on one field, with its messages */
typedef struct {
    const char  *key;
    size_t       max_len;       /* SIZE_MAX when the caller checks the text itself */
    const char  *required;      /* "The tenant field is required." */
    const char  *not_string;    /* "The tenant field must be a string." */
    const char  *too_long;      /* "The tenant field must not be greater than 64 characters." */
} analytics_string_rule;

/* value (as analytics_json_required_field gave it, NULL when missing) by
 * rule: 1 with text and len set, or 0 with the rule's message added */
int analytics_json_string_rule(json_t *value, const analytics_string_rule *rule, analytics_validation_errors *errors,
    const char **text, size_t *len);

/* number as decimal text in buf, text and len then pointing at it */
void analytics_json_number_text(long long number, char *buf, size_t size, const char **text, size_t *len);

/* a new object of those of root's keys (a NULL-ended list) that are
 * filled, as analytics_json_required_field says; NULL when out of memory */
/* 1 when value is a JSON string holding an ISO 8601 instant (event_time.h),
 * with *unix_ms set; else 0 */
int analytics_json_time(json_t *value, int64_t *unix_ms);

json_t *analytics_json_pick(json_t *root, const char *const *keys);

/* value (released here, may be NULL) as compact JSON text the caller
 * frees; ANALYTICS_BODY_NO_MEMORY when value, its text, or (failed set)
 * one of its members could not be made */
analytics_body_status analytics_json_keep_text(json_t *value, int failed, char **text, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
