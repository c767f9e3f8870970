/*
 * The analytics collector: answers the public beacon endpoints inside nginx,
 * validates them with the shared event contract, and hands each accepted
 * event to Redis in one FCALL on the worker's pipelined connection.
 *
 * This file holds the directives, the configuration and the worker's start
 * and exit; ngx_http_analytics_module.h says where the rest lives.
 */
#include "ngx_http_analytics_module.h"
#include "ngx_http_analytics_local_limit.h"
#include "ngx_http_analytics_metrics.h"
#include "ngx_http_analytics_bots.h"

#include "cluster_slot.h"
#include "redis_keys.h"


static ngx_int_t ngx_http_analytics_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_analytics_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_analytics_init_main_conf(ngx_conf_t *cf, void *conf);
static ngx_int_t ngx_http_analytics_init_shard(ngx_conf_t *cf, ngx_http_analytics_main_conf_t *amcf,
    ngx_uint_t k);
static void *ngx_http_analytics_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_analytics_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child);
static char *ngx_http_analytics_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_analytics_endpoint(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_analytics_rate_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_analytics_cors_origin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_analytics_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_analytics_bots(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_analytics_spool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_analytics_high_water(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
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

    { ngx_string("analytics_redis_high_water"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_analytics_high_water,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("analytics_spool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE123,
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

    { ngx_string("analytics_batch"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_analytics_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_ANALYTICS_ENDPOINT_BATCH,
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

    { ngx_string("analytics_collect_batch"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_analytics_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      NGX_HTTP_ANALYTICS_ENDPOINT_COLLECT_BATCH,
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

    { ngx_string("analytics_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_analytics_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("analytics_bots"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_analytics_bots,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("analytics_skip"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_set_predicate_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_analytics_loc_conf_t, skip),
      NULL },

    { ngx_string("analytics_cors_origin"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_analytics_cors_origin,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("analytics_tenant_origins"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_analytics_loc_conf_t, tenant_origins),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_analytics_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_analytics_postconfiguration,  /* postconfiguration */

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




/* the phase handlers are set up by now: the counters' log handler joins */
static ngx_int_t
ngx_http_analytics_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_analytics_main_conf_t  *amcf;

    amcf = static_cast<ngx_http_analytics_main_conf_t *>(
        ngx_http_conf_get_module_main_conf(cf, ngx_http_analytics_module));
    if (!amcf->endpoints_used && !amcf->metrics_used) {
        return NGX_OK;
    }
    /* the default of every browser's beacon */
    if (amcf->endpoints_used && amcf->builtin_bots == NULL) {
        amcf->builtin_bots = ngx_http_analytics_bots_builtin(cf);
        if (amcf->builtin_bots == NULL) {
            return NGX_ERROR;
        }
    }
    return ngx_http_analytics_metrics_init(cf, &ngx_http_analytics_module);
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
    amcf->high_water.percent = NGX_CONF_UNSET_UINT;
    amcf->n_shards = NGX_CONF_UNSET_UINT;
    amcf->local_limit_size = NGX_CONF_UNSET_SIZE;
    amcf->redis_configured = 0;
    amcf->endpoints_used = 0;
    amcf->metrics_used = 0;
    amcf->builtin_bots = NULL;

    return amcf;
}


static char *
ngx_http_analytics_init_main_conf(ngx_conf_t *cf, void *conf)
{
    auto  *amcf = static_cast<ngx_http_analytics_main_conf_t *>(conf);

    ngx_conf_init_msec_value(amcf->redis.connect_timeout, 1000);
    ngx_conf_init_msec_value(amcf->redis.command_timeout, 1000);
    ngx_conf_init_uint_value(amcf->redis.max_pending, 4096);
    ngx_conf_init_uint_value(amcf->high_water.percent, 90);

    ngx_conf_init_uint_value(amcf->n_shards, 1);
    if (amcf->n_shards < 1 || amcf->n_shards > ANALYTICS_MAX_SHARDS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"analytics_stream_shards\" must be from 1 to %d",
                           ANALYTICS_MAX_SHARDS);
        return static_cast<char *>(NGX_CONF_ERROR);
    }
    if (amcf->stream.data == NULL) {
        /* one hash tag keeps every key of a call in one Redis Cluster slot */
        ngx_str_set(&amcf->stream, ANALYTICS_KEY_STREAM);
    }
    ngx_str_set(&amcf->orders_keys[0], ANALYTICS_KEY_ORDERS);
    ngx_str_set(&amcf->orders_keys[1], ANALYTICS_KEY_ORDERS_TRACKED);
    ngx_str_set(&amcf->funnel_keys[0], ANALYTICS_KEY_TOKENS);
    ngx_str_set(&amcf->funnel_keys[1], ANALYTICS_KEY_FUNNEL_STEPS);
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
        ngx_string(ANALYTICS_KEY_TENANTS),
        ngx_string(ANALYTICS_KEY_VISITOR_SALTS),
        ngx_string(ANALYTICS_KEY_PRODUCTS)
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
                               "\"analytics_stream\" must carry the {analytics} hash tag, as \"" ANALYTICS_KEY_STREAM "\" does");
            return NGX_ERROR;
        }
    }

    shard->batch_keys[0] = shard->tenants_key;
    shard->batch_keys[1] = shard->stream;
    shard->batch_keys[2] = shard->salts_key;
    shard->batch_keys[3] = shard->products_key;
    shard->redis = amcf->redis;
    shard->redis.batch_function = ANALYTICS_FUNCTION_INGEST_BATCH;
    shard->redis.batch_keys = shard->batch_keys;
    shard->redis.n_batch_keys = 4;

    /* on a Redis Cluster one call may touch one slot only */
    shard->redis.slot = analytics_cluster_key_slot(reinterpret_cast<const char *>(shard->tenants_key.data),
                                                   shard->tenants_key.len);
    if (analytics_cluster_key_slot(reinterpret_cast<const char *>(shard->stream.data), shard->stream.len)
        != shard->redis.slot)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"analytics_stream\" must carry the {analytics} hash tag, as \"" ANALYTICS_KEY_STREAM "\" does");
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
    alcf->tenant_origins = NGX_CONF_UNSET;
    alcf->skip = static_cast<ngx_array_t *>(NGX_CONF_UNSET_PTR);
    alcf->bots = static_cast<ngx_regex_t *>(NGX_CONF_UNSET_PTR);

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
    ngx_conf_merge_value(conf->tenant_origins, prev->tenant_origins, 0);
    ngx_conf_merge_ptr_value(conf->skip, prev->skip, NULL);
    /* set nowhere, it stays UNSET_PTR: each endpoint's default */
    if (conf->bots == NGX_CONF_UNSET_PTR) {
        conf->bots = prev->bots;
    }

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


/* analytics_redis_high_water <percent>% | <size> | both | off: a size
 * applies to a Redis without maxmemory too; with both, the lower holds */
/* like stub_status: the location answers with the host's counters */
static char *
ngx_http_analytics_metrics(ngx_conf_t *cf, ngx_command_t *, void *)
{
    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_analytics_main_conf_t  *amcf;

    clcf = static_cast<ngx_http_core_loc_conf_t *>(ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));
    clcf->handler = ngx_http_analytics_metrics_handler;
    amcf = static_cast<ngx_http_analytics_main_conf_t *>(
        ngx_http_conf_get_module_main_conf(cf, ngx_http_analytics_module));
    amcf->metrics_used = 1;
    return NGX_CONF_OK;
}


/* on: the built-in list, on any endpoint; off; or a file's list */
static char *
ngx_http_analytics_bots(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto                            *alcf = static_cast<ngx_http_analytics_loc_conf_t *>(conf);
    ngx_str_t                       *value;
    ngx_http_analytics_main_conf_t  *amcf;

    if (alcf->bots != NGX_CONF_UNSET_PTR) {
        return const_cast<char *>("is duplicate");
    }
    value = static_cast<ngx_str_t *>(cf->args->elts);
    amcf = static_cast<ngx_http_analytics_main_conf_t *>(
        ngx_http_conf_get_module_main_conf(cf, ngx_http_analytics_module));

    if (ngx_strcmp(value[1].data, "off") == 0) {
        alcf->bots = NULL;
        return NGX_CONF_OK;
    }
    if (ngx_strcmp(value[1].data, "on") == 0) {
        if (amcf->builtin_bots == NULL) {
            amcf->builtin_bots = ngx_http_analytics_bots_builtin(cf);
        }
        alcf->bots = amcf->builtin_bots;
    } else {
        alcf->bots = ngx_http_analytics_bots_from_file(cf, &value[1]);
    }
    if (alcf->bots == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" could not be compiled", &cmd->name);
        return static_cast<char *>(NGX_CONF_ERROR);
    }
    return NGX_CONF_OK;
}


/* a level's list replaces the one it inherits, as add_header's does; a
 * pattern is compiled here, once, like valid_referers' */
static char *
ngx_http_analytics_cors_origin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto                              *alcf = static_cast<ngx_http_analytics_loc_conf_t *>(conf);
    u_char                             errstr[NGX_MAX_CONF_ERRSTR];
    ngx_str_t                         *value;
    ngx_regex_compile_t                rc;
    ngx_http_analytics_cors_origin_t  *allowed;

    value = static_cast<ngx_str_t *>(cf->args->elts);

    if (alcf->cors_origins == NGX_CONF_UNSET_PTR) {
        alcf->cors_origins = ngx_array_create(cf->pool, 4, sizeof(ngx_http_analytics_cors_origin_t));
        if (alcf->cors_origins == NULL) {
            return static_cast<char *>(NGX_CONF_ERROR);
        }
    }
    allowed = static_cast<ngx_http_analytics_cors_origin_t *>(ngx_array_push(alcf->cors_origins));
    if (allowed == NULL) {
        return static_cast<char *>(NGX_CONF_ERROR);
    }
    allowed->origin = value[1];
    allowed->regex = NULL;

    if (value[1].len == 0 || value[1].data[0] != '~') {
        return NGX_CONF_OK;
    }

    ngx_memzero(&rc, sizeof(ngx_regex_compile_t));
    rc.pattern.data = value[1].data + 1;
    rc.pattern.len = value[1].len - 1;
    if (rc.pattern.len > 0 && rc.pattern.data[0] == '*') {
        rc.pattern.data++;
        rc.pattern.len--;
        rc.options = NGX_REGEX_CASELESS;
    }
    if (rc.pattern.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%V \"%V\" has no expression", &cmd->name, &value[1]);
        return static_cast<char *>(NGX_CONF_ERROR);
    }
    rc.pool = cf->pool;
    rc.err.len = NGX_MAX_CONF_ERRSTR;
    rc.err.data = errstr;

    if (ngx_regex_compile(&rc) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%V: %V", &cmd->name, &rc.err);
        return static_cast<char *>(NGX_CONF_ERROR);
    }
    allowed->regex = rc.regex;
    return NGX_CONF_OK;
}


static char *
ngx_http_analytics_high_water(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto         *amcf = static_cast<ngx_http_analytics_main_conf_t *>(conf);
    ssize_t       size;
    ngx_int_t     percent;
    ngx_str_t    *value, number;
    ngx_uint_t    i;

    (void) cmd;
    value = static_cast<ngx_str_t *>(cf->args->elts);
    if (amcf->high_water.percent != NGX_CONF_UNSET_UINT) {
        return const_cast<char *>("is duplicate");
    }
    amcf->high_water.percent = 0;
    amcf->high_water.bytes = 0;
    if (cf->args->nelts == 2 && value[1].len == 3 && ngx_strncmp(value[1].data, "off", 3) == 0) {
        return NGX_CONF_OK;
    }

    for (i = 1; i < cf->args->nelts; i++) {
        if (value[i].len > 1 && value[i].data[value[i].len - 1] == '%') {
            number.data = value[i].data;
            number.len = value[i].len - 1;
            percent = ngx_atoi(number.data, number.len);
            if (percent < 1 || percent > 100 || amcf->high_water.percent != 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid high-water mark \"%V\": a percent is 1%% to 100%%",
                                   &value[i]);
                return static_cast<char *>(NGX_CONF_ERROR);
            }
            amcf->high_water.percent = (ngx_uint_t) percent;
            continue;
        }
        size = ngx_parse_size(&value[i]);
        if (size < 1024 * 1024 || amcf->high_water.bytes != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid high-water mark \"%V\": a size is at least 1m, a percent ends with %%",
                               &value[i]);
            return static_cast<char *>(NGX_CONF_ERROR);
        }
        amcf->high_water.bytes = (size_t) size;
    }
    return NGX_CONF_OK;
}


/* analytics_spool path [max=size] [sync=tick|answer] | off */
static char *
ngx_http_analytics_spool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    auto         *amcf = static_cast<ngx_http_analytics_main_conf_t *>(conf);
    ssize_t       size;
    ngx_str_t    *value, max;
    ngx_uint_t    i;
    ngx_path_t   *path;

    (void) cmd;
    value = static_cast<ngx_str_t *>(cf->args->elts);
    if (amcf->spool.path != NULL || amcf->spool.max_size != 0) {
        return const_cast<char *>("is duplicate");
    }
    amcf->spool.max_size = 64 * 1024 * 1024;

    for (i = 2; i < cf->args->nelts; i++) {
        if (value[i].len == 11 && ngx_strncmp(value[i].data, "sync=answer", 11) == 0) {
            amcf->spool.sync_on_answer = 1;
            continue;
        }
        if (value[i].len == 9 && ngx_strncmp(value[i].data, "sync=tick", 9) == 0) {
            amcf->spool.sync_on_answer = 0;
            continue;
        }
        if (value[i].len <= 4 || ngx_strncmp(value[i].data, "max=", 4) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"", &value[i]);
            return static_cast<char *>(NGX_CONF_ERROR);
        }
        max.data = value[i].data + 4;
        max.len = value[i].len - 4;
        size = ngx_parse_size(&max);
        if (size < 64 * 1024) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\": the spool needs at least 64k", &value[i]);
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
        ngx_http_analytics_event_random_seed();

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
        ngx_http_analytics_redis_memory_init_worker(cycle, &amcf->high_water, amcf->n_shards);
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
        ngx_http_analytics_redis_memory_exit_worker();
        ngx_http_analytics_redis_exit_worker();
    } catch (...) {
        /* nothing can be reported to a worker that is exiting */
    }
}
