#include "ngx_http_analytics_local_limit.h"


typedef struct {
    uint32_t  hash;
    uint32_t  used;
    uint64_t  tat;       /* theoretical arrival time, ms since the epoch */
} ngx_http_analytics_local_slot_t;


typedef struct {
    ngx_uint_t                        count;
    ngx_http_analytics_local_slot_t   slots[1];
} ngx_http_analytics_local_table_t;


static ngx_int_t ngx_http_analytics_local_limit_init_zone(ngx_shm_zone_t *zone, void *data);


ngx_shm_zone_t *
ngx_http_analytics_local_limit_zone(ngx_conf_t *cf, size_t size, void *tag)
{
    static ngx_str_t   name = ngx_string("analytics_local_limit");
    ngx_shm_zone_t    *zone;

    zone = ngx_shared_memory_add(cf, &name, size, tag);
    if (zone == NULL) {
        return NULL;
    }
    zone->init = ngx_http_analytics_local_limit_init_zone;
    return zone;
}


static ngx_int_t
ngx_http_analytics_local_limit_init_zone(ngx_shm_zone_t *zone, void *data)
{
    size_t                             room;
    ngx_slab_pool_t                   *shpool;
    ngx_http_analytics_local_table_t  *table;

    if (data != NULL) {
        /* a reload: keep the counts */
        zone->data = data;
        return NGX_OK;
    }
    shpool = reinterpret_cast<ngx_slab_pool_t *>(zone->shm.addr);
    if (zone->shm.exists) {
        zone->data = shpool->data;
        return NGX_OK;
    }

    /* most of the zone, less what the slab allocator keeps for itself */
    room = zone->shm.size / 2;
    table = static_cast<ngx_http_analytics_local_table_t *>(ngx_slab_calloc(shpool, room));
    if (table == NULL) {
        return NGX_ERROR;
    }
    table->count = (room - sizeof(ngx_http_analytics_local_table_t)) / sizeof(ngx_http_analytics_local_slot_t) + 1;
    shpool->data = table;
    zone->data = table;
    return NGX_OK;
}


ngx_int_t
ngx_http_analytics_local_limit_take(ngx_shm_zone_t *zone, ngx_str_t *key, ngx_uint_t limit, ngx_msec_t period,
    ngx_uint_t cost, ngx_int_t *remaining, ngx_int_t *retry_after)
{
    uint32_t                           hash;
    uint64_t                           now, tat, interval, capacity, next;
    ngx_time_t                        *tp;
    ngx_slab_pool_t                   *shpool;
    ngx_http_analytics_local_slot_t   *slot;
    ngx_http_analytics_local_table_t  *table;

    if (limit == 0) {
        *remaining = 0;
        return NGX_OK;
    }
    tp = ngx_timeofday();
    now = (uint64_t) tp->sec * 1000 + tp->msec;
    interval = (period + limit - 1) / limit;
    capacity = interval * limit;
    hash = ngx_crc32_short(key->data, key->len);

    shpool = reinterpret_cast<ngx_slab_pool_t *>(zone->shm.addr);
    table = static_cast<ngx_http_analytics_local_table_t *>(zone->data);
    slot = &table->slots[hash % table->count];

    ngx_shmtx_lock(&shpool->mutex);
    tat = slot->used && slot->hash == hash && slot->tat > now ? slot->tat : now;
    next = tat + interval * cost;
    if (next - now > capacity) {
        ngx_shmtx_unlock(&shpool->mutex);
        *remaining = 0;
        *retry_after = (ngx_int_t) ((next - capacity - now + 999) / 1000);
        if (*retry_after < 1) {
            *retry_after = 1;
        }
        return NGX_BUSY;
    }
    slot->hash = hash;
    slot->used = 1;
    slot->tat = next;
    ngx_shmtx_unlock(&shpool->mutex);

    *remaining = (ngx_int_t) ((capacity - (next - now)) / interval);
    return NGX_OK;
}
