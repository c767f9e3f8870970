#include "conversion_request.h"
#include "event_time.h"
#include "json_body.h"
#include "json_field.h"
#include "track_request.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int
analytics_slug_is_valid(const char *text, size_t len)
{
    size_t i;

    if (len < 3 || len > 64 || text[0] == '-' || text[len - 1] == '-') {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (text[i] == '-') {
            if (text[i - 1] == '-') {
                return 0;
            }
        } else if (!((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= '0' && text[i] <= '9'))) {
            return 0;
        }
    }
    return 1;
}

int
analytics_currency_exponent(const char code[3])
{
    static const char *const zero[] = {
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
        "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF", NULL
    };
    static const char *const three[] = {
        "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND", NULL
    };
    size_t i;

    for (i = 0; zero[i] != NULL; i++) {
        if (memcmp(zero[i], code, 3) == 0) return 0;
    }
    for (i = 0; three[i] != NULL; i++) {
        if (memcmp(three[i], code, 3) == 0) return 3;
    }
    return 2;
}

static const char *
analytics_conversion_event(const char *value, size_t len)
{
    size_t i;

    for (i = 0; analytics_track_types[i] != NULL; i++) {
        if (strlen(analytics_track_types[i]) == len && memcmp(analytics_track_types[i], value, len) == 0) {
            return analytics_track_types[i];
        }
    }
    return NULL;
}

/* transaction_id: a string, or a whole number kept as its decimal text */
static const char *
analytics_conversion_transaction(json_t *root, analytics_conversion_request *request)
{
    json_t  *txn;

    txn = json_object_get(root, "transaction_id");
    if (json_is_string(txn) && json_string_length(txn) > 0) {
        request->transaction_id = json_string_value(txn);
        request->transaction_id_len = json_string_length(txn);
    } else if (json_is_integer(txn)) {
        json_object_set_new(root, "transaction_id", json_sprintf("%" JSON_INTEGER_FORMAT, json_integer_value(txn)));
        txn = json_object_get(root, "transaction_id");
        request->transaction_id = json_string_value(txn);
        request->transaction_id_len = json_string_length(txn);
    }
    request->transaction_json = json_dumps(request->transaction_id ? txn : json_null(), JSON_ENCODE_ANY | JSON_COMPACT);
    if (request->transaction_json == NULL) {
        return "out of memory";
    }
    if (txn != NULL && !json_is_null(txn) && request->transaction_id == NULL) {
        return "transaction_id is not a string";
    }
    if (request->transaction_id_len > ANALYTICS_TRANSACTION_ID_MAX_LEN) {
        return "transaction_id is longer than 128 characters";
    }
    return NULL;
}

/* currency: an ISO 4217 code in any case, HNL when absent */
static const char *
analytics_conversion_currency(json_t *root, analytics_conversion_request *request)
{
    json_t      *currency;
    const char  *code;
    char         upper;
    int          i;

    currency = analytics_json_field(root, "currency");
    if (currency == NULL) {
        memcpy(request->currency, "HNL", 4);
        return NULL;
    }
    if (!json_is_string(currency) || json_string_length(currency) != 3) {
        return "currency is not an ISO 4217 code";
    }
    code = json_string_value(currency);
    for (i = 0; i < 3; i++) {
        upper = (code[i] >= 'a' && code[i] <= 'z') ? (char) (code[i] - 32) : code[i];
        if (upper < 'A' || upper > 'Z') {
            return "currency is not an ISO 4217 code";
        }
        request->currency[i] = upper;
    }
    request->currency[3] = '\0';
    return NULL;
}

/* value: a number or numeric text, 0 when absent, in the currency's minor units */
static const char *
analytics_conversion_value(json_t *root, analytics_conversion_request *request)
{
    json_t  *value;
    double   amount;
    char    *end;

    value = analytics_json_field(root, "value");
    if (value == NULL) {
        amount = 0.0;
    } else if (json_is_number(value)) {
        amount = json_number_value(value);
    } else if (json_is_string(value) && json_string_length(value) > 0 && json_string_length(value) < 32) {
        amount = strtod(json_string_value(value), &end);
        if (*end != '\0') {
            return "value is not a number";
        }
    } else {
        return "value is not a number";
    }
    if (!isfinite(amount) || amount < 0 || amount > 1e13) {
        return "value is negative or too large";
    }
    request->value_minor = (int64_t) llround(amount * pow(10, analytics_currency_exponent(request->currency)));
    return NULL;
}

/* event (purchase when absent) and timestamp */
static const char *
analytics_conversion_occurrence(json_t *root, analytics_conversion_request *request)
{
    json_t  *event, *timestamp;

    event = analytics_json_field(root, "event");
    if (event == NULL) {
        request->event = "purchase";
    } else if (json_is_string(event)) {
        request->event = analytics_conversion_event(json_string_value(event), json_string_length(event));
    }
    if (request->event == NULL) {
        return "event is not a known interaction type";
    }

    timestamp = analytics_json_field(root, "timestamp");
    if (timestamp != NULL) {
        if (!analytics_json_time(timestamp, &request->occurred_at_ms)) {
            return "timestamp is not ISO 8601";
        }
        request->has_occurred_at = 1;
    }
    return NULL;
}

static const char *
analytics_conversion_metadata(analytics_conversion_request *request)
{
    json_t  *metadata;
    char     occurred[ANALYTICS_RFC3339_MS_LEN + 1];

    metadata = json_object();
    json_object_set_new(metadata, "transaction_id",
                        request->transaction_id ? json_stringn(request->transaction_id, request->transaction_id_len)
                                                : json_null());
    json_object_set_new(metadata, "value_minor", json_integer(request->value_minor));
    json_object_set_new(metadata, "currency", json_string(request->currency));
    json_object_set_new(metadata, "event", json_string(request->event));
    if (request->has_occurred_at) {
        analytics_time_format_rfc3339_ms(request->occurred_at_ms, occurred);
        json_object_set_new(metadata, "occurred_at", json_string(occurred));
    }
    if (analytics_json_keep_text(metadata, 0, &request->metadata_json, &request->metadata_json_len)
        != ANALYTICS_BODY_OK)
    {
        return "out of memory";
    }
    return NULL;
}

int
analytics_conversion_request_parse(const char *body, size_t len,
    analytics_conversion_request *request, const char **reason)
{
    json_t        *root, *slug;
    json_error_t   error;

    memset(request, 0, sizeof(*request));

    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &error);
    if (root == NULL) {
        *reason = "the body is not JSON";
        return -1;
    }
    request->document = root;
    if (!json_is_object(root)) {
        *reason = "the body is not a JSON object";
        return -1;
    }

    *reason = analytics_conversion_transaction(root, request);
    if (*reason != NULL) {
        return -1;
    }

    slug = json_object_get(root, "tenant_slug");
    if (!json_is_string(slug) || json_string_length(slug) == 0) {
        *reason = "tenant_slug is missing";
        return -1;
    }
    if (!analytics_slug_is_valid(json_string_value(slug), json_string_length(slug))) {
        *reason = "tenant_slug is not a slug";
        return -1;
    }
    request->tenant_slug = json_string_value(slug);
    request->tenant_slug_len = json_string_length(slug);

    *reason = analytics_conversion_currency(root, request);
    if (*reason == NULL) {
        *reason = analytics_conversion_value(root, request);
    }
    if (*reason == NULL) {
        *reason = analytics_conversion_occurrence(root, request);
    }
    if (*reason == NULL) {
        *reason = analytics_conversion_metadata(request);
    }
    return *reason == NULL ? 0 : -1;
}

void
analytics_conversion_request_free(analytics_conversion_request *request)
{
    analytics_json_text_free(request->metadata_json);
    analytics_json_text_free(request->transaction_json);
    json_decref(request->document);
    memset(request, 0, sizeof(*request));
}
