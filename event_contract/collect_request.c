#include "collect_request.h"
#include "json_field.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *query;
    const char *field;
} analytics_collect_names[] = {
    { "t", "tenant" }, { "u", "url" }, { "r", "referrer" }, { "n", "name" }, { "p", "props" },
    { "tid", "trackerId" },
};

static int analytics_is_web_url(const char *text, size_t len);
static int analytics_is_event_name(const char *text, size_t len);
static int analytics_hex_value(char c);
static size_t analytics_percent_decode(const char *in, size_t len, char *out);
static analytics_body_status analytics_collect_fields(json_t *root, void *request_out, const void *rules,
    analytics_validation_errors *errors);

/* http:// or https:// and something after it, no spaces or control characters */
static int
analytics_is_web_url(const char *text, size_t len)
{
    size_t  i, scheme;

    if (len > 8 && strncasecmp(text, "https://", 8) == 0) {
        scheme = 8;
    } else if (len > 7 && strncasecmp(text, "http://", 7) == 0) {
        scheme = 7;
    } else {
        return 0;
    }
    for (i = scheme; i < len; i++) {
        if ((unsigned char) text[i] <= 0x20 || text[i] == 0x7f) {
            return 0;
        }
    }
    return 1;
}

static int
analytics_is_event_name(const char *text, size_t len)
{
    size_t  i;
    char    c;

    if (len == 0 || len > 64) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        c = text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || (i > 0 && (c == '_' || c == '.' || c == ':' || c == '-'))))
        {
            return 0;
        }
    }
    return 1;
}

static int
analytics_hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = (char) (c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* application/x-www-form-urlencoded: %XX and '+'; a broken escape stays as
 * it is. out has room for len bytes. Returns the decoded length. */
static size_t
analytics_percent_decode(const char *in, size_t len, char *out)
{
    size_t  i, n;

    n = 0;
    for (i = 0; i < len; i++) {
        if (in[i] == '+') {
            out[n++] = ' ';
        } else if (in[i] == '%' && i + 2 < len
                   && analytics_hex_value(in[i + 1]) >= 0 && analytics_hex_value(in[i + 2]) >= 0)
        {
            out[n++] = (char) (analytics_hex_value(in[i + 1]) * 16 + analytics_hex_value(in[i + 2]));
            i += 2;
        } else {
            out[n++] = in[i];
        }
    }
    return n;
}

static const analytics_string_rule  analytics_collect_tenant = {
    "tenant", ANALYTICS_TENANT_REF_MAX_LEN, "The tenant field is required.", "The tenant field must be a string.",
    "The tenant field must not be greater than 64 characters."
};

/* the fields the event's metadata keeps */
static const char *const analytics_collect_kept[] = { "url", "referrer", "name", "props", "trackerId", NULL };

/* a string of at most the URL limit that is an http(s) URL */
static int
analytics_collect_is_url(json_t *value)
{
    return json_is_string(value) && json_string_length(value) <= ANALYTICS_COLLECT_URL_MAX_LEN
           && analytics_is_web_url(json_string_value(value), json_string_length(value));
}

static analytics_body_status
analytics_collect_fields(json_t *root, void *request_out, const void *rules, analytics_validation_errors *errors)
{
    analytics_track_request  *request;
    json_t                   *url, *referrer, *name, *props, *tracker;

    request = request_out;
    (void) rules;

    analytics_json_string_rule(analytics_json_required_field(root, "tenant"), &analytics_collect_tenant, errors,
                               &request->tenant_ref, &request->tenant_ref_len);

    url = analytics_json_required_field(root, "url");
    if (url == NULL) {
        analytics_validation_errors_add(errors, "url", "The url field is required.");
    } else if (!analytics_collect_is_url(url)) {
        analytics_validation_errors_add(errors, "url", "The url field must be a valid URL.");
    }

    referrer = analytics_json_required_field(root, "referrer");
    if (referrer != NULL && !analytics_collect_is_url(referrer)) {
        analytics_validation_errors_add(errors, "referrer", "The referrer field must be a valid URL.");
    }

    name = analytics_json_field(root, "name");
    if (name != NULL
        && (!json_is_string(name) || !analytics_is_event_name(json_string_value(name), json_string_length(name))))
    {
        analytics_validation_errors_add(errors, "name",
            "The name field must be 1 to 64 letters, digits, _ . : or - starting with a letter or digit.");
    }

    props = analytics_json_field(root, "props");
    if (props != NULL && !json_is_object(props)) {
        analytics_validation_errors_add(errors, "props", "The props field must be an object.");
    }

    tracker = analytics_json_field(root, "trackerId");
    if (tracker != NULL && !analytics_json_text(tracker, 1, 128, &request->tracker_id, &request->tracker_id_len)) {
        analytics_validation_errors_add(errors, "trackerId", "The tracker id field must be a string of 1 to 128 characters.");
    }

    if (errors->count > 0) {
        return ANALYTICS_BODY_INVALID;
    }

    request->type = name != NULL ? json_string_value(name) : "pageview";
    return analytics_json_keep_text(analytics_json_pick(root, analytics_collect_kept), 0, &request->metadata_json,
                                    &request->metadata_json_len);
}

analytics_body_status
analytics_collect_request_parse(const char *body, size_t len, analytics_track_request *request,
    analytics_validation_errors *errors, char *problem_buf, size_t problem_size)
{
    memset(request, 0, sizeof(*request));
    return analytics_json_request_parse(body, len, &request->document, analytics_collect_fields, request, NULL,
                                        errors, problem_buf, problem_size);
}

analytics_body_status
analytics_collect_request_check(void *object, analytics_track_request *request, analytics_validation_errors *errors)
{
    memset(request, 0, sizeof(*request));
    analytics_validation_errors_init(errors);
    request->document = json_incref(object);
    return analytics_collect_fields(object, request, NULL, errors);
}

analytics_body_status
analytics_collect_query_parse(const char *query, size_t len, analytics_track_request *request,
    analytics_validation_errors *errors, char *problem_buf, size_t problem_size)
{
    json_t       *root, *value;
    json_error_t  error;
    const char   *pair, *end, *equals, *field;
    char         *key, *text;
    size_t        key_len, text_len, i;

    memset(request, 0, sizeof(*request));
    analytics_validation_errors_init(errors);
    (void) problem_buf;
    (void) problem_size;

    root = json_object();
    key = malloc(len + 1);
    text = malloc(len + 1);
    if (root == NULL || key == NULL || text == NULL) {
        json_decref(root);
        free(key);
        free(text);
        return ANALYTICS_BODY_NO_MEMORY;
    }
    request->document = root;

    for (pair = query; pair < query + len; pair = end + 1) {
        end = memchr(pair, '&', (size_t) (query + len - pair));
        if (end == NULL) {
            end = query + len;
        }
        equals = memchr(pair, '=', (size_t) (end - pair));
        key_len = analytics_percent_decode(pair, (size_t) ((equals ? equals : end) - pair), key);
        text_len = equals ? analytics_percent_decode(equals + 1, (size_t) (end - equals - 1), text) : 0;

        field = NULL;
        for (i = 0; i < sizeof(analytics_collect_names) / sizeof(analytics_collect_names[0]); i++) {
            if (strlen(analytics_collect_names[i].query) == key_len
                && memcmp(analytics_collect_names[i].query, key, key_len) == 0)
            {
                field = analytics_collect_names[i].field;
            }
        }
        /* unknown keys (a cache buster) are ignored; the first of a repeated key counts */
        if (field == NULL || json_object_get(root, field) != NULL) {
            continue;
        }
        if (strcmp(field, "props") == 0) {
            value = json_loadb(text, text_len, JSON_REJECT_DUPLICATES, &error);
            if (value == NULL) {
                /* not JSON: kept as text, which the rules refuse */
                value = json_stringn(text, text_len);
            }
        } else {
            value = json_stringn(text, text_len);
        }
        if (value == NULL) {
            /* invalid UTF-8 or NUL: a value of the wrong type, refused by the rules */
            value = json_false();
        }
        json_object_set_new(root, field, value);
    }
    free(key);
    free(text);
    return analytics_collect_fields(root, request, NULL, errors);
}
