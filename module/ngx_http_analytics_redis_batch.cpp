/*
 * The ingest calls of one turn of the event loop, sent as one FCALL of the
 * batch function: the RESP buffers, and the link's part (each call keeps its
 * own slot, so that its request gets its own element of the answer).
 */
#include "ngx_http_analytics_redis_link.h"
#include "ngx_http_analytics_metrics.h"


static size_t ngx_http_analytics_resp_bulk_size(size_t len);
static u_char *ngx_http_analytics_resp_bulk(u_char *p, const char *data, size_t len);
static u_char *ngx_http_analytics_resp_number(u_char *p, ngx_uint_t n);


ngx_int_t
ngx_http_analytics_redis_batch_buffer::init(ngx_log_t *log)
{
    keys_ = static_cast<u_char *>(ngx_alloc(NGX_HTTP_ANALYTICS_BATCH_KEYS, log));
    args_ = static_cast<u_char *>(ngx_alloc(NGX_HTTP_ANALYTICS_BATCH_ARGS, log));
    command_ = static_cast<u_char *>(ngx_alloc(NGX_HTTP_ANALYTICS_BATCH_HEAD + NGX_HTTP_ANALYTICS_BATCH_KEYS
                                               + NGX_HTTP_ANALYTICS_BATCH_ARGS, log));
    if (keys_ == nullptr || args_ == nullptr || command_ == nullptr) {
        return NGX_ERROR;
    }
    clear();
    return NGX_OK;
}


void
ngx_http_analytics_redis_batch_buffer::release()
{
    ngx_free(keys_);
    ngx_free(args_);
    ngx_free(command_);
    keys_ = args_ = command_ = nullptr;
    clear();
}


ngx_int_t
ngx_http_analytics_redis_batch_buffer::room(int nkeys, const size_t *keylens, int nargs, const size_t *arglens) const
{
    int     i;
    size_t  keys_size, args_size;

    keys_size = 0;
    for (i = 0; i < nkeys; i++) {
        keys_size += ngx_http_analytics_resp_bulk_size(keylens[i]);
    }
    args_size = 2 * ngx_http_analytics_resp_bulk_size(NGX_INT_T_LEN);
    for (i = 0; i < nargs; i++) {
        args_size += ngx_http_analytics_resp_bulk_size(arglens[i]);
    }
    if (keys_size > NGX_HTTP_ANALYTICS_BATCH_KEYS || args_size > NGX_HTTP_ANALYTICS_BATCH_ARGS) {
        return NGX_AGAIN;
    }
    if (calls_ == NGX_HTTP_ANALYTICS_BATCH_CALLS
        || keys_len_ + keys_size > NGX_HTTP_ANALYTICS_BATCH_KEYS
        || args_len_ + args_size > NGX_HTTP_ANALYTICS_BATCH_ARGS)
    {
        return NGX_BUSY;
    }
    return NGX_OK;
}


/* the caller asked room() first */
void
ngx_http_analytics_redis_batch_buffer::add(int nkeys, const char **keys, const size_t *keylens, int nargs,
    const char **args, const size_t *arglens)
{
    int      i;
    u_char  *p;

    p = keys_ + keys_len_;
    for (i = 0; i < nkeys; i++) {
        p = ngx_http_analytics_resp_bulk(p, keys[i], keylens[i]);
    }
    keys_len_ = p - keys_;

    p = args_ + args_len_;
    p = ngx_http_analytics_resp_number(p, (ngx_uint_t) nkeys);
    p = ngx_http_analytics_resp_number(p, (ngx_uint_t) nargs);
    for (i = 0; i < nargs; i++) {
        p = ngx_http_analytics_resp_bulk(p, args[i], arglens[i]);
    }
    args_len_ = p - args_;

    nkeys_ += nkeys;
    nargs_ += 2 + nargs;
    calls_++;
}


size_t
ngx_http_analytics_redis_batch_buffer::format(const char *function, const ngx_str_t *batch_keys,
    ngx_uint_t n_batch_keys, const char **command)
{
    u_char      *p;
    ngx_uint_t   i;

    p = command_;
    p = ngx_sprintf(p, "*%ui\r\n", 3 + n_batch_keys + nkeys_ + 1 + nargs_);
    p = ngx_http_analytics_resp_bulk(p, "FCALL", 5);
    p = ngx_http_analytics_resp_bulk(p, function, ngx_strlen(function));
    p = ngx_http_analytics_resp_number(p, n_batch_keys + nkeys_);
    for (i = 0; i < n_batch_keys; i++) {
        p = ngx_http_analytics_resp_bulk(p, reinterpret_cast<const char *>(batch_keys[i].data), batch_keys[i].len);
    }
    p = ngx_cpymem(p, keys_, keys_len_);
    p = ngx_http_analytics_resp_number(p, calls_);
    p = ngx_cpymem(p, args_, args_len_);

    *command = reinterpret_cast<const char *>(command_);
    return p - command_;
}


void
ngx_http_analytics_redis_batch_buffer::clear()
{
    calls_ = nkeys_ = nargs_ = 0;
    keys_len_ = args_len_ = 0;
}


/* one ingest call for r joins the batch of this turn */
ngx_int_t
ngx_http_analytics_redis_link::batch(ngx_http_request_t *r, ngx_http_analytics_redis_reply_pt handler,
    int nkeys, const char **keys, const size_t *keylens, int nargs, const char **args,
    const size_t *arglens)
{
    ngx_int_t            rc;
    ngx_uint_t           index;
    ngx_pool_cleanup_t  *cln;

    if (!ready()) {
        return NGX_DECLINED;
    }

    rc = batch_.room(nkeys, keylens, nargs, arglens);
    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }
    if (rc == NGX_BUSY) {
        flush_batch();
        if (!ready()) {
            return NGX_DECLINED;
        }
    }

    /* a batch needs a slot for its own FCALL besides one per call */
    if (batch_.calls() == 0) {
        if (free_ == NGX_HTTP_ANALYTICS_NO_SLOT || slots_[free_].next == NGX_HTTP_ANALYTICS_NO_SLOT) {
            return NGX_DECLINED;
        }
        batch_carrier_ = take_slot(nullptr, nullptr);
    } else if (free_ == NGX_HTTP_ANALYTICS_NO_SLOT) {
        return NGX_DECLINED;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_analytics_redis_slot_ref_t));
    if (cln == nullptr) {
        if (batch_.calls() == 0) {
            slots_[batch_carrier_].next = free_;
            free_ = batch_carrier_;
            batch_carrier_ = NGX_HTTP_ANALYTICS_NO_SLOT;
        }
        return NGX_DECLINED;
    }
    index = take_slot(r, handler);
    watch_request(cln, index);
    if (batch_last_ == NGX_HTTP_ANALYTICS_NO_SLOT) {
        batch_first_ = index;
    } else {
        slots_[batch_last_].next = index;
    }
    batch_last_ = index;

    batch_.add(nkeys, keys, keylens, nargs, args, arglens);
    if (batch_.calls() == 1) {
        /* after every handler of this turn: the batch holds all they queued */
        ngx_post_event(&batch_flush_, &ngx_posted_events);
    }
    return NGX_OK;
}


void
ngx_http_analytics_redis_link::on_batch_flush(ngx_event_t *ev)
{
    static_cast<ngx_http_analytics_redis_link *>(ev->data)->flush_batch();
}


/* the gathered batch as one FCALL; its calls fail if it cannot go */
void
ngx_http_analytics_redis_link::flush_batch()
{
    size_t                            len;
    ngx_uint_t                        carrier;
    const char                       *command;
    ngx_http_analytics_redis_slot_t  *slot;

    if (batch_flush_.posted) {
        ngx_delete_posted_event(&batch_flush_);
    }
    if (batch_.calls() == 0) {
        return;
    }
    if (ac_ == nullptr) {
        fail_batch();
        return;
    }

    len = batch_.format(conf_->batch_function, conf_->batch_keys, conf_->n_batch_keys, &command);

    carrier = batch_carrier_;
    slot = &slots_[carrier];
    if (redisAsyncFormattedCommand(ac_, on_reply, slot, command, len) != REDIS_OK) {
        fail_batch();
        return;
    }
    ngx_http_analytics_metrics_round_trip(batch_.calls());
    slot->internal = on_batch_reply;
    slot->internal_data = &slots_[batch_first_];
    enqueue(carrier);

    batch_first_ = batch_last_ = batch_carrier_ = NGX_HTTP_ANALYTICS_NO_SLOT;
    batch_.clear();
}


/* the gathered batch could not be sent: each call gets NULL, as a dropped
 * connection gives it */
void
ngx_http_analytics_redis_link::fail_batch()
{
    ngx_uint_t  first, carrier;

    first = batch_first_;
    carrier = batch_carrier_;
    batch_first_ = batch_last_ = batch_carrier_ = NGX_HTTP_ANALYTICS_NO_SLOT;
    batch_.clear();

    if (carrier != NGX_HTTP_ANALYTICS_NO_SLOT) {
        slots_[carrier].generation++;
        slots_[carrier].next = free_;
        free_ = carrier;
    }
    if (first != NGX_HTTP_ANALYTICS_NO_SLOT) {
        on_batch_reply(&slots_[first], nullptr);
    }
}


/* hands each call of a batch (data: its first slot) its element of the
 * reply, and frees its slot */
void
ngx_http_analytics_redis_link::on_batch_reply(void *data, redisReply *reply)
{
    auto                              *first = static_cast<ngx_http_analytics_redis_slot_t *>(data);
    auto                              *link = first->link;
    ngx_uint_t                         index, next, k;
    redisReply                        *element;
    ngx_http_request_t                *r;
    ngx_http_analytics_redis_slot_t   *slot;
    ngx_http_analytics_redis_reply_pt  handler;

    for (index = static_cast<ngx_uint_t>(first - link->slots_), k = 0;
         index != NGX_HTTP_ANALYTICS_NO_SLOT;
         index = next, k++)
    {
        slot = &link->slots_[index];
        next = slot->next;
        r = slot->r;
        handler = slot->handler;
        slot->r = nullptr;
        slot->generation++;
        slot->next = link->free_;
        link->free_ = index;

        if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
            element = reply;
        } else if (reply->type == REDIS_REPLY_ARRAY && k < reply->elements) {
            element = reply->element[k];
        } else {
            element = nullptr;
        }
        if (r != nullptr) {
            handler(r, element);
        }
    }
}


/* the bytes of one RESP bulk string of len bytes */
u_char *
ngx_http_analytics_resp_command(ngx_pool_t *pool, int argc, const char **argv, const size_t *argvlen, size_t *len)
{
    int      i;
    size_t   size;
    u_char  *command, *p;

    size = sizeof("*\r\n") + NGX_INT_T_LEN;
    for (i = 0; i < argc; i++) {
        size += ngx_http_analytics_resp_bulk_size(argvlen[i]);
    }
    command = static_cast<u_char *>(ngx_pnalloc(pool, size));
    if (command == NULL) {
        return NULL;
    }
    p = ngx_sprintf(command, "*%d\r\n", argc);
    for (i = 0; i < argc; i++) {
        p = ngx_http_analytics_resp_bulk(p, argv[i], argvlen[i]);
    }
    *len = p - command;
    return command;
}


static size_t
ngx_http_analytics_resp_bulk_size(size_t len)
{
    return sizeof("$\r\n\r\n") - 1 + NGX_SIZE_T_LEN + len;
}


static u_char *
ngx_http_analytics_resp_bulk(u_char *p, const char *data, size_t len)
{
    p = ngx_sprintf(p, "$%uz\r\n", len);
    if (len > 0) {
        /* an empty argument may come as NULL, which memcpy must not see */
        p = ngx_cpymem(p, data, len);
    }
    *p++ = '\r';
    *p++ = '\n';
    return p;
}


static u_char *
ngx_http_analytics_resp_number(u_char *p, ngx_uint_t n)
{
    u_char  digits[NGX_INT_T_LEN];

    return ngx_http_analytics_resp_bulk(p, reinterpret_cast<const char *>(digits),
                                        ngx_sprintf(digits, "%ui", n) - digits);
}
