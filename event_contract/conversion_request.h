/*
 * POST /api/v1/analytics/conversion: a purchase beacon. It never fails the
 * caller: anything that cannot be recorded is "skipped" with a reason for
 * the log (docs/api.md, public-analytics-api).
 */
#ifndef ANALYTICS_CONVERSION_REQUEST_H
#define ANALYTICS_CONVERSION_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_TRANSACTION_ID_MAX_LEN 128

typedef struct {
    const char *tenant_slug;        size_t tenant_slug_len;
    const char *transaction_id;     size_t transaction_id_len;   /* NULL when absent */
    const char *event;                                           /* a track type, static */
    int64_t     value_minor;        /* in the currency's minor units */
    char        currency[4];        /* ISO 4217, upper case */
    int         has_occurred_at;
    int64_t     occurred_at_ms;
    char       *metadata_json;      /* {"transaction_id","value","currency","event"[,"occurred_at"]}; malloc'd */
    size_t      metadata_json_len;
    char       *transaction_json;   /* the echo: a JSON string or null; malloc'd */
    void       *document;
} analytics_conversion_request;

/*
 * 0: record it. -1: skip it; *reason says why. transaction_json is set in
 * both cases when the body was a JSON object. Always call
 * analytics_conversion_request_free.
 */
int analytics_conversion_request_parse(const char *body, size_t len,
    analytics_conversion_request *request, const char **reason);

void analytics_conversion_request_free(analytics_conversion_request *request);

/* digits after the decimal point of an ISO 4217 currency (2 for most) */
int analytics_currency_exponent(const char code[3]);

/* 1 for a slug as docs/api.md defines it: ^[a-z0-9]+(-[a-z0-9]+)*$, 3 to 64 */
int analytics_slug_is_valid(const char *text, size_t len);

#ifdef __cplusplus
}
#endif

#endif
