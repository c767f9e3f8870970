/*
 * The answer bodies, in the shape of each reply family: every seed document
 * answers its errors its own way. Bodies live in the request's pool or are
 * static; either outlives the request's output.
 */
#include "ngx_http_analytics_module.h"

#include "json_text.h"


typedef struct {
    ngx_uint_t  status;
    ngx_str_t   body;
} ngx_http_analytics_canned_t;

/* a refusal's canned answer in the Laravel family and in /services */
typedef struct {
    ngx_uint_t                   status;
    ngx_http_analytics_canned_e  laravel;
    ngx_http_analytics_canned_e  services;
} ngx_http_analytics_refusal_t;

#define NGX_HTTP_ANALYTICS_REFUSALS  4


static ngx_int_t ngx_http_analytics_family_body(ngx_http_request_t *r, ngx_http_analytics_family_e family,
    ngx_uint_t status, ngx_str_t *body);
static ngx_int_t ngx_http_analytics_laravel_error(ngx_http_request_t *r, const char *field,
    const char *message, ngx_str_t *body);
static ngx_int_t ngx_http_analytics_project_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *message, ngx_str_t *body);


static const char  ngx_http_analytics_too_large_message[] =
    "The request body is larger than the configured limit.";

/* in the order of ngx_http_analytics_canned_e */
static ngx_http_analytics_canned_t  ngx_http_analytics_canned[NGX_HTTP_ANALYTICS_CANNED_ANSWERS] = {
    { NGX_HTTP_ACCEPTED,
      ngx_string("{\"success\":true,\"message\":\"Event accepted for processing\"}") },
    { NGX_HTTP_NOT_FOUND,
      ngx_string("{\"success\":false,\"message\":\"Tenant not found or not available\"}") },
    { NGX_HTTP_FORBIDDEN,
      ngx_string("{\"success\":false,\"message\":\"Origin not allowed for this tenant\"}") },
    { NGX_HTTP_ANALYTICS_UNPROCESSABLE_ENTITY,
      ngx_string("{\"message\":\"The selected product id is invalid.\","
                 "\"errors\":{\"product_id\":[\"The selected product id is invalid.\"]}}") },
    { NGX_HTTP_CREATED, ngx_string("{\"status\":\"success\"}") },
    { NGX_HTTP_ACCEPTED, ngx_string("{\"status\":\"accepted\"}") },
    { NGX_HTTP_NOT_FOUND, ngx_string("{\"error\":true,\"message\":\"Order not found.\"}") },
    { NGX_HTTP_UNAUTHORIZED, ngx_string("{\"error\":true,\"message\":\"Unauthenticated.\"}") },
    { NGX_HTTP_FORBIDDEN, ngx_string("{\"error\":true,\"message\":\"This action is unauthorized.\"}") },
    { NGX_HTTP_NOT_ALLOWED,
      ngx_string("{\"message\":\"Method not allowed: use POST.\","
                 "\"errors\":{\"method\":[\"Only POST and OPTIONS are supported.\"]}}") },
    { NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
      ngx_string("{\"message\":\"The request body is larger than the configured limit.\","
                 "\"errors\":{\"body\":[\"The request body is larger than the configured limit.\"]}}") },
    { NGX_HTTP_TOO_MANY_REQUESTS, ngx_string("{\"message\":\"Too Many Attempts.\",\"errors\":{}}") },
    { NGX_HTTP_SERVICE_UNAVAILABLE,
      ngx_string("{\"success\":false,\"message\":\"Service temporarily unavailable\"}") },
    { NGX_HTTP_NOT_ALLOWED, ngx_string("{\"error\":true,\"message\":\"Method not allowed: use POST.\"}") },
    { NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
      ngx_string("{\"error\":true,\"message\":\"The request body is larger than the configured limit.\"}") },
    { NGX_HTTP_TOO_MANY_REQUESTS, ngx_string("{\"error\":true,\"message\":\"Too Many Attempts.\"}") },
    { NGX_HTTP_SERVICE_UNAVAILABLE,
      ngx_string("{\"error\":true,\"message\":\"Service temporarily unavailable\"}") }
};

static const ngx_http_analytics_refusal_t  ngx_http_analytics_refusals[NGX_HTTP_ANALYTICS_REFUSALS] = {
    { NGX_HTTP_NOT_ALLOWED, NGX_HTTP_ANALYTICS_LARAVEL_NOT_ALLOWED, NGX_HTTP_ANALYTICS_SERVICES_NOT_ALLOWED },
    { NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, NGX_HTTP_ANALYTICS_LARAVEL_TOO_LARGE, NGX_HTTP_ANALYTICS_SERVICES_TOO_LARGE },
    { NGX_HTTP_TOO_MANY_REQUESTS, NGX_HTTP_ANALYTICS_LARAVEL_TOO_MANY, NGX_HTTP_ANALYTICS_SERVICES_TOO_MANY },
    { NGX_HTTP_SERVICE_UNAVAILABLE, NGX_HTTP_ANALYTICS_LARAVEL_UNAVAILABLE, NGX_HTTP_ANALYTICS_SERVICES_UNAVAILABLE }
};


/*
 * The body of a refusal that is not the endpoint's own: a wrong method
 * (405), a body too large (413), the limit (429), Redis away (503), each
 * in its family's shape: the /services routes answer {"error":true,...}
 * for all four, as for their own errors.
 */
static ngx_int_t
ngx_http_analytics_family_body(ngx_http_request_t *r, ngx_http_analytics_family_e family,
    ngx_uint_t status, ngx_str_t *body)
{
    ngx_uint_t                   i;
    ngx_http_analytics_canned_e  answer;

    if (family == NGX_HTTP_ANALYTICS_FAMILY_PROJECT) {
        switch (status) {
        case NGX_HTTP_NOT_ALLOWED:
            return ngx_http_analytics_project_error(r, status, "Method not allowed: use POST.", body);
        case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
            return ngx_http_analytics_project_error(r, status, ngx_http_analytics_too_large_message, body);
        case NGX_HTTP_TOO_MANY_REQUESTS:
            return ngx_http_analytics_project_error(r, status, "Too Many Requests", body);
        default:
            return ngx_http_analytics_project_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                                    "Service temporarily unavailable", body);
        }
    }

    /* the last row answers any other status: Redis away */
    for (i = 0; i < NGX_HTTP_ANALYTICS_REFUSALS - 1 && ngx_http_analytics_refusals[i].status != status; i++) {
        /* void */
    }
    answer = family == NGX_HTTP_ANALYTICS_FAMILY_SERVICES ? ngx_http_analytics_refusals[i].services
                                                          : ngx_http_analytics_refusals[i].laravel;
    *body = ngx_http_analytics_canned[answer].body;
    return NGX_OK;
}


ngx_int_t
ngx_http_analytics_send_canned(ngx_http_request_t *r, ngx_http_analytics_canned_e answer)
{
    return ngx_http_analytics_send_json(r, ngx_http_analytics_canned[answer].status,
                                        &ngx_http_analytics_canned[answer].body);
}


/* a canned answer's body, for a batch's result of the same verdict */
const ngx_str_t *
ngx_http_analytics_canned_body(ngx_http_analytics_canned_e answer)
{
    return &ngx_http_analytics_canned[answer].body;
}


ngx_int_t
ngx_http_analytics_send_refusal(ngx_http_request_t *r, ngx_http_analytics_family_e family,
    ngx_uint_t status)
{
    ngx_str_t  body;

    if (ngx_http_analytics_family_body(r, family, status, &body) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    return ngx_http_analytics_send_json(r, status, &body);
}


/* what was decided before Redis (an invalid body), or Redis is away */
ngx_int_t
ngx_http_analytics_send_decided(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx)
{
    if (ctx->answer_status) {
        return ngx_http_analytics_send_json(r, ctx->answer_status, &ctx->answer_body);
    }
    return ngx_http_analytics_send_refusal(r, ctx->endpoint->family, NGX_HTTP_SERVICE_UNAVAILABLE);
}


/* a body refused before its endpoint reads it (its encoding): 400 or 415
 * with message, in the shape the family gives a malformed body */
ngx_int_t
ngx_http_analytics_send_body_refusal(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_uint_t status,
    const char *message)
{
    ngx_int_t  rc;

    if (ctx->endpoint->family == NGX_HTTP_ANALYTICS_FAMILY_PROJECT) {
        rc = ngx_http_analytics_project_error(r, status, message, &ctx->answer_body);
    } else {
        rc = ngx_http_analytics_body_error(r, ctx, ANALYTICS_BODY_MALFORMED, message, NULL);
    }
    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ctx->answer_status = status;
    return ngx_http_analytics_send_decided(r, ctx);
}


/*
 * ctx's answer for a body that failed: 422 with every failing field, or 400
 * for one that is not a JSON object, in the family's shape (services:
 * {"error":true,"message"}; project: NestJS's; the others: Laravel's
 * {"message","errors"})
 */
ngx_int_t
ngx_http_analytics_body_error(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    analytics_body_status status, const char *problem, const analytics_validation_errors *errors)
{
    size_t                       len;
    char                         text[1024];
    analytics_json_text          out;
    ngx_http_analytics_family_e  family;

    family = ctx->endpoint->family;

    if (status != ANALYTICS_BODY_MALFORMED) {
        ctx->answer_status = NGX_HTTP_ANALYTICS_UNPROCESSABLE_ENTITY;
        return ngx_http_analytics_errors_body(r, errors, &ctx->answer_body);
    }

    ctx->answer_status = NGX_HTTP_BAD_REQUEST;
    if (family == NGX_HTTP_ANALYTICS_FAMILY_PROJECT) {
        return ngx_http_analytics_project_error(r, NGX_HTTP_BAD_REQUEST, problem, &ctx->answer_body);
    }
    if (family == NGX_HTTP_ANALYTICS_FAMILY_LARAVEL) {
        return ngx_http_analytics_laravel_error(r, "body", problem, &ctx->answer_body);
    }
    analytics_json_text_init(&out, text, sizeof(text));
    analytics_json_text_raw(&out, "{\"error\":true,\"message\":");
    analytics_json_text_string(&out, problem);
    analytics_json_text_raw(&out, "}");
    len = ngx_min(analytics_json_text_finish(&out), sizeof(text) - 1);
    return ngx_http_analytics_keep(r, &ctx->answer_body, text, len);
}


/* a 422's {"message","errors"} in the request's pool (a body's, or one
 * event's of a batch) */
ngx_int_t
ngx_http_analytics_errors_body(ngx_http_request_t *r, const analytics_validation_errors *errors, ngx_str_t *body)
{
    size_t  len;
    char    text[1024];

    len = ngx_min(analytics_validation_errors_render(errors, text, sizeof(text)), sizeof(text) - 1);
    return ngx_http_analytics_keep(r, body, text, len);
}


/* a copy in the request's pool of what the parsed body (freed soon) holds */
ngx_int_t
ngx_http_analytics_keep(ngx_http_request_t *r, ngx_str_t *to, const char *from, size_t len)
{
    to->data = static_cast<u_char *>(ngx_pnalloc(r->pool, len));
    if (to->data == NULL) {
        return NGX_ERROR;
    }
    ngx_memcpy(to->data, from, len);
    to->len = len;
    return NGX_OK;
}


/* {"message": message, "errors": {field: [message]}} */
static ngx_int_t
ngx_http_analytics_laravel_error(ngx_http_request_t *r, const char *field, const char *message,
    ngx_str_t *body)
{
    size_t                       len;
    u_char                      *p;
    analytics_validation_errors  errors;

    analytics_validation_errors_init(&errors);
    analytics_validation_errors_add(&errors, field, message);

    len = analytics_validation_errors_render(&errors, NULL, 0);
    p = static_cast<u_char *>(ngx_pnalloc(r->pool, len + 1));
    if (p == NULL) {
        return NGX_ERROR;
    }
    analytics_validation_errors_render(&errors, reinterpret_cast<char *>(p), len + 1);
    body->data = p;
    body->len = len;
    return NGX_OK;
}


/* {"statusCode": status, "message": message, "error": "<reason>"}, as the
 * project routes of webmarketer-api answer errors */
static ngx_int_t
ngx_http_analytics_project_error(ngx_http_request_t *r, ngx_uint_t status, const char *message,
    ngx_str_t *body)
{
    char                 text[512], code[NGX_INT_T_LEN + 1];
    const char          *reason;
    analytics_json_text  out;

    switch (status) {
    case NGX_HTTP_BAD_REQUEST:              reason = "Bad Request"; break;
    case NGX_HTTP_NOT_ALLOWED:              reason = "Method Not Allowed"; break;
    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE: reason = "Payload Too Large"; break;
    case NGX_HTTP_UNSUPPORTED_MEDIA_TYPE:   reason = "Unsupported Media Type"; break;
    case NGX_HTTP_TOO_MANY_REQUESTS:        reason = "Too Many Requests"; break;
    default:                                reason = "Service Unavailable";
    }
    *ngx_sprintf(reinterpret_cast<u_char *>(code), "%ui", status) = '\0';

    analytics_json_text_init(&out, text, sizeof(text));
    analytics_json_text_raw(&out, "{\"statusCode\":");
    analytics_json_text_raw(&out, code);
    analytics_json_text_raw(&out, ",\"message\":");
    analytics_json_text_string(&out, message);
    analytics_json_text_raw(&out, ",\"error\":");
    analytics_json_text_string(&out, reason);
    analytics_json_text_raw(&out, "}");
    return ngx_http_analytics_keep(r, body, text,
                                   ngx_min(analytics_json_text_finish(&out), sizeof(text) - 1));
}
