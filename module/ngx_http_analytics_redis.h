/*
 * The worker's one Redis connection: hiredis's async API driven by nginx's
 * event loop, pipelined, with the timers hiredis 0.14 lacks (connect, command,
 * reconnect backoff) and a fixed table of in-flight calls so memory stays
 * bounded under load. On a Redis Cluster it follows the node that owns our
 * keys' slot: asked with CLUSTER SLOTS on every connect, and told by MOVED.
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
    ngx_uint_t  slot;              /* the Redis Cluster slot of every key we use */
} ngx_http_analytics_redis_conf_t;

ngx_int_t ngx_http_analytics_redis_init_worker(ngx_cycle_t *cycle,
    const ngx_http_analytics_redis_conf_t *conf);
void ngx_http_analytics_redis_exit_worker(void);

/*
 * Queues one command for r. NGX_OK: handler runs exactly once later, unless
 * r's pool is destroyed first. NGX_DECLINED: not connected or the in-flight
 * table is full; nothing was queued.
 */
ngx_int_t ngx_http_analytics_redis_send(ngx_http_request_t *r,
    ngx_http_analytics_redis_reply_pt handler, int argc, const char **argv,
    const size_t *argvlen);

/* reply is NULL when the call failed */
typedef void (*ngx_http_analytics_redis_internal_pt)(void *data, redisReply *reply);

/* the same for a call of the module's own (the spool's replay), with no
 * request behind it: handler runs exactly once, unless the worker exits */
ngx_int_t ngx_http_analytics_redis_send_internal(ngx_http_analytics_redis_internal_pt handler,
    void *data, int argc, const char **argv, const size_t *argvlen);

/* connected and the functions loaded */
ngx_flag_t ngx_http_analytics_redis_ready(void);

#endif
