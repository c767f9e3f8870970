/*
 * The module's own types, shared by its files:
 *
 *   ngx_http_analytics_module.cpp     directives, configuration, worker start
 *   ngx_http_analytics_request.cpp    the content handler: methods, body, CORS, sending
 *   ngx_http_analytics_endpoints.cpp  the endpoint table: each endpoint's parse and reply
 *   ngx_http_analytics_replies.cpp    the answer bodies of the reply families
 *   ngx_http_analytics_ingest.cpp     the FCALL: rate key, visitor, Redis, the host's limit, spool
 *   ngx_http_analytics_call.h         one FCALL's arguments in fixed arrays
 *   ngx_http_analytics_redis*.cpp     the worker's Redis link, its batching, its memory watch
 *   ngx_http_analytics_spool.cpp      the spool for when Redis is away
 *   ngx_http_analytics_local_limit.cpp the host's limit for when Redis is away
 *   ngx_http_analytics_metrics.cpp    the host's counters and their Prometheus page
 *   ngx_http_analytics_bots.cpp       crawlers and monitors, by their User-Agent
 */
#ifndef NGX_HTTP_ANALYTICS_MODULE_H
#define NGX_HTTP_ANALYTICS_MODULE_H

#include "ngx_http_analytics_nginx.h"
#include "ngx_http_analytics_redis.h"
#include "ngx_http_analytics_redis_memory.h"
#include "ngx_http_analytics_spool.h"

#include "stream_entry.h"
#include "stream_shard.h"
#include "track_request.h"
#include "validation_errors.h"


#define NGX_HTTP_ANALYTICS_UNPROCESSABLE_ENTITY  422
#define NGX_HTTP_ANALYTICS_MULTI_STATUS          207
/* an answer that is not Redis's: the event went to the spool */
#define NGX_HTTP_ANALYTICS_SPOOLED               1


class ngx_http_analytics_call;


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
    /* above it a shard takes no new events; percent is UNSET until set */
    ngx_http_analytics_high_water_t   high_water;
    ngx_http_analytics_spool_conf_t   spool;
    /* the host's limit while Redis is away, shared by the workers */
    ngx_shm_zone_t                   *local_limit;
    size_t                            local_limit_size;
    ngx_flag_t                        endpoints_used;
    ngx_flag_t                        metrics_used;    /* an analytics_metrics location */
    ngx_regex_t                      *builtin_bots;    /* compiled once, when first needed */
    ngx_str_t                         stream;          /* the first shard's */
    ngx_uint_t                        n_shards;
    ngx_http_analytics_shard_t        shards[ANALYTICS_MAX_SHARDS];
    /* orders and tokens live in the first shard only: marking an order is
     * atomic there, and funnel/track is answered there */
    ngx_str_t                         orders_keys[2];   /* orders, orders tracked */
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
    NGX_HTTP_ANALYTICS_ENDPOINT_PROJECT_EVENTS,
    NGX_HTTP_ANALYTICS_ENDPOINT_BATCH,
    NGX_HTTP_ANALYTICS_ENDPOINT_COLLECT_BATCH,
    NGX_HTTP_ANALYTICS_ENDPOINTS
} ngx_http_analytics_endpoint_e;


/* the error bodies' shapes: each seed document has its own */
typedef enum {
    /* Laravel's {"message","errors":{field:[...]}} (track, interactions, ...) */
    NGX_HTTP_ANALYTICS_FAMILY_LARAVEL = 0,
    /* {"error":true,"message"} (the /services routes) */
    NGX_HTTP_ANALYTICS_FAMILY_SERVICES,
    /* NestJS's {"statusCode","message","error"} (webmarketer-api) */
    NGX_HTTP_ANALYTICS_FAMILY_PROJECT
} ngx_http_analytics_family_e;


/* the answers whose status and body never vary, one table in
 * ngx_http_analytics_replies.cpp */
typedef enum {
    NGX_HTTP_ANALYTICS_EVENT_ACCEPTED = 0,      /* 202, the Laravel beacons' success */
    NGX_HTTP_ANALYTICS_TENANT_NOT_FOUND,        /* 404 */
    NGX_HTTP_ANALYTICS_ORIGIN_REFUSED,          /* 403, analytics_tenant_origins */
    NGX_HTTP_ANALYTICS_UNKNOWN_PRODUCT,         /* 422, track's product_id */
    NGX_HTTP_ANALYTICS_INTERACTION_RECORDED,    /* 201 */
    NGX_HTTP_ANALYTICS_INTERACTION_ACCEPTED,    /* 202, tenant not checked */
    NGX_HTTP_ANALYTICS_ORDER_NOT_FOUND,         /* 404, /services */
    NGX_HTTP_ANALYTICS_UNAUTHENTICATED,         /* 401, /services */
    NGX_HTTP_ANALYTICS_FORBIDDEN,               /* 403, /services */
    NGX_HTTP_ANALYTICS_LARAVEL_NOT_ALLOWED,     /* 405 */
    NGX_HTTP_ANALYTICS_LARAVEL_TOO_LARGE,       /* 413 */
    NGX_HTTP_ANALYTICS_LARAVEL_TOO_MANY,        /* 429 */
    NGX_HTTP_ANALYTICS_LARAVEL_UNAVAILABLE,     /* 503 */
    NGX_HTTP_ANALYTICS_SERVICES_NOT_ALLOWED,    /* 405, /services */
    NGX_HTTP_ANALYTICS_SERVICES_TOO_LARGE,      /* 413, /services */
    NGX_HTTP_ANALYTICS_SERVICES_TOO_MANY,       /* 429, /services */
    NGX_HTTP_ANALYTICS_SERVICES_UNAVAILABLE,    /* 503, /services */
    NGX_HTTP_ANALYTICS_CANNED_ANSWERS
} ngx_http_analytics_canned_e;


/* fleet-wide, in Redis: limit requests per period for each key value */
typedef struct {
    ngx_flag_t                        enabled;
    ngx_str_t                         group;
    ngx_uint_t                        limit;
    ngx_msec_t                        period;
    ngx_http_complex_value_t         *key;
    ngx_flag_t                        per_tenant;   /* the body's tenant joins the key */
} ngx_http_analytics_rate_limit_t;


/* one analytics_cors_origin: an origin, "*" for any, or a regular
 * expression ("~" and, without case, "~*") */
typedef struct {
    ngx_str_t                         origin;
    ngx_regex_t                      *regex;   /* NULL: origin matched whole, case aside */
} ngx_http_analytics_cors_origin_t;


typedef struct {
    ngx_uint_t                        endpoint;
    size_t                            body_limit;
    ngx_http_complex_value_t         *country;
    ngx_http_analytics_rate_limit_t   rate;
    ngx_array_t                      *cors_origins;   /* ngx_http_analytics_cors_origin_t */
    /* analytics_tenant_origins: a browser's beacon from an origin not in
     * cors_origins must come from one its tenant registered */
    ngx_flag_t                        tenant_origins;
    /* analytics_skip, nginx's predicates (as proxy_no_cache's): a value
     * neither empty nor "0" skips the event */
    ngx_array_t                      *skip;
    /* analytics_bots: NULL for off; UNSET_PTR (not set anywhere) for the
     * built-in list on the endpoints a browser calls, and none elsewhere */
    ngx_regex_t                      *bots;
} ngx_http_analytics_loc_conf_t;


/* what a function's reply says, read once for every endpoint */
typedef struct {
    /* the function's status (202, 404, ...); 0 when there was none (the
     * call was lost, Redis failed); -1 when we failed; or SPOOLED */
    ngx_int_t                         status;
    ngx_int_t                         retry_after;   /* seconds, for a 429 */
    redisReply                       *reply;         /* NULL unless status came from it */
} ngx_http_analytics_answer_t;


typedef struct ngx_http_analytics_ctx_s  ngx_http_analytics_ctx_t;

/* one entry of the endpoint table (ngx_http_analytics_endpoints.cpp) */
typedef struct {
    ngx_http_analytics_family_e       family;
    /* the Allow header (and a preflight's Access-Control-Allow-Methods),
     * and whether a GET is a hit (the tracker's pixel) */
    ngx_str_t                        *allow;
    /* what a preflight lets a page send: Authorization where a token is
     * asked for */
    ngx_str_t                        *cors_headers;
    ngx_uint_t                        get_is_hit;
    /* how the function reads the body's tenant reference: any, id, slug */
    const char                       *lookup;
    /* the call reads what only the first shard holds */
    ngx_uint_t                        first_shard;
    /* a tracked product must exist */
    ngx_uint_t                        product_must_exist;
    /* the client's address and agent name the visitor, without a trackerId */
    ngx_uint_t                        client_is_visitor;
    /* a beacon a browser sends: a crawler's hit is no visit, and by default
     * the built-in bots list drops it; its page's origin is checked against
     * its tenant's where analytics_tenant_origins is on */
    ngx_uint_t                        from_browser;
    /* the kind of the events it accepts */
    analytics_event_kind              kind;
    /* validates a whole body (or the pixel's query) and queues its call:
     * NGX_DONE once queued, else the result of sending an answer */
    ngx_int_t                       (*parse)(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
                                             ngx_str_t *body);
    /* sends the answer to the function's status, to none (0: the answer
     * was lost, Redis is away), or to SPOOLED; never sees 429 or -1, which
     * every endpoint answers alike */
    ngx_int_t                       (*reply)(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
                                             ngx_http_analytics_answer_t *answer);
} ngx_http_analytics_endpoint_t;


/* where a request's call goes: the shard, and its rate key there */
typedef struct {
    ngx_uint_t                        shard;
    ngx_str_t                         rate_key;
} ngx_http_analytics_route_t;


/* one event of a batch request: what it is answered, and, until then,
 * whether it went to Redis (status 0) */
typedef struct {
    ngx_uint_t                        status;   /* 202, 404, 422; 0 while sent */
    ngx_str_t                         errors;   /* a 422's {"message","errors"} */
} ngx_http_analytics_batch_result_t;


/* an ingest call as it went to Redis, kept in the request's pool until its
 * answer: spooled if none comes (the connection dropped, a timeout, a
 * cluster redirect) */
typedef struct {
    const char                      **argv;
    size_t                           *argvlen;
    ngx_uint_t                        argc;
    ngx_uint_t                        keys;
} ngx_http_analytics_sent_call_t;


struct ngx_http_analytics_ctx_s {
    const ngx_http_analytics_endpoint_t  *endpoint;
    /* a GET of the tracker's pixel: answered with the GIF once accepted */
    ngx_uint_t                        gif;
    /* the answer decided before Redis, sent once the rate limit is counted */
    ngx_uint_t                        answer_status;
    ngx_str_t                         answer_body;
    ngx_http_analytics_route_t        route;
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
    /* NULL without a spool, or until an event's call is sent */
    ngx_http_analytics_sent_call_t   *sent;
    /* the requests the rate limit counts this one as: 1, or a batch's
     * events */
    ngx_uint_t                        cost;
    /* a batch request's events, in the body's order */
    ngx_http_analytics_batch_result_t *batch;
    ngx_uint_t                        batch_len;
    ngx_uint_t                        batch_sent;   /* of them, to Redis */
};


extern "C" {
extern ngx_module_t  ngx_http_analytics_module;
}

#define ngx_http_analytics_loc_conf(r)                                         \
    static_cast<ngx_http_analytics_loc_conf_t *>(                              \
        ngx_http_get_module_loc_conf(r, ngx_http_analytics_module))
#define ngx_http_analytics_main_conf(r)                                        \
    static_cast<ngx_http_analytics_main_conf_t *>(                             \
        ngx_http_get_module_main_conf(r, ngx_http_analytics_module))


/* ngx_http_analytics_request.cpp */
ngx_int_t ngx_http_analytics_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_analytics_send_json(ngx_http_request_t *r, ngx_uint_t status, ngx_str_t *body);
ngx_int_t ngx_http_analytics_send_gif(ngx_http_request_t *r);
/* name is a static string; value must live as long as the request */
ngx_int_t ngx_http_analytics_add_header(ngx_http_request_t *r, const char *name, ngx_str_t *value);
ngx_int_t ngx_http_analytics_rate_headers(ngx_http_request_t *r, ngx_int_t limit, ngx_int_t remaining);
void ngx_http_analytics_retry_after(ngx_http_request_t *r, ngx_int_t seconds);
ngx_int_t ngx_http_analytics_origin_to_check(ngx_http_request_t *r, const ngx_http_analytics_endpoint_t *endpoint,
    ngx_str_t *origin);

/* ngx_http_analytics_endpoints.cpp */
const ngx_http_analytics_endpoint_t *ngx_http_analytics_endpoint_of(ngx_uint_t endpoint);
ngx_int_t ngx_http_analytics_send_answer(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_answer_t *answer);

/* ngx_http_analytics_replies.cpp: bodies in the request's pool, or static */
ngx_int_t ngx_http_analytics_send_canned(ngx_http_request_t *r, ngx_http_analytics_canned_e answer);
const ngx_str_t *ngx_http_analytics_canned_body(ngx_http_analytics_canned_e answer);
ngx_int_t ngx_http_analytics_send_refusal(ngx_http_request_t *r, ngx_http_analytics_family_e family,
    ngx_uint_t status);
ngx_int_t ngx_http_analytics_send_decided(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx);
ngx_int_t ngx_http_analytics_send_body_refusal(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_uint_t status, const char *message);
ngx_int_t ngx_http_analytics_body_error(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    analytics_body_status status, const char *problem, const analytics_validation_errors *errors);
ngx_int_t ngx_http_analytics_errors_body(ngx_http_request_t *r, const analytics_validation_errors *errors,
    ngx_str_t *body);
ngx_int_t ngx_http_analytics_keep(ngx_http_request_t *r, ngx_str_t *to, const char *from, size_t len);

/* ngx_http_analytics_ingest.cpp */
ngx_int_t ngx_http_analytics_route(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx);
void ngx_http_analytics_call_head(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_call &call, const ngx_str_t *own_keys, ngx_uint_t n_own, const char *action);
ngx_int_t ngx_http_analytics_send_call(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_call &call);
ngx_int_t ngx_http_analytics_ingest(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    analytics_outgoing_event *event);
/* a batch request's n valid events (n may be 0: only the limit is taken) */
ngx_int_t ngx_http_analytics_ingest_many(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    analytics_outgoing_event *events, ngx_uint_t n);
ngx_int_t ngx_http_analytics_call_visitor(ngx_http_request_t *r, ngx_http_analytics_ctx_t *ctx,
    ngx_http_analytics_call &call);
void ngx_http_analytics_outgoing_init(ngx_http_request_t *r, analytics_outgoing_event *event,
    analytics_event_kind kind);
void ngx_http_analytics_event_random_seed(void);

#endif
