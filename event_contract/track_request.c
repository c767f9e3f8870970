#include "track_request.h"
#include "json_body.h"
#include "json_field.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const analytics_string_rule  analytics_track_tenant = {
    "tenant_id", ANALYTICS_TENANT_REF_MAX_LEN, "The tenant id field is required.",
    "The tenant id field must be a string.", "The tenant id field must not be greater than 64 characters."
};
static const analytics_string_rule  analytics_track_type = {
    "type", SIZE_MAX, "The type field is required.", "The type field must be a string.", NULL
};

/* the fields' rules, run once the body is a JSON object */
static analytics_body_status analytics_track_fields(json_t *root, void *request_out, const void *rules,
    analytics_validation_errors *errors);

const char *const analytics_track_types[] = {
    "whatsapp_click", "call", "location_view", "cart_add",
    "social_share", "conversion", "purchase", NULL
};

static const char *const analytics_interaction_types[] = {
    "view", "whatsapp_click", "call_click", "maps_click", NULL
};

const analytics_event_rules analytics_track_rules = { analytics_track_types, 0 };
const analytics_event_rules analytics_interaction_rules = { analytics_interaction_types, 1 };

static const char *
analytics_type_lookup(const char *const *types, const char *value, size_t len)
{
    size_t i;

    for (i = 0; types[i] != NULL; i++) {
        if (strlen(types[i]) == len && memcmp(types[i], value, len) == 0) {
            return types[i];
        }
    }
    return NULL;
}

/* an integer, or a string of digits (as Laravel's integer rule takes) */
static int
analytics_json_whole_number(json_t *value, json_int_t *out)
{
    const char *text;
    size_t      i, len;
    json_int_t  n = 0;

    if (json_is_integer(value)) {
        *out = json_integer_value(value);
        return 1;
    }
    if (!json_is_string(value)) {
        return 0;
    }
    text = json_string_value(value);
    len = json_string_length(value);
    if (len == 0 || len > 18) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return 0;
        }
        n = n * 10 + (text[i] - '0');
    }
    *out = n;
    return 1;
}

analytics_body_status
analytics_track_request_parse(const char *body, size_t len,
    const analytics_event_rules *rules, analytics_track_request *request,
    analytics_validation_errors *errors, char *problem_buf, size_t problem_size)
{
    memset(request, 0, sizeof(*request));
    return analytics_json_request_parse(body, len, &request->document, analytics_track_fields, request, rules,
                                        errors, problem_buf, problem_size);
}

static analytics_body_status
analytics_track_fields(json_t *root, void *request_out, const void *rules_in, analytics_validation_errors *errors)
{
    analytics_track_request      *request;
    const analytics_event_rules  *rules;
    json_t                       *tenant, *product, *metadata, *merged;
    json_int_t                    number;
    const char                   *type_name, *type_text;
    size_t                        type_len;
    int                           failed;

    request = request_out;
    rules = rules_in;
    number = 0;

    tenant = analytics_json_required_field(root, "tenant_id");
    if (tenant == NULL || !rules->tenant_is_integer) {
        analytics_json_string_rule(tenant, &analytics_track_tenant, errors, &request->tenant_ref,
                                   &request->tenant_ref_len);
    } else if (!analytics_json_whole_number(tenant, &number)) {
        analytics_validation_errors_add(errors, "tenant_id", "The tenant id field must be an integer.");
    } else if (number < 1) {
        analytics_validation_errors_add(errors, "tenant_id", "The tenant id field must be at least 1.");
    } else {
        analytics_json_number_text((long long) number, request->tenant_text, sizeof(request->tenant_text),
                                   &request->tenant_ref, &request->tenant_ref_len);
    }

    if (analytics_json_string_rule(analytics_json_required_field(root, "type"), &analytics_track_type, errors,
                                   &type_text, &type_len))
    {
        type_name = analytics_type_lookup(rules->types, type_text, type_len);
        if (type_name == NULL) {
            analytics_validation_errors_add(errors, "type", "The selected type is invalid.");
        }
        request->type = type_name;
    }

    product = analytics_json_field(root, "product_id");
    if (product != NULL) {
        if (!json_is_integer(product)) {
            analytics_validation_errors_add(errors, "product_id",
                "The product id field must be an integer.");
        } else if (json_integer_value(product) < 1) {
            analytics_validation_errors_add(errors, "product_id",
                "The product id field must be at least 1.");
        } else {
            request->has_product_id = 1;
            request->product_id = json_integer_value(product);
        }
    }

    metadata = analytics_json_field(root, "metadata");
    if (metadata != NULL && !json_is_object(metadata)) {
        analytics_validation_errors_add(errors, "metadata", "The metadata field must be an object.");
    }

    if (errors->count > 0) {
        return ANALYTICS_BODY_INVALID;
    }

    /* the body's own metadata object takes the product: the document is ours */
    merged = metadata != NULL ? json_incref(metadata) : json_object();
    failed = request->has_product_id
             && json_object_set_new(merged, "product_id", json_integer(request->product_id)) != 0;
    return analytics_json_keep_text(merged, failed, &request->metadata_json, &request->metadata_json_len);
}

analytics_body_status
analytics_track_request_check(void *object, const analytics_event_rules *rules, analytics_track_request *request,
    analytics_validation_errors *errors)
{
    memset(request, 0, sizeof(*request));
    analytics_validation_errors_init(errors);
    request->document = json_incref(object);
    return analytics_track_fields(object, request, rules, errors);
}

void
analytics_track_request_free(analytics_track_request *request)
{
    analytics_json_text_free(request->metadata_json);
    json_decref(request->document);
    memset(request, 0, sizeof(*request));
}
