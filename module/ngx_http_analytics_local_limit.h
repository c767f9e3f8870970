/*
 * The host's own rate limit, for when Redis (and with it the fleet-wide
 * limit) cannot be reached: the same GCRA, kept in nginx shared memory so
 * that every worker of the host shares it. A fixed table of slots, keys by
 * hash; two keys meeting in one slot share it, which only ever lets more
 * through, never fewer.
 */
#ifndef NGX_HTTP_ANALYTICS_LOCAL_LIMIT_H
#define NGX_HTTP_ANALYTICS_LOCAL_LIMIT_H

#include "ngx_http_analytics_nginx.h"

/* the zone, sized size; NULL on failure */
ngx_shm_zone_t *ngx_http_analytics_local_limit_zone(ngx_conf_t *cf, size_t size, void *tag);

/* counts cost requests of key (all or none) against limit per period:
 * NGX_OK allowed, NGX_BUSY over the limit (retry_after in whole seconds) */
ngx_int_t ngx_http_analytics_local_limit_take(ngx_shm_zone_t *zone, ngx_str_t *key, ngx_uint_t limit,
    ngx_msec_t period, ngx_uint_t cost, ngx_int_t *remaining, ngx_int_t *retry_after);

#endif
