#include "order_mark_request.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int
analytics_order_session_is_valid(const char *text, size_t len)
{
    size_t i;
    char   c;

    if (len == 0 || len > ANALYTICS_ORDER_SESSION_MAX_LEN) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        c = text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '.' || c == '_' || c == ':' || c == '-'))
        {
            return 0;
        }
    }
    return 1;
}

analytics_body_status
analytics_order_mark_request_parse(const char *body, size_t len,
    analytics_order_mark_request *request, analytics_validation_errors *errors,
    char *problem_buf, size_t problem_size)
{
    json_t       *root, *website, *session, *mark;
    json_error_t  error;

    memset(request, 0, sizeof(*request));
    analytics_validation_errors_init(errors);
    request->mark = 1;

    root = len == 0 ? json_object()
                    : json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);
    if (root == NULL) {
        snprintf(problem_buf, problem_size, "Malformed JSON body: %s.",
                 len == 0 ? "out of memory" : error.text);
        return ANALYTICS_BODY_MALFORMED;
    }
    request->document = root;
    if (!json_is_object(root)) {
        snprintf(problem_buf, problem_size, "The request body must be a JSON object.");
        return ANALYTICS_BODY_MALFORMED;
    }

    website = json_object_get(root, "website_id");
    if (website == NULL || json_is_null(website)
        || (json_is_string(website) && json_string_length(website) == 0))
    {
        analytics_validation_errors_add(errors, "website_id", "The website id field is required.");
    } else if (json_is_integer(website) && json_integer_value(website) > 0) {
        snprintf(request->website_text, sizeof(request->website_text), "%lld",
                 (long long) json_integer_value(website));
        request->website_ref = request->website_text;
        request->website_ref_len = strlen(request->website_text);
    } else if (!json_is_string(website)) {
        analytics_validation_errors_add(errors, "website_id", "The website id field must be a string.");
    } else if (json_string_length(website) > ANALYTICS_TENANT_REF_MAX_LEN) {
        analytics_validation_errors_add(errors, "website_id",
            "The website id field must not be greater than 64 characters.");
    } else {
        request->website_ref = json_string_value(website);
        request->website_ref_len = json_string_length(website);
    }

    session = json_object_get(root, "order_session");
    if (session == NULL || json_is_null(session)
        || (json_is_string(session) && json_string_length(session) == 0))
    {
        analytics_validation_errors_add(errors, "order_session", "The order session field is required.");
    } else if (!json_is_string(session)) {
        analytics_validation_errors_add(errors, "order_session", "The order session field must be a string.");
    } else if (!analytics_order_session_is_valid(json_string_value(session), json_string_length(session))) {
        analytics_validation_errors_add(errors, "order_session",
            "The order session field must be 1 to 191 letters, digits, dots, colons, underscores or hyphens.");
    } else {
        request->order_session = json_string_value(session);
        request->order_session_len = json_string_length(session);
    }

    mark = json_object_get(root, "mark");
    if (mark != NULL && !json_is_null(mark)) {
        if (!json_is_boolean(mark)) {
            analytics_validation_errors_add(errors, "mark", "The mark field must be true or false.");
        } else {
            request->mark = json_is_true(mark);
        }
    } else if (mark != NULL) {
        request->mark = 0;   /* null only reads */
    }

    return errors->count > 0 ? ANALYTICS_BODY_INVALID : ANALYTICS_BODY_OK;
}

void
analytics_order_mark_request_free(analytics_order_mark_request *request)
{
    if (request->document != NULL) {
        json_decref((json_t *) request->document);
    }
    memset(request, 0, sizeof(*request));
}
