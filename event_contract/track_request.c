#include "track_request.h"
#include "json_body.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

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
    json_t                *root, *tenant, *type, *product, *metadata, *merged;
    json_int_t             number;
    const char            *type_name;
    analytics_body_status  status;

    memset(request, 0, sizeof(*request));
    analytics_validation_errors_init(errors);
    number = 0;

    root = NULL;
    status = analytics_json_object_load(body, len, (void **) &root, problem_buf, problem_size);
    request->document = root;
    if (status != ANALYTICS_BODY_OK) {
        return status;
    }

    tenant = json_object_get(root, "tenant_id");
    if (tenant == NULL || json_is_null(tenant)
        || (json_is_string(tenant) && json_string_length(tenant) == 0))
    {
        analytics_validation_errors_add(errors, "tenant_id", "The tenant id field is required.");
    } else if (rules->tenant_is_integer) {
        if (!analytics_json_whole_number(tenant, &number)) {
            analytics_validation_errors_add(errors, "tenant_id",
                                            "The tenant id field must be an integer.");
        } else if (number < 1) {
            analytics_validation_errors_add(errors, "tenant_id",
                                            "The tenant id field must be at least 1.");
        } else {
            snprintf(request->tenant_text, sizeof(request->tenant_text), "%lld", (long long) number);
            request->tenant_ref = request->tenant_text;
            request->tenant_ref_len = strlen(request->tenant_text);
        }
    } else if (!json_is_string(tenant)) {
        analytics_validation_errors_add(errors, "tenant_id", "The tenant id field must be a string.");
    } else if (json_string_length(tenant) > ANALYTICS_TENANT_REF_MAX_LEN) {
        analytics_validation_errors_add(errors, "tenant_id",
            "The tenant id field must not be greater than 64 characters.");
    } else {
        request->tenant_ref = json_string_value(tenant);
        request->tenant_ref_len = json_string_length(tenant);
    }

    type = json_object_get(root, "type");
    if (type == NULL || json_is_null(type)
        || (json_is_string(type) && json_string_length(type) == 0))
    {
        analytics_validation_errors_add(errors, "type", "The type field is required.");
    } else if (!json_is_string(type)) {
        analytics_validation_errors_add(errors, "type", "The type field must be a string.");
    } else {
        type_name = analytics_type_lookup(rules->types, json_string_value(type),
                                          json_string_length(type));
        if (type_name == NULL) {
            analytics_validation_errors_add(errors, "type", "The selected type is invalid.");
        }
        request->type = type_name;
    }

    product = json_object_get(root, "product_id");
    if (product != NULL && !json_is_null(product)) {
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

    metadata = json_object_get(root, "metadata");
    if (metadata != NULL && !json_is_null(metadata) && !json_is_object(metadata)) {
        analytics_validation_errors_add(errors, "metadata", "The metadata field must be an object.");
    }

    if (errors->count > 0) {
        return ANALYTICS_BODY_INVALID;
    }

    /* the body's own metadata object takes the product: the document is ours */
    merged = json_is_object(metadata) ? json_incref(metadata) : json_object();
    if (merged == NULL) {
        return ANALYTICS_BODY_NO_MEMORY;
    }
    if (request->has_product_id
        && json_object_set_new(merged, "product_id", json_integer(request->product_id)) != 0)
    {
        json_decref(merged);
        return ANALYTICS_BODY_NO_MEMORY;
    }
    request->metadata_json = json_dumps(merged, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(merged);
    if (request->metadata_json == NULL) {
        return ANALYTICS_BODY_NO_MEMORY;
    }
    request->metadata_json_len = strlen(request->metadata_json);

    return ANALYTICS_BODY_OK;
}

void
analytics_track_request_free(analytics_track_request *request)
{
    if (request->metadata_json != NULL) {
        free(request->metadata_json);
    }
    if (request->document != NULL) {
        json_decref((json_t *) request->document);
    }
    memset(request, 0, sizeof(*request));
}
