/*
 * The worker's Redis connections, one per stream shard: hiredis's async API
 * driven by nginx's event loop, pipelined, with the timers hiredis 0.14 lacks
 * (connect, command, reconnect backoff) and a fixed table of in-flight calls
 * so memory stays bounded under load. On a Redis Cluster each follows the
 * node that owns its shard's slot: asked with CLUSTER SLOTS on every
 * connect, and told by MOVED.
 */
#ifndef NGX_HTTP_ANALYTICS_REDIS_H
#define NGX_HTTP_ANALYTICS_REDIS_H

#include "ngx_http_analytics_nginx.h"

#include <hiredis/hiredis.h>

/* reply is NULL when the call failed (connection lost, timed out) */
typedef void (*ngx_http_analytics_redis_reply_pt)(ngx_http_request_t *r,
    redisReply *reply);

typedef struct {
    ngx_str_t   address;           /* host:port as configured, for logs */
    u_char      ip[NGX_SOCKADDR_STRLEN + 1];  /* resolved at configuration time */
    in_port_t   port;
    ngx_msec_t  connect_timeout;
    ngx_msec_t  command_timeout;
    ngx_uint_t  max_pending;       /* in-flight calls per worker */
    ngx_uint_t  slot;              /* the Redis Cluster slot of every key of the shard */
    /* the batched function: its name, and the keys every batch starts with */
    const char *batch_function;
    ngx_str_t  *batch_keys;
    ngx_uint_t  n_batch_keys;
} ngx_http_analytics_redis_conf_t;

/* confs: one per shard, n of them */
ngx_int_t ngx_http_analytics_redis_init_worker(ngx_cycle_t *cycle,
    const ngx_http_analytics_redis_conf_t *const *confs, ngx_uint_t n);
void ngx_http_analytics_redis_exit_worker(void);

/*
 * Queues one command for r on shard's connection. NGX_OK: handler runs exactly once later, unless
 * r's pool is destroyed first. NGX_DECLINED: not connected or the in-flight
 * table is full; nothing was queued.
 */
ngx_int_t ngx_http_analytics_redis_send(ngx_http_request_t *r, ngx_uint_t shard,
    ngx_http_analytics_redis_reply_pt handler, int argc, const char **argv,
    const size_t *argvlen);

/*
 * Queues one call of the batched function for r: its keys and arguments are
 * copied, and every call queued in this turn of the event loop goes out as
 * one FCALL: <function> <batch keys> <each call's keys>, then ARGV <number of
 * calls> and for each call <its number of keys> <its number of arguments>
 * <its arguments>. handler gets the call's own element of the reply (or NULL,
 * or the reply itself when it is an error). NGX_OK and NGX_DECLINED as
 * ngx_http_analytics_redis_send; NGX_AGAIN: too large to join a batch, send
 * it alone.
 */
ngx_int_t ngx_http_analytics_redis_batch(ngx_http_request_t *r, ngx_uint_t shard,
    ngx_http_analytics_redis_reply_pt handler, int nkeys, const char **keys,
    const size_t *keylens, int nargs, const char **args, const size_t *arglens);

/* reply is NULL when the call failed */
typedef void (*ngx_http_analytics_redis_internal_pt)(void *data, redisReply *reply);

/* the same for a call of the module's own (the spool's replay), with no
 * request behind it: handler runs exactly once, unless the worker exits */
ngx_int_t ngx_http_analytics_redis_send_internal(ngx_uint_t shard, ngx_http_analytics_redis_internal_pt handler,
    void *data, int argc, const char **argv, const size_t *argvlen);

/* shard's connection is up and the functions loaded */
ngx_flag_t ngx_http_analytics_redis_ready(ngx_uint_t shard);

#endif
