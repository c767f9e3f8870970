#include "order_mark_request.h"
#include "json_field.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const analytics_string_rule  analytics_order_website = {
    "website_id", ANALYTICS_TENANT_REF_MAX_LEN, "The website id field is required.",
    "The website id field must be a string.", "The website id field must not be greater than 64 characters."
};
static const analytics_string_rule  analytics_order_session = {
    "order_session", SIZE_MAX, "The order session field is required.", "The order session field must be a string.",
    NULL
};

/* the fields' rules, run once the body is a JSON object */
static analytics_body_status analytics_order_mark_fields(json_t *root, void *request_out, const void *rules,
    analytics_validation_errors *errors);

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
    memset(request, 0, sizeof(*request));
    request->mark = 1;
    return analytics_json_request_parse(body, len, &request->document, analytics_order_mark_fields, request, NULL,
                                        errors, problem_buf, problem_size);
}

static analytics_body_status
analytics_order_mark_fields(json_t *root, void *request_out, const void *rules, analytics_validation_errors *errors)
{
    analytics_order_mark_request  *request;
    json_t                        *website, *mark;

    request = request_out;
    (void) rules;

    /* a site's id sent as a number (1, not "1") is taken as its text */
    website = analytics_json_required_field(root, "website_id");
    if (json_is_integer(website) && json_integer_value(website) > 0) {
        analytics_json_number_text((long long) json_integer_value(website), request->website_text,
                                   sizeof(request->website_text), &request->website_ref, &request->website_ref_len);
    } else {
        analytics_json_string_rule(website, &analytics_order_website, errors, &request->website_ref,
                                   &request->website_ref_len);
    }

    if (analytics_json_string_rule(analytics_json_required_field(root, "order_session"), &analytics_order_session,
                                   errors, &request->order_session, &request->order_session_len)
        && !analytics_order_session_is_valid(request->order_session, request->order_session_len))
    {
        analytics_validation_errors_add(errors, "order_session",
            "The order session field must be 1 to 191 letters, digits, dots, colons, underscores or hyphens.");
        request->order_session = NULL;
        request->order_session_len = 0;
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
    json_decref(request->document);
    memset(request, 0, sizeof(*request));
}
