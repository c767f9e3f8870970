#include "ngx_http_analytics_redis_memory.h"
#include "ngx_http_analytics_redis.h"

#include "redis_memory.h"
#include "stream_shard.h"

#define NGX_HTTP_ANALYTICS_MEMORY_TICK  1000   /* ms between looks */


class ngx_http_analytics_redis_memory {
public:
    ngx_http_analytics_redis_memory() = default;
    ngx_http_analytics_redis_memory(const ngx_http_analytics_redis_memory &) = delete;
    ngx_http_analytics_redis_memory &operator=(const ngx_http_analytics_redis_memory &) = delete;

    void       init(ngx_cycle_t *cycle, const ngx_http_analytics_high_water_t *conf, ngx_uint_t n_shards);
    void       shutdown();
    ngx_flag_t full(ngx_uint_t shard) const { return shard < n_shards_ && shards_[shard].full; }
    void       refused(ngx_uint_t shard);

private:
    struct shard_watch {
        ngx_http_analytics_redis_memory  *owner;
        ngx_uint_t                        shard;
        bool                              asked;   /* an INFO in flight */
        bool                              full;
    };

    void        judge(shard_watch *watch, redisReply *reply);
    static void on_tick(ngx_event_t *ev);
    static void on_info(void *data, redisReply *reply);

    const ngx_http_analytics_high_water_t *conf_ = nullptr;
    ngx_log_t                             *log_ = nullptr;
    ngx_uint_t                             n_shards_ = 0;
    shard_watch                            shards_[ANALYTICS_MAX_SHARDS] = {};
    ngx_event_t                            tick_{};
};


static ngx_http_analytics_redis_memory  ngx_http_analytics_worker_redis_memory;


void
ngx_http_analytics_redis_memory::init(ngx_cycle_t *cycle, const ngx_http_analytics_high_water_t *conf,
    ngx_uint_t n_shards)
{
    conf_ = conf;
    log_ = cycle->log;
    n_shards_ = n_shards;
    for (ngx_uint_t k = 0; k < n_shards; k++) {
        shards_[k] = shard_watch{this, k, false, false};
    }
    /* looks even without a mark: they reopen a shard an OOM reply closed */
    tick_.handler = on_tick;
    tick_.data = this;
    tick_.log = log_;
    tick_.cancelable = 1;
    ngx_add_timer(&tick_, 1);
}


void
ngx_http_analytics_redis_memory::shutdown()
{
    if (tick_.timer_set) {
        ngx_del_timer(&tick_);
    }
    n_shards_ = 0;
}


void
ngx_http_analytics_redis_memory::refused(ngx_uint_t shard)
{
    if (shard >= n_shards_ || shards_[shard].full) {
        return;
    }
    shards_[shard].full = true;
    ngx_log_error(NGX_LOG_WARN, log_, 0,
                  "analytics: redis of shard %ui is out of memory: new events are refused (503)", shard);
}


void
ngx_http_analytics_redis_memory::on_tick(ngx_event_t *ev)
{
    static const char    *argv[] = {"INFO", "memory"};
    static const size_t   argvlen[] = {4, 6};
    auto                 *memory = static_cast<ngx_http_analytics_redis_memory *>(ev->data);

    for (ngx_uint_t k = 0; k < memory->n_shards_; k++) {
        shard_watch  *watch = &memory->shards_[k];

        if (!watch->asked && ngx_http_analytics_redis_ready(k)
            && ngx_http_analytics_redis_send_internal(k, on_info, watch, 2, argv, argvlen) == NGX_OK)
        {
            watch->asked = true;
        }
    }
    if (!ngx_exiting && !ngx_terminate) {
        ngx_add_timer(&memory->tick_, NGX_HTTP_ANALYTICS_MEMORY_TICK);
    }
}


void
ngx_http_analytics_redis_memory::on_info(void *data, redisReply *reply)
{
    auto  *watch = static_cast<shard_watch *>(data);

    watch->asked = false;
    watch->owner->judge(watch, reply);
}


/* a lost answer changes nothing: the next look decides */
void
ngx_http_analytics_redis_memory::judge(shard_watch *watch, redisReply *reply)
{
    bool                     full;
    ngx_uint_t               level;
    unsigned long long       mark;
    analytics_redis_memory   memory;

    if (reply == nullptr || reply->type != REDIS_REPLY_STRING
        || analytics_redis_memory_read(reply->str, reply->len, &memory) != 0)
    {
        return;
    }
    mark = analytics_redis_high_water_mark(&memory, (unsigned) conf_->percent, conf_->bytes);
    full = mark > 0 && memory.used >= mark;
    if (full != watch->full) {
        level = full ? NGX_LOG_WARN : NGX_LOG_NOTICE;
        ngx_log_error(level, log_, 0,
                      full ? "analytics: redis of shard %ui holds %uL bytes, at or above the high-water mark of "
                             "%uL: new events are refused (503) until it drains"
                           : "analytics: redis of shard %ui holds %uL bytes, under the high-water mark of %uL: "
                             "events are taken again",
                      watch->shard, memory.used, mark);
    }
    watch->full = full;
}


ngx_int_t
ngx_http_analytics_redis_memory_init_worker(ngx_cycle_t *cycle, const ngx_http_analytics_high_water_t *conf,
    ngx_uint_t n_shards)
{
    ngx_http_analytics_worker_redis_memory.init(cycle, conf, n_shards);
    return NGX_OK;
}


void
ngx_http_analytics_redis_memory_exit_worker(void)
{
    ngx_http_analytics_worker_redis_memory.shutdown();
}


ngx_flag_t
ngx_http_analytics_redis_full(ngx_uint_t shard)
{
    return ngx_http_analytics_worker_redis_memory.full(shard);
}


void
ngx_http_analytics_redis_memory_refused(ngx_uint_t shard, const redisReply *reply)
{
    if (reply != nullptr && reply->type == REDIS_REPLY_ERROR && reply->len >= 3
        && ngx_strncmp(reply->str, "OOM", 3) == 0)
    {
        ngx_http_analytics_worker_redis_memory.refused(shard);
    }
}
