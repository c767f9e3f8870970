/*
 * The analytics collector: answers the public beacon endpoints inside nginx,
 * validates them with the shared event contract, and hands each accepted
 * event to Redis in one FCALL on the worker's pipelined connection.
 */
#include "ngx_http_analytics_nginx.h"
#include "ngx_http_analytics_redis.h"
#include "ngx_http_analytics_redis_functions.h"
#include "ngx_http_analytics_spool.h"
#include "ngx_http_analytics_local_limit.h"

#include "cluster_slot.h"
#include "collect_request.h"
#include "funnel_track_request.h"
#include "conversion_request.h"
#include "json_text.h"
#include "order_mark_request.h"
#include "project_event.h"
#include "stream_entry.h"
#include "stream_shard.h"
#include "track_request.h"

#include <openssl/evp.h>
#include <sys/random.h>


#define NGX_HTTP_ANALYTICS_UNPROCESSABLE_ENTITY  422
/* where ngx_http_analytics_fcall_head puts the rate key:
 * FCALL function numkeys tenants stream rate salts products ... */
#define NGX_HTTP_ANALYTICS_FCALL_RATE_KEY        5


/* one stream shard: its keys, all under the shard's hash tag, and its
 * connection (to the node that owns the tag's slot, on a Redis Cluster) */
typedef struct {
    ngx_http_analytics_redis_conf_t   redis;
    ngx_str_t                         tag;
    ngx_str_t                         stream;
    ngx_str_t                         tenants_key;
    ngx_str_t                         salts_key;
    ngx_str_t                         products_key;
    /* the keys every batch of ingest calls starts with */
    ngx_str_t                         batch_keys[4];
} ngx_http_analytics_shard_t;


typedef struct {
    /* every shard's connection settings, but the slot */
    ngx_http_analytics_redis_conf_t   redis;
    ngx_flag_t                        redis_configured;
    ngx_http_analytics_spool_conf_t   spool;
    /* the host's limit while Redis is away, shared by the workers */
    ngx_shm_zone_t                   *local_limit;
    size_t                            local_limit_size;
    ngx_flag_t                        endpoints_used;
    ngx_str_t                         stream;          /* the first shard's */
    ngx_uint_t                        n_shards;
    ngx_http_analytics_shard_t        shards[ANALYTICS_MAX_SHARDS];
    /* orders and tokens live in the first shard only: marking an order is
     * atomic there, and funnel/track is answered there */
    ngx_str_t                         orders_key;
    ngx_str_t                         orders_tracked_key;
    ngx_str_t                         funnel_keys[2];   /* token hashes, steps per tenant */
} ngx_http_analytics_main_conf_t;


typedef enum {
    NGX_HTTP_ANALYTICS_ENDPOINT_NONE = 0,
    NGX_HTTP_ANALYTICS_ENDPOINT_TRACK,
    NGX_HTTP_ANALYTICS_ENDPOINT_CONVERSION,
    NGX_HTTP_ANALYTICS_ENDPOINT_INTERACTIONS,
    NGX_HTTP_ANALYTICS_ENDPOINT_MARK_PURCHASE,
    NGX_HTTP_ANALYTICS_ENDPOINT_COLLECT,
    NGX_HTTP_ANALYTICS_ENDPOINT_FUNNEL_TRACK,
    NGX_HTTP_ANALYTICS_ENDPOINT_PROJECT_EVENTS
} ngx_http_analytics_endpoint_e;


/* fleet-wide, in Redis: limit requests per period for each key value */
typedef struct {
    ngx_flag_t                        enabled;
    ngx_str_t                         group;
    ngx_uint_t                        limit;
    ngx_msec_t                        period;
    ngx_http_complex_value_t         *key;
    ngx_flag_t                        per_tenant;   /* the body's tenant joins the key */
} ngx_http_analytics_rate_limit_t;


typedef struct {
    ngx_uint_t                        endpoint;
    size_t                            body_limit;
    ngx_http_complex_value_t         *country;
    ngx_http_analytics_rate_limit_t   rate;
    ngx_array_t                      *cors_origins;   /* ngx_str_t; "*" is any */
} ngx_http_analytics_loc_conf_t;


typedef struct {
    ngx_uint_t                        endpoint;
    /* a GET of the tracker's pixel: answered with the GIF once accepted */
    ngx_uint_t                        gif;
    /* the answer decided before Redis, sent once the rate limit is counted */
    ngx_uint_t                        answer_status;
    ngx_str_t                         answer_body;
    /* a conversion's transaction_id as JSON, echoed in its answer */
    ngx_str_t                         transaction_json;
    /* the tracker's trackerId: the visitor, instead of address and agent */
    ngx_str_t                         tracker;
    /* a Webmarketer event: its id as a JSON string, the answer once it is
     * in the stream (or its project is unknown: no enumeration) */
    ngx_str_t                         event_id_json;
    /* funnel/track: the steps as a JSON array, echoed as "data" */
    ngx_str_t                         steps_json;
    /* the body's tenant, for a per-tenant rate limit; empty when unknown */
    ngx_str_t                         tenant;
    /* the body as read so far, at most analytics_body_limit bytes */
    u_char                           *body;
    size_t                            body_len;
    /* an event's FCALL as it went to Redis, kept until its answer: spooled
     * if none comes (the connection dropped, a timeout, a cluster
     * redirect); NULL without a spool */
    const char                      **sent_argv;
    size_t                           *sent_argvlen;
    ngx_uint_t                        sent_argc;
    ngx_uint_t                        sent_head;
} ngx_http_analytics_ctx_t;


static ngx_int_t ngx_http_analytics_handler(ngx_http_request_t *r);
static void ngx_http_analytics_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_analytics_collect_body(ngx_http_request_t *r,
    ngx_http_analytics_ctx_t *ctx);
static void ngx_http_analytics_dispatch(ngx_http_request_t *r,
    ngx_http_analytics_ctx_t *ctx);
static ngx_int_t ngx_http_analytics_event_dispatch(ngx_http_request_t *r,
    ngx_http_analytics_ctx_t *ctx, ngx_str_t *body);
static ngx_int_t ngx_http_analytics_conversion_dispatch(ngx_http_request_t *r,
    ngx_http_analytics_ctx_t *ctx, ngx_str_t *body);
static ngx_int_t ngx_http_analytics_funnel_track_dispatch(ngx_http_request_t *r,
    ngx_http_analytics_ctx_t *ctx, ngx_str_t *body);
static ngx_int_t ngx_http_analytics_project_event_dispatch(ngx_http_request_t *r,
    ngx_http_analytics_ctx_t *ctx, ngx_str_t *body);
static ngx_int_t ngx_http_analytics_project_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *message, ngx_str_t *body);
static void ngx_http_analytics_project_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_int_t answer, ngx_int_t retry_after);
static ngx_int_t ngx_http_analytics_token_hash(ngx_http_request_t *r, u_char hex[64]);
static ngx_int_t ngx_http_analytics_body_error(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    analytics_body_status status, const char *problem, const analytics_validation_errors *errors,
    ngx_uint_t services);
static void ngx_http_analytics_funnel_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_int_t answer, ngx_int_t retry_after, redisReply *reply);
static ngx_int_t ngx_http_analytics_mark_purchase_dispatch(ngx_http_request_t *r,
    ngx_http_analytics_ctx_t *ctx, ngx_str_t *body);
static ngx_uint_t ngx_http_analytics_fcall_head(ngx_http_request_t *r,
    ngx_http_analytics_shard_t *shard, const char *function, ngx_str_t *extra_keys, ngx_uint_t n_extra,
    const char *action, const char *lookup, ngx_str_t *rate_key,
    u_char *limit_text, u_char *period_text, const char **argv, size_t *argvlen);
static ngx_int_t ngx_http_analytics_mark_answer(ngx_http_request_t *r,
    redisReply *reply, ngx_str_t *body);
static void ngx_http_analytics_retry_after(ngx_http_request_t *r, ngx_int_t seconds);
static ngx_int_t ngx_http_analytics_ingest(ngx_http_request_t *r,
    ngx_http_analytics_ctx_t *ctx, const char *lookup,
    analytics_outgoing_event *event);
static void ngx_http_analytics_reply(ngx_http_request_t *r,
    redisReply *reply);
static ngx_int_t ngx_http_analytics_conversion_answer(ngx_http_request_t *r,
    ngx_http_analytics_ctx_t *ctx, ngx_uint_t recorded);
static void ngx_http_analytics_outgoing_init(ngx_http_request_t *r,
    analytics_outgoing_event *event, const char *kind);
static ngx_int_t ngx_http_analytics_visitor_source(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *source);
static ngx_int_t ngx_http_analytics_country(ngx_http_request_t *r,
    ngx_http_analytics_loc_conf_t *alcf, ngx_str_t *country);
static void ngx_http_analytics_event_random(unsigned char random[10]);
static ngx_int_t ngx_http_analytics_keep(ngx_http_request_t *r, ngx_str_t *to, const char *from, size_t len);
static ngx_int_t ngx_http_analytics_pixel(ngx_http_request_t *r);
static ngx_int_t ngx_http_analytics_send_gif(ngx_http_request_t *r);
static ngx_int_t ngx_http_analytics_send_body(ngx_http_request_t *r, ngx_str_t *body);
static ngx_int_t ngx_http_analytics_send_json(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *body);
static void ngx_http_analytics_finish(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *body);
static ngx_int_t ngx_http_analytics_json_error(ngx_http_request_t *r,
    const char *field, const char *message, ngx_str_t *body);
static ngx_int_t ngx_http_analytics_too_large(ngx_http_request_t *r);
static ngx_int_t ngx_http_analytics_set_allow(ngx_http_request_t *r);
static ngx_int_t ngx_http_analytics_add_header(ngx_http_request_t *r,
    const char *name, ngx_str_t *value);
static ngx_int_t ngx_http_analytics_rate_headers(ngx_http_request_t *r,
    ngx_int_t limit, ngx_int_t remaining, ngx_int_t retry_after);
static ngx_int_t ngx_http_analytics_rate_key(ngx_http_request_t *r,
    ngx_http_analytics_loc_conf_t *alcf, ngx_str_t *tenant, ngx_str_t *key, ngx_uint_t *shard);
static ngx_int_t ngx_http_analytics_cors_headers(ngx_http_request_t *r,
    ngx_uint_t preflight);
static ngx_table_elt_t *ngx_http_analytics_request_header(ngx_http_request_t *r,
    const char *name);

static void *ngx_http_analytics_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_analytics_init_main_conf(ngx_conf_t *cf, void *conf);
static ngx_int_t ngx_http_analytics_init_shard(ngx_conf_t *cf, ngx_http_analytics_main_conf_t *amcf,
    ngx_uint_t k);
static void *ngx_http_analytics_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_analytics_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_analytics_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_analytics_endpoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_analytics_spool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_analytics_without_redis(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *rate_key, ngx_uint_t spool, ngx_uint_t head, ngx_uint_t argc, const char **argv, size_t *argvlen);
static void ngx_http_analytics_keep_call(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_uint_t head, ngx_uint_t argc, const char **argv, const size_t *argvlen);
static ngx_int_t ngx_http_analytics_spool_event(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_uint_t head, ngx_uint_t argc, const char **argv, size_t *argvlen);
static char *ngx_http_analytics_rate_limit(ngx_conf_t *cf, ngx_command_t *cmd,
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

    { ngx_string("analytics_spool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_analytics_spool,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("analytics_local_limit_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_analytics_main_conf_t, local_limit_size),
      NULL },

    { ngx_string("analytics_stream"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_analytics_main_conf_t, stream),
      NULL },

    { ngx_string("analytics_stream_shards"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_analytics_main_conf_t, n_shards),
      NULL },

    { ngx_string("analytics_track"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_analytics_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_ANALYTICS_ENDPOINT_TRACK,
      NULL },

    { ngx_string("analytics_interactions"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_analytics_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_ANALYTICS_ENDPOINT_INTERACTIONS,
      NULL },

    { ngx_string("analytics_mark_purchase_tracked"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_analytics_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_ANALYTICS_ENDPOINT_MARK_PURCHASE,
      NULL },

    { ngx_string("analytics_collect"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_analytics_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_ANALYTICS_ENDPOINT_COLLECT,
      NULL },

    { ngx_string("analytics_funnel_track"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_analytics_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_ANALYTICS_ENDPOINT_FUNNEL_TRACK,
      NULL },

    { ngx_string("analytics_project_events"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_analytics_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_ANALYTICS_ENDPOINT_PROJECT_EVENTS,
      NULL },

    { ngx_string("analytics_conversion"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_analytics_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_ANALYTICS_ENDPOINT_CONVERSION,
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

    { ngx_string("analytics_rate_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_analytics_rate_limit,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("analytics_cors_origin"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_array_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_analytics_loc_conf_t, cors_origins),
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

static ngx_str_t  ngx_http_analytics_interaction_recorded =
    ngx_string("{\"status\":\"success\"}");
static ngx_str_t  ngx_http_analytics_interaction_accepted =
    ngx_string("{\"status\":\"accepted\"}");
static ngx_str_t  ngx_http_analytics_unknown_product =
    ngx_string("{\"message\":\"The selected product id is invalid.\","
               "\"errors\":{\"product_id\":[\"The selected product id is invalid.\"]}}");
static ngx_str_t  ngx_http_analytics_order_not_found =
    ngx_string("{\"error\":true,\"message\":\"Order not found.\"}");
static ngx_str_t  ngx_http_analytics_services_too_many =
    ngx_string("{\"error\":true,\"message\":\"Too Many Attempts.\"}");
static ngx_str_t  ngx_http_analytics_services_unavailable =
    ngx_string("{\"error\":true,\"message\":\"Service temporarily unavailable\"}");
static ngx_str_t  ngx_http_analytics_unauthenticated =
    ngx_string("{\"error\":true,\"message\":\"Unauthenticated.\"}");
static ngx_str_t  ngx_http_analytics_forbidden =
    ngx_string("{\"error\":true,\"message\":\"This action is unauthorized.\"}");
static ngx_str_t  ngx_http_analytics_too_many =
    ngx_string("{\"message\":\"Too Many Attempts.\",\"errors\":{}}");

static ngx_str_t  ngx_http_analytics_json_type = ngx_string("application/json");
static ngx_str_t  ngx_http_analytics_allowed_methods = ngx_string("POST, OPTIONS");
static ngx_str_t  ngx_http_analytics_collect_methods = ngx_string("GET, POST, OPTIONS");
static ngx_str_t  ngx_http_analytics_gif_type = ngx_string("image/gif");

/* the smallest transparent 1x1 GIF */
static u_char  ngx_http_analytics_gif[] = {
    'G', 'I', 'F', '8', '9', 'a', 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b
};

/* per worker; seeded from the kernel so hosts with equal pids never collide */
static uint64_t  ngx_http_analytics_random_state;


static ngx_int_t
ngx_http_analytics_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_http_analytics_ctx_t       *ctx;
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
            if (ngx_http_analytics_set_allow(r) != NGX_OK
                || ngx_http_analytics_cors_headers(r, 1) != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
            return ngx_http_send_header(r);
        }

        alcf = static_cast<ngx_http_analytics_loc_conf_t *>(
            ngx_http_get_module_loc_conf(r, ngx_http_analytics_module));

        if (r->method == NGX_HTTP_GET && alcf->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_COLLECT) {
            return ngx_http_analytics_pixel(r);
        }

        if (r->method != NGX_HTTP_POST) {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }
            if (ngx_http_analytics_set_allow(r) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
            if (alcf->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_PROJECT_EVENTS) {
                ngx_str_t  body;

                if (ngx_http_analytics_project_error(r, NGX_HTTP_NOT_ALLOWED,
                                                     "Method not allowed: use POST.", &body) != NGX_OK)
                {
                    return NGX_HTTP_INTERNAL_SERVER_ERROR;
                }
                return ngx_http_analytics_send_json(r, NGX_HTTP_NOT_ALLOWED, &body);
            }
            return ngx_http_analytics_send_json(r, NGX_HTTP_NOT_ALLOWED,
                                                &ngx_http_analytics_method_not_allowed);
        }

        /* refuse before reading a byte of a body announced too large */
        if (r->headers_in.content_length_n > (off_t) alcf->body_limit) {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }
            return ngx_http_analytics_too_large(r);
        }

        ctx = static_cast<ngx_http_analytics_ctx_t *>(
            ngx_pcalloc(r->pool, sizeof(ngx_http_analytics_ctx_t)));
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        ctx->endpoint = alcf->endpoint;
        ngx_http_set_ctx(r, ctx, ngx_http_analytics_module);

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


/* GET /collect.gif: the hit is in the query string, there is no body */
static ngx_int_t
ngx_http_analytics_pixel(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_http_analytics_ctx_t  *ctx;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }
    ctx = static_cast<ngx_http_analytics_ctx_t *>(ngx_pcalloc(r->pool, sizeof(ngx_http_analytics_ctx_t)));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ctx->endpoint = NGX_HTTP_ANALYTICS_ENDPOINT_COLLECT;
    ctx->gif = 1;
    ctx->body = r->args.data;
    ctx->body_len = r->args.len;
    ngx_http_set_ctx(r, ctx, ngx_http_analytics_module);

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
                ngx_http_finalize_request(r, ngx_http_analytics_too_large(r));
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

    alcf = static_cast<ngx_http_analytics_loc_conf_t *>(
        ngx_http_get_module_loc_conf(r, ngx_http_analytics_module));

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


static void
ngx_http_analytics_dispatch(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx)
{
    ngx_int_t  rc;
    ngx_str_t  body;

    body.data = ctx->body;
    body.len = ctx->body_len;

    try {
        if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_CONVERSION) {
            rc = ngx_http_analytics_conversion_dispatch(r, ctx, &body);
        } else if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_MARK_PURCHASE) {
            rc = ngx_http_analytics_mark_purchase_dispatch(r, ctx, &body);
        } else if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_FUNNEL_TRACK) {
            rc = ngx_http_analytics_funnel_track_dispatch(r, ctx, &body);
        } else if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_PROJECT_EVENTS) {
            rc = ngx_http_analytics_project_event_dispatch(r, ctx, &body);
        } else {
            rc = ngx_http_analytics_event_dispatch(r, ctx, &body);
        }
    } catch (...) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* NGX_DONE: the Redis reply finalizes the request */
    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


/*
 * Validates a track or interactions body and queues the FCALL; returns
 * NGX_DONE once queued, otherwise the result of sending the answer. An
 * invalid body is answered after its request is counted against the rate
 * limit, as the documents' throttle middleware counts every request.
 */
static ngx_int_t
ngx_http_analytics_event_dispatch(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *body)
{
    ngx_int_t                        rc;
    char                             problem[256];
    ngx_uint_t                       interaction;
    const char                      *lookup;
    analytics_body_status            status;
    analytics_track_request          request;
    analytics_outgoing_event         event;
    analytics_validation_errors      errors;

    interaction = (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_INTERACTIONS);
    lookup = interaction ? "id" : "any";

    if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_COLLECT) {
        status = ctx->gif
                 ? analytics_collect_query_parse(reinterpret_cast<const char *>(body->data), body->len,
                                                 &request, &errors, problem, sizeof(problem))
                 : analytics_collect_request_parse(reinterpret_cast<const char *>(body->data), body->len,
                                                   &request, &errors, problem, sizeof(problem));
    } else {
        status = analytics_track_request_parse(reinterpret_cast<const char *>(body->data), body->len,
                                               interaction ? &analytics_interaction_rules
                                                           : &analytics_track_rules,
                                               &request, &errors, problem, sizeof(problem));
    }

    if (request.tenant_ref != NULL
        && ngx_http_analytics_keep(r, &ctx->tenant, request.tenant_ref, request.tenant_ref_len) != NGX_OK)
    {
        analytics_track_request_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    switch (status) {

    case ANALYTICS_BODY_OK:
        break;

    case ANALYTICS_BODY_MALFORMED:
    case ANALYTICS_BODY_INVALID:
        analytics_track_request_free(&request);
        if (ngx_http_analytics_body_error(r, ctx, status, problem, &errors, 0) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return ngx_http_analytics_ingest(r, ctx, lookup, NULL);

    default:
        analytics_track_request_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (request.tracker_id != NULL
        && ngx_http_analytics_keep(r, &ctx->tracker, request.tracker_id, request.tracker_id_len) != NGX_OK)
    {
        analytics_track_request_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* every hit of the tracker is an interaction, its source classified later */
    ngx_http_analytics_outgoing_init(r, &event,
        interaction || ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_COLLECT ? "interaction" : "track");
    analytics_outgoing_event_from_track(&event, &request);
    rc = ngx_http_analytics_ingest(r, ctx, lookup, &event);
    analytics_track_request_free(&request);
    return rc;
}


/*
 * A conversion beacon is always answered 200 (or 429): "ok" once it is in
 * the stream, "skipped" for a body that cannot be recorded or a tenant that
 * is not there. A repeated transaction_id is counted once by the aggregator.
 */
static ngx_int_t
ngx_http_analytics_conversion_dispatch(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *body)
{
    ngx_int_t                     rc;
    const char                   *reason;
    analytics_outgoing_event      event;
    analytics_conversion_request  request;

    rc = analytics_conversion_request_parse(reinterpret_cast<const char *>(body->data), body->len,
                                            &request, &reason);

    if (request.transaction_json != NULL) {
        ctx->transaction_json.len = ngx_strlen(request.transaction_json);
        ctx->transaction_json.data = static_cast<u_char *>(
            ngx_pnalloc(r->pool, ctx->transaction_json.len));
        if (ctx->transaction_json.data == NULL) {
            analytics_conversion_request_free(&request);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        ngx_memcpy(ctx->transaction_json.data, request.transaction_json, ctx->transaction_json.len);
    } else {
        ngx_str_set(&ctx->transaction_json, "null");
    }

    if (rc != 0) {
        analytics_conversion_request_free(&request);
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "analytics: conversion skipped: %s", reason);
        if (ngx_http_analytics_conversion_answer(r, ctx, 0) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return ngx_http_analytics_ingest(r, ctx, "slug", NULL);
    }

    ngx_http_analytics_outgoing_init(r, &event, "conversion");
    analytics_outgoing_event_from_conversion(&event, &request);
    rc = ngx_http_analytics_ingest(r, ctx, "slug", &event);
    analytics_conversion_request_free(&request);
    return rc;
}


/*
 * funnel/track: the token (hashed here, checked in Redis with its scopes),
 * the steps (their shape here, their names against the tenant's in Redis)
 * and the write, in one FCALL. An invalid body is answered after the token
 * is checked, as Laravel's auth middleware runs before validation.
 */
static ngx_int_t
ngx_http_analytics_funnel_track_dispatch(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *body)
{
    size_t                           n, i;
    ngx_int_t                        rc;
    ngx_uint_t                       head, shard;
    ngx_str_t                        rate_key;
    u_char                          *p, token[64];
    u_char                           limit_text[NGX_INT_T_LEN], period_text[NGX_INT_T_LEN];
    u_char                           count_text[NGX_INT_T_LEN];
    char                             problem[256];
    const char                      *argv[24 + ANALYTICS_FUNNEL_MAX_STEPS + 2 * ANALYTICS_STREAM_MAX_FIELDS];
    size_t                           argvlen[24 + ANALYTICS_FUNNEL_MAX_STEPS + 2 * ANALYTICS_STREAM_MAX_FIELDS];
    analytics_body_status            status;
    analytics_stream_entry           entry;
    analytics_outgoing_event         event;
    analytics_validation_errors      errors;
    analytics_funnel_track_request   request;
    ngx_http_analytics_loc_conf_t   *alcf;
    ngx_http_analytics_main_conf_t  *amcf;

    alcf = static_cast<ngx_http_analytics_loc_conf_t *>(
        ngx_http_get_module_loc_conf(r, ngx_http_analytics_module));
    amcf = static_cast<ngx_http_analytics_main_conf_t *>(
        ngx_http_get_module_main_conf(r, ngx_http_analytics_module));

    status = analytics_funnel_track_request_parse(reinterpret_cast<const char *>(body->data), body->len,
                                                  &request, &errors, problem, sizeof(problem));
    if (status == ANALYTICS_BODY_MALFORMED || status == ANALYTICS_BODY_INVALID) {
        if (ngx_http_analytics_body_error(r, ctx, status, problem, &errors, 1) != NGX_OK) {
            analytics_funnel_track_request_free(&request);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    } else if (status != ANALYTICS_BODY_OK) {
        analytics_funnel_track_request_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_analytics_rate_key(r, alcf, &ctx->tenant, &rate_key, &shard) != NGX_OK) {
        analytics_funnel_track_request_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    head = ngx_http_analytics_fcall_head(r, &amcf->shards[shard], ngx_http_analytics_funnel_track_function,
                                         amcf->funnel_keys, 2,
                                         ctx->answer_status ? "count" : "write", "any", &rate_key,
                                         limit_text, period_text, argv, argvlen);
    rc = ngx_http_analytics_token_hash(r, token);
    argv[head] = reinterpret_cast<const char *>(token);
    argvlen[head] = rc == NGX_OK ? sizeof(token) : 0;

    n = ctx->answer_status ? 0 : request.step_count;
    argv[head + 1] = reinterpret_cast<const char *>(count_text);
    argvlen[head + 1] = ngx_sprintf(count_text, "%uz", n) - count_text;
    for (i = 0; i < n; i++) {
        argv[head + 2 + i] = request.steps[i];
        argvlen[head + 2 + i] = request.step_lens[i];
    }
    head += 2 + n;

    entry.count = 0;
    if (!ctx->answer_status) {
        /* the steps, the answer's data */
        p = static_cast<u_char *>(ngx_pnalloc(r->pool, request.steps_json_len));
        if (p == NULL) {
            analytics_funnel_track_request_free(&request);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        ngx_memcpy(p, request.steps_json, request.steps_json_len);
        ctx->steps_json.data = p;
        ctx->steps_json.len = request.steps_json_len;
        ngx_http_analytics_outgoing_init(r, &event, "funnel_step");
        event.tenant_ref = "token";
        event.tenant_ref_len = 5;
        event.type = "funnel_track";
        event.metadata = request.metadata_json;
        event.metadata_len = request.metadata_json_len;
        analytics_outgoing_event_encode(&event, &entry);
    }
    for (i = 0; i < entry.count; i++) {
        argv[head + 2 * i] = entry.fields[i].name;
        argvlen[head + 2 * i] = ngx_strlen(entry.fields[i].name);
        argv[head + 1 + 2 * i] = entry.fields[i].value;
        argvlen[head + 1 + 2 * i] = entry.fields[i].value_len;
    }

    rc = ngx_http_analytics_redis_send(r, shard, ngx_http_analytics_reply, (int) (head + 2 * entry.count), argv,
                                       argvlen);
    analytics_funnel_track_request_free(&request);
    if (rc == NGX_OK) {
        return NGX_DONE;
    }
    return ngx_http_analytics_send_json(r, NGX_HTTP_SERVICE_UNAVAILABLE, &ngx_http_analytics_services_unavailable);
}


/*
 * POST /api/v1/events (webmarketer-api, asynchronous): only a body that is
 * not a JSON object is refused here (400); any object is answered 200 with
 * its new id and goes to the stream whole, where the aggregator checks it
 * against its event type and trashes it with its reasons if it fails.
 */
static ngx_int_t
ngx_http_analytics_project_event_dispatch(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_str_t *body)
{
    u_char                       *p;
    ngx_int_t                     rc;
    char                          problem[256];
    analytics_body_status         status;
    analytics_project_event       request;
    analytics_outgoing_event      event;
    analytics_validation_errors   errors;

    status = analytics_project_event_parse(reinterpret_cast<const char *>(body->data), body->len,
                                           &request, &errors, problem, sizeof(problem));
    if (status == ANALYTICS_BODY_MALFORMED) {
        analytics_project_event_free(&request);
        ctx->answer_status = NGX_HTTP_BAD_REQUEST;
        if (ngx_http_analytics_project_error(r, NGX_HTTP_BAD_REQUEST, problem, &ctx->answer_body) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return ngx_http_analytics_ingest(r, ctx, "slug", NULL);
    }
    if (status != ANALYTICS_BODY_OK && status != ANALYTICS_BODY_INVALID) {
        analytics_project_event_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the project for a per-tenant limit; the trackerId names the visitor,
     * and without one the event has none (it is often sent from a server) */
    if ((request.project_id != NULL
         && ngx_http_analytics_keep(r, &ctx->tenant, request.project_id, request.project_id_len) != NGX_OK)
        || (request.tracker_id != NULL
            && ngx_http_analytics_keep(r, &ctx->tracker, request.tracker_id, request.tracker_id_len) != NGX_OK))
    {
        analytics_project_event_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_analytics_outgoing_init(r, &event, "project_event");
    event.tenant_ref = ctx->tenant.len ? reinterpret_cast<const char *>(ctx->tenant.data) : "";
    event.tenant_ref_len = ctx->tenant.len;
    /* the aggregator reads everything again from the body; "-" stands for no type */
    event.type = request.event_type != NULL ? request.event_type : "-";
    event.metadata = reinterpret_cast<const char *>(body->data);
    event.metadata_len = body->len;

    p = static_cast<u_char *>(ngx_pnalloc(r->pool, ANALYTICS_UUID_TEXT_LEN + 2));
    if (p == NULL) {
        analytics_project_event_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ctx->event_id_json.data = p;
    ctx->event_id_json.len = ngx_sprintf(p, "\"%*s\"", (size_t) ANALYTICS_UUID_TEXT_LEN, event.id) - p;

    rc = ngx_http_analytics_ingest(r, ctx, "slug", &event);
    analytics_project_event_free(&request);
    return rc;
}


/*
 * Redis is out of reach, or its answer was lost: the host's own limit stands
 * in for the fleet's (its headers, or a 429), then an event (spool set) goes
 * to the spool and is answered as accepted. NGX_DECLINED when neither
 * answered (no spool, or it is full): the caller answers as without Redis.
 */
static ngx_int_t
ngx_http_analytics_without_redis(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_str_t *rate_key,
    ngx_uint_t spool, ngx_uint_t head, ngx_uint_t argc, const char **argv, size_t *argvlen)
{
    ngx_int_t                        rc, remaining, retry_after;
    ngx_http_analytics_loc_conf_t   *alcf;
    ngx_http_analytics_main_conf_t  *amcf;

    alcf = static_cast<ngx_http_analytics_loc_conf_t *>(ngx_http_get_module_loc_conf(r, ngx_http_analytics_module));
    amcf = static_cast<ngx_http_analytics_main_conf_t *>(ngx_http_get_module_main_conf(r, ngx_http_analytics_module));

    if (alcf->rate.enabled && amcf->local_limit != NULL) {
        retry_after = 1;
        rc = ngx_http_analytics_local_limit_take(amcf->local_limit, rate_key, alcf->rate.limit, alcf->rate.period,
                                                 &remaining, &retry_after);
        if (ngx_http_analytics_rate_headers(r, alcf->rate.limit, remaining, retry_after) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        if (rc == NGX_BUSY) {
            ngx_http_analytics_retry_after(r, retry_after);
            return ngx_http_analytics_send_json(r, NGX_HTTP_TOO_MANY_REQUESTS, &ngx_http_analytics_too_many);
        }
    }
    if (!spool) {
        return NGX_DECLINED;
    }
    return ngx_http_analytics_spool_event(r, ctx, head, argc, argv, argvlen);
}


/* a copy of the call sent, in the request's pool, for ngx_http_analytics_reply
 * to spool; without memory it is not kept, and a lost answer is a 503 */
static void
ngx_http_analytics_keep_call(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_uint_t head,
    ngx_uint_t argc, const char **argv, const size_t *argvlen)
{
    size_t       size;
    u_char      *p;
    ngx_uint_t   i;

    size = 0;
    for (i = 0; i < argc; i++) {
        size += argvlen[i];
    }
    ctx->sent_argv = static_cast<const char **>(ngx_palloc(r->pool, argc * sizeof(const char *)));
    ctx->sent_argvlen = static_cast<size_t *>(ngx_palloc(r->pool, argc * sizeof(size_t)));
    p = static_cast<u_char *>(ngx_pnalloc(r->pool, size));
    if (ctx->sent_argv == NULL || ctx->sent_argvlen == NULL || p == NULL) {
        ctx->sent_argv = NULL;
        return;
    }
    for (i = 0; i < argc; i++) {
        ctx->sent_argv[i] = reinterpret_cast<const char *>(p);
        ctx->sent_argvlen[i] = argvlen[i];
        if (argvlen[i] > 0) {   /* an empty argument's pointer may be NULL */
            p = ngx_cpymem(p, argv[i], argvlen[i]);
        }
    }
    ctx->sent_argc = argc;
    ctx->sent_head = head;
}


/*
 * Spools an accepted event's FCALL for replay (as ingest wrote it, made to
 * write without a limit, a rate key or the visitor's address and agent: the
 * client's address never reaches the disk) and answers it as accepted. NGX_DECLINED without
 * a spool or when it is full.
 */
static ngx_int_t
ngx_http_analytics_spool_event(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_uint_t head,
    ngx_uint_t argc, const char **argv, size_t *argvlen)
{
    static const char                replay_rate_key[] = "{analytics}:rate:replay";
    ngx_http_analytics_shard_t      *shard;
    ngx_http_analytics_main_conf_t  *amcf;

    amcf = static_cast<ngx_http_analytics_main_conf_t *>(
        ngx_http_get_module_main_conf(r, ngx_http_analytics_module));

    /* replayed into the spool's shard, whichever shard the call was for */
    shard = &amcf->shards[NGX_HTTP_ANALYTICS_SPOOL_SHARD];
    argv[NGX_HTTP_ANALYTICS_FCALL_RATE_KEY - 2] = reinterpret_cast<const char *>(shard->tenants_key.data);
    argvlen[NGX_HTTP_ANALYTICS_FCALL_RATE_KEY - 2] = shard->tenants_key.len;
    argv[NGX_HTTP_ANALYTICS_FCALL_RATE_KEY - 1] = reinterpret_cast<const char *>(shard->stream.data);
    argvlen[NGX_HTTP_ANALYTICS_FCALL_RATE_KEY - 1] = shard->stream.len;
    argv[NGX_HTTP_ANALYTICS_FCALL_RATE_KEY + 1] = reinterpret_cast<const char *>(shard->salts_key.data);
    argvlen[NGX_HTTP_ANALYTICS_FCALL_RATE_KEY + 1] = shard->salts_key.len;
    argv[NGX_HTTP_ANALYTICS_FCALL_RATE_KEY + 2] = reinterpret_cast<const char *>(shard->products_key.data);
    argvlen[NGX_HTTP_ANALYTICS_FCALL_RATE_KEY + 2] = shard->products_key.len;

    /* the rate key names the client (its address, often), and a replay is
     * not limited */
    argv[NGX_HTTP_ANALYTICS_FCALL_RATE_KEY] = replay_rate_key;
    argvlen[NGX_HTTP_ANALYTICS_FCALL_RATE_KEY] = sizeof(replay_rate_key) - 1;
    argv[head - 4] = "write";
    argvlen[head - 4] = 5;
    argv[head - 3] = "0";
    argvlen[head - 3] = 1;
    /* a trackerId the site chose names the visitor without the address */
    if (argvlen[head + 1] < sizeof("tracker\n") - 1
        || ngx_strncmp(argv[head + 1], "tracker\n", sizeof("tracker\n") - 1) != 0)
    {
        argv[head + 1] = "";
        argvlen[head + 1] = 0;
    }
    if (ngx_http_analytics_spool_append((int) argc, argv, argvlen) != NGX_OK) {
        return NGX_DECLINED;
    }

    if (ctx->gif) {
        return ngx_http_analytics_send_gif(r);
    }
    if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_CONVERSION) {
        if (ngx_http_analytics_conversion_answer(r, ctx, 1) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return ngx_http_analytics_send_json(r, ctx->answer_status, &ctx->answer_body);
    }
    if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_PROJECT_EVENTS) {
        return ngx_http_analytics_send_json(r, NGX_HTTP_OK, &ctx->event_id_json);
    }
    if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_INTERACTIONS) {
        /* the tenant cannot be checked now: the document's processing answer */
        return ngx_http_analytics_send_json(r, NGX_HTTP_ACCEPTED, &ngx_http_analytics_interaction_accepted);
    }
    return ngx_http_analytics_send_json(r, NGX_HTTP_ACCEPTED, &ngx_http_analytics_accepted);
}


/*
 * ctx's answer for a body that failed: 422 with every failing field, or 400
 * for one that is not a JSON object, in the family's shape (services:
 * {"error":true,"message"}; the others: Laravel's {"message","errors"})
 */
static ngx_int_t
ngx_http_analytics_body_error(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    analytics_body_status status, const char *problem, const analytics_validation_errors *errors,
    ngx_uint_t services)
{
    size_t               len;
    u_char              *p;
    char                 text[1024];
    analytics_json_text  out;

    if (status == ANALYTICS_BODY_MALFORMED && !services) {
        ctx->answer_status = NGX_HTTP_BAD_REQUEST;
        return ngx_http_analytics_json_error(r, "body", problem, &ctx->answer_body);
    }
    if (status == ANALYTICS_BODY_MALFORMED) {
        analytics_json_text_init(&out, text, sizeof(text));
        analytics_json_text_raw(&out, "{\"error\":true,\"message\":");
        analytics_json_text_string(&out, problem);
        analytics_json_text_raw(&out, "}");
        len = ngx_min(analytics_json_text_finish(&out), sizeof(text) - 1);
        ctx->answer_status = NGX_HTTP_BAD_REQUEST;
    } else {
        len = ngx_min(analytics_validation_errors_render(errors, text, sizeof(text)), sizeof(text) - 1);
        ctx->answer_status = NGX_HTTP_ANALYTICS_UNPROCESSABLE_ENTITY;
    }
    p = static_cast<u_char *>(ngx_pnalloc(r->pool, len));
    if (p == NULL) {
        return NGX_ERROR;
    }
    ngx_memcpy(p, text, len);
    ctx->answer_body.data = p;
    ctx->answer_body.len = len;
    return NGX_OK;
}


/* the SHA-256 (hex) of the bearer token, as the aggregator stores it;
 * NGX_DECLINED when the request carries none */
static ngx_int_t
ngx_http_analytics_token_hash(ngx_http_request_t *r, u_char hex[64])
{
    u_char            digest[32];
    unsigned int      digest_len;
    ngx_str_t         value;
    ngx_table_elt_t  *authorization;

    authorization = r->headers_in.authorization;
    if (authorization == NULL) {
        return NGX_DECLINED;
    }
    value = authorization->value;
    if (value.len <= 7 || ngx_strncasecmp(value.data, reinterpret_cast<u_char *>(const_cast<char *>("Bearer ")), 7) != 0) {
        return NGX_DECLINED;
    }
    value.data += 7;
    value.len -= 7;
    while (value.len > 0 && value.data[0] == ' ') {
        value.data++;
        value.len--;
    }
    if (value.len == 0
        || EVP_Digest(value.data, value.len, digest, &digest_len, EVP_sha256(), NULL) != 1
        || digest_len != sizeof(digest))
    {
        return NGX_DECLINED;
    }
    ngx_hex_dump(hex, digest, sizeof(digest));
    return NGX_OK;
}


/* the answers of funnel/track, in the services family's shapes */
static void
ngx_http_analytics_funnel_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_int_t answer,
    ngx_int_t retry_after, redisReply *reply)
{
    size_t                       len, index;
    u_char                      *p;
    char                         text[512];
    analytics_validation_errors  errors;

    switch (answer) {

    case 202:
        p = static_cast<u_char *>(ngx_pnalloc(r->pool,
            sizeof("{\"error\":false,\"message\":\"Steps tracked.\",\"data\":}") + ctx->steps_json.len));
        if (p == NULL) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
        ctx->answer_body.data = p;
        ctx->answer_body.len = ngx_sprintf(p, "{\"error\":false,\"message\":\"Steps tracked.\",\"data\":%V}",
                                           &ctx->steps_json) - p;
        ngx_http_analytics_finish(r, NGX_HTTP_OK, &ctx->answer_body);
        return;

    case 200:
        /* counted and authenticated: the body's own error */
        ngx_http_analytics_finish(r, ctx->answer_status, &ctx->answer_body);
        return;

    case 401:
        ngx_http_analytics_finish(r, NGX_HTTP_UNAUTHORIZED, &ngx_http_analytics_unauthenticated);
        return;

    case 403:
        ngx_http_analytics_finish(r, NGX_HTTP_FORBIDDEN, &ngx_http_analytics_forbidden);
        return;

    case 422:
        index = reply->elements >= 5 && reply->element[4]->type == REDIS_REPLY_INTEGER
                ? (size_t) reply->element[4]->integer : 0;
        analytics_validation_errors_init(&errors);
        analytics_validation_errors_add(&errors, analytics_funnel_step_field(index),
                                        analytics_funnel_step_invalid_message(index));
        len = analytics_validation_errors_render(&errors, text, sizeof(text));
        p = static_cast<u_char *>(ngx_pnalloc(r->pool, len));
        if (p == NULL) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
        ngx_memcpy(p, text, len);
        ctx->answer_body.data = p;
        ctx->answer_body.len = len;
        ngx_http_analytics_finish(r, NGX_HTTP_ANALYTICS_UNPROCESSABLE_ENTITY, &ctx->answer_body);
        return;

    case 429:
        ngx_http_analytics_retry_after(r, retry_after);
        ngx_http_analytics_finish(r, NGX_HTTP_TOO_MANY_REQUESTS, &ngx_http_analytics_services_too_many);
        return;

    case -1:
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;

    default:
        ngx_http_analytics_finish(r, NGX_HTTP_SERVICE_UNAVAILABLE, &ngx_http_analytics_services_unavailable);
    }
}


/* the answers of POST /api/v1/events, in the project family's shape */
static void
ngx_http_analytics_project_reply(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_int_t answer,
    ngx_int_t retry_after)
{
    ngx_str_t  body;

    if (ctx->answer_status) {
        /* a 400 counted against the limit, unless the limit refused it */
        if (answer == 429) {
            ngx_http_analytics_retry_after(r, retry_after);
            ctx->answer_status = NGX_HTTP_TOO_MANY_REQUESTS;
            if (ngx_http_analytics_project_error(r, NGX_HTTP_TOO_MANY_REQUESTS, "Too Many Requests",
                                                 &ctx->answer_body) != NGX_OK)
            {
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
                return;
            }
        }
        ngx_http_analytics_finish(r, ctx->answer_status, &ctx->answer_body);
        return;
    }

    switch (answer) {

    case 202:
        ngx_http_analytics_finish(r, NGX_HTTP_OK, &ctx->event_id_json);
        return;

    case 404:
        /* no project enumeration: the same answer, but nothing to keep the
         * event under, so it is not stored */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "analytics: event for unknown, inactive or private project \"%V\" not stored",
                      &ctx->tenant);
        ngx_http_analytics_finish(r, NGX_HTTP_OK, &ctx->event_id_json);
        return;

    case 429:
        ngx_http_analytics_retry_after(r, retry_after);
        if (ngx_http_analytics_project_error(r, NGX_HTTP_TOO_MANY_REQUESTS, "Too Many Requests", &body) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
        ngx_http_analytics_finish(r, NGX_HTTP_TOO_MANY_REQUESTS, &body);
        return;

    case -1:
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;

    default:
        if (ngx_http_analytics_project_error(r, NGX_HTTP_SERVICE_UNAVAILABLE, "Service temporarily unavailable",
                                             &body) != NGX_OK)
        {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
        ngx_http_analytics_finish(r, NGX_HTTP_SERVICE_UNAVAILABLE, &body);
    }
}


/* {"statusCode": status, "message": message, "error": "<reason>"}, as the
 * project routes of webmarketer-api answer errors */
static ngx_int_t
ngx_http_analytics_project_error(ngx_http_request_t *r, ngx_uint_t status, const char *message,
    ngx_str_t *body)
{
    size_t               len;
    u_char              *p;
    char                 text[512], code[NGX_INT_T_LEN + 1];
    const char          *reason;
    analytics_json_text  out;

    switch (status) {
    case NGX_HTTP_BAD_REQUEST:              reason = "Bad Request"; break;
    case NGX_HTTP_NOT_ALLOWED:              reason = "Method Not Allowed"; break;
    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE: reason = "Payload Too Large"; break;
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
    len = ngx_min(analytics_json_text_finish(&out), sizeof(text) - 1);

    p = static_cast<u_char *>(ngx_pnalloc(r->pool, len));
    if (p == NULL) {
        return NGX_ERROR;
    }
    ngx_memcpy(p, text, len);
    body->data = p;
    body->len = len;
    return NGX_OK;
}


/* {"status":"ok"|"skipped","transaction_id":...} into ctx's answer */
static ngx_int_t
ngx_http_analytics_conversion_answer(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_uint_t recorded)
{
    u_char  *p;

    p = static_cast<u_char *>(ngx_pnalloc(r->pool,
        sizeof("{\"status\":\"skipped\",\"transaction_id\":}") + ctx->transaction_json.len));
    if (p == NULL) {
        return NGX_ERROR;
    }
    ctx->answer_status = NGX_HTTP_OK;
    ctx->answer_body.data = p;
    ctx->answer_body.len = ngx_sprintf(p, "{\"status\":\"%s\",\"transaction_id\":%V}",
                                       recorded ? "ok" : "skipped", &ctx->transaction_json) - p;
    return NGX_OK;
}


/*
 * One FCALL: the rate limit, then (with an event) the tenant check and the
 * XADD. Without an event only the limit is counted and ctx's answer is sent.
 * Returns NGX_DONE once queued.
 */
static ngx_int_t
ngx_http_analytics_ingest(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    const char *lookup, analytics_outgoing_event *event)
{
    size_t                           n;
    ngx_int_t                        rc;
    ngx_uint_t                       head, shard;
    ngx_str_t                        rate_key;
    u_char                           limit_text[NGX_INT_T_LEN], period_text[NGX_INT_T_LEN];
    ngx_str_t                        visitor;
    u_char                           salt[32];
    unsigned char                    random[20];   /* two draws of 10 bytes */
    const char                      *argv[16 + 2 * ANALYTICS_STREAM_MAX_FIELDS];
    size_t                           argvlen[16 + 2 * ANALYTICS_STREAM_MAX_FIELDS];
    analytics_stream_entry           entry;
    ngx_http_analytics_loc_conf_t   *alcf;
    ngx_http_analytics_main_conf_t  *amcf;

    alcf = static_cast<ngx_http_analytics_loc_conf_t *>(
        ngx_http_get_module_loc_conf(r, ngx_http_analytics_module));
    amcf = static_cast<ngx_http_analytics_main_conf_t *>(
        ngx_http_get_module_main_conf(r, ngx_http_analytics_module));

    if (event == NULL && !alcf->rate.enabled) {
        return ngx_http_analytics_send_json(r, ctx->answer_status, &ctx->answer_body);
    }

    if (ngx_http_analytics_rate_key(r, alcf, &ctx->tenant, &rate_key, &shard) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    head = ngx_http_analytics_fcall_head(r, &amcf->shards[shard], ngx_http_analytics_ingest_function,
                                         &amcf->shards[shard].products_key, 1, event ? "write" : "count",
                                         lookup, &rate_key, limit_text, period_text, argv, argvlen);
    n = 0;

    if (event == NULL) {
        for (n = head; n < head + 4; n++) {
            argv[n] = "";
            argvlen[n] = 0;
        }
        n = 0;

    } else {
        if (ngx_http_analytics_visitor_source(r, ctx, &visitor) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        ngx_http_analytics_event_random(random);
        ngx_http_analytics_event_random(random + 10);
        ngx_hex_dump(salt, random, sizeof(salt) / 2);

        analytics_outgoing_event_encode(event, &entry);
        argv[head] = event->tenant_ref;    argvlen[head] = event->tenant_ref_len;
        argv[head + 1] = reinterpret_cast<const char *>(visitor.data);
        argvlen[head + 1] = visitor.len;
        argv[head + 2] = reinterpret_cast<const char *>(salt);
        argvlen[head + 2] = sizeof(salt);
        /* the documents require a tracked product to exist; interactions
         * only carry theirs */
        if (event->has_product_id && ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_TRACK) {
            argv[head + 3] = event->product_id;
            argvlen[head + 3] = ngx_strlen(event->product_id);
        } else {
            argv[head + 3] = "";
            argvlen[head + 3] = 0;
        }
        for (n = 0; n < entry.count; n++) {
            argv[head + 4 + 2 * n] = entry.fields[n].name;
            argvlen[head + 4 + 2 * n] = ngx_strlen(entry.fields[n].name);
            argv[head + 5 + 2 * n] = entry.fields[n].value;
            argvlen[head + 5 + 2 * n] = entry.fields[n].value_len;
        }
    }

    /* the call joins this turn's batch, which copies it; one too large for
     * a batch goes alone (hiredis copies it into its output buffer) */
    rc = ngx_http_analytics_redis_batch(r, shard, ngx_http_analytics_reply,
                                        1, &argv[NGX_HTTP_ANALYTICS_FCALL_RATE_KEY],
                                        &argvlen[NGX_HTTP_ANALYTICS_FCALL_RATE_KEY],
                                        (int) (4 + 4 + 2 * n), &argv[head - 4], &argvlen[head - 4]);
    if (rc != NGX_OK) {
        rc = ngx_http_analytics_redis_send(r, shard, ngx_http_analytics_reply, (int) (head + 4 + 2 * n),
                                           argv, argvlen);
    }
    if (rc == NGX_OK) {
        if (event != NULL && !ctx->answer_status && amcf->spool.path != NULL) {
            ngx_http_analytics_keep_call(r, ctx, head, head + 4 + 2 * n, argv, argvlen);
        }
        return NGX_DONE;
    }

    rc = ngx_http_analytics_without_redis(r, ctx, &rate_key, event != NULL && !ctx->answer_status, head,
                                          head + 4 + 2 * n, argv, argvlen);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    /* what was decided is answered anyway (the limit fails open); without a
     * spool an event cannot be accepted yet */
    if (ctx->answer_status) {
        return ngx_http_analytics_send_json(r, ctx->answer_status, &ctx->answer_body);
    }
    if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_CONVERSION) {
        if (ngx_http_analytics_conversion_answer(r, ctx, 0) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return ngx_http_analytics_send_json(r, ctx->answer_status, &ctx->answer_body);
    }
    if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_INTERACTIONS) {
        return ngx_http_analytics_send_json(r, NGX_HTTP_ACCEPTED,
                                            &ngx_http_analytics_interaction_accepted);
    }
    if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_PROJECT_EVENTS) {
        ngx_str_t  body;

        if (ngx_http_analytics_project_error(r, NGX_HTTP_SERVICE_UNAVAILABLE, "Service temporarily unavailable",
                                             &body) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return ngx_http_analytics_send_json(r, NGX_HTTP_SERVICE_UNAVAILABLE, &body);
    }
    return ngx_http_analytics_send_json(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                        &ngx_http_analytics_unavailable);
}


/*
 * FCALL <function> <n> tenants stream rate salts <extra keys> <action>
 * <limit> <period> <lookup>: the head every call shares. Returns the index
 * of the next argument.
 */
static ngx_uint_t
ngx_http_analytics_fcall_head(ngx_http_request_t *r, ngx_http_analytics_shard_t *shard, const char *function,
    ngx_str_t *extra_keys, ngx_uint_t n_extra, const char *action, const char *lookup,
    ngx_str_t *rate_key, u_char *limit_text, u_char *period_text, const char **argv,
    size_t *argvlen)
{
    ngx_uint_t                       i, n;
    ngx_str_t                       *keys[4];
    ngx_http_analytics_loc_conf_t   *alcf;

    alcf = static_cast<ngx_http_analytics_loc_conf_t *>(
        ngx_http_get_module_loc_conf(r, ngx_http_analytics_module));

    argv[0] = "FCALL";
    argvlen[0] = 5;
    argv[1] = function;
    argvlen[1] = ngx_strlen(function);
    argv[2] = n_extra == 1 ? "5" : "6";
    argvlen[2] = 1;

    keys[0] = &shard->tenants_key;
    keys[1] = &shard->stream;
    keys[2] = rate_key;
    keys[3] = &shard->salts_key;
    n = 3;
    for (i = 0; i < 4 + n_extra; i++, n++) {
        ngx_str_t *key = i < 4 ? keys[i] : &extra_keys[i - 4];
        argv[n] = reinterpret_cast<const char *>(key->data);
        argvlen[n] = key->len;
    }

    argv[n] = action;
    argvlen[n++] = ngx_strlen(action);
    argv[n] = reinterpret_cast<const char *>(limit_text);
    argvlen[n++] = ngx_sprintf(limit_text, "%ui", alcf->rate.enabled ? alcf->rate.limit : 0)
                   - limit_text;
    argv[n] = reinterpret_cast<const char *>(period_text);
    argvlen[n++] = ngx_sprintf(period_text, "%M", alcf->rate.period) - period_text;
    argv[n] = lookup;
    argvlen[n++] = ngx_strlen(lookup);
    return n;
}


/*
 * mark-purchase-tracked: one FCALL finds the website's order, marks a paid
 * one for its first caller only, and hands the mark to the stream.
 */
static ngx_int_t
ngx_http_analytics_mark_purchase_dispatch(ngx_http_request_t *r,
    ngx_http_analytics_ctx_t *ctx, ngx_str_t *body)
{
    size_t                           n;
    ngx_int_t                        rc;
    ngx_uint_t                       head, shard;
    ngx_str_t                        rate_key, extra[2], metadata;
    u_char                           limit_text[NGX_INT_T_LEN], period_text[NGX_INT_T_LEN];
    char                             problem[256];
    const char                      *argv[14 + 2 * ANALYTICS_STREAM_MAX_FIELDS];
    size_t                           argvlen[14 + 2 * ANALYTICS_STREAM_MAX_FIELDS];
    analytics_body_status            status;
    analytics_stream_entry           entry;
    analytics_outgoing_event         event;
    analytics_validation_errors      errors;
    analytics_order_mark_request     request;
    ngx_http_analytics_loc_conf_t   *alcf;
    ngx_http_analytics_main_conf_t  *amcf;

    alcf = static_cast<ngx_http_analytics_loc_conf_t *>(
        ngx_http_get_module_loc_conf(r, ngx_http_analytics_module));
    amcf = static_cast<ngx_http_analytics_main_conf_t *>(
        ngx_http_get_module_main_conf(r, ngx_http_analytics_module));

    status = analytics_order_mark_request_parse(reinterpret_cast<const char *>(body->data),
                                                body->len, &request, &errors, problem,
                                                sizeof(problem));
    if (status != ANALYTICS_BODY_OK) {
        analytics_order_mark_request_free(&request);
        if (status == ANALYTICS_BODY_NO_MEMORY
            || ngx_http_analytics_body_error(r, ctx, status, problem, &errors, 1) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return ngx_http_analytics_ingest(r, ctx, "any", NULL);
    }

    /* the order session's characters need no JSON escaping */
    metadata.data = static_cast<u_char *>(ngx_pnalloc(r->pool,
        sizeof("{\"order_session\":\"\"}") + request.order_session_len));
    if (metadata.data == NULL
        || ngx_http_analytics_rate_key(r, alcf, &ctx->tenant, &rate_key, &shard) != NGX_OK)
    {
        analytics_order_mark_request_free(&request);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    metadata.len = ngx_sprintf(metadata.data, "{\"order_session\":\"%*s\"}",
                               request.order_session_len, request.order_session) - metadata.data;

    ngx_http_analytics_outgoing_init(r, &event, "order_tracked");
    event.tenant_ref = request.website_ref;
    event.tenant_ref_len = request.website_ref_len;
    event.type = "purchase_tracked";
    event.metadata = reinterpret_cast<const char *>(metadata.data);
    event.metadata_len = metadata.len;
    analytics_outgoing_event_encode(&event, &entry);

    extra[0] = amcf->orders_key;
    extra[1] = amcf->orders_tracked_key;
    head = ngx_http_analytics_fcall_head(r, &amcf->shards[shard], ngx_http_analytics_mark_order_function, extra, 2,
                                         request.mark ? "write" : "count", "any", &rate_key,
                                         limit_text, period_text, argv, argvlen);
    argv[head] = request.website_ref;         argvlen[head] = request.website_ref_len;
    argv[head + 1] = request.order_session;   argvlen[head + 1] = request.order_session_len;
    for (n = 0; n < entry.count; n++) {
        argv[head + 2 + 2 * n] = entry.fields[n].name;
        argvlen[head + 2 + 2 * n] = ngx_strlen(entry.fields[n].name);
        argv[head + 3 + 2 * n] = entry.fields[n].value;
        argvlen[head + 3 + 2 * n] = entry.fields[n].value_len;
    }

    rc = ngx_http_analytics_redis_send(r, shard, ngx_http_analytics_reply, (int) (head + 2 + 2 * n),
                                       argv, argvlen);
    analytics_order_mark_request_free(&request);

    if (rc != NGX_OK) {
        return ngx_http_analytics_send_json(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                            &ngx_http_analytics_services_unavailable);
    }
    return NGX_DONE;
}


/* {"error":false,"already_tracked":...,"payment_status":...,"purchase":...}
 * from the function's answer */
static ngx_int_t
ngx_http_analytics_mark_answer(ngx_http_request_t *r, redisReply *reply, ngx_str_t *body)
{
    u_char  *p;

    if (reply->elements != 7 || reply->element[4]->type != REDIS_REPLY_INTEGER
        || reply->element[5]->type != REDIS_REPLY_STRING
        || reply->element[6]->type != REDIS_REPLY_STRING)
    {
        return NGX_ERROR;
    }
    p = static_cast<u_char *>(ngx_pnalloc(r->pool,
        sizeof("{\"error\":false,\"already_tracked\":false,\"payment_status\":\"\",\"purchase\":}")
        + reply->element[5]->len + reply->element[6]->len));
    if (p == NULL) {
        return NGX_ERROR;
    }
    body->data = p;
    body->len = ngx_sprintf(p, "{\"error\":false,\"already_tracked\":%s,\"payment_status\":\"%*s\","
                               "\"purchase\":%*s}",
                            reply->element[4]->integer ? "true" : "false",
                            reply->element[5]->len, reply->element[5]->str,
                            reply->element[6]->len, reply->element[6]->str) - p;
    return NGX_OK;
}


static void
ngx_http_analytics_reply(ngx_http_request_t *r, redisReply *reply)
{
    ngx_int_t                  rc, answer, limit, remaining, retry_after;
    ngx_uint_t                 i, status, conversion;
    ngx_str_t                 *body;
    ngx_connection_t          *c;
    ngx_http_analytics_ctx_t  *ctx;

    c = r->connection;

    try {
        ctx = static_cast<ngx_http_analytics_ctx_t *>(
            ngx_http_get_module_ctx(r, ngx_http_analytics_module));
        conversion = (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_CONVERSION);

        answer = 0;
        retry_after = 1;
        if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 4) {
            for (i = 0; i < 4; i++) {
                if (reply->element[i]->type != REDIS_REPLY_INTEGER) {
                    break;
                }
            }
            if (i == 4) {
                answer = reply->element[0]->integer;
                limit = reply->element[1]->integer;
                remaining = reply->element[2]->integer;
                retry_after = reply->element[3]->integer;

                if (limit > 0
                    && ngx_http_analytics_rate_headers(r, limit, remaining, retry_after) != NGX_OK)
                {
                    answer = -1;
                }
            }
            if (answer == 202 && reply->elements != 5) {
                answer = 0;
            }
        }

        if (answer == 0) {
            if (reply != NULL && reply->type == REDIS_REPLY_ERROR) {
                ngx_log_error(NGX_LOG_ERR, c->log, 0, "analytics: redis: %s", reply->str);
            } else if (reply != NULL) {
                ngx_log_error(NGX_LOG_ERR, c->log, 0, "analytics: unexpected ingest reply");
            }
        }

        /* no answer for an event (the connection dropped or timed out, a
         * MOVED or ASK while the cluster moves our slot): spooled, as if
         * Redis had been out of reach when it came. If Redis did write it
         * before the answer was lost, the replay adds an entry with the
         * same event id, which the aggregator keeps once. */
        if (answer == 0 && ctx->sent_argv != NULL) {
            ngx_str_t  rate_key;

            rate_key.data = reinterpret_cast<u_char *>(
                const_cast<char *>(ctx->sent_argv[NGX_HTTP_ANALYTICS_FCALL_RATE_KEY]));
            rate_key.len = ctx->sent_argvlen[NGX_HTTP_ANALYTICS_FCALL_RATE_KEY];
            rc = ngx_http_analytics_without_redis(r, ctx, &rate_key, 1, ctx->sent_head, ctx->sent_argc,
                                                  ctx->sent_argv, ctx->sent_argvlen);
            if (rc != NGX_DECLINED) {
                ngx_http_finalize_request(r, rc);
                ngx_http_run_posted_requests(c);
                return;
            }
        }

        if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_FUNNEL_TRACK) {
            ngx_http_analytics_funnel_reply(r, ctx, answer, retry_after, reply);
            ngx_http_run_posted_requests(c);
            return;
        }

        if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_PROJECT_EVENTS) {
            ngx_http_analytics_project_reply(r, ctx, answer, retry_after);
            ngx_http_run_posted_requests(c);
            return;
        }

        if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_MARK_PURCHASE && !ctx->answer_status) {
            switch (answer) {
            case 200:
                if (ngx_http_analytics_mark_answer(r, reply, &ctx->answer_body) == NGX_OK) {
                    ngx_http_analytics_finish(r, NGX_HTTP_OK, &ctx->answer_body);
                } else {
                    ngx_http_analytics_finish(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                              &ngx_http_analytics_services_unavailable);
                }
                break;
            case 404:
                ngx_http_analytics_finish(r, NGX_HTTP_NOT_FOUND, &ngx_http_analytics_order_not_found);
                break;
            case 429:
                ngx_http_analytics_retry_after(r, retry_after);
                ngx_http_analytics_finish(r, NGX_HTTP_TOO_MANY_REQUESTS,
                                          &ngx_http_analytics_services_too_many);
                break;
            case -1:
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
                break;
            default:
                ngx_http_analytics_finish(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                          &ngx_http_analytics_services_unavailable);
            }
            ngx_http_run_posted_requests(c);
            return;
        }

        switch (answer) {

        case -1:
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            ngx_http_run_posted_requests(c);
            return;

        case 429:
            status = NGX_HTTP_TOO_MANY_REQUESTS;
            body = ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_MARK_PURCHASE
                   ? &ngx_http_analytics_services_too_many : &ngx_http_analytics_too_many;
            ngx_http_analytics_retry_after(r, retry_after);
            break;

        case 202:
            if (ctx->gif) {
                ngx_http_finalize_request(r, ngx_http_analytics_send_gif(r));
                ngx_http_run_posted_requests(c);
                return;
            }
            if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_INTERACTIONS) {
                status = NGX_HTTP_CREATED;
                body = &ngx_http_analytics_interaction_recorded;
            } else if (conversion) {
                ngx_http_analytics_conversion_answer(r, ctx, 1);
                status = ctx->answer_status;
                body = &ctx->answer_body;
            } else {
                status = NGX_HTTP_ACCEPTED;
                body = &ngx_http_analytics_accepted;
            }
            break;

        case 422:
            status = NGX_HTTP_ANALYTICS_UNPROCESSABLE_ENTITY;
            body = &ngx_http_analytics_unknown_product;
            break;

        case 404:
            /* no tenant enumeration: the same single call, a 202 */
            if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_INTERACTIONS) {
                status = NGX_HTTP_ACCEPTED;
                body = &ngx_http_analytics_interaction_accepted;
            } else if (conversion) {
                ngx_http_analytics_conversion_answer(r, ctx, 0);
                status = ctx->answer_status;
                body = &ctx->answer_body;
            } else {
                status = NGX_HTTP_NOT_FOUND;
                body = &ngx_http_analytics_tenant_not_found;
            }
            break;

        default:
            /* 200 ("counted"), or Redis failed: what was decided is answered
             * anyway; an event cannot be accepted now */
            if (ctx->answer_status) {
                status = ctx->answer_status;
                body = &ctx->answer_body;
            } else if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_INTERACTIONS) {
                status = NGX_HTTP_ACCEPTED;
                body = &ngx_http_analytics_interaction_accepted;
            } else if (conversion) {
                ngx_http_analytics_conversion_answer(r, ctx, 0);
                status = ctx->answer_status;
                body = &ctx->answer_body;
            } else {
                status = NGX_HTTP_SERVICE_UNAVAILABLE;
                body = &ngx_http_analytics_unavailable;
            }
        }

        ngx_http_analytics_finish(r, status, body);

    } catch (...) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }

    /* we resumed r from the Redis connection's event, not its own */
    ngx_http_run_posted_requests(c);
}


/* "<client address>\n<user agent>": hashed with the day's salt in Redis;
 * or "tracker\n<trackerId>" when the tracker names its visitor */
static ngx_int_t
ngx_http_analytics_visitor_source(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx, ngx_str_t *source)
{
    ngx_str_t  *address, agent;

    if (ctx->tracker.len > 0) {
        source->data = static_cast<u_char *>(ngx_pnalloc(r->pool, sizeof("tracker\n") - 1 + ctx->tracker.len));
        if (source->data == NULL) {
            return NGX_ERROR;
        }
        source->len = ngx_sprintf(source->data, "tracker\n%V", &ctx->tracker) - source->data;
        return NGX_OK;
    }

    if (ctx->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_PROJECT_EVENTS) {
        ngx_str_null(source);
        return NGX_OK;
    }

    address = &r->connection->addr_text;
    if (r->headers_in.user_agent != NULL) {
        agent = r->headers_in.user_agent->value;
    } else {
        ngx_str_null(&agent);
    }
    source->data = static_cast<u_char *>(ngx_pnalloc(r->pool, address->len + 1 + agent.len));
    if (source->data == NULL) {
        return NGX_ERROR;
    }
    source->len = ngx_sprintf(source->data, "%V\n%V", address, &agent) - source->data;
    return NGX_OK;
}


/* Retry-After in whole seconds, never 0 */
static void
ngx_http_analytics_retry_after(ngx_http_request_t *r, ngx_int_t seconds)
{
    ngx_str_t  retry;

    retry.data = static_cast<u_char *>(ngx_pnalloc(r->pool, NGX_INT_T_LEN));
    if (retry.data != NULL) {
        retry.len = ngx_sprintf(retry.data, "%i", ngx_max(seconds, 1)) - retry.data;
        ngx_http_analytics_add_header(r, "Retry-After", &retry);
    }
}


/* a new event's id, receive time and country */
static void
ngx_http_analytics_outgoing_init(ngx_http_request_t *r, analytics_outgoing_event *event,
    const char *kind)
{
    ngx_str_t                       country;
    ngx_time_t                     *tp;
    unsigned char                   random[10];
    ngx_http_analytics_loc_conf_t  *alcf;

    alcf = static_cast<ngx_http_analytics_loc_conf_t *>(
        ngx_http_get_module_loc_conf(r, ngx_http_analytics_module));

    ngx_http_analytics_event_random(random);
    tp = ngx_timeofday();
    analytics_outgoing_event_init(event, kind, (uint64_t) tp->sec * 1000 + tp->msec, random);
    if (ngx_http_analytics_country(r, alcf, &country) == NGX_OK) {
        event->country = reinterpret_cast<const char *>(country.data);
        event->country_len = country.len;
    }
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


/* a copy in the request's pool of what the parsed body (freed soon) holds */
static ngx_int_t
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


/* the tracker's pixel: never cached, so every view is a hit */
static ngx_int_t
ngx_http_analytics_send_gif(ngx_http_request_t *r)
{
    static ngx_str_t  no_store = ngx_string("no-store");
    ngx_str_t         body;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_type = ngx_http_analytics_gif_type;
    r->headers_out.content_type_len = ngx_http_analytics_gif_type.len;
    r->headers_out.content_length_n = sizeof(ngx_http_analytics_gif);
    if (ngx_http_analytics_add_header(r, "Cache-Control", &no_store) != NGX_OK
        || ngx_http_analytics_cors_headers(r, 0) != NGX_OK)
    {
        return NGX_ERROR;
    }
    body.data = ngx_http_analytics_gif;
    body.len = sizeof(ngx_http_analytics_gif);
    return ngx_http_analytics_send_body(r, &body);
}


static ngx_int_t
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

    if (ngx_http_analytics_cors_headers(r, 0) != NGX_OK) {
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
    static const char               message[] = "The request body is larger than the configured limit.";
    ngx_int_t                       rc;
    ngx_str_t                       body;
    ngx_http_analytics_loc_conf_t  *alcf;

    alcf = static_cast<ngx_http_analytics_loc_conf_t *>(
        ngx_http_get_module_loc_conf(r, ngx_http_analytics_module));

    if (alcf->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_PROJECT_EVENTS) {
        rc = ngx_http_analytics_project_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, message, &body);
    } else {
        rc = ngx_http_analytics_json_error(r, "body", message, &body);
    }
    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    return ngx_http_analytics_send_json(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, &body);
}


static ngx_int_t
ngx_http_analytics_set_allow(ngx_http_request_t *r)
{
    ngx_http_analytics_loc_conf_t  *alcf;

    alcf = static_cast<ngx_http_analytics_loc_conf_t *>(
        ngx_http_get_module_loc_conf(r, ngx_http_analytics_module));

    return ngx_http_analytics_add_header(r, "Allow",
                                         alcf->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_COLLECT
                                         ? &ngx_http_analytics_collect_methods
                                         : &ngx_http_analytics_allowed_methods);
}


/* name is a static string; value must live as long as the request */
static ngx_int_t
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


static ngx_int_t
ngx_http_analytics_rate_headers(ngx_http_request_t *r, ngx_int_t limit, ngx_int_t remaining,
    ngx_int_t retry_after)
{
    ngx_str_t  value;

    (void) retry_after;

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


/*
 * <shard tag>:rate:<group>:<key value>[:<tenant>], and the shard: the one
 * the rest of the key hashes to, so that a client meets one shard and one
 * count across the fleet; without a limit, the one its address hashes to.
 * Marking orders and funnel/track read what only the first shard holds.
 */
static ngx_int_t
ngx_http_analytics_rate_key(ngx_http_request_t *r, ngx_http_analytics_loc_conf_t *alcf,
    ngx_str_t *tenant, ngx_str_t *key, ngx_uint_t *shard)
{
    ngx_str_t                        none = ngx_string("-");
    ngx_str_t                        value, *tag;
    u_char                          *rest;
    ngx_http_analytics_main_conf_t  *amcf;

    amcf = static_cast<ngx_http_analytics_main_conf_t *>(
        ngx_http_get_module_main_conf(r, ngx_http_analytics_module));

    if (!alcf->rate.enabled) {
        value = r->connection->addr_text;
    } else if (ngx_http_complex_value(r, alcf->rate.key, &value) != NGX_OK) {
        return NGX_ERROR;
    }
    if (tenant->len == 0) {
        tenant = &none;
    }
    key->data = static_cast<u_char *>(ngx_pnalloc(r->pool,
        sizeof("{analytics-99}:rate:::") - 1 + alcf->rate.group.len + value.len + tenant->len));
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    /* the key's rest first, to pick the shard; then the tag before it */
    rest = key->data + sizeof("{analytics-99}") - 1;
    if (!alcf->rate.enabled) {
        key->len = ngx_sprintf(rest, ":rate:off") - rest;
    } else if (alcf->rate.per_tenant) {
        key->len = ngx_sprintf(rest, ":rate:%V:%V:%V", &alcf->rate.group, &value, tenant) - rest;
    } else {
        key->len = ngx_sprintf(rest, ":rate:%V:%V", &alcf->rate.group, &value) - rest;
    }

    if (alcf->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_MARK_PURCHASE
        || alcf->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_FUNNEL_TRACK)
    {
        *shard = 0;
    } else if (alcf->rate.enabled) {
        *shard = analytics_shard_of(reinterpret_cast<const char *>(rest), key->len, amcf->n_shards);
    } else {
        *shard = analytics_shard_of(reinterpret_cast<const char *>(value.data), value.len, amcf->n_shards);
    }

    tag = &amcf->shards[*shard].tag;
    key->data = rest - tag->len;
    ngx_memcpy(key->data, tag->data, tag->len);
    key->len += tag->len;
    return NGX_OK;
}


/* Access-Control-* for an allowed Origin; a preflight also gets what the
 * browser asked about */
static ngx_int_t
ngx_http_analytics_cors_headers(ngx_http_request_t *r, ngx_uint_t preflight)
{
    static ngx_str_t                methods = ngx_string("POST, OPTIONS");
    static ngx_str_t                headers = ngx_string("Content-Type");
    static ngx_str_t                max_age = ngx_string("86400");
    static ngx_str_t                vary = ngx_string("Origin");
    static ngx_str_t                any = ngx_string("*");
    static ngx_str_t                exposed =
        ngx_string("X-RateLimit-Limit, X-RateLimit-Remaining, Retry-After");
    ngx_str_t                      *allowed, *value;
    ngx_uint_t                      i;
    ngx_table_elt_t                *origin;
    ngx_http_analytics_loc_conf_t  *alcf;

    alcf = static_cast<ngx_http_analytics_loc_conf_t *>(
        ngx_http_get_module_loc_conf(r, ngx_http_analytics_module));

    if (alcf->cors_origins == NULL) {
        return NGX_OK;
    }
    if (ngx_http_analytics_add_header(r, "Vary", &vary) != NGX_OK) {
        return NGX_ERROR;
    }

    origin = ngx_http_analytics_request_header(r, "Origin");
    if (origin == NULL) {
        return NGX_OK;
    }

    value = NULL;
    allowed = static_cast<ngx_str_t *>(alcf->cors_origins->elts);
    for (i = 0; i < alcf->cors_origins->nelts; i++) {
        if (allowed[i].len == 1 && allowed[i].data[0] == '*') {
            value = &any;
            break;
        }
        if (allowed[i].len == origin->value.len
            && ngx_strncasecmp(allowed[i].data, origin->value.data, origin->value.len) == 0)
        {
            value = &origin->value;
            break;
        }
    }
    if (value == NULL) {
        return NGX_OK;
    }

    if (ngx_http_analytics_add_header(r, "Access-Control-Allow-Origin", value) != NGX_OK) {
        return NGX_ERROR;
    }
    if (!preflight) {
        return ngx_http_analytics_add_header(r, "Access-Control-Expose-Headers", &exposed);
    }
    if (ngx_http_analytics_add_header(r, "Access-Control-Allow-Methods", &methods) != NGX_OK
        || ngx_http_analytics_add_header(r, "Access-Control-Allow-Headers", &headers) != NGX_OK
        || ngx_http_analytics_add_header(r, "Access-Control-Max-Age", &max_age) != NGX_OK)
    {
        return NGX_ERROR;
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
    amcf->n_shards = NGX_CONF_UNSET_UINT;
    amcf->local_limit_size = NGX_CONF_UNSET_SIZE;
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

    ngx_conf_init_uint_value(amcf->n_shards, 1);
    if (amcf->n_shards < 1 || amcf->n_shards > ANALYTICS_MAX_SHARDS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"analytics_stream_shards\" must be from 1 to %d",
                           ANALYTICS_MAX_SHARDS);
        return static_cast<char *>(NGX_CONF_ERROR);
    }
    if (amcf->stream.data == NULL) {
        /* one hash tag keeps every key of a call in one Redis Cluster slot */
        ngx_str_set(&amcf->stream, "{analytics}:events");
    }
    ngx_str_set(&amcf->orders_key, "{analytics}:orders");
    ngx_str_set(&amcf->orders_tracked_key, "{analytics}:orders-tracked");
    ngx_str_set(&amcf->funnel_keys[0], "{analytics}:tokens");
    ngx_str_set(&amcf->funnel_keys[1], "{analytics}:funnel-steps");
    for (ngx_uint_t k = 0; k < amcf->n_shards; k++) {
        if (ngx_http_analytics_init_shard(cf, amcf, k) != NGX_OK) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

    if (amcf->redis.max_pending == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"analytics_redis_max_pending\" must be at least 1");
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    ngx_conf_init_size_value(amcf->local_limit_size, 1024 * 1024);
    if (amcf->endpoints_used) {
        if (amcf->local_limit_size < 64 * 1024) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"analytics_local_limit_zone\" must be at least 64k");
            return static_cast<char *>(NGX_CONF_ERROR);
        }
        amcf->local_limit = ngx_http_analytics_local_limit_zone(cf, amcf->local_limit_size,
                                                                &ngx_http_analytics_module);
        if (amcf->local_limit == NULL) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

    if (amcf->endpoints_used && !amcf->redis_configured) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "analytics endpoints are configured but \"analytics_redis\" is not");
        return static_cast<char *>(NGX_CONF_ERROR);
    }

    return NGX_CONF_OK;
}


/* shard k's keys: the first shard's with the tag "{analytics-k}" */
static ngx_int_t
ngx_http_analytics_init_shard(ngx_conf_t *cf, ngx_http_analytics_main_conf_t *amcf, ngx_uint_t k)
{
    ngx_uint_t                   i;
    ngx_http_analytics_shard_t  *shard;
    static ngx_str_t             first[] = {
        ngx_string(ANALYTICS_SHARD_TAG),
        ngx_null_string,
        ngx_string("{analytics}:tenants"),
        ngx_string("{analytics}:visitor-salts"),
        ngx_string("{analytics}:products")
    };

    shard = &amcf->shards[k];
    ngx_str_t *keys[] = {&shard->tag, &shard->stream, &shard->tenants_key, &shard->salts_key,
                         &shard->products_key};

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        ngx_str_t *from = i == 1 ? &amcf->stream : &first[i];
        u_char    *to = static_cast<u_char *>(ngx_pnalloc(cf->pool, from->len + 16));

        if (to == NULL) {
            return NGX_ERROR;
        }
        keys[i]->len = analytics_shard_key(reinterpret_cast<const char *>(from->data), from->len, (unsigned) k,
                                           reinterpret_cast<char *>(to), from->len + 16);
        keys[i]->data = to;
        if (keys[i]->len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"analytics_stream\" must carry the {analytics} hash tag, as \"{analytics}:events\" does");
            return NGX_ERROR;
        }
    }

    shard->batch_keys[0] = shard->tenants_key;
    shard->batch_keys[1] = shard->stream;
    shard->batch_keys[2] = shard->salts_key;
    shard->batch_keys[3] = shard->products_key;
    shard->redis = amcf->redis;
    shard->redis.batch_function = ngx_http_analytics_ingest_batch_function;
    shard->redis.batch_keys = shard->batch_keys;
    shard->redis.n_batch_keys = 4;

    /* on a Redis Cluster one call may touch one slot only */
    shard->redis.slot = analytics_cluster_key_slot(reinterpret_cast<const char *>(shard->tenants_key.data),
                                                   shard->tenants_key.len);
    if (analytics_cluster_key_slot(reinterpret_cast<const char *>(shard->stream.data), shard->stream.len)
        != shard->redis.slot)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"analytics_stream\" must carry the {analytics} hash tag, as \"{analytics}:events\" does");
        return NGX_ERROR;
    }
    return NGX_OK;
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
    alcf->rate.enabled = NGX_CONF_UNSET;
    alcf->cors_origins = static_cast<ngx_array_t *>(NGX_CONF_UNSET_PTR);

    return alcf;
}


static char *
ngx_http_analytics_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    auto  *prev = static_cast<ngx_http_analytics_loc_conf_t *>(parent);
    auto  *conf = static_cast<ngx_http_analytics_loc_conf_t *>(child);

    ngx_http_core_loc_conf_t          *clcf;
    ngx_http_compile_complex_value_t   ccv;

    ngx_conf_merge_size_value(conf->body_limit, prev->body_limit, 16384);

    if (conf->endpoint != NGX_HTTP_ANALYTICS_ENDPOINT_NONE) {
        /* analytics_body_limit is checked by us, so that a body too large
         * gets the family's JSON and not nginx's page; the core module is
         * merged before us, so this is the location's final value */
        clcf = static_cast<ngx_http_core_loc_conf_t *>(
            ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));
        clcf->client_max_body_size = 0;
    }
    ngx_conf_merge_ptr_value(conf->country, prev->country, NULL);
    ngx_conf_merge_ptr_value(conf->cors_origins, prev->cors_origins, NULL);

    if (conf->rate.enabled == NGX_CONF_UNSET) {
        if (prev->rate.enabled != NGX_CONF_UNSET) {
            conf->rate = prev->rate;

        } else {
            /* the documents' throttle:api, 60 a minute per client, and for
             * interactions throttle:tenant-aware, per tenant and client */
            conf->rate.enabled = 1;
            conf->rate.limit = 60;
            conf->rate.period = 60000;
            conf->rate.key = NULL;
            if (conf->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_INTERACTIONS) {
                ngx_str_set(&conf->rate.group, "tenant-aware");
                conf->rate.per_tenant = 1;
            } else {
                ngx_str_set(&conf->rate.group, "api");
                conf->rate.per_tenant = 0;
            }
        }
    }

    if (conf->rate.enabled && conf->rate.key == NULL) {
        static ngx_str_t  remote_addr = ngx_string("$remote_addr");

        conf->rate.key = static_cast<ngx_http_complex_value_t *>(
            ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t)));
        if (conf->rate.key == NULL) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }
        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &remote_addr;
        ccv.complex_value = conf->rate.key;
        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }

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


/* analytics_track, analytics_conversion: cmd->offset names the endpoint */
static char *
ngx_http_analytics_endpoint(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto                            *alcf = static_cast<ngx_http_analytics_loc_conf_t *>(conf);
    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_analytics_main_conf_t  *amcf;

    if (alcf->endpoint != NGX_HTTP_ANALYTICS_ENDPOINT_NONE) {
        return const_cast<char *>("is duplicate");
    }
    alcf->endpoint = cmd->offset;

    amcf = static_cast<ngx_http_analytics_main_conf_t *>(
        ngx_http_conf_get_module_main_conf(cf, ngx_http_analytics_module));
    amcf->endpoints_used = 1;

    clcf = static_cast<ngx_http_core_loc_conf_t *>(
        ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));
    clcf->handler = ngx_http_analytics_handler;

    return NGX_CONF_OK;
}


/*
 * analytics_rate_limit off;
 * analytics_rate_limit [group=name] [limit=N] [period=time] [key=value];
 */
static char *
ngx_http_analytics_rate_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto                              *alcf = static_cast<ngx_http_analytics_loc_conf_t *>(conf);
    ngx_str_t                         *value, arg;
    ngx_int_t                          n;
    ngx_uint_t                         i;
    ngx_http_compile_complex_value_t   ccv;

    (void) cmd;

    if (alcf->rate.enabled != NGX_CONF_UNSET) {
        return const_cast<char *>("is duplicate");
    }

    value = static_cast<ngx_str_t *>(cf->args->elts);

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        alcf->rate.enabled = 0;
        return NGX_CONF_OK;
    }

    alcf->rate.enabled = 1;
    ngx_str_set(&alcf->rate.group, "api");
    alcf->rate.limit = 60;
    alcf->rate.period = 60000;
    alcf->rate.key = NULL;
    alcf->rate.per_tenant = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "group=", 6) == 0) {
            alcf->rate.group.data = value[i].data + 6;
            alcf->rate.group.len = value[i].len - 6;
            if (alcf->rate.group.len == 0 || alcf->rate.group.len > 32) {
                goto invalid;
            }
            continue;
        }

        if (ngx_strncmp(value[i].data, "limit=", 6) == 0) {
            n = ngx_atoi(value[i].data + 6, value[i].len - 6);
            if (n == NGX_ERROR || n < 1) {
                goto invalid;
            }
            alcf->rate.limit = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "period=", 7) == 0) {
            arg.data = value[i].data + 7;
            arg.len = value[i].len - 7;
            n = ngx_parse_time(&arg, 0);
            if (n == NGX_ERROR || n < 1) {
                goto invalid;
            }
            alcf->rate.period = n;
            continue;
        }

        if (value[i].len == 10 && ngx_strncmp(value[i].data, "per_tenant", 10) == 0) {
            alcf->rate.per_tenant = 1;
            continue;
        }

        if (ngx_strncmp(value[i].data, "key=", 4) == 0) {
            arg.data = value[i].data + 4;
            arg.len = value[i].len - 4;
            alcf->rate.key = static_cast<ngx_http_complex_value_t *>(
                ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t)));
            if (alcf->rate.key == NULL) {
                return static_cast<char *>(NGX_CONF_ERROR);
            }
            ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
            ccv.cf = cf;
            ccv.value = &arg;
            ccv.complex_value = alcf->rate.key;
            if (arg.len == 0 || ngx_http_compile_complex_value(&ccv) != NGX_OK) {
                goto invalid;
            }
            continue;
        }

        goto invalid;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"", &value[i]);
    return static_cast<char *>(NGX_CONF_ERROR);
}


/* analytics_spool path [max=size] | off */
static char *
ngx_http_analytics_spool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto         *amcf = static_cast<ngx_http_analytics_main_conf_t *>(conf);
    ssize_t       size;
    ngx_str_t    *value, max;
    ngx_path_t   *path;

    (void) cmd;
    value = static_cast<ngx_str_t *>(cf->args->elts);
    if (amcf->spool.path != NULL || amcf->spool.max_size != 0) {
        return const_cast<char *>("is duplicate");
    }
    amcf->spool.max_size = 64 * 1024 * 1024;

    if (cf->args->nelts == 3) {
        if (value[2].len <= 4 || ngx_strncmp(value[2].data, "max=", 4) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"", &value[2]);
            return static_cast<char *>(NGX_CONF_ERROR);
        }
        max.data = value[2].data + 4;
        max.len = value[2].len - 4;
        size = ngx_parse_size(&max);
        if (size < 64 * 1024) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": the spool needs at least 64k", &value[2]);
            return static_cast<char *>(NGX_CONF_ERROR);
        }
        amcf->spool.max_size = (size_t) size;
    }
    if (value[1].len == 3 && ngx_strncmp(value[1].data, "off", 3) == 0) {
        return NGX_CONF_OK;
    }

    path = static_cast<ngx_path_t *>(ngx_pcalloc(cf->pool, sizeof(ngx_path_t)));
    if (path == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }
    path->name = value[1];
    if (path->name.len > 1 && path->name.data[path->name.len - 1] == '/') {
        path->name.len--;
    }
    if (ngx_conf_full_name(cf->cycle, &path->name, 0) != NGX_OK) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }
    path->conf_file = cf->conf_file->file.name.data;
    path->line = cf->conf_file->line;
    amcf->spool.path = path;

    /* nginx makes the directory at start, owned by the workers' user */
    if (ngx_add_path(cf, &amcf->spool.path) != NGX_OK) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }
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
        const ngx_http_analytics_redis_conf_t  *confs[ANALYTICS_MAX_SHARDS];

        for (ngx_uint_t k = 0; k < amcf->n_shards; k++) {
            confs[k] = &amcf->shards[k].redis;
        }
        if (ngx_http_analytics_redis_init_worker(cycle, confs, amcf->n_shards) != NGX_OK) {
            return NGX_ERROR;
        }
        return ngx_http_analytics_spool_init_worker(cycle, &amcf->spool);

    } catch (...) {
        return NGX_ERROR;
    }
}


static void
ngx_http_analytics_exit_process(ngx_cycle_t *cycle)
{
    (void) cycle;

    try {
        ngx_http_analytics_spool_exit_worker();
        ngx_http_analytics_redis_exit_worker();
    } catch (...) {
        /* nothing can be reported to a worker that is exiting */
    }
}
