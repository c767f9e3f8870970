/*
 * The worker's Redis links: connecting (and following the cluster node that
 * owns the shard's slot), loading the function library, the in-flight table
 * and its timers, and the replies. Batching is ngx_http_analytics_redis_batch.cpp.
 */
#include "ngx_http_analytics_redis_link.h"
#include "ngx_http_analytics_metrics.h"

#include "analytics_redis_library.h"
#include "stream_shard.h"

#include <sys/ioctl.h>


static ngx_http_analytics_redis_link  ngx_http_analytics_redis_worker_links[ANALYTICS_MAX_SHARDS];
static ngx_uint_t                     ngx_http_analytics_redis_worker_shards;


/* "MOVED <slot> <ip>:<port>": where the cluster keeps our slot now */
static bool
ngx_http_analytics_redis_moved(const redisReply *reply, ngx_str_t *ip, ngx_int_t *port)
{
    u_char  *last, *space, *colon;

    if (reply->type != REDIS_REPLY_ERROR || reply->len <= 6 || ngx_strncmp(reply->str, "MOVED ", 6) != 0) {
        return false;
    }
    last = reinterpret_cast<u_char *>(reply->str) + reply->len;
    space = ngx_strlchr(reinterpret_cast<u_char *>(reply->str) + 6, last, ' ');
    if (space == nullptr) {
        return false;
    }
    /* the last colon: an IPv6 address has its own */
    for (colon = last - 1; colon > space && *colon != ':'; colon--) { /* void */ }
    if (colon == space) {
        return false;
    }
    ip->data = space + 1;
    ip->len = colon - space - 1;
    *port = ngx_atoi(colon + 1, last - colon - 1);
    return *port != NGX_ERROR;
}


ngx_int_t
ngx_http_analytics_redis_link::init(ngx_cycle_t *cycle,
    const ngx_http_analytics_redis_conf_t *conf)
{
    ngx_uint_t  i;

    conf_ = conf;
    log_ = cycle->log;
    exiting_ = false;
    ngx_cpystrn(reinterpret_cast<u_char *>(target_ip_), const_cast<u_char *>(conf->ip), sizeof(target_ip_));
    target_port_ = conf->port;

    slots_ = static_cast<ngx_http_analytics_redis_slot_t *>(
        ngx_calloc(conf->max_pending * sizeof(ngx_http_analytics_redis_slot_t), log_));
    if (slots_ == nullptr) {
        return NGX_ERROR;
    }
    for (i = 0; i < conf->max_pending; i++) {
        slots_[i].link = this;
        slots_[i].next = i + 1 < conf->max_pending ? i + 1 : NGX_HTTP_ANALYTICS_NO_SLOT;
    }
    free_ = 0;

    if (batch_.init(log_) != NGX_OK) {
        return NGX_ERROR;
    }
    /* a cancelable timer does not hold a worker that is shutting down */
    init_event(batch_flush_, on_batch_flush, 0);
    init_event(connect_timer_, on_connect_timeout, 1);
    init_event(command_timer_, on_command_timeout, 0);
    init_event(reconnect_timer_, on_reconnect, 1);

    connect();
    return NGX_OK;
}


void
ngx_http_analytics_redis_link::shutdown()
{
    exiting_ = true;

    if (reconnect_timer_.timer_set) {
        ngx_del_timer(&reconnect_timer_);
    }
    if (ac_ != nullptr) {
        /* fires every pending callback with NULL, then ev_cleanup */
        redisAsyncFree(ac_);
        ac_ = nullptr;
    }
    if (batch_flush_.posted) {
        ngx_delete_posted_event(&batch_flush_);
    }
    if (slots_ != nullptr) {
        ngx_free(slots_);
        slots_ = nullptr;
    }
    batch_.release();
}



void
ngx_http_analytics_redis_link::init_event(ngx_event_t &ev, ngx_event_handler_pt handler, unsigned cancelable)
{
    ev.handler = handler;
    ev.data = this;
    ev.log = log_;
    ev.cancelable = cancelable;
}

void
ngx_http_analytics_redis_link::connect()
{
    ngx_connection_t  *c;

    ready_ = false;

    ac_ = redisAsyncConnect(target_ip_, target_port_);
    if (ac_ == nullptr) {
        ngx_log_error(NGX_LOG_ERR, log_, 0, "analytics: redis %V: out of memory",
                      &conf_->address);
        schedule_reconnect();
        return;
    }
    if (ac_->err) {
        ngx_log_error(NGX_LOG_ERR, log_, 0, "analytics: redis %V: %s",
                      &conf_->address, ac_->errstr);
        redisAsyncFree(ac_);
        ac_ = nullptr;
        schedule_reconnect();
        return;
    }

    c = ngx_get_connection(ac_->c.fd, log_);
    if (c == nullptr) {
        redisAsyncFree(ac_);
        ac_ = nullptr;
        schedule_reconnect();
        return;
    }
    attached_ = ac_;
    c->data = this;
    c->read->handler = on_read;
    c->write->handler = on_write;
    c->read->log = log_;
    c->write->log = log_;
    conn_ = c;

    ac_->data = this;
    ac_->ev.data = this;
    ac_->ev.addRead = ev_add_read;
    ac_->ev.delRead = ev_del_read;
    ac_->ev.addWrite = ev_add_write;
    ac_->ev.delWrite = ev_del_write;
    ac_->ev.cleanup = ev_cleanup;
    redisAsyncSetConnectCallback(ac_, on_connect);
    redisAsyncSetDisconnectCallback(ac_, on_disconnect);

    if (ngx_add_conn) {
        /* epoll: one edge-triggered registration for both directions */
        if (ngx_add_conn(c) != NGX_OK) {
            drop("cannot register the connection");
            return;
        }
    }

    /* a standalone Redis answers an error; a cluster node names our slot's owner */
    const char *slots_argv[] = { "CLUSTER", "SLOTS" };
    size_t slots_argvlen[] = { 7, 5 };
    redisAsyncCommandArgv(ac_, on_cluster_slots, nullptr, 2, slots_argv, slots_argvlen);

    /* queued ahead of every request, so no call ever meets a missing function */
    const char *argv[] = { "FUNCTION", "LOAD", "REPLACE", analytics_redis_library };
    size_t argvlen[] = { 8, 4, 7, sizeof(analytics_redis_library) - 1 };
    redisAsyncCommandArgv(ac_, on_functions_loaded, nullptr, 4, argv, argvlen);

    ngx_add_timer(&connect_timer_, conf_->connect_timeout);
}


/* frees the context; hiredis then fails every pending call with NULL.
 * at_once: the next connection goes to a new address, no backoff */
void
ngx_http_analytics_redis_link::drop(const char *why, bool at_once)
{
    redisAsyncContext  *ac = ac_;

    if (ac == nullptr) {
        return;
    }
    ngx_log_error(NGX_LOG_ERR, log_, 0, "analytics: redis %V: %s, reconnecting",
                  &conf_->address, why);
    ac_ = nullptr;
    ready_ = false;
    redisAsyncFree(ac);
    schedule_reconnect(at_once);
}


void
ngx_http_analytics_redis_link::schedule_reconnect(bool at_once)
{
    ngx_msec_t  delay;

    if (exiting_ || ngx_exiting || ngx_terminate || reconnect_timer_.timer_set) {
        return;
    }
    if (connect_timer_.timer_set) {
        ngx_del_timer(&connect_timer_);
    }

    if (at_once) {
        ngx_add_timer(&reconnect_timer_, 1);
        return;
    }

    /* jitter spreads a fleet's reconnects after a Redis restart */
    delay = backoff_ / 2 + ngx_random() % (backoff_ / 2 + 1);
    backoff_ = ngx_min(backoff_ * 2, NGX_HTTP_ANALYTICS_BACKOFF_MAX);
    ngx_add_timer(&reconnect_timer_, delay);
}


void
ngx_http_analytics_redis_link::arm_command_timer()
{
    ngx_msec_t  age;

    if (head_ == NGX_HTTP_ANALYTICS_NO_SLOT) {
        if (command_timer_.timer_set) {
            ngx_del_timer(&command_timer_);
        }
        return;
    }
    age = ngx_current_msec - slots_[head_].sent;
    ngx_add_timer(&command_timer_,
                  age < conf_->command_timeout ? conf_->command_timeout - age : 1);
}


ngx_int_t
ngx_http_analytics_redis_link::send(ngx_http_request_t *r,
    ngx_http_analytics_redis_reply_pt handler, int argc, const char **argv,
    const size_t *argvlen)
{
    size_t                            len;
    u_char                           *command;
    ngx_uint_t                        index;
    ngx_pool_cleanup_t               *cln;
    ngx_http_analytics_redis_slot_t  *slot;

    if (ac_ == nullptr || free_ == NGX_HTTP_ANALYTICS_NO_SLOT) {
        return NGX_DECLINED;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_analytics_redis_slot_ref_t));
    if (cln == nullptr) {
        return NGX_DECLINED;
    }

    index = free_;
    slot = &slots_[index];

    /* formatted here at once: hiredis formats a batch request's hundreds of
     * arguments one by one, with an sds each */
    command = ngx_http_analytics_resp_command(r->pool, argc, argv, argvlen, &len);
    if (command == nullptr
        || redisAsyncFormattedCommand(ac_, on_reply, slot, reinterpret_cast<const char *>(command), len)
           != REDIS_OK)
    {
        cln->handler = nullptr;
        return NGX_DECLINED;
    }
    ngx_http_analytics_metrics_round_trip(1);

    take_slot(r, handler);
    enqueue(index);
    watch_request(cln, index);
    return NGX_OK;
}




/* a free slot for r (or for a batch's own FCALL: r NULL), out of the free
 * list but in no FIFO yet */
ngx_uint_t
ngx_http_analytics_redis_link::take_slot(ngx_http_request_t *r, ngx_http_analytics_redis_reply_pt handler)
{
    ngx_uint_t                        index;
    ngx_http_analytics_redis_slot_t  *slot;

    index = free_;
    slot = &slots_[index];
    free_ = slot->next;
    slot->generation++;
    slot->next = NGX_HTTP_ANALYTICS_NO_SLOT;
    slot->r = r;
    slot->handler = handler;
    slot->internal = nullptr;
    slot->internal_data = nullptr;
    return index;
}


/* cln, a cleanup of the request's pool, clears the slot's request when the
 * pool goes first */
void
ngx_http_analytics_redis_link::watch_request(ngx_pool_cleanup_t *cln, ngx_uint_t index)
{
    ngx_http_analytics_redis_slot_ref_t  *ref;

    ref = static_cast<ngx_http_analytics_redis_slot_ref_t *>(cln->data);
    ref->slot = &slots_[index];
    ref->generation = slots_[index].generation;
    cln->handler = on_request_gone;
}




/* a taken slot, just sent, joins the in-flight FIFO */
void
ngx_http_analytics_redis_link::enqueue(ngx_uint_t index)
{
    ngx_http_analytics_redis_slot_t  *slot = &slots_[index];

    slot->sent = ngx_current_msec;
    slot->next = NGX_HTTP_ANALYTICS_NO_SLOT;
    if (tail_ == NGX_HTTP_ANALYTICS_NO_SLOT) {
        head_ = index;
    } else {
        slots_[tail_].next = index;
    }
    tail_ = index;
    pending_++;

    if (!command_timer_.timer_set) {
        arm_command_timer();
    }
}


ngx_int_t
ngx_http_analytics_redis_link::send_internal(ngx_http_analytics_redis_internal_pt handler, void *data,
    int argc, const char **argv, const size_t *argvlen)
{
    ngx_uint_t                        index;
    ngx_http_analytics_redis_slot_t  *slot;

    if (!ready() || free_ == NGX_HTTP_ANALYTICS_NO_SLOT) {
        return NGX_DECLINED;
    }
    index = free_;
    slot = &slots_[index];
    if (redisAsyncCommandArgv(ac_, on_reply, slot, argc, argv, argvlen) != REDIS_OK) {
        return NGX_DECLINED;
    }

    take_slot(nullptr, nullptr);
    slot->internal = handler;
    slot->internal_data = data;
    enqueue(index);
    return NGX_OK;
}


void
ngx_http_analytics_redis_link::on_request_gone(void *data)
{
    ngx_http_analytics_redis_slot_ref_t  *ref;

    ref = static_cast<ngx_http_analytics_redis_slot_ref_t *>(data);
    if (ref->slot->generation == ref->generation) {
        ref->slot->r = nullptr;
    }
}


void
ngx_http_analytics_redis_link::complete(ngx_http_analytics_redis_slot_t *slot,
    redisReply *reply)
{
    void                                  *internal_data;
    ngx_uint_t                             index;
    ngx_http_request_t                    *r;
    ngx_http_analytics_redis_internal_pt   internal;

    index = slot - slots_;

    /* hiredis answers in order; anything else means our bookkeeping broke */
    if (index != head_) {
        ngx_log_error(NGX_LOG_ALERT, log_, 0, "analytics: redis reply out of order");
    }
    head_ = slot->next;
    if (head_ == NGX_HTTP_ANALYTICS_NO_SLOT) {
        tail_ = NGX_HTTP_ANALYTICS_NO_SLOT;
    }
    pending_--;

    r = slot->r;
    internal = slot->internal;
    internal_data = slot->internal_data;
    slot->r = nullptr;
    slot->internal = nullptr;
    slot->generation++;
    slot->next = free_;
    free_ = index;

    if (!exiting_) {
        arm_command_timer();
    }

    if (r != nullptr && !exiting_) {
        slot->handler(r, reply);
    }
    if (internal != nullptr && !exiting_) {
        internal(internal_data, reply);
    }
}


void
ngx_http_analytics_redis_link::on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    auto       *slot = static_cast<ngx_http_analytics_redis_slot_t *>(privdata);
    auto       *link = slot->link;
    auto       *rr = static_cast<redisReply *>(reply);
    bool        moved;
    ngx_str_t   ip;
    ngx_int_t   port;

    (void) ac;

    moved = false;
    if (rr != nullptr) {
        link->backoff_ = NGX_HTTP_ANALYTICS_BACKOFF_MIN;
        /* the cluster resharded: this call fails, the next ones go to the new owner */
        if (ngx_http_analytics_redis_moved(rr, &ip, &port)) {
            moved = link->retarget(reinterpret_cast<const char *>(ip.data), ip.len, port);
        }
    }
    link->complete(slot, rr);
    if (moved) {
        link->drop("our slot moved to another node", true);
    }
}


void
ngx_http_analytics_redis_link::on_functions_loaded(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    auto        *link = static_cast<ngx_http_analytics_redis_link *>(ac->data);
    auto        *rr = static_cast<redisReply *>(reply);

    (void) privdata;

    if (rr == nullptr) {
        return;   /* the context is being freed */
    }
    if (rr->type == REDIS_REPLY_ERROR) {
        /* LOADING after a restart, or a Redis older than 7 */
        ngx_log_error(NGX_LOG_ERR, link->log_, 0,
                      "analytics: redis %V: FUNCTION LOAD failed: %s",
                      &link->conf_->address, rr->str);
        link->drop("functions not loaded");
        return;
    }
    link->ready_ = true;
    link->backoff_ = NGX_HTTP_ANALYTICS_BACKOFF_MIN;
    if (link->connect_timer_.timer_set) {
        ngx_del_timer(&link->connect_timer_);
    }
}


/* points the next connection at ip:port; true when that is a change */
bool
ngx_http_analytics_redis_link::retarget(const char *ip, size_t ip_len, long long port)
{
    u_char           text[NGX_SOCKADDR_STRLEN + 1];
    struct in6_addr  inaddr6;

    if (ip_len == 0 || ip_len >= sizeof(text) || port <= 0 || port > 65535) {
        return false;
    }
    ngx_memcpy(text, ip, ip_len);
    text[ip_len] = '\0';
    /* a host name would make hiredis resolve it, blocking the worker */
    if (ngx_inet_addr(text, ip_len) == INADDR_NONE && ngx_inet6_addr(text, ip_len, inaddr6.s6_addr) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, log_, 0, "analytics: redis %V: cluster node \"%s\" is not an address",
                      &conf_->address, text);
        return false;
    }
    if (ngx_strcmp(text, target_ip_) == 0 && port == target_port_) {
        return false;
    }
    ngx_log_error(NGX_LOG_NOTICE, log_, 0, "analytics: redis %V: slot %ui is served by %s:%L",
                  &conf_->address, conf_->slot, text, port);
    ngx_memcpy(target_ip_, text, ip_len + 1);
    target_port_ = static_cast<int>(port);
    return true;
}


void
ngx_http_analytics_redis_link::on_cluster_slots(redisAsyncContext *ac, void *reply, void *privdata)
{
    auto        *link = static_cast<ngx_http_analytics_redis_link *>(ac->data);
    auto        *rr = static_cast<redisReply *>(reply);
    redisReply  *range, *node;
    size_t       i;

    (void) privdata;

    if (rr == nullptr || rr->type != REDIS_REPLY_ARRAY) {
        return;   /* being freed, or not a cluster */
    }
    /* [[first slot, last slot, [ip, port, id, ...], replicas...], ...] */
    for (i = 0; i < rr->elements; i++) {
        range = rr->element[i];
        if (range->type != REDIS_REPLY_ARRAY || range->elements < 3
            || range->element[0]->type != REDIS_REPLY_INTEGER || range->element[1]->type != REDIS_REPLY_INTEGER
            || (ngx_uint_t) range->element[0]->integer > link->conf_->slot
            || (ngx_uint_t) range->element[1]->integer < link->conf_->slot)
        {
            continue;
        }
        node = range->element[2];
        if (node->type == REDIS_REPLY_ARRAY && node->elements >= 2 && node->element[0]->type == REDIS_REPLY_STRING
            && node->element[1]->type == REDIS_REPLY_INTEGER
            && link->retarget(node->element[0]->str, node->element[0]->len, node->element[1]->integer))
        {
            link->drop("our slot is served by another node", true);
        }
        return;
    }
}


void
ngx_http_analytics_redis_link::on_connect(const redisAsyncContext *ac, int status)
{
    auto  *link = static_cast<ngx_http_analytics_redis_link *>(ac->data);

    if (status != REDIS_OK) {
        /* hiredis frees the context itself after this callback */
        ngx_log_error(NGX_LOG_ERR, link->log_, 0, "analytics: redis %V: connect: %s",
                      &link->conf_->address, ac->errstr);
        link->ac_ = nullptr;
        link->schedule_reconnect();
    }
}


void
ngx_http_analytics_redis_link::on_disconnect(const redisAsyncContext *ac, int status)
{
    auto  *link = static_cast<ngx_http_analytics_redis_link *>(ac->data);

    if (link->ac_ != ac) {
        return;   /* we freed it ourselves in drop() or shutdown() */
    }
    if (status != REDIS_OK) {
        ngx_log_error(NGX_LOG_ERR, link->log_, 0, "analytics: redis %V: %s",
                      &link->conf_->address, ac->errstr);
    }
    link->ac_ = nullptr;
    link->ready_ = false;
    link->schedule_reconnect();
}


void
ngx_http_analytics_redis_link::on_read(ngx_event_t *ev)
{
    auto  *c = static_cast<ngx_connection_t *>(ev->data);
    auto  *link = static_cast<ngx_http_analytics_redis_link *>(c->data);
    int    available;

    /* hiredis 0.14 reads at most 16 KiB a call; edge-triggered epoll will not
     * tell us again about what is left in the socket */
    while (link->ac_ != nullptr) {
        redisAsyncHandleRead(link->ac_);
        if (link->ac_ == nullptr) {
            break;
        }
        available = 0;
        if (ioctl(link->ac_->c.fd, FIONREAD, &available) == -1 || available <= 0) {
            break;
        }
    }
}


void
ngx_http_analytics_redis_link::on_write(ngx_event_t *ev)
{
    auto  *c = static_cast<ngx_connection_t *>(ev->data);
    auto  *link = static_cast<ngx_http_analytics_redis_link *>(c->data);

    if (link->ac_ != nullptr) {
        redisAsyncHandleWrite(link->ac_);
    }
}


void
ngx_http_analytics_redis_link::on_connect_timeout(ngx_event_t *ev)
{
    auto  *link = static_cast<ngx_http_analytics_redis_link *>(ev->data);

    if (!link->ready_) {
        link->drop("connect timed out");
    }
}


void
ngx_http_analytics_redis_link::on_command_timeout(ngx_event_t *ev)
{
    auto  *link = static_cast<ngx_http_analytics_redis_link *>(ev->data);

    if (link->head_ == NGX_HTTP_ANALYTICS_NO_SLOT) {
        return;
    }
    if (ngx_current_msec - link->slots_[link->head_].sent >= link->conf_->command_timeout) {
        /* a context is never reused after an error: drop it, fail the calls */
        link->drop("command timed out");
        return;
    }
    link->arm_command_timer();
}


void
ngx_http_analytics_redis_link::on_reconnect(ngx_event_t *ev)
{
    auto  *link = static_cast<ngx_http_analytics_redis_link *>(ev->data);

    if (link->ac_ == nullptr && !link->exiting_) {
        link->connect();
    }
}


void
ngx_http_analytics_redis_link::ev_add_read(void *privdata)
{
    auto  *link = static_cast<ngx_http_analytics_redis_link *>(privdata);

    if (!ngx_add_conn && link->conn_ != nullptr) {
        ngx_handle_read_event(link->conn_->read, 0);
    }
}


void
ngx_http_analytics_redis_link::ev_del_read(void *privdata)
{
    (void) privdata;   /* a spurious read event costs one EAGAIN */
}


void
ngx_http_analytics_redis_link::ev_add_write(void *privdata)
{
    auto  *link = static_cast<ngx_http_analytics_redis_link *>(privdata);

    if (link->conn_ == nullptr) {
        return;
    }
    /* writing later in this loop iteration batches every command queued in
     * it into one write: the pipeline */
    if (ngx_add_conn) {
        ngx_post_event(link->conn_->write, &ngx_posted_events);
    } else {
        ngx_handle_write_event(link->conn_->write, 0);
    }
}


void
ngx_http_analytics_redis_link::ev_del_write(void *privdata)
{
    auto  *link = static_cast<ngx_http_analytics_redis_link *>(privdata);

    if (!ngx_add_conn && link->conn_ != nullptr && link->conn_->write->active) {
        ngx_del_event(link->conn_->write, NGX_WRITE_EVENT, 0);
    }
}


void
ngx_http_analytics_redis_link::ev_cleanup(void *privdata)
{
    auto  *link = static_cast<ngx_http_analytics_redis_link *>(privdata);

    if (link->conn_ == nullptr) {
        return;
    }
    /* nginx closes the fd; hiredis must not close it again */
    ngx_close_connection(link->conn_);
    link->conn_ = nullptr;
    if (link->attached_ != nullptr) {
        link->attached_->c.fd = -1;
        link->attached_ = nullptr;
    }
}


ngx_int_t
ngx_http_analytics_redis_init_worker(ngx_cycle_t *cycle,
    const ngx_http_analytics_redis_conf_t *const *confs, ngx_uint_t n)
{
    ngx_uint_t  i;

    ngx_http_analytics_redis_worker_shards = ngx_min(n, (ngx_uint_t) ANALYTICS_MAX_SHARDS);
    for (i = 0; i < ngx_http_analytics_redis_worker_shards; i++) {
        if (ngx_http_analytics_redis_worker_links[i].init(cycle, confs[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }
    return NGX_OK;
}


void
ngx_http_analytics_redis_exit_worker(void)
{
    ngx_uint_t  i;

    for (i = 0; i < ngx_http_analytics_redis_worker_shards; i++) {
        ngx_http_analytics_redis_worker_links[i].shutdown();
    }
}


ngx_int_t
ngx_http_analytics_redis_batch(ngx_http_request_t *r, ngx_uint_t shard,
    ngx_http_analytics_redis_reply_pt handler, int nkeys, const char **keys, const size_t *keylens,
    int nargs, const char **args, const size_t *arglens)
{
    if (shard >= ngx_http_analytics_redis_worker_shards) {
        return NGX_DECLINED;
    }
    return ngx_http_analytics_redis_worker_links[shard].batch(r, handler, nkeys, keys, keylens, nargs, args,
                                                              arglens);
}


ngx_int_t
ngx_http_analytics_redis_send_internal(ngx_uint_t shard, ngx_http_analytics_redis_internal_pt handler,
    void *data, int argc, const char **argv, const size_t *argvlen)
{
    if (shard >= ngx_http_analytics_redis_worker_shards) {
        return NGX_DECLINED;
    }
    return ngx_http_analytics_redis_worker_links[shard].send_internal(handler, data, argc, argv, argvlen);
}


ngx_flag_t
ngx_http_analytics_redis_ready(ngx_uint_t shard)
{
    return shard < ngx_http_analytics_redis_worker_shards && ngx_http_analytics_redis_worker_links[shard].ready();
}


ngx_int_t
ngx_http_analytics_redis_send(ngx_http_request_t *r, ngx_uint_t shard,
    ngx_http_analytics_redis_reply_pt handler, int argc, const char **argv,
    const size_t *argvlen)
{
    if (shard >= ngx_http_analytics_redis_worker_shards) {
        return NGX_DECLINED;
    }
    return ngx_http_analytics_redis_worker_links[shard].send(r, handler, argc, argv, argvlen);
}
