/*
 * POST /api/v1/analytics/track: the body's rules (SPEC.md, public-analytics-api).
 * Parsing is separate from validation so the same rules serve the module, the
 * fuzzer and the unit tests.
 */
#ifndef ANALYTICS_TRACK_REQUEST_H
#define ANALYTICS_TRACK_REQUEST_H

#include "validation_errors.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_TENANT_REF_MAX_LEN 64   /* a slug's maximum; a uuid is 36 */

typedef enum {
    ANALYTICS_BODY_OK = 0,
    ANALYTICS_BODY_MALFORMED,    /* not JSON, or not a JSON object: 400 */
    ANALYTICS_BODY_INVALID,      /* JSON object breaking a field rule: 422 */
    ANALYTICS_BODY_NO_MEMORY
} analytics_body_status;

typedef struct {
    /* points into the parsed document, valid until analytics_track_request_free */
    const char *tenant_ref;
    size_t      tenant_ref_len;
    const char *type;             /* one of analytics_track_types, static */
    int         has_product_id;
    int64_t     product_id;
    char       *metadata_json;    /* compact object text, product_id merged in; malloc'd */
    size_t      metadata_json_len;
    void       *document;         /* the parsed json_t, owned */
} analytics_track_request;

extern const char *const analytics_track_types[];

/*
 * Parses and validates body. On ANALYTICS_BODY_MALFORMED, problem holds a
 * short reason (static or in problem_buf); on ANALYTICS_BODY_INVALID, errors
 * lists every failing field. Always call analytics_track_request_free.
 * An empty body counts as an empty object, as form frameworks do.
 */
analytics_body_status analytics_track_request_parse(const char *body, size_t len,
    analytics_track_request *request, analytics_validation_errors *errors,
    char *problem_buf, size_t problem_size);

void analytics_track_request_free(analytics_track_request *request);

#ifdef __cplusplus
}
#endif

#endif
