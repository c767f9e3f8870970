/*
 * The worker's link to one shard's Redis, shared by ngx_http_analytics_redis.cpp
 * (the connection, the in-flight table, the replies) and
 * ngx_http_analytics_redis_batch.cpp (its batching); nothing else sees it.
 */
#ifndef NGX_HTTP_ANALYTICS_REDIS_LINK_H
#define NGX_HTTP_ANALYTICS_REDIS_LINK_H

#include "ngx_http_analytics_redis.h"
#include "ngx_http_analytics_redis_batch.h"

#include <hiredis/async.h>

#define NGX_HTTP_ANALYTICS_BACKOFF_MIN   500     /* ms */
#define NGX_HTTP_ANALYTICS_BACKOFF_MAX   10000   /* ms */
#define NGX_HTTP_ANALYTICS_NO_SLOT       ((ngx_uint_t) -1)


class ngx_http_analytics_redis_link;


/*
 * An in-flight call. hiredis gets the slot, never the request: the request
 * may be gone when the reply comes, and its pool cleanup clears r.
 */
struct ngx_http_analytics_redis_slot_t {
    ngx_http_analytics_redis_link       *link;      /* whose table it is in */
    ngx_http_request_t                  *r;
    ngx_http_analytics_redis_reply_pt    handler;
    /* a call of the module's own: no request, a handler with its data */
    ngx_http_analytics_redis_internal_pt internal;
    void                                *internal_data;
    ngx_uint_t                           generation;
    ngx_msec_t                           sent;
    ngx_uint_t                           next;      /* free list or FIFO */
};


struct ngx_http_analytics_redis_slot_ref_t {
    ngx_http_analytics_redis_slot_t     *slot;
    ngx_uint_t                           generation;
};


class ngx_http_analytics_redis_link {
public:
    ngx_http_analytics_redis_link() = default;
    ngx_http_analytics_redis_link(const ngx_http_analytics_redis_link &) = delete;
    ngx_http_analytics_redis_link &operator=(const ngx_http_analytics_redis_link &) = delete;

    ngx_int_t init(ngx_cycle_t *cycle, const ngx_http_analytics_redis_conf_t *conf);
    void      shutdown();
    ngx_int_t send(ngx_http_request_t *r, ngx_http_analytics_redis_reply_pt handler,
                   int argc, const char **argv, const size_t *argvlen);
    ngx_int_t send_internal(ngx_http_analytics_redis_internal_pt handler, void *data,
                            int argc, const char **argv, const size_t *argvlen);
    ngx_int_t batch(ngx_http_request_t *r, ngx_http_analytics_redis_reply_pt handler,
                    int nkeys, const char **keys, const size_t *keylens,
                    int nargs, const char **args, const size_t *arglens);
    bool      ready() const { return ac_ != nullptr && ready_; }

private:
    void connect();
    void init_event(ngx_event_t &ev, ngx_event_handler_pt handler, unsigned cancelable);
    void drop(const char *why, bool at_once = false);
    void schedule_reconnect(bool at_once = false);
    void arm_command_timer();
    void enqueue(ngx_uint_t index);
    ngx_uint_t take_slot(ngx_http_request_t *r, ngx_http_analytics_redis_reply_pt handler);
    void watch_request(ngx_pool_cleanup_t *cln, ngx_uint_t index);
    void flush_batch();
    void fail_batch();
    static void on_batch_flush(ngx_event_t *ev);
    static void on_batch_reply(void *data, redisReply *reply);
    void complete(ngx_http_analytics_redis_slot_t *slot, redisReply *reply);
    bool retarget(const char *ip, size_t ip_len, long long port);


    static void on_connect(const redisAsyncContext *ac, int status);
    static void on_disconnect(const redisAsyncContext *ac, int status);
    static void on_functions_loaded(redisAsyncContext *ac, void *reply, void *privdata);
    static void on_cluster_slots(redisAsyncContext *ac, void *reply, void *privdata);
    static void on_reply(redisAsyncContext *ac, void *reply, void *privdata);
    static void on_read(ngx_event_t *ev);
    static void on_write(ngx_event_t *ev);
    static void on_connect_timeout(ngx_event_t *ev);
    static void on_command_timeout(ngx_event_t *ev);
    static void on_reconnect(ngx_event_t *ev);
    static void on_request_gone(void *data);
    static void ev_add_read(void *privdata);
    static void ev_del_read(void *privdata);
    static void ev_add_write(void *privdata);
    static void ev_del_write(void *privdata);
    static void ev_cleanup(void *privdata);

    const ngx_http_analytics_redis_conf_t *conf_ = nullptr;
    ngx_log_t                             *log_ = nullptr;
    /* where we connect: the configured address, or the cluster node that
     * owns our slot; always a literal address, so connecting never resolves */
    char                                   target_ip_[NGX_SOCKADDR_STRLEN + 1] = {};
    int                                    target_port_ = 0;
    redisAsyncContext                     *ac_ = nullptr;
    /* the context whose fd conn_ wraps, kept past ac_ for ev_cleanup */
    redisAsyncContext                     *attached_ = nullptr;
    ngx_connection_t                      *conn_ = nullptr;
    bool                                   ready_ = false;
    bool                                   exiting_ = false;
    ngx_msec_t                             backoff_ = NGX_HTTP_ANALYTICS_BACKOFF_MIN;

    ngx_event_t                            connect_timer_{};
    ngx_event_t                            command_timer_{};
    ngx_event_t                            reconnect_timer_{};

    ngx_http_analytics_redis_slot_t       *slots_ = nullptr;
    ngx_uint_t                             free_ = NGX_HTTP_ANALYTICS_NO_SLOT;
    /* replies come in command order, so the oldest call is the FIFO head */
    ngx_uint_t                             head_ = NGX_HTTP_ANALYTICS_NO_SLOT;
    ngx_uint_t                             tail_ = NGX_HTTP_ANALYTICS_NO_SLOT;
    ngx_uint_t                             pending_ = 0;

    /* the batch gathered in this turn of the event loop: its calls' slots,
     * chained by next outside the FIFO, and the slot its FCALL will use */
    ngx_uint_t                             batch_first_ = NGX_HTTP_ANALYTICS_NO_SLOT;
    ngx_uint_t                             batch_last_ = NGX_HTTP_ANALYTICS_NO_SLOT;
    ngx_uint_t                             batch_carrier_ = NGX_HTTP_ANALYTICS_NO_SLOT;
    ngx_http_analytics_redis_batch_buffer  batch_;
    ngx_event_t                            batch_flush_{};
};

#endif
