#include "ngx_http_analytics_metrics.h"
#include "ngx_http_analytics_module.h"


#define NGX_HTTP_ANALYTICS_METRICS_ZONE_SIZE  (64 * 1024)
#define NGX_HTTP_ANALYTICS_BATCH_BUCKETS      10          /* 1, 2, 4, ... 256, more */
#define NGX_HTTP_ANALYTICS_SIZE_BUCKETS       7           /* the bounds below, then more */


/* the statuses the endpoints answer; any other is counted as "other" */
static const ngx_uint_t  ngx_http_analytics_metrics_statuses[] = {
    200, 201, 202, 204, 207, 400, 401, 403, 404, 405, 411, 413, 415, 422, 429, 431, 499, 500, 502, 503, 504
};

/* events in one batch request: at most ANALYTICS_BATCH_MAX_EVENTS (100) */
static const ngx_uint_t  ngx_http_analytics_metrics_sizes[NGX_HTTP_ANALYTICS_SIZE_BUCKETS - 1] = {
    1, 5, 10, 25, 50, 100
};

#define NGX_HTTP_ANALYTICS_STATUS_SLOTS \
    (sizeof(ngx_http_analytics_metrics_statuses) / sizeof(ngx_http_analytics_metrics_statuses[0]) + 1)


/* the zone's whole content: counters only, each added to atomically */
typedef struct {
    ngx_atomic_t  answered[NGX_HTTP_ANALYTICS_ENDPOINTS][NGX_HTTP_ANALYTICS_STATUS_SLOTS];
    ngx_atomic_t  skipped[NGX_HTTP_ANALYTICS_ENDPOINTS][NGX_HTTP_ANALYTICS_SKIP_REASONS];
    ngx_atomic_t  spooled;
    ngx_atomic_t  replayed;
    ngx_atomic_t  batch_buckets[NGX_HTTP_ANALYTICS_BATCH_BUCKETS];
    ngx_atomic_t  batch_calls;   /* the calls of every round trip */
    ngx_atomic_t  size_buckets[NGX_HTTP_ANALYTICS_ENDPOINTS][NGX_HTTP_ANALYTICS_SIZE_BUCKETS];
    ngx_atomic_t  size_events[NGX_HTTP_ANALYTICS_ENDPOINTS];   /* the events of every batch request */
} ngx_http_analytics_metrics_t;


static ngx_int_t ngx_http_analytics_metrics_init_zone(ngx_shm_zone_t *zone, void *data);
static ngx_int_t ngx_http_analytics_metrics_log_handler(ngx_http_request_t *r);
static void ngx_http_analytics_metrics_batch_size(ngx_uint_t endpoint, ngx_uint_t events);
static u_char *ngx_http_analytics_metrics_print(u_char *p, ngx_http_analytics_metrics_t *m);
static u_char *ngx_http_analytics_metrics_print_sizes(u_char *p, ngx_http_analytics_metrics_t *m);


/* the labels of ngx_http_analytics_endpoint_e */
static const char  *ngx_http_analytics_metrics_endpoints[NGX_HTTP_ANALYTICS_ENDPOINTS] = {
    "none", "track", "conversion", "interactions", "mark_purchase_tracked", "collect", "funnel_track",
    "project_events", "batch", "collect_batch"
};

/* set where the zone is made, in the master before the workers fork: the
 * same mapping in every process, and after a reload */
static ngx_http_analytics_metrics_t  *ngx_http_analytics_metrics;


ngx_int_t
ngx_http_analytics_metrics_init(ngx_conf_t *cf, void *tag)
{
    /* named for the counters' layout: a module of another layout, loaded
     * by a reload, makes a zone of its own instead of reading this one */
    static ngx_str_t             name = ngx_string("analytics_metrics_2");
    ngx_shm_zone_t              *zone;
    ngx_http_core_main_conf_t   *cmcf;
    ngx_http_handler_pt         *h;

    zone = ngx_shared_memory_add(cf, &name, NGX_HTTP_ANALYTICS_METRICS_ZONE_SIZE, tag);
    if (zone == NULL) {
        return NGX_ERROR;
    }
    zone->init = ngx_http_analytics_metrics_init_zone;

    /* every request of an endpoint is counted once, by what it answered */
    cmcf = static_cast<ngx_http_core_main_conf_t *>(ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module));
    h = static_cast<ngx_http_handler_pt *>(ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers));
    if (h == NULL) {
        return NGX_ERROR;
    }
    *h = ngx_http_analytics_metrics_log_handler;
    return NGX_OK;
}


static ngx_int_t
ngx_http_analytics_metrics_init_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_slab_pool_t  *shpool;

    if (data != NULL) {
        /* a reload: the counts go on */
        zone->data = data;
    } else {
        shpool = reinterpret_cast<ngx_slab_pool_t *>(zone->shm.addr);
        if (zone->shm.exists) {
            zone->data = shpool->data;
        } else {
            zone->data = ngx_slab_calloc(shpool, sizeof(ngx_http_analytics_metrics_t));
            if (zone->data == NULL) {
                return NGX_ERROR;
            }
            shpool->data = zone->data;
        }
    }
    ngx_http_analytics_metrics = static_cast<ngx_http_analytics_metrics_t *>(zone->data);
    return NGX_OK;
}


static ngx_int_t
ngx_http_analytics_metrics_log_handler(ngx_http_request_t *r)
{
    ngx_uint_t                      status, slot;
    ngx_http_analytics_ctx_t       *ctx;
    ngx_http_analytics_loc_conf_t  *alcf;

    alcf = static_cast<ngx_http_analytics_loc_conf_t *>(ngx_http_get_module_loc_conf(r, ngx_http_analytics_module));
    if (alcf == NULL || alcf->endpoint == NGX_HTTP_ANALYTICS_ENDPOINT_NONE) {
        return NGX_OK;
    }
    /* a batch whose body held events, whatever it was answered */
    ctx = static_cast<ngx_http_analytics_ctx_t *>(ngx_http_get_module_ctx(r, ngx_http_analytics_module));
    if (ctx != NULL && ctx->batch_len > 0) {
        ngx_http_analytics_metrics_batch_size(alcf->endpoint, ctx->batch_len);
    }
    /* as the access log tells it */
    status = r->err_status ? r->err_status : r->headers_out.status;
    for (slot = 0; slot < NGX_HTTP_ANALYTICS_STATUS_SLOTS - 1; slot++) {
        if (ngx_http_analytics_metrics_statuses[slot] == status) {
            break;
        }
    }
    ngx_http_analytics_metrics_answered(alcf->endpoint, slot);
    return NGX_OK;
}


void
ngx_http_analytics_metrics_answered(ngx_uint_t endpoint, ngx_uint_t slot)
{
    if (ngx_http_analytics_metrics != NULL && endpoint < NGX_HTTP_ANALYTICS_ENDPOINTS) {
        (void) ngx_atomic_fetch_add(&ngx_http_analytics_metrics->answered[endpoint][slot], 1);
    }
}


void
ngx_http_analytics_metrics_skipped(ngx_uint_t endpoint, ngx_http_analytics_skip_reason_e reason)
{
    if (ngx_http_analytics_metrics != NULL && endpoint < NGX_HTTP_ANALYTICS_ENDPOINTS) {
        (void) ngx_atomic_fetch_add(&ngx_http_analytics_metrics->skipped[endpoint][reason], 1);
    }
}


void
ngx_http_analytics_metrics_spooled()
{
    if (ngx_http_analytics_metrics != NULL) {
        (void) ngx_atomic_fetch_add(&ngx_http_analytics_metrics->spooled, 1);
    }
}


void
ngx_http_analytics_metrics_replayed()
{
    if (ngx_http_analytics_metrics != NULL) {
        (void) ngx_atomic_fetch_add(&ngx_http_analytics_metrics->replayed, 1);
    }
}


void
ngx_http_analytics_metrics_round_trip(ngx_uint_t calls)
{
    ngx_uint_t  bucket;

    if (ngx_http_analytics_metrics == NULL) {
        return;
    }
    /* the smallest power of two at least calls, up to 256; beyond: the last */
    for (bucket = 0; bucket < NGX_HTTP_ANALYTICS_BATCH_BUCKETS - 1 && ((ngx_uint_t) 1 << bucket) < calls; bucket++) {
        /* void */
    }
    (void) ngx_atomic_fetch_add(&ngx_http_analytics_metrics->batch_buckets[bucket], 1);
    (void) ngx_atomic_fetch_add(&ngx_http_analytics_metrics->batch_calls, calls);
}


static void
ngx_http_analytics_metrics_batch_size(ngx_uint_t endpoint, ngx_uint_t events)
{
    ngx_uint_t  bucket;

    if (ngx_http_analytics_metrics == NULL || endpoint >= NGX_HTTP_ANALYTICS_ENDPOINTS) {
        return;
    }
    for (bucket = 0;
         bucket < NGX_HTTP_ANALYTICS_SIZE_BUCKETS - 1 && ngx_http_analytics_metrics_sizes[bucket] < events;
         bucket++)
    {
        /* void */
    }
    (void) ngx_atomic_fetch_add(&ngx_http_analytics_metrics->size_buckets[endpoint][bucket], 1);
    (void) ngx_atomic_fetch_add(&ngx_http_analytics_metrics->size_events[endpoint], events);
}


/* at most: every answer line, every skip line, the histograms, the rest */
#define NGX_HTTP_ANALYTICS_METRICS_TEXT_MAX                                              \
    ((NGX_HTTP_ANALYTICS_ENDPOINTS * (NGX_HTTP_ANALYTICS_STATUS_SLOTS + NGX_HTTP_ANALYTICS_SIZE_BUCKETS + 4) \
      + NGX_HTTP_ANALYTICS_BATCH_BUCKETS + 32) * 160)


ngx_int_t
ngx_http_analytics_metrics_handler(ngx_http_request_t *r)
{
    static ngx_str_t   type = ngx_string("text/plain; version=0.0.4; charset=utf-8");
    ngx_int_t          rc;
    ngx_buf_t         *b;
    ngx_chain_t        out;

    if (!(r->method & (NGX_HTTP_GET | NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }
    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }
    if (ngx_http_analytics_metrics == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    b = ngx_create_temp_buf(r->pool, NGX_HTTP_ANALYTICS_METRICS_TEXT_MAX);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    b->last = ngx_http_analytics_metrics_print(b->pos, ngx_http_analytics_metrics);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    r->headers_out.content_type = type;
    r->headers_out.content_type_len = type.len;
    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }
    out.buf = b;
    out.next = NULL;
    return ngx_http_output_filter(r, &out);
}


/* answers with a count only (a series appears with its first request);
 * the rest always */
static u_char *
ngx_http_analytics_metrics_print(u_char *p, ngx_http_analytics_metrics_t *m)
{
    ngx_uint_t         e, s, b;
    ngx_atomic_uint_t  count, cumulative;

    p = ngx_sprintf(p, "# HELP analytics_module_answers_total Requests to the module's endpoints, by the status"
                       " answered.\n# TYPE analytics_module_answers_total counter\n");
    for (e = 1; e < NGX_HTTP_ANALYTICS_ENDPOINTS; e++) {
        for (s = 0; s < NGX_HTTP_ANALYTICS_STATUS_SLOTS; s++) {
            count = m->answered[e][s];
            if (count == 0) {
                continue;
            }
            if (s < NGX_HTTP_ANALYTICS_STATUS_SLOTS - 1) {
                p = ngx_sprintf(p, "analytics_module_answers_total{endpoint=\"%s\",status=\"%ui\"} %uA\n",
                                ngx_http_analytics_metrics_endpoints[e], ngx_http_analytics_metrics_statuses[s],
                                count);
            } else {
                p = ngx_sprintf(p, "analytics_module_answers_total{endpoint=\"%s\",status=\"other\"} %uA\n",
                                ngx_http_analytics_metrics_endpoints[e], count);
            }
        }
    }

    p = ngx_sprintf(p, "# HELP analytics_module_skipped_total Valid events answered as accepted and not sent"
                       " (analytics_skip, analytics_bots).\n# TYPE analytics_module_skipped_total counter\n");
    for (e = 1; e < NGX_HTTP_ANALYTICS_ENDPOINTS; e++) {
        p = ngx_sprintf(p, "analytics_module_skipped_total{endpoint=\"%s\",reason=\"analytics_skip\"} %uA\n"
                           "analytics_module_skipped_total{endpoint=\"%s\",reason=\"bot\"} %uA\n",
                        ngx_http_analytics_metrics_endpoints[e], m->skipped[e][NGX_HTTP_ANALYTICS_SKIPPED_BY_RULE],
                        ngx_http_analytics_metrics_endpoints[e], m->skipped[e][NGX_HTTP_ANALYTICS_SKIPPED_BOT]);
    }

    p = ngx_sprintf(p, "# HELP analytics_module_spooled_events_total Accepted events written to the spool while"
                       " Redis was away.\n# TYPE analytics_module_spooled_events_total counter\n"
                       "analytics_module_spooled_events_total %uA\n", m->spooled);
    p = ngx_sprintf(p, "# HELP analytics_module_replayed_calls_total Spooled calls Redis took on replay (a call"
                       " sent again after a failed one is counted again).\n"
                       "# TYPE analytics_module_replayed_calls_total counter\n"
                       "analytics_module_replayed_calls_total %uA\n", m->replayed);

    p = ngx_sprintf(p, "# HELP analytics_module_redis_calls_per_round_trip Calls in each command written to Redis"
                       " (a turn's batch, or a call alone); _count is the round trips.\n"
                       "# TYPE analytics_module_redis_calls_per_round_trip histogram\n");
    cumulative = 0;
    for (b = 0; b < NGX_HTTP_ANALYTICS_BATCH_BUCKETS; b++) {
        cumulative += m->batch_buckets[b];
        if (b < NGX_HTTP_ANALYTICS_BATCH_BUCKETS - 1) {
            p = ngx_sprintf(p, "analytics_module_redis_calls_per_round_trip_bucket{le=\"%ui\"} %uA\n",
                            (ngx_uint_t) 1 << b, cumulative);
        } else {
            p = ngx_sprintf(p, "analytics_module_redis_calls_per_round_trip_bucket{le=\"+Inf\"} %uA\n",
                            cumulative);
        }
    }
    p = ngx_sprintf(p, "analytics_module_redis_calls_per_round_trip_sum %uA\n"
                       "analytics_module_redis_calls_per_round_trip_count %uA\n", m->batch_calls, cumulative);
    return ngx_http_analytics_metrics_print_sizes(p, m);
}


/* per batch endpoint, with or without requests so far */
static u_char *
ngx_http_analytics_metrics_print_sizes(u_char *p, ngx_http_analytics_metrics_t *m)
{
    static const ngx_uint_t  batches[] = { NGX_HTTP_ANALYTICS_ENDPOINT_BATCH, NGX_HTTP_ANALYTICS_ENDPOINT_COLLECT_BATCH };
    const char              *name;
    ngx_uint_t               i, e, b;
    ngx_atomic_uint_t        cumulative;

    p = ngx_sprintf(p, "# HELP analytics_module_batch_events Events in each batch request whose body held any,"
                       " valid or not, whatever it was answered.\n"
                       "# TYPE analytics_module_batch_events histogram\n");
    for (i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
        e = batches[i];
        name = ngx_http_analytics_metrics_endpoints[e];
        cumulative = 0;
        for (b = 0; b < NGX_HTTP_ANALYTICS_SIZE_BUCKETS; b++) {
            cumulative += m->size_buckets[e][b];
            if (b < NGX_HTTP_ANALYTICS_SIZE_BUCKETS - 1) {
                p = ngx_sprintf(p, "analytics_module_batch_events_bucket{endpoint=\"%s\",le=\"%ui\"} %uA\n",
                                name, ngx_http_analytics_metrics_sizes[b], cumulative);
            } else {
                p = ngx_sprintf(p, "analytics_module_batch_events_bucket{endpoint=\"%s\",le=\"+Inf\"} %uA\n",
                                name, cumulative);
            }
        }
        p = ngx_sprintf(p, "analytics_module_batch_events_sum{endpoint=\"%s\"} %uA\n"
                           "analytics_module_batch_events_count{endpoint=\"%s\"} %uA\n",
                        name, m->size_events[e], name, cumulative);
    }
    return p;
}
