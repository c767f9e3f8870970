/*
 * The bodies of POST /api/v1/analytics/track and POST /api/v1/interactions
 * (docs/api.md, public-analytics-api): a tenant, a type from a list, an optional
 * product and metadata. The two differ in the tenant's JSON type and the list
 * of types; analytics_event_rules holds the difference.
 */
#ifndef ANALYTICS_TRACK_REQUEST_H
#define ANALYTICS_TRACK_REQUEST_H

#include "json_body.h"
#include "validation_errors.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_TENANT_REF_MAX_LEN 64   /* a slug's maximum; a uuid is 36 */

typedef struct {
    const char *const *types;           /* NULL-terminated */
    int                tenant_is_integer;  /* else a string: uuid, slug or id */
} analytics_event_rules;

/* track: tenant_id a string; whatsapp_click, call, location_view, cart_add,
 * social_share, conversion, purchase */
extern const analytics_event_rules analytics_track_rules;
/* interactions: tenant_id an integer; view, whatsapp_click, call_click, maps_click */
extern const analytics_event_rules analytics_interaction_rules;

typedef struct {
    /* points into the parsed document (or tenant_text), valid until
     * analytics_track_request_free */
    const char *tenant_ref;
    size_t      tenant_ref_len;
    const char *type;             /* one of analytics_track_types, static */
    int         has_product_id;
    int64_t     product_id;
    char       *metadata_json;    /* compact object text, product_id merged in; malloc'd */
    size_t      metadata_json_len;
    void       *document;         /* the parsed json_t, owned */
    const char *tracker_id;       /* the tracker's trackerId, or NULL; points into the document */
    size_t      tracker_id_len;
    char        tenant_text[24];  /* an integer tenant_id as text */
} analytics_track_request;

extern const char *const analytics_track_types[];

/*
 * Parses and validates body. On ANALYTICS_BODY_MALFORMED, problem holds a
 * short reason (static or in problem_buf); on ANALYTICS_BODY_INVALID, errors
 * lists every failing field. Always call analytics_track_request_free.
 * An empty body counts as an empty object, as form frameworks do.
 */
analytics_body_status analytics_track_request_parse(const char *body, size_t len,
    const analytics_event_rules *rules, analytics_track_request *request,
    analytics_validation_errors *errors, char *problem_buf, size_t problem_size);

/* the same checks on an object already parsed (an event of a batch, a
 * json_t); request holds a reference to it */
analytics_body_status analytics_track_request_check(void *object, const analytics_event_rules *rules,
    analytics_track_request *request, analytics_validation_errors *errors);

void analytics_track_request_free(analytics_track_request *request);

#ifdef __cplusplus
}
#endif

#endif
