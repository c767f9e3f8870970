/*
 * The content handler, in the order a request meets it: the method, the
 * body (read by us, bounded by analytics_body_limit), the endpoint's parse;
 * then the answer's headers (CORS, rate limit) and its sending.
 */
#include "ngx_http_analytics_module.h"
#include "ngx_http_analytics_json_memory.h"

#include "body_encoding.h"
#include "web_origin.h"


static ngx_int_t ngx_http_analytics_preflight(ngx_http_request_t *r);
static ngx_int_t ngx_http_analytics_pixel(ngx_http_request_t *r,
    const ngx_http_analytics_endpoint_t *endpoint);
static void ngx_http_analytics_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_analytics_collect_body(ngx_http_request_t *r,
    ngx_http_analytics_ctx_t *ctx);
static ngx_int_t ngx_http_analytics_decode_body(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *body);
static void ngx_http_analytics_dispatch(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx);
static ngx_http_analytics_ctx_t *ngx_http_analytics_create_ctx(ngx_http_request_t *r,
    const ngx_http_analytics_endpoint_t *endpoint);
static ngx_int_t ngx_http_analytics_too_large(ngx_http_request_t *r,
    const ngx_http_analytics_endpoint_t *endpoint);
static ngx_int_t ngx_http_analytics_send_body(ngx_http_request_t *r, ngx_str_t *body);
static ngx_int_t ngx_http_analytics_cors_headers(ngx_http_request_t *r,
    const ngx_http_analytics_endpoint_t *preflight);
static ngx_str_t *ngx_http_analytics_cors_allowed(ngx_http_request_t *r, ngx_http_analytics_loc_conf_t *alcf,
    ngx_table_elt_t *origin);
static ngx_table_elt_t *ngx_http_analytics_request_header(ngx_http_request_t *r,
    const char *name);


static ngx_str_t  ngx_http_analytics_json_type = ngx_string("application/json");
static ngx_str_t  ngx_http_analytics_gif_type = ngx_string("image/gif");

/* the smallest transparent 1x1 GIF */
static u_char  ngx_http_analytics_gif[] = {
    'G', 'I', 'F', '8', '9', 'a', 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b
};


ngx_int_t
ngx_http_analytics_handler(ngx_http_request_t *r)
{
    ngx_int_t                             rc;
    ngx_http_analytics_ctx_t             *ctx;
    ngx_http_analytics_loc_conf_t        *alcf;
    const ngx_http_analytics_endpoint_t  *endpoint;

    try {
        if (r->method == NGX_HTTP_OPTIONS) {
            return ngx_http_analytics_preflight(r);
        }

        alcf = ngx_http_analytics_loc_conf(r);
        endpoint = ngx_http_analytics_endpoint_of(alcf->endpoint);

        if (r->method == NGX_HTTP_GET && endpoint->get_is_hit) {
            return ngx_http_analytics_pixel(r, endpoint);
        }

        if (r->method != NGX_HTTP_POST) {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }
            if (ngx_http_analytics_add_header(r, "Allow", endpoint->allow) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
            return ngx_http_analytics_send_refusal(r, endpoint->family, NGX_HTTP_NOT_ALLOWED);
        }

        /* refuse before reading a byte of a body announced too large */
        if (r->headers_in.content_length_n > (off_t) alcf->body_limit) {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }
            return ngx_http_analytics_too_large(r, endpoint);
        }

        ctx = ngx_http_analytics_create_ctx(r, endpoint);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* we read the body ourselves into a buffer of at most the limit: no
         * temporary file, and every 413 in the family's shape, chunked or not */
        r->request_body_no_buffering = 1;

        rc = ngx_http_read_client_request_body(r, ngx_http_analytics_body_handler);
        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }
        return NGX_DONE;

    } catch (...) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
}


static ngx_int_t
ngx_http_analytics_preflight(ngx_http_request_t *r)
{
    ngx_int_t                             rc;
    const ngx_http_analytics_endpoint_t  *endpoint;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }
    endpoint = ngx_http_analytics_endpoint_of(ngx_http_analytics_loc_conf(r)->endpoint);

    r->headers_out.status = NGX_HTTP_NO_CONTENT;
    r->header_only = 1;
    r->headers_out.content_length_n = 0;
    if (ngx_http_analytics_add_header(r, "Allow", endpoint->allow) != NGX_OK
        || ngx_http_analytics_cors_headers(r, endpoint) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    return ngx_http_send_header(r);
}


/* GET /collect.gif: the hit is in the query string, there is no body */
static ngx_int_t
ngx_http_analytics_pixel(ngx_http_request_t *r, const ngx_http_analytics_endpoint_t *endpoint)
{
    ngx_int_t                  rc;
    ngx_http_analytics_ctx_t  *ctx;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }
    ctx = ngx_http_analytics_create_ctx(r, endpoint);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ctx->gif = 1;
    ctx->body = r->args.data;
    ctx->body_len = r->args.len;

    /* the request is finalized here or by the Redis reply, as a POST is */
    r->main->count++;
    ngx_http_analytics_dispatch(r, ctx);
    return NGX_DONE;
}


/*
 * Runs when the first part of the body is in, and again (as the request's
 * read handler) whenever more arrives, until the body is whole or too large.
 */
static void
ngx_http_analytics_body_handler(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_http_analytics_ctx_t  *ctx;

    try {
        ctx = static_cast<ngx_http_analytics_ctx_t *>(
            ngx_http_get_module_ctx(r, ngx_http_analytics_module));

        for ( ;; ) {
            rc = ngx_http_analytics_collect_body(r, ctx);

            if (rc == NGX_OK) {
                r->read_event_handler = ngx_http_block_reading;
                ngx_http_analytics_dispatch(r, ctx);
                return;
            }

            if (rc == NGX_DECLINED) {
                /* nginx closes the connection after the answer: the rest of
                 * the body is never read */
                r->read_event_handler = ngx_http_block_reading;
                ngx_http_finalize_request(r, ngx_http_analytics_too_large(r, ctx->endpoint));
                return;
            }

            if (rc == NGX_ERROR) {
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
                return;
            }

            rc = ngx_http_read_unbuffered_request_body(r);
            if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
                ngx_http_finalize_request(r, rc);
                return;
            }
            if (r->request_body->bufs == NULL) {
                r->read_event_handler = ngx_http_analytics_body_handler;
                return;
            }
        }

    } catch (...) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}


/* moves what nginx read into ctx's buffer: NGX_OK when the body is whole,
 * NGX_AGAIN for more, NGX_DECLINED when over analytics_body_limit */
static ngx_int_t
ngx_http_analytics_collect_body(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx)
{
    size_t                          size;
    ngx_buf_t                      *b;
    ngx_uint_t                      last;
    ngx_chain_t                    *cl;
    ngx_http_analytics_loc_conf_t  *alcf;

    alcf = ngx_http_analytics_loc_conf(r);

    if (r->request_body == NULL) {
        return NGX_OK;
    }

    last = 0;
    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        if (b->in_file) {
            return NGX_ERROR;   /* unbuffered bodies stay in memory */
        }
        size = b->last - b->pos;
        if (ctx->body_len + size > alcf->body_limit) {
            return NGX_DECLINED;
        }
        if (size > 0) {
            if (ctx->body == NULL) {
                /* the announced length when known, else room for the limit */
                ctx->body = static_cast<u_char *>(ngx_pnalloc(r->pool,
                    r->headers_in.chunked ? alcf->body_limit
                                          : (size_t) r->headers_in.content_length_n));
                if (ctx->body == NULL) {
                    return NGX_ERROR;
                }
            }
            ngx_memcpy(ctx->body + ctx->body_len, b->pos, size);
            ctx->body_len += size;
            b->pos = b->last;
        }
        if (b->last_buf) {
            last = 1;
        }
    }
    r->request_body->bufs = NULL;
    /* nginx 1.22 says 0 for the length of a chunked body: its end is the
     * buffer marked last */
    if (last
        || (!r->headers_in.chunked && (off_t) ctx->body_len >= r->headers_in.content_length_n))
    {
        return NGX_OK;
    }
    return NGX_AGAIN;
}



/*
 * A body sent with Content-Encoding gzip or deflate, inflated into a buffer
 * of analytics_body_limit: the endpoint reads no more than from a plain
 * body, and a zip bomb costs no more. NGX_DECLINED with body set to what
 * to parse; else what sending the refusal returned (413, 415, 400)
 */
static ngx_int_t
ngx_http_analytics_decode_body(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_str_t *body)
{
    u_char                         *inflated;
    size_t                          len;
    ngx_table_elt_t                *header;
    analytics_inflate_result        result;
    analytics_content_encoding      encoding;
    ngx_http_analytics_loc_conf_t  *alcf;

    header = ngx_http_analytics_request_header(r, "Content-Encoding");
    if (header == NULL) {
        return NGX_DECLINED;
    }
    encoding = analytics_content_encoding_of(reinterpret_cast<const char *>(header->value.data), header->value.len);
    if (encoding == ANALYTICS_ENCODING_IDENTITY) {
        return NGX_DECLINED;
    }
    if (encoding == ANALYTICS_ENCODING_UNSUPPORTED) {
        return ngx_http_analytics_send_body_refusal(r, ctx, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                                    "The Content-Encoding must be gzip, deflate or identity.");
    }

    alcf = ngx_http_analytics_loc_conf(r);
    inflated = static_cast<u_char *>(ngx_pnalloc(r->pool, alcf->body_limit));
    if (inflated == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    result = analytics_inflate(encoding, body->data, body->len, inflated, alcf->body_limit, &len);
    if (result == ANALYTICS_INFLATE_TOO_LARGE) {
        return ngx_http_analytics_too_large(r, ctx->endpoint);
    }
    if (result != ANALYTICS_INFLATE_OK) {
        return ngx_http_analytics_send_body_refusal(r, ctx, NGX_HTTP_BAD_REQUEST,
                   encoding == ANALYTICS_ENCODING_GZIP ? "The body is not valid gzip data."
                                                       : "The body is not valid deflate data.");
    }
    body->data = inflated;
    body->len = len;
    return NGX_DECLINED;
}


/* the endpoint's parse queues its call, or answers at once */
static void
ngx_http_analytics_dispatch(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx)
{
    ngx_int_t  rc;
    ngx_str_t  body;

    body.data = ctx->body;
    body.len = ctx->body_len;

    try {
        rc = ctx->gif ? NGX_DECLINED : ngx_http_analytics_decode_body(r, ctx, &body);
        if (rc == NGX_DECLINED) {
            ngx_http_analytics_json_memory_scope  json_memory(r->pool);

            rc = ctx->endpoint->parse(r, ctx, &body);
        }
    } catch (...) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* NGX_DONE: the Redis reply finalizes the request */
    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


static ngx_http_analytics_ctx_t *
ngx_http_analytics_create_ctx(ngx_http_request_t *r, const ngx_http_analytics_endpoint_t *endpoint)
{
    ngx_http_analytics_ctx_t  *ctx;

    ctx = static_cast<ngx_http_analytics_ctx_t *>(ngx_pcalloc(r->pool, sizeof(ngx_http_analytics_ctx_t)));
    if (ctx == NULL) {
        return NULL;
    }
    ctx->endpoint = endpoint;
    ctx->cost = 1;
    ngx_http_set_ctx(r, ctx, ngx_http_analytics_module);
    return ctx;
}


static ngx_int_t
ngx_http_analytics_too_large(ngx_http_request_t *r, const ngx_http_analytics_endpoint_t *endpoint)
{
    return ngx_http_analytics_send_refusal(r, endpoint->family, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE);
}


/* the tracker's pixel: never cached, so every view is a hit */
ngx_int_t
ngx_http_analytics_send_gif(ngx_http_request_t *r)
{
    static ngx_str_t  no_store = ngx_string("no-store");
    ngx_str_t         body;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_type = ngx_http_analytics_gif_type;
    r->headers_out.content_type_len = ngx_http_analytics_gif_type.len;
    r->headers_out.content_length_n = sizeof(ngx_http_analytics_gif);
    if (ngx_http_analytics_add_header(r, "Cache-Control", &no_store) != NGX_OK
        || ngx_http_analytics_cors_headers(r, NULL) != NGX_OK)
    {
        return NGX_ERROR;
    }
    body.data = ngx_http_analytics_gif;
    body.len = sizeof(ngx_http_analytics_gif);
    return ngx_http_analytics_send_body(r, &body);
}


ngx_int_t
ngx_http_analytics_send_json(ngx_http_request_t *r, ngx_uint_t status, ngx_str_t *body)
{
    r->headers_out.status = status;
    if (status == NGX_HTTP_ANALYTICS_UNPROCESSABLE_ENTITY) {
        /* nginx 1.22 has no reason phrase of its own for 422 */
        ngx_str_set(&r->headers_out.status_line, "422 Unprocessable Entity");
    }
    r->headers_out.content_type = ngx_http_analytics_json_type;
    r->headers_out.content_type_len = ngx_http_analytics_json_type.len;
    r->headers_out.content_length_n = body->len;

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        static ngx_str_t  one_second = ngx_string("1");

        if (ngx_http_analytics_add_header(r, "Retry-After", &one_second) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (ngx_http_analytics_cors_headers(r, NULL) != NGX_OK) {
        return NGX_ERROR;
    }
    return ngx_http_analytics_send_body(r, body);
}


/* the header as set, then body, which outlives the request (static or pool) */
static ngx_int_t
ngx_http_analytics_send_body(ngx_http_request_t *r, ngx_str_t *body)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = static_cast<ngx_buf_t *>(ngx_calloc_buf(r->pool));
    if (b == NULL) {
        return NGX_ERROR;
    }
    b->pos = body->data;
    b->last = body->data + body->len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;
    return ngx_http_output_filter(r, &out);
}


/* name is a static string; value must live as long as the request */
ngx_int_t
ngx_http_analytics_add_header(ngx_http_request_t *r, const char *name, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = static_cast<ngx_table_elt_t *>(ngx_list_push(&r->headers_out.headers));
    if (h == NULL) {
        return NGX_ERROR;
    }
    h->hash = 1;
    h->key.data = reinterpret_cast<u_char *>(const_cast<char *>(name));
    h->key.len = ngx_strlen(name);
    h->value = *value;
    return NGX_OK;
}


ngx_int_t
ngx_http_analytics_rate_headers(ngx_http_request_t *r, ngx_int_t limit, ngx_int_t remaining)
{
    ngx_str_t  value;

    value.data = static_cast<u_char *>(ngx_pnalloc(r->pool, 2 * NGX_INT_T_LEN));
    if (value.data == NULL) {
        return NGX_ERROR;
    }
    value.len = ngx_sprintf(value.data, "%i", limit) - value.data;
    if (ngx_http_analytics_add_header(r, "X-RateLimit-Limit", &value) != NGX_OK) {
        return NGX_ERROR;
    }
    value.data += value.len;
    value.len = ngx_sprintf(value.data, "%i", ngx_max(remaining, 0)) - value.data;
    return ngx_http_analytics_add_header(r, "X-RateLimit-Remaining", &value);
}


/* Retry-After in whole seconds, never 0 */
void
ngx_http_analytics_retry_after(ngx_http_request_t *r, ngx_int_t seconds)
{
    ngx_str_t  retry;

    retry.data = static_cast<u_char *>(ngx_pnalloc(r->pool, NGX_INT_T_LEN));
    if (retry.data != NULL) {
        retry.len = ngx_sprintf(retry.data, "%i", ngx_max(seconds, 1)) - retry.data;
        ngx_http_analytics_add_header(r, "Retry-After", &retry);
    }
}


/*
 * Access-Control-* for an allowed Origin; a preflight (its endpoint given)
 * also gets the methods and headers the endpoint takes, for a day. With
 * analytics_tenant_origins a browser's beacon lets any origin in here: the
 * tenant is in the body, so its POST is where the origin is checked.
 */
static ngx_int_t
ngx_http_analytics_cors_headers(ngx_http_request_t *r, const ngx_http_analytics_endpoint_t *preflight)
{
    static ngx_str_t                      max_age = ngx_string("86400");
    static ngx_str_t                      vary = ngx_string("Origin");
    static ngx_str_t                      exposed =
        ngx_string("X-RateLimit-Limit, X-RateLimit-Remaining, Retry-After");
    ngx_str_t                            *value;
    ngx_table_elt_t                      *origin;
    ngx_http_analytics_loc_conf_t        *alcf;
    const ngx_http_analytics_endpoint_t  *endpoint;

    alcf = ngx_http_analytics_loc_conf(r);
    endpoint = ngx_http_analytics_endpoint_of(alcf->endpoint);

    if (alcf->cors_origins == NULL && !(alcf->tenant_origins && endpoint->from_browser)) {
        return NGX_OK;
    }
    if (ngx_http_analytics_add_header(r, "Vary", &vary) != NGX_OK) {
        return NGX_ERROR;
    }

    origin = ngx_http_analytics_request_header(r, "Origin");
    if (origin == NULL) {
        return NGX_OK;
    }

    value = ngx_http_analytics_cors_allowed(r, alcf, origin);
    if (value == NULL && alcf->tenant_origins && endpoint->from_browser) {
        value = &origin->value;
    }
    if (value == NULL) {
        return NGX_OK;
    }

    if (ngx_http_analytics_add_header(r, "Access-Control-Allow-Origin", value) != NGX_OK) {
        return NGX_ERROR;
    }
    if (preflight == NULL) {
        return ngx_http_analytics_add_header(r, "Access-Control-Expose-Headers", &exposed);
    }
    if (ngx_http_analytics_add_header(r, "Access-Control-Allow-Methods", preflight->allow) != NGX_OK
        || ngx_http_analytics_add_header(r, "Access-Control-Allow-Headers", preflight->cors_headers) != NGX_OK
        || ngx_http_analytics_add_header(r, "Access-Control-Max-Age", &max_age) != NGX_OK)
    {
        return NGX_ERROR;
    }
    return NGX_OK;
}


/* Access-Control-Allow-Origin's value when analytics_cors_origin lets
 * origin in ("*" or the origin itself), else NULL */
static ngx_str_t *
ngx_http_analytics_cors_allowed(ngx_http_request_t *r, ngx_http_analytics_loc_conf_t *alcf,
    ngx_table_elt_t *origin)
{
    static ngx_str_t                   any = ngx_string("*");
    ngx_int_t                          matched;
    ngx_uint_t                         i;
    ngx_http_analytics_cors_origin_t  *allowed;

    if (alcf->cors_origins == NULL) {
        return NULL;
    }
    allowed = static_cast<ngx_http_analytics_cors_origin_t *>(alcf->cors_origins->elts);
    for (i = 0; i < alcf->cors_origins->nelts; i++) {
        if (allowed[i].regex != NULL) {
            matched = ngx_regex_exec(allowed[i].regex, &origin->value, NULL, 0);
            if (matched >= 0) {
                return &origin->value;
            }
            if (matched != NGX_REGEX_NO_MATCHED) {
                ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                              "analytics: " ngx_regex_exec_n " failed: %i on \"%V\" using \"%V\"",
                              matched, &origin->value, &allowed[i].origin);
            }
            continue;
        }
        if (allowed[i].origin.len == 1 && allowed[i].origin.data[0] == '*') {
            return &any;
        }
        if (allowed[i].origin.len == origin->value.len
            && ngx_strncasecmp(allowed[i].origin.data, origin->value.data, origin->value.len) == 0)
        {
            return &origin->value;
        }
    }
    return NULL;
}


/*
 * The origin an ingest call asks the tenant to have registered
 * (analytics_tenant_origins), normalised as the aggregator stores it; an
 * Origin that is no origin ("null", from a sandboxed frame or a file) is
 * sent as "null", which no tenant can register. Empty when there is none
 * to check: the location does not ask, the endpoint is no browser's
 * beacon, the request names no origin (a server, an image), or
 * analytics_cors_origin lets its origin in for every tenant.
 */
ngx_int_t
ngx_http_analytics_origin_to_check(ngx_http_request_t *r, const ngx_http_analytics_endpoint_t *endpoint,
    ngx_str_t *origin)
{
    static ngx_str_t                unusable = ngx_string("null");
    u_char                         *normalised;
    ngx_table_elt_t                *header;
    ngx_http_analytics_loc_conf_t  *alcf;

    alcf = ngx_http_analytics_loc_conf(r);
    /* empty, not NULL: an argument's bytes are copied (memcpy takes no NULL) */
    ngx_str_set(origin, "");

    if (!alcf->tenant_origins || !endpoint->from_browser) {
        return NGX_OK;
    }
    header = ngx_http_analytics_request_header(r, "Origin");
    if (header == NULL || ngx_http_analytics_cors_allowed(r, alcf, header) != NULL) {
        return NGX_OK;
    }

    normalised = static_cast<u_char *>(ngx_pnalloc(r->pool, ANALYTICS_ORIGIN_MAX + 1));
    if (normalised == NULL) {
        return NGX_ERROR;
    }
    origin->len = analytics_origin_normalise(reinterpret_cast<const char *>(header->value.data), header->value.len,
                                             reinterpret_cast<char *>(normalised), ANALYTICS_ORIGIN_MAX + 1);
    origin->data = normalised;
    if (origin->len == 0) {
        *origin = unusable;
    }
    return NGX_OK;
}


/* nginx 1.22 keeps no pointer to most request headers: search the list */
static ngx_table_elt_t *
ngx_http_analytics_request_header(ngx_http_request_t *r, const char *name)
{
    size_t            len;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);
    part = &r->headers_in.headers.part;
    h = static_cast<ngx_table_elt_t *>(part->elts);

    for (i = 0; /* void */ ; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }
            part = part->next;
            h = static_cast<ngx_table_elt_t *>(part->elts);
            i = 0;
        }
        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, reinterpret_cast<u_char *>(const_cast<char *>(name)),
                               len) == 0)
        {
            return &h[i];
        }
    }
}
