#include "json_body.h"

#include <jansson.h>
#include <stdio.h>

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
