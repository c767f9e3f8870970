/*
 * The analytics collector: answers the public beacon endpoints inside nginx,
 * validates them with the shared event contract, and hands each accepted
 * event to Redis in one FCALL on the worker's pipelined connection.
 */
#include "ngx_http_analytics_nginx.h"
#include "ngx_http_analytics_redis.h"

#include "json_text.h"
#include "stream_entry.h"
#include "track_request.h"

#include <sys/random.h>


#define NGX_HTTP_ANALYTICS_UNPROCESSABLE_ENTITY  422


typedef struct {
    ngx_http_analytics_redis_conf_t   redis;
    ngx_flag_t                        redis_configured;
    ngx_flag_t                        endpoints_used;
    ngx_str_t                         stream;
    ngx_str_t                         tenants_key;
} ngx_http_analytics_main_conf_t;


typedef enum {
    NGX_HTTP_ANALYTICS_ENDPOINT_NONE = 0,
    NGX_HTTP_ANALYTICS_ENDPOINT_TRACK
} ngx_http_analytics_endpoint_e;


typedef struct {
    ngx_uint_t                        endpoint;
    size_t                            body_limit;
    ngx_http_complex_value_t         *country;
} ngx_http_analytics_loc_conf_t;


static ngx_int_t ngx_http_analytics_track_handler(ngx_http_request_t *r);
static void ngx_http_analytics_track_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_analytics_track_dispatch(ngx_http_request_t *r);
static void ngx_http_analytics_track_reply(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_analytics_body_text(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_http_analytics_country(ngx_http_request_t *r,
    ngx_http_analytics_loc_conf_t *alcf, ngx_str_t *country);
static void ngx_http_analytics_event_random(unsigned char random[10]);
static ngx_int_t ngx_http_analytics_send_json(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *body);
static void ngx_http_analytics_finish(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body);
static ngx_int_t ngx_http_analytics_json_error(ngx_http_request_t *r,
    const char *field, const char *message, ngx_str_t *body);
static ngx_int_t ngx_http_analytics_too_large(ngx_http_request_t *r);
static ngx_int_t ngx_http_analytics_set_allow(ngx_http_request_t *r);

static void *ngx_http_analytics_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_analytics_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_analytics_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_analytics_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_analytics_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_analytics_track(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_analytics_init_process(ngx_cycle_t *cycle);
static void ngx_http_analytics_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_analytics_commands[] = {

    { ngx_string("analytics_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_analytics_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("analytics_redis_connect_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_analytics_main_conf_t, redis.connect_timeout),
      NULL },

    { ngx_string("analytics_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_analytics_main_conf_t, redis.command_timeout),
      NULL },

    { ngx_string("analytics_redis_max_pending"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_analytics_main_conf_t, redis.max_pending),
      NULL },

    { ngx_string("analytics_stream"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_analytics_main_conf_t, stream),
      NULL },

    { ngx_string("analytics_track"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_analytics_track,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("analytics_body_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_analytics_loc_conf_t, body_limit),
      NULL },

    { ngx_string("analytics_country"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_analytics_loc_conf_t, country),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_analytics_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_analytics_create_main_conf,   /* create main configuration */
    ngx_http_analytics_init_main_conf,     /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_analytics_create_loc_conf,    /* create location configuration */
    ngx_http_analytics_merge_loc_conf      /* merge location configuration */
};


extern "C" {

ngx_module_t  ngx_http_analytics_module = {
    NGX_MODULE_V1,
    &ngx_http_analytics_module_ctx,        /* module context */
    ngx_http_analytics_commands,           /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_analytics_init_process,       /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_analytics_exit_process,       /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};

}


static ngx_str_t  ngx_http_analytics_accepted =
    ngx_string("{\"success\":true,\"message\":\"Event accepted for processing\"}");
static ngx_str_t  ngx_http_analytics_tenant_not_found =
    ngx_string("{\"success\":false,\"message\":\"Tenant not found or not available\"}");
static ngx_str_t  ngx_http_analytics_unavailable =
    ngx_string("{\"success\":false,\"message\":\"Service temporarily unavailable\"}");
static ngx_str_t  ngx_http_analytics_method_not_allowed =
    ngx_string("{\"message\":\"Method not allowed: use POST.\","
               "\"errors\":{\"method\":[\"Only POST and OPTIONS are supported.\"]}}");

static ngx_str_t  ngx_http_analytics_json_type = ngx_string("application/json");
static ngx_str_t  ngx_http_analytics_allowed_methods = ngx_string("POST, OPTIONS");

/* per worker; seeded from the kernel so hosts with equal pids never collide */
static uint64_t  ngx_http_analytics_random_state;


static ngx_int_t
ngx_http_analytics_track_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_http_analytics_loc_conf_t  *alcf;

    try {
        if (r->method == NGX_HTTP_OPTIONS) {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }
            r->headers_out.status = NGX_HTTP_NO_CONTENT;
            r->header_only = 1;
            r->headers_out.content_length_n = 0;
            if (ngx_http_analytics_set_allow(r) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
            return ngx_http_send_header(r);
        }

        if (r->method != NGX_HTTP_POST) {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }
            if (ngx_http_analytics_set_allow(r) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
            return ngx_http_analytics_send_json(r, NGX_HTTP_NOT_ALLOWED,
                                                &ngx_http_analytics_method_not_allowed);
        }

        alcf = static_cast<ngx_http_analytics_loc_conf_t *>(
            ngx_http_get_module_loc_conf(r, ngx_http_analytics_module));

        /* refuse before reading a byte of a body announced too large */
        if (r->headers_in.content_length_n > (off_t) alcf->body_limit) {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }
            return ngx_http_analytics_too_large(r);
        }

        r->request_body_in_single_buf = 1;

        rc = ngx_http_read_client_request_body(r, ngx_http_analytics_track_body_handler);
        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }
        return NGX_DONE;

    } catch (...) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
}


static void
ngx_http_analytics_track_body_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    try {
        rc = ngx_http_analytics_track_dispatch(r);
    } catch (...) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* NGX_DONE: the Redis reply finalizes the request */
    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


/* validates the body and queues the FCALL; returns NGX_DONE once queued,
 * otherwise the result of sending the answer */
static ngx_int_t
ngx_http_analytics_track_dispatch(ngx_http_request_t *r)
{
    size_t                           n, len;
    ngx_int_t                        rc;
    ngx_str_t                        body, answer, country;
    ngx_time_t                      *tp;
    u_char                          *p;
    char                             problem[256], errors_text[1024];
    unsigned char                    random[10];
    const char                      *argv[6 + 2 * ANALYTICS_STREAM_MAX_FIELDS];
    size_t                           argvlen[6 + 2 * ANALYTICS_STREAM_MAX_FIELDS];
    analytics_body_status            status;
    analytics_stream_entry           entry;
    analytics_track_event            event;
    analytics_track_request          request;
    analytics_validation_errors      errors;
    ngx_http_analytics_loc_conf_t   *alcf;
    ngx_http_analytics_main_conf_t  *amcf;

    alcf = static_cast<ngx_http_analytics_loc_conf_t *>(
        ngx_http_get_module_loc_conf(r, ngx_http_analytics_module));
    amcf = static_cast<ngx_http_analytics_main_conf_t *>(
        ngx_http_get_module_main_conf(r, ngx_http_analytics_module));

    rc = ngx_http_analytics_body_text(r, &body);
    if (rc == NGX_DECLINED) {
        return ngx_http_analytics_too_large(r);
    }
    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    status = analytics_track_request_parse(reinterpret_cast<const char *>(body.data), body.len,
                                           &request, &errors, problem, sizeof(problem));

    switch (status) {

    case ANALYTICS_BODY_OK:
        break;

    case ANALYTICS_BODY_MALFORMED:
        analytics_track_request_free(&request);
        if (ngx_http_analytics_json_error(r, "body", problem, &answer) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return ngx_http_analytics_send_json(r, NGX_HTTP_BAD_REQUEST, &answer);

    case ANALYTICS_BODY_INVALID:
        analytics_track_request_free(&request);
        len = analytics_validation_errors_render(&errors, errors_text, sizeof(errors_text));
        p = static_cast<u_char *>(ngx_pnalloc(r->pool, len + 1));
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        analytics_validation_errors_render(&errors, reinterpret_cast<char *>(p), len + 1);
        answer.data = p;
        answer.len = len;
        return ngx_http_analytics_send_json(r, NGX_HTTP_ANALYTICS_UNPROCESSABLE_ENTITY, &answer);

    default:
        analytics_track_request_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_analytics_event_random(random);
    tp = ngx_timeofday();
    analytics_track_event_init(&event, &request,
                               (uint64_t) tp->sec * 1000 + tp->msec, random);
    if (ngx_http_analytics_country(r, alcf, &country) == NGX_OK) {
        event.country = reinterpret_cast<const char *>(country.data);
        event.country_len = country.len;
    }
    analytics_track_event_encode(&event, &entry);

    argv[0] = "FCALL";                     argvlen[0] = 5;
    argv[1] = "analytics_track_v1";        argvlen[1] = 18;
    argv[2] = "2";                         argvlen[2] = 1;
    argv[3] = reinterpret_cast<const char *>(amcf->tenants_key.data);
    argvlen[3] = amcf->tenants_key.len;
    argv[4] = reinterpret_cast<const char *>(amcf->stream.data);
    argvlen[4] = amcf->stream.len;
    argv[5] = request.tenant_ref;          argvlen[5] = request.tenant_ref_len;
    for (n = 0; n < entry.count; n++) {
        argv[6 + 2 * n] = entry.fields[n].name;
        argvlen[6 + 2 * n] = ngx_strlen(entry.fields[n].name);
        argv[7 + 2 * n] = entry.fields[n].value;
        argvlen[7 + 2 * n] = entry.fields[n].value_len;
    }

    /* hiredis copies the command into its output buffer, so the parsed
     * request can go now */
    rc = ngx_http_analytics_redis_send(r, ngx_http_analytics_track_reply,
                                       (int) (6 + 2 * entry.count), argv, argvlen);
    analytics_track_request_free(&request);

    if (rc != NGX_OK) {
        return ngx_http_analytics_send_json(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                            &ngx_http_analytics_unavailable);
    }
    return NGX_DONE;
}


static void
ngx_http_analytics_track_reply(ngx_http_request_t *r, redisReply *reply)
{
    ngx_uint_t         status;
    ngx_str_t         *body;
    ngx_connection_t  *c;

    c = r->connection;

    try {
        if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1
            && reply->element[0]->type == REDIS_REPLY_INTEGER)
        {
            if (reply->element[0]->integer == 202 && reply->elements == 2) {
                status = NGX_HTTP_ACCEPTED;
                body = &ngx_http_analytics_accepted;
            } else if (reply->element[0]->integer == 404) {
                status = NGX_HTTP_NOT_FOUND;
                body = &ngx_http_analytics_tenant_not_found;
            } else {
                ngx_log_error(NGX_LOG_ERR, c->log, 0, "analytics: unexpected track reply %d",
                              (int) reply->element[0]->integer);
                status = NGX_HTTP_SERVICE_UNAVAILABLE;
                body = &ngx_http_analytics_unavailable;
            }
        } else {
            if (reply != NULL && reply->type == REDIS_REPLY_ERROR) {
                ngx_log_error(NGX_LOG_ERR, c->log, 0, "analytics: redis: %s", reply->str);
            }
            status = NGX_HTTP_SERVICE_UNAVAILABLE;
            body = &ngx_http_analytics_unavailable;
        }
        ngx_http_analytics_finish(r, status, body);

    } catch (...) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }

    /* we resumed r from the Redis connection's event, not its own */
    ngx_http_run_posted_requests(c);
}


/* the whole body as one piece of memory; NGX_DECLINED when over the limit
 * (a chunked body announces no length up front) */
static ngx_int_t
ngx_http_analytics_body_text(ngx_http_request_t *r, ngx_str_t *body)
{
    off_t                           total;
    u_char                         *p;
    ssize_t                         n;
    ngx_buf_t                      *b;
    ngx_chain_t                    *cl;
    ngx_http_analytics_loc_conf_t  *alcf;

    alcf = static_cast<ngx_http_analytics_loc_conf_t *>(
        ngx_http_get_module_loc_conf(r, ngx_http_analytics_module));

    body->len = 0;
    body->data = NULL;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    total = 0;
    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        total += ngx_buf_size(cl->buf);
    }
    if (total > (off_t) alcf->body_limit) {
        return NGX_DECLINED;
    }

    cl = r->request_body->bufs;
    if (cl->next == NULL && !cl->buf->in_file) {
        body->data = cl->buf->pos;
        body->len = cl->buf->last - cl->buf->pos;
        return NGX_OK;
    }

    p = static_cast<u_char *>(ngx_pnalloc(r->pool, (size_t) total + 1));
    if (p == NULL) {
        return NGX_ERROR;
    }
    body->data = p;

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;
        if (b->in_file) {
            /* only when client_body_buffer_size is below analytics_body_limit;
             * bounded by the limit and served from the page cache */
            n = ngx_read_file(b->file, p, (size_t) (b->file_last - b->file_pos), b->file_pos);
            if (n != b->file_last - b->file_pos) {
                return NGX_ERROR;
            }
            p += n;
        } else {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
        }
    }
    body->len = p - body->data;
    return NGX_OK;
}


/* ISO 3166-1 alpha-2 from the configured variable, or NGX_DECLINED */
static ngx_int_t
ngx_http_analytics_country(ngx_http_request_t *r, ngx_http_analytics_loc_conf_t *alcf,
    ngx_str_t *country)
{
    ngx_str_t  value;

    if (alcf->country == NULL
        || ngx_http_complex_value(r, alcf->country, &value) != NGX_OK
        || value.len != 2)
    {
        return NGX_DECLINED;
    }
    country->data = static_cast<u_char *>(ngx_pnalloc(r->pool, 2));
    if (country->data == NULL) {
        return NGX_DECLINED;
    }
    for (ngx_uint_t i = 0; i < 2; i++) {
        u_char ch = ngx_toupper(value.data[i]);
        if (ch < 'A' || ch > 'Z') {
            return NGX_DECLINED;
        }
        country->data[i] = ch;
    }
    country->len = 2;
    return NGX_OK;
}


/* splitmix64: ten bytes per event id, no system call per request */
static void
ngx_http_analytics_event_random(unsigned char random[10])
{
    uint64_t    z;
    ngx_uint_t  i, j;

    for (i = 0; i < 10; /* void */ ) {
        z = (ngx_http_analytics_random_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        for (j = 0; j < 8 && i < 10; j++, i++) {
            random[i] = (unsigned char) (z >> (j * 8));
        }
    }
}


static ngx_int_t
ngx_http_analytics_send_json(ngx_http_request_t *r, ngx_uint_t status, ngx_str_t *body)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_type = ngx_http_analytics_json_type;
    r->headers_out.content_type_len = ngx_http_analytics_json_type.len;
    r->headers_out.content_length_n = body->len;

    if (status == NGX_HTTP_SERVICE_UNAVAILABLE) {
        ngx_table_elt_t *retry = static_cast<ngx_table_elt_t *>(
            ngx_list_push(&r->headers_out.headers));
        if (retry == NULL) {
            return NGX_ERROR;
        }
        retry->hash = 1;
        ngx_str_set(&retry->key, "Retry-After");
        ngx_str_set(&retry->value, "1");
    }

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


static void
ngx_http_analytics_finish(ngx_http_request_t *r, ngx_uint_t status, ngx_str_t *body)
{
    ngx_http_finalize_request(r, ngx_http_analytics_send_json(r, status, body));
}


/* {"message": message, "errors": {field: [message]}} in the request's pool */
static ngx_int_t
ngx_http_analytics_json_error(ngx_http_request_t *r, const char *field, const char *message,
    ngx_str_t *body)
{
    analytics_validation_errors  errors;
    size_t                       len;
    u_char                      *p;

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


static ngx_int_t
ngx_http_analytics_too_large(ngx_http_request_t *r)
{
    ngx_str_t  body;

    if (ngx_http_analytics_json_error(r, "body",
            "The request body is larger than the configured limit.", &body) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    return ngx_http_analytics_send_json(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, &body);
}


static ngx_int_t
ngx_http_analytics_set_allow(ngx_http_request_t *r)
{
    ngx_table_elt_t  *allow;

    allow = static_cast<ngx_table_elt_t *>(ngx_list_push(&r->headers_out.headers));
    if (allow == NULL) {
        return NGX_ERROR;
    }
    allow->hash = 1;
    ngx_str_set(&allow->key, "Allow");
    allow->value = ngx_http_analytics_allowed_methods;
    return NGX_OK;
}


static void *
ngx_http_analytics_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_analytics_main_conf_t  *amcf;

    amcf = static_cast<ngx_http_analytics_main_conf_t *>(
        ngx_pcalloc(cf->pool, sizeof(ngx_http_analytics_main_conf_t)));
    if (amcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     amcf->stream = { 0, NULL };
     *     amcf->redis.address = { 0, NULL };
     */

    amcf->redis.connect_timeout = NGX_CONF_UNSET_MSEC;
    amcf->redis.command_timeout = NGX_CONF_UNSET_MSEC;
    amcf->redis.max_pending = NGX_CONF_UNSET_UINT;
    amcf->redis_configured = 0;
    amcf->endpoints_used = 0;

    return amcf;
}


static char *
ngx_http_analytics_init_main_conf(ngx_conf_t *cf, void *conf)
{
    auto  *amcf = static_cast<ngx_http_analytics_main_conf_t *>(conf);

    ngx_conf_init_msec_value(amcf->redis.connect_timeout, 1000);
    ngx_conf_init_msec_value(amcf->redis.command_timeout, 1000);
    ngx_conf_init_uint_value(amcf->redis.max_pending, 4096);

    if (amcf->stream.data == NULL) {
        /* one hash tag keeps every key of a call in one Redis Cluster slot */
        ngx_str_set(&amcf->stream, "{analytics}:events");
    }
    ngx_str_set(&amcf->tenants_key, "{analytics}:tenants");

    if (amcf->redis.max_pending == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"analytics_redis_max_pending\" must be at least 1");
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    if (amcf->endpoints_used && !amcf->redis_configured) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "analytics endpoints are configured but \"analytics_redis\" is not");
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_analytics_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_analytics_loc_conf_t  *alcf;

    alcf = static_cast<ngx_http_analytics_loc_conf_t *>(
        ngx_pcalloc(cf->pool, sizeof(ngx_http_analytics_loc_conf_t)));
    if (alcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     alcf->endpoint = NGX_HTTP_ANALYTICS_ENDPOINT_NONE;
     */

    alcf->body_limit = NGX_CONF_UNSET_SIZE;
    alcf->country = static_cast<ngx_http_complex_value_t *>(NGX_CONF_UNSET_PTR);

    return alcf;
}


static char *
ngx_http_analytics_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    auto  *prev = static_cast<ngx_http_analytics_loc_conf_t *>(parent);
    auto  *conf = static_cast<ngx_http_analytics_loc_conf_t *>(child);

    (void) cf;

    ngx_conf_merge_size_value(conf->body_limit, prev->body_limit, 16384);
    ngx_conf_merge_ptr_value(conf->country, prev->country, NULL);

    return NGX_CONF_OK;
}


/* analytics_redis host:port; resolved now, as hiredis' resolver would block */
static char *
ngx_http_analytics_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto        *amcf = static_cast<ngx_http_analytics_main_conf_t *>(conf);
    ngx_str_t   *value;
    ngx_url_t    u;
    size_t       len;

    (void) cmd;

    if (amcf->redis_configured) {
        return const_cast<char *>("is duplicate");
    }

    value = static_cast<ngx_str_t *>(cf->args->elts);

    ngx_memzero(&u, sizeof(ngx_url_t));
    u.url = value[1];
    u.default_port = 6379;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        if (u.err) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s in analytics_redis \"%V\"",
                               u.err, &u.url);
        }
        return static_cast<char *>(NGX_CONF_ERROR);
    }
    if (u.naddrs == 0 || u.addrs[0].sockaddr->sa_family == AF_UNIX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "analytics_redis \"%V\" must name a TCP host and port", &u.url);
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, amcf->redis.ip,
                        NGX_SOCKADDR_STRLEN, 0);
    amcf->redis.ip[len] = '\0';
    amcf->redis.port = u.port;
    amcf->redis.address = value[1];
    amcf->redis_configured = 1;

    return NGX_CONF_OK;
}


static char *
ngx_http_analytics_track(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto                            *alcf = static_cast<ngx_http_analytics_loc_conf_t *>(conf);
    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_analytics_main_conf_t  *amcf;

    (void) cmd;

    if (alcf->endpoint != NGX_HTTP_ANALYTICS_ENDPOINT_NONE) {
        return const_cast<char *>("is duplicate");
    }
    alcf->endpoint = NGX_HTTP_ANALYTICS_ENDPOINT_TRACK;

    amcf = static_cast<ngx_http_analytics_main_conf_t *>(
        ngx_http_conf_get_module_main_conf(cf, ngx_http_analytics_module));
    amcf->endpoints_used = 1;

    clcf = static_cast<ngx_http_core_loc_conf_t *>(
        ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));
    clcf->handler = ngx_http_analytics_track_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_analytics_init_process(ngx_cycle_t *cycle)
{
    ngx_http_analytics_main_conf_t  *amcf;

    try {
        if (getrandom(&ngx_http_analytics_random_state,
                      sizeof(ngx_http_analytics_random_state), 0)
            != sizeof(ngx_http_analytics_random_state))
        {
            ngx_http_analytics_random_state = ((uint64_t) ngx_pid << 32) ^ ngx_current_msec;
        }

        amcf = static_cast<ngx_http_analytics_main_conf_t *>(
            ngx_http_cycle_get_module_main_conf(cycle, ngx_http_analytics_module));
        if (amcf == NULL || !amcf->redis_configured) {
            return NGX_OK;
        }
        return ngx_http_analytics_redis_init_worker(cycle, &amcf->redis);

    } catch (...) {
        return NGX_ERROR;
    }
}


static void
ngx_http_analytics_exit_process(ngx_cycle_t *cycle)
{
    (void) cycle;

    try {
        ngx_http_analytics_redis_exit_worker();
    } catch (...) {
        /* nothing can be reported to a worker that is exiting */
    }
}
