/*
 * POST /services/webshop/v1/orders/mark-purchase-tracked: which order of
 * which website, and whether to mark it (docs/api.md, mark-purchase-tracked-api).
 */
#ifndef ANALYTICS_ORDER_MARK_REQUEST_H
#define ANALYTICS_ORDER_MARK_REQUEST_H

#include "track_request.h"
#include "validation_errors.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANALYTICS_ORDER_SESSION_MAX_LEN 191

typedef struct {
    const char *website_ref;    size_t website_ref_len;   /* uuid, slug or numeric id */
    const char *order_session;  size_t order_session_len;
    int         mark;           /* true or absent: mark; false or null: only read */
    void       *document;
    char        website_text[24];   /* an integer website_id as text */
} analytics_order_mark_request;

analytics_body_status analytics_order_mark_request_parse(const char *body, size_t len,
    analytics_order_mark_request *request, analytics_validation_errors *errors,
    char *problem_buf, size_t problem_size);

void analytics_order_mark_request_free(analytics_order_mark_request *request);

/* 1 when text is an order session: 1 to 191 characters of [A-Za-z0-9._:-] */
int analytics_order_session_is_valid(const char *text, size_t len);

#ifdef __cplusplus
}
#endif

#endif
