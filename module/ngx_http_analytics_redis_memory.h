/*
 * The worker's watch on each shard's Redis memory: INFO memory every second
 * on the shard's own connection. Above the high-water mark a shard takes no
 * new events (the endpoints answer 503) and the spool does not replay into
 * it, so that a Redis filling up while no aggregator drains it refuses
 * whole requests early instead of failing writes in the middle of a batch
 * at maxmemory. An OOM reply closes the shard at once, before the next look.
 */
#ifndef NGX_HTTP_ANALYTICS_REDIS_MEMORY_H
#define NGX_HTTP_ANALYTICS_REDIS_MEMORY_H

#include "ngx_http_analytics_nginx.h"

#include <hiredis/hiredis.h>

/* analytics_redis_high_water: percent of maxmemory, bytes, or both unset (off) */
typedef struct {
    ngx_uint_t  percent;
    size_t      bytes;
} ngx_http_analytics_high_water_t;

ngx_int_t ngx_http_analytics_redis_memory_init_worker(ngx_cycle_t *cycle,
    const ngx_http_analytics_high_water_t *conf, ngx_uint_t n_shards);
void ngx_http_analytics_redis_memory_exit_worker(void);

/* shard's Redis is above the mark (or said OOM since the last look) */
ngx_flag_t ngx_http_analytics_redis_full(ngx_uint_t shard);

/* a reply said Redis refused a write for want of memory */
void ngx_http_analytics_redis_memory_refused(ngx_uint_t shard, const redisReply *reply);

#endif
