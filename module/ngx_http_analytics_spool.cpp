#include "ngx_http_analytics_spool.h"
#include "ngx_http_analytics_redis.h"

#include <sys/uio.h>
#include <unistd.h>

#define NGX_HTTP_ANALYTICS_SPOOL_TICK      200          /* ms: flush, and try a replay */
#define NGX_HTTP_ANALYTICS_SPOOL_BATCH     (256 * 1024) /* bytes read per replay round */
#define NGX_HTTP_ANALYTICS_SPOOL_MAX_ARGS  64


/*
 * A record: u32 length of the rest, u32 argc, then argc times u32 length and
 * the bytes, in host order (the file never leaves the host).
 */
class ngx_http_analytics_spool {
public:
    ngx_http_analytics_spool() = default;
    ngx_http_analytics_spool(const ngx_http_analytics_spool &) = delete;
    ngx_http_analytics_spool &operator=(const ngx_http_analytics_spool &) = delete;

    ngx_int_t init(ngx_cycle_t *cycle, const ngx_http_analytics_spool_conf_t *conf);
    void      shutdown();
    ngx_int_t append(int argc, const char **argv, const size_t *argvlen);

private:
    void replay();
    void finish_round();

    static void on_tick(ngx_event_t *ev);
    static void on_replayed(void *data, redisReply *reply);

    const ngx_http_analytics_spool_conf_t *conf_ = nullptr;
    ngx_log_t                             *log_ = nullptr;
    ngx_fd_t                               fd_ = NGX_INVALID_FILE;
    u_char                                 name_[NGX_MAX_PATH] = {};
    off_t                                  size_ = 0;
    off_t                                  replayed_ = 0;   /* what Redis has taken */
    bool                                   dirty_ = false;
    ngx_event_t                            tick_{};

    /* the round in flight: read from replayed_ to round_end_ */
    u_char                                *round_ = nullptr;
    off_t                                  round_end_ = 0;
    ngx_uint_t                             in_flight_ = 0;
    ngx_uint_t                             sent_ = 0;
    bool                                   failed_ = false;
};


static ngx_http_analytics_spool  ngx_http_analytics_worker_spool;


ngx_int_t
ngx_http_analytics_spool::init(ngx_cycle_t *cycle, const ngx_http_analytics_spool_conf_t *conf)
{
    ngx_file_info_t  info;

    conf_ = conf;
    log_ = cycle->log;
    if (conf->path == nullptr) {
        return NGX_OK;
    }

    ngx_snprintf(name_, sizeof(name_) - 1, "%V/spool-%ui.bin%Z", &conf->path->name, ngx_worker);
    fd_ = ngx_open_file(name_, NGX_FILE_RDWR, NGX_FILE_CREATE_OR_OPEN, NGX_FILE_DEFAULT_ACCESS);
    if (fd_ == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ALERT, log_, ngx_errno, "analytics: cannot open the spool \"%s\"", name_);
        return NGX_OK;   /* run without one, as if none were configured */
    }
    if (ngx_fd_info(fd_, &info) == NGX_FILE_ERROR) {
        ngx_close_file(fd_);
        fd_ = NGX_INVALID_FILE;
        return NGX_OK;
    }
    /* what an earlier worker left is replayed first */
    size_ = ngx_file_size(&info);
    if (size_ > 0) {
        ngx_log_error(NGX_LOG_NOTICE, log_, 0, "analytics: spool \"%s\" holds %O bytes to replay", name_, size_);
    }

    round_ = static_cast<u_char *>(ngx_alloc(NGX_HTTP_ANALYTICS_SPOOL_BATCH, log_));
    if (round_ == nullptr) {
        return NGX_ERROR;
    }

    tick_.handler = on_tick;
    tick_.data = this;
    tick_.log = log_;
    tick_.cancelable = 1;
    ngx_add_timer(&tick_, NGX_HTTP_ANALYTICS_SPOOL_TICK);
    return NGX_OK;
}


void
ngx_http_analytics_spool::shutdown()
{
    if (tick_.timer_set) {
        ngx_del_timer(&tick_);
    }
    if (fd_ != NGX_INVALID_FILE) {
        if (dirty_) {
            (void) fdatasync(fd_);
        }
        ngx_close_file(fd_);
        fd_ = NGX_INVALID_FILE;
    }
    if (round_ != nullptr) {
        ngx_free(round_);
        round_ = nullptr;
    }
}


ngx_int_t
ngx_http_analytics_spool::append(int argc, const char **argv, const size_t *argvlen)
{
    int           i;
    size_t        total;
    ssize_t       n;
    uint32_t      head[2], lens[NGX_HTTP_ANALYTICS_SPOOL_MAX_ARGS];
    struct iovec  iov[1 + 2 * NGX_HTTP_ANALYTICS_SPOOL_MAX_ARGS];

    if (fd_ == NGX_INVALID_FILE || argc > NGX_HTTP_ANALYTICS_SPOOL_MAX_ARGS) {
        return NGX_DECLINED;
    }

    total = sizeof(uint32_t);
    for (i = 0; i < argc; i++) {
        total += sizeof(uint32_t) + argvlen[i];
    }
    if ((size_t) size_ + sizeof(uint32_t) + total > conf_->max_size) {
        return NGX_DECLINED;
    }

    head[0] = (uint32_t) total;
    head[1] = (uint32_t) argc;
    iov[0].iov_base = head;
    iov[0].iov_len = sizeof(head);
    for (i = 0; i < argc; i++) {
        lens[i] = (uint32_t) argvlen[i];
        iov[1 + 2 * i].iov_base = &lens[i];
        iov[1 + 2 * i].iov_len = sizeof(uint32_t);
        iov[2 + 2 * i].iov_base = const_cast<char *>(argv[i]);
        iov[2 + 2 * i].iov_len = argvlen[i];
    }

    /* a buffered append: it reaches the disk with the next tick's flush */
    n = pwritev(fd_, iov, 1 + 2 * argc, size_);
    if (n != (ssize_t) (sizeof(uint32_t) + total)) {
        ngx_log_error(NGX_LOG_ALERT, log_, ngx_errno, "analytics: cannot append to the spool \"%s\"", name_);
        return NGX_DECLINED;
    }
    size_ += n;
    dirty_ = true;
    return NGX_OK;
}


void
ngx_http_analytics_spool::on_tick(ngx_event_t *ev)
{
    auto  *spool = static_cast<ngx_http_analytics_spool *>(ev->data);

    if (spool->dirty_) {
        if (fdatasync(spool->fd_) == -1) {
            ngx_log_error(NGX_LOG_ALERT, spool->log_, ngx_errno, "analytics: fdatasync of the spool failed");
        }
        spool->dirty_ = false;
    }
    if (spool->in_flight_ == 0 && spool->replayed_ < spool->size_ && ngx_http_analytics_redis_ready(NGX_HTTP_ANALYTICS_SPOOL_SHARD)) {
        spool->replay();
    }
    if (!ngx_exiting && !ngx_terminate) {
        ngx_add_timer(&spool->tick_, NGX_HTTP_ANALYTICS_SPOOL_TICK);
    }
}


/* sends the calls of one round, as many whole records as fit in the buffer */
void
ngx_http_analytics_spool::replay()
{
    int          argc;
    size_t       len, pos;
    ssize_t      n;
    uint32_t     head[2], arg_len;
    const char  *argv[NGX_HTTP_ANALYTICS_SPOOL_MAX_ARGS];
    size_t       argvlen[NGX_HTTP_ANALYTICS_SPOOL_MAX_ARGS];

    len = (size_t) ngx_min(size_ - replayed_, (off_t) NGX_HTTP_ANALYTICS_SPOOL_BATCH);
    n = pread(fd_, round_, len, replayed_);
    if (n != (ssize_t) len) {
        ngx_log_error(NGX_LOG_ALERT, log_, ngx_errno, "analytics: cannot read the spool \"%s\"", name_);
        return;
    }

    failed_ = false;
    round_end_ = replayed_;
    for (pos = 0; pos + sizeof(head) <= len; ) {
        ngx_memcpy(head, round_ + pos, sizeof(head));
        if (head[0] < sizeof(uint32_t) || head[0] > NGX_HTTP_ANALYTICS_SPOOL_BATCH - sizeof(uint32_t)
            || head[1] == 0 || head[1] > NGX_HTTP_ANALYTICS_SPOOL_MAX_ARGS)
        {
            /* not a record we wrote: what follows cannot be trusted */
            ngx_log_error(NGX_LOG_ALERT, log_, 0, "analytics: the spool \"%s\" is damaged at %O; dropping the rest",
                          name_, replayed_ + (off_t) pos);
            size_ = replayed_ + (off_t) pos;
            (void) ftruncate(fd_, size_);
            break;
        }
        if (pos + sizeof(uint32_t) + head[0] > len) {
            break;   /* the rest of it comes next round */
        }
        size_t at = pos + sizeof(head);
        argc = (int) head[1];
        for (int i = 0; i < argc; i++) {
            ngx_memcpy(&arg_len, round_ + at, sizeof(arg_len));
            argv[i] = reinterpret_cast<const char *>(round_ + at + sizeof(arg_len));
            argvlen[i] = arg_len;
            at += sizeof(arg_len) + arg_len;
        }
        if (ngx_http_analytics_redis_send_internal(NGX_HTTP_ANALYTICS_SPOOL_SHARD, on_replayed, this, argc, argv, argvlen) != NGX_OK) {
            break;   /* no room in flight now: the rest next round */
        }
        in_flight_++;
        sent_++;
        pos += sizeof(uint32_t) + head[0];
        round_end_ = replayed_ + (off_t) pos;
    }
}


void
ngx_http_analytics_spool::on_replayed(void *data, redisReply *reply)
{
    auto  *spool = static_cast<ngx_http_analytics_spool *>(data);

    if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
        /* Redis went away again, or refused: the round is sent again later;
         * what it did take comes twice and is dropped by its event id */
        spool->failed_ = true;
    }
    if (--spool->in_flight_ == 0) {
        spool->finish_round();
    }
}


void
ngx_http_analytics_spool::finish_round()
{
    if (failed_) {
        return;
    }
    replayed_ = round_end_;
    if (replayed_ < size_) {
        if (ngx_http_analytics_redis_ready(NGX_HTTP_ANALYTICS_SPOOL_SHARD)) {
            replay();
        }
        return;
    }
    ngx_log_error(NGX_LOG_NOTICE, log_, 0, "analytics: replayed %ui spooled events into Redis", sent_);
    if (ftruncate(fd_, 0) == -1) {
        ngx_log_error(NGX_LOG_ALERT, log_, ngx_errno, "analytics: cannot empty the spool \"%s\"", name_);
        return;
    }
    size_ = 0;
    replayed_ = 0;
    sent_ = 0;
}


ngx_int_t
ngx_http_analytics_spool_init_worker(ngx_cycle_t *cycle, const ngx_http_analytics_spool_conf_t *conf)
{
    return ngx_http_analytics_worker_spool.init(cycle, conf);
}


void
ngx_http_analytics_spool_exit_worker(void)
{
    ngx_http_analytics_worker_spool.shutdown();
}


ngx_int_t
ngx_http_analytics_spool_append(int argc, const char **argv, const size_t *argvlen)
{
    return ngx_http_analytics_worker_spool.append(argc, argv, argvlen);
}
