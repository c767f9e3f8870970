#include "ngx_http_analytics_spool.h"
#include "ngx_http_analytics_metrics.h"
#include "ngx_http_analytics_redis.h"
#include "ngx_http_analytics_redis_memory.h"

#include "redis_error.h"
#include "spool_record.h"

#include <dirent.h>
#include <sys/file.h>
#include <sys/uio.h>
#include <unistd.h>

#define NGX_HTTP_ANALYTICS_SPOOL_TICK         200     /* ms: flush, and try a replay */
#define NGX_HTTP_ANALYTICS_SPOOL_ADOPT_TICKS  25      /* ticks between looks for orphaned files */
#define NGX_HTTP_ANALYTICS_SPOOL_LEGACY_IDLE  60      /* s: a first-format file unchanged this long is orphaned */
/* rounds in a row Redis refuses the same call (not for want of memory, a
 * failover, ...) before it goes to the dead-letter file */
#define NGX_HTTP_ANALYTICS_SPOOL_REFUSALS     5
#define NGX_HTTP_ANALYTICS_SPOOL_NONE         ((ngx_uint_t) -1)


/*
 * One spool file: the worker's own, appended to, or an orphan it adopted,
 * only read. A file is always held under flock(LOCK_EX) by the process
 * that uses it, so a file nobody holds is an orphan, whoever left it.
 */
struct ngx_http_analytics_spool_file {
    ngx_fd_t                fd = NGX_INVALID_FILE;
    u_char                  name[NGX_MAX_PATH] = {};
    analytics_spool_format  format = ANALYTICS_SPOOL_FORMAT_2;
    off_t                   start = 0;      /* where records begin: after the magic */
    off_t                   size = 0;
    off_t                   replayed = 0;   /* what Redis has taken */
    ngx_uint_t              sent = 0;
    off_t                   skipped = 0;    /* damaged bytes passed over */
};


/* a request answered after the next sync; in its pool, as a cleanup's data,
 * so that a request gone first takes itself out of the queue */
struct ngx_http_analytics_spool_waiter {
    ngx_queue_t                          queue;
    ngx_http_request_t                  *r;        /* NULL once out of the queue */
    ngx_http_analytics_spool_synced_pt   synced;
};


class ngx_http_analytics_spool {
public:
    ngx_http_analytics_spool() = default;
    ngx_http_analytics_spool(const ngx_http_analytics_spool &) = delete;
    ngx_http_analytics_spool &operator=(const ngx_http_analytics_spool &) = delete;

    ngx_int_t init(ngx_cycle_t *cycle, const ngx_http_analytics_spool_conf_t *conf);
    void      shutdown();
    ngx_int_t append(int argc, const char **argv, const size_t *argvlen);
    ngx_int_t wait(ngx_http_request_t *r, ngx_http_analytics_spool_synced_pt synced);

private:
    static ssize_t write_record(ngx_fd_t fd, off_t at, int argc, const char *const *argv, const size_t *argvlen);
    bool      can_replay() const;
    bool      sync_own();
    void      mark_refusal(ngx_uint_t index, redisReply *reply);
    void      pass_refused();
    void      dead_letter(const analytics_spool_record *record);
    ngx_int_t open_own();
    void      adopt_orphan();
    bool      try_adopt(const char *entry);
    void      replay();
    void      finish_round();
    void      finish_file(ngx_http_analytics_spool_file *file);
    void      close_file(ngx_http_analytics_spool_file *file, bool remove);

    ngx_http_analytics_spool_file *replaying() { return adopted_.fd != NGX_INVALID_FILE ? &adopted_ : &own_; }

    static void on_tick(ngx_event_t *ev);
    static void on_sync(ngx_event_t *ev);
    static void on_waiter_gone(void *data);
    static void on_replayed(void *data, redisReply *reply);

    const ngx_http_analytics_spool_conf_t *conf_ = nullptr;
    ngx_log_t                             *log_ = nullptr;
    ngx_http_analytics_spool_file          own_;
    ngx_http_analytics_spool_file          adopted_;
    bool                                   dirty_ = false;
    ngx_event_t                            tick_{};
    ngx_uint_t                             ticks_ = 0;
    /* sync=answer: who waits for the sync posted for this loop turn */
    ngx_queue_t                            waiters_{};
    ngx_event_t                            sync_{};

    /* the round in flight: read from the file's replayed to round_end_ */
    u_char                                *round_ = nullptr;
    ngx_http_analytics_spool_file         *round_file_ = nullptr;
    off_t                                  round_end_ = 0;
    ngx_uint_t                             in_flight_ = 0;
    bool                                   failed_ = false;
    size_t                                 round_len_ = 0;
    bool                                   round_at_end_ = false;
    ngx_uint_t                             round_answers_ = 0;
    /* the round's first failed call, when Redis refused it outright */
    ngx_uint_t                             first_failed_ = NGX_HTTP_ANALYTICS_SPOOL_NONE;
    bool                                   first_refused_ = false;
    u_char                                 refusal_[128] = {};

    /* the call Redis refused in rounds before: where it is, how often */
    const ngx_http_analytics_spool_file   *refused_file_ = nullptr;
    off_t                                  refused_at_ = -1;
    ngx_uint_t                             refusals_ = 0;

    /* calls Redis refuses for good, opened at the first: the spool's format,
     * named dead-<pid>-<ms>.bin so that no worker adopts it */
    ngx_fd_t                               dead_fd_ = NGX_INVALID_FILE;
    u_char                                 dead_name_[NGX_MAX_PATH] = {};
    off_t                                  dead_size_ = 0;
};


static ngx_http_analytics_spool  ngx_http_analytics_worker_spool;


ngx_int_t
ngx_http_analytics_spool::init(ngx_cycle_t *cycle, const ngx_http_analytics_spool_conf_t *conf)
{
    conf_ = conf;
    log_ = cycle->log;
    if (conf->path == nullptr) {
        return NGX_OK;
    }
    ngx_queue_init(&waiters_);
    sync_.handler = on_sync;
    sync_.data = this;
    sync_.log = log_;
    round_ = static_cast<u_char *>(ngx_alloc(ANALYTICS_SPOOL_MAX_RECORD, log_));
    if (round_ == nullptr) {
        return NGX_ERROR;
    }
    if (open_own() != NGX_OK) {
        return NGX_OK;   /* run without one, as if none were configured */
    }
    adopt_orphan();

    tick_.handler = on_tick;
    tick_.data = this;
    tick_.log = log_;
    tick_.cancelable = 1;
    ngx_add_timer(&tick_, NGX_HTTP_ANALYTICS_SPOOL_TICK);
    return NGX_OK;
}


/*
 * A file named for this process and the moment it started, so that no two
 * live processes (old and new workers of a reload or a binary upgrade)
 * ever share one. It is made and locked under a name adopt_orphan() does not
 * look at, and renamed once held: another worker never sees it unlocked.
 */
ngx_int_t
ngx_http_analytics_spool::open_own()
{
    u_char  temporary[NGX_MAX_PATH];

    ngx_snprintf(temporary, sizeof(temporary) - 1, "%V/.spool-%P-%M.new%Z", &conf_->path->name, ngx_pid,
                 ngx_current_msec);
    ngx_snprintf(own_.name, sizeof(own_.name) - 1, "%V/spool-%P-%M.bin%Z", &conf_->path->name, ngx_pid,
                 ngx_current_msec);
    own_.fd = ngx_open_file(temporary, NGX_FILE_RDWR, NGX_FILE_TRUNCATE, NGX_FILE_DEFAULT_ACCESS);
    if (own_.fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ALERT, log_, ngx_errno, "analytics: cannot open the spool \"%s\"", temporary);
        return NGX_ERROR;
    }
    if (flock(own_.fd, LOCK_EX | LOCK_NB) == -1
        || pwrite(own_.fd, ANALYTICS_SPOOL_MAGIC, ANALYTICS_SPOOL_MAGIC_LEN, 0) != (ssize_t) ANALYTICS_SPOOL_MAGIC_LEN
        || rename(reinterpret_cast<char *>(temporary), reinterpret_cast<char *>(own_.name)) == -1)
    {
        ngx_log_error(NGX_LOG_ALERT, log_, ngx_errno, "analytics: cannot make the spool \"%s\"", own_.name);
        (void) unlink(reinterpret_cast<char *>(temporary));
        ngx_close_file(own_.fd);
        own_.fd = NGX_INVALID_FILE;
        return NGX_ERROR;
    }
    own_.start = own_.size = own_.replayed = ANALYTICS_SPOOL_MAGIC_LEN;
    return NGX_OK;
}


/* takes one file nobody holds (a predecessor's, or a worker's gone by a
 * smaller worker_processes or a crash) to replay it before the own */
void
ngx_http_analytics_spool::adopt_orphan()
{
    DIR            *dir;
    struct dirent  *entry;

    if (adopted_.fd != NGX_INVALID_FILE) {
        return;
    }
    dir = opendir(reinterpret_cast<char *>(conf_->path->name.data));
    if (dir == nullptr) {
        return;
    }
    while ((entry = readdir(dir)) != nullptr) {
        size_t  len = ngx_strlen(entry->d_name);

        if (len > 10 && ngx_strncmp(entry->d_name, "spool-", 6) == 0
            && ngx_strcmp(entry->d_name + len - 4, ".bin") == 0 && try_adopt(entry->d_name))
        {
            break;
        }
    }
    (void) closedir(dir);
}


bool
ngx_http_analytics_spool::try_adopt(const char *entry)
{
    ngx_file_info_t  info;
    u_char           start[ANALYTICS_SPOOL_MAGIC_LEN];
    ssize_t          n;
    int              format;

    ngx_snprintf(adopted_.name, sizeof(adopted_.name) - 1, "%V/%s%Z", &conf_->path->name, entry);
    if (ngx_strcmp(adopted_.name, own_.name) == 0) {
        return false;
    }
    adopted_.fd = ngx_open_file(adopted_.name, NGX_FILE_RDWR, NGX_FILE_OPEN, 0);
    if (adopted_.fd == NGX_INVALID_FILE) {
        return false;
    }
    /* held by a live process; or already replayed and removed by another */
    if (flock(adopted_.fd, LOCK_EX | LOCK_NB) == -1 || ngx_fd_info(adopted_.fd, &info) == NGX_FILE_ERROR
        || info.st_nlink == 0)
    {
        close_file(&adopted_, false);
        return false;
    }
    n = pread(adopted_.fd, start, sizeof(start), 0);
    format = n < 0 ? 0 : analytics_spool_file_format(start, (size_t) n);
    /* an older module's workers never lock their file: its own may still be
     * in use until it has rested a while */
    if (format == ANALYTICS_SPOOL_FORMAT_1 && ngx_time() - info.st_mtime < NGX_HTTP_ANALYTICS_SPOOL_LEGACY_IDLE) {
        close_file(&adopted_, false);
        return false;
    }
    if (format == 0) {
        close_file(&adopted_, true);   /* nothing in it but a torn magic */
        return false;
    }
    adopted_.format = static_cast<analytics_spool_format>(format);
    adopted_.start = adopted_.replayed = format == ANALYTICS_SPOOL_FORMAT_2 ? ANALYTICS_SPOOL_MAGIC_LEN : 0;
    adopted_.size = ngx_file_size(&info);
    adopted_.sent = 0;
    adopted_.skipped = 0;
    if (adopted_.size <= adopted_.start) {
        close_file(&adopted_, true);
        return false;
    }
    ngx_log_error(NGX_LOG_NOTICE, log_, 0, "analytics: adopted the spool \"%s\" with %O bytes to replay",
                  adopted_.name, adopted_.size - adopted_.start);
    return true;
}


void
ngx_http_analytics_spool::close_file(ngx_http_analytics_spool_file *file, bool remove)
{
    if (file->fd == NGX_INVALID_FILE) {
        return;
    }
    if (remove) {
        /* emptied first: a worker that opened it before the unlink and
         * locks it after finds nothing */
        if (ftruncate(file->fd, 0) == -1) {
            ngx_log_error(NGX_LOG_ALERT, log_, ngx_errno, "analytics: cannot empty the spool \"%s\"", file->name);
        }
        (void) unlink(reinterpret_cast<char *>(file->name));
    }
    ngx_close_file(file->fd);
    file->fd = NGX_INVALID_FILE;
}


void
ngx_http_analytics_spool::shutdown()
{
    if (tick_.timer_set) {
        ngx_del_timer(&tick_);
    }
    if (sync_.posted) {
        ngx_delete_posted_event(&sync_);
    }
    /* what is left is adopted by a successor; an adopted file's replayed
     * part comes twice then, and is dropped by its event ids */
    if (own_.fd != NGX_INVALID_FILE && dirty_) {
        (void) fdatasync(own_.fd);
    }
    close_file(&own_, own_.replayed >= own_.size);
    close_file(&adopted_, false);
    if (dead_fd_ != NGX_INVALID_FILE) {
        ngx_close_file(dead_fd_);
        dead_fd_ = NGX_INVALID_FILE;
    }
    if (round_ != nullptr) {
        ngx_free(round_);
        round_ = nullptr;
    }
}


ngx_int_t
ngx_http_analytics_spool::append(int argc, const char **argv, const size_t *argvlen)
{
    size_t   size;
    ssize_t  n;

    if (own_.fd == NGX_INVALID_FILE) {
        return NGX_DECLINED;
    }
    /* one that replay could not read back is refused now, not found later */
    size = analytics_spool_record_size(argc, argvlen);
    if (size == 0 || (size_t) own_.size + size > conf_->max_size) {
        return NGX_DECLINED;
    }

    /* a buffered append: it reaches the disk with the next tick's flush; a
     * short write is overwritten by the next append */
    n = write_record(own_.fd, own_.size, argc, argv, argvlen);
    if (n != (ssize_t) size) {
        ngx_log_error(NGX_LOG_ALERT, log_, ngx_errno, "analytics: cannot append to the spool \"%s\"", own_.name);
        return NGX_DECLINED;
    }
    own_.size += n;
    dirty_ = true;
    return NGX_OK;
}


ngx_int_t
ngx_http_analytics_spool::wait(ngx_http_request_t *r, ngx_http_analytics_spool_synced_pt synced)
{
    ngx_pool_cleanup_t               *cln;
    ngx_http_analytics_spool_waiter  *waiter;

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_analytics_spool_waiter));
    if (cln == nullptr) {
        return NGX_ERROR;
    }
    waiter = static_cast<ngx_http_analytics_spool_waiter *>(cln->data);
    waiter->r = r;
    waiter->synced = synced;
    ngx_queue_insert_tail(&waiters_, &waiter->queue);
    cln->handler = on_waiter_gone;
    /* after the turn's other events: their appends share the sync */
    if (!sync_.posted) {
        ngx_post_event(&sync_, &ngx_posted_events);
    }
    return NGX_OK;
}


void
ngx_http_analytics_spool::on_waiter_gone(void *data)
{
    auto  *waiter = static_cast<ngx_http_analytics_spool_waiter *>(data);

    if (waiter->r != nullptr) {
        ngx_queue_remove(&waiter->queue);
        waiter->r = nullptr;
    }
}


/* one fdatasync for the turn's appends, then their answers; it blocks the
 * worker as the tick's does, but only while events are being spooled */
void
ngx_http_analytics_spool::on_sync(ngx_event_t *ev)
{
    auto                *spool = static_cast<ngx_http_analytics_spool *>(ev->data);
    ngx_flag_t           synced;
    ngx_queue_t         *q;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    synced = spool->sync_own();
    if (synced) {
        spool->dirty_ = false;
    }
    while (!ngx_queue_empty(&spool->waiters_)) {
        q = ngx_queue_head(&spool->waiters_);
        ngx_queue_remove(q);
        auto  *waiter = ngx_queue_data(q, ngx_http_analytics_spool_waiter, queue);
        r = waiter->r;
        waiter->r = nullptr;
        c = r->connection;
        waiter->synced(r, synced);
        ngx_http_run_posted_requests(c);
    }
}


/* one format 2 record at at; what pwritev returned (the record's size when
 * whole), -1 for one that may not be written */
ssize_t
ngx_http_analytics_spool::write_record(ngx_fd_t fd, off_t at, int argc, const char *const *argv,
    const size_t *argvlen)
{
    int           i;
    size_t        size;
    uint32_t      head[3], lens[ANALYTICS_SPOOL_MAX_ARGS];
    struct iovec  iov[1 + 2 * ANALYTICS_SPOOL_MAX_ARGS];

    size = analytics_spool_record_size(argc, argvlen);
    if (size == 0) {
        return -1;
    }
    analytics_spool_record_head(head, argc, argv, argvlen, size);
    head[2] = (uint32_t) argc;
    iov[0].iov_base = head;
    iov[0].iov_len = sizeof(head);
    for (i = 0; i < argc; i++) {
        lens[i] = (uint32_t) argvlen[i];
        iov[1 + 2 * i].iov_base = &lens[i];
        iov[1 + 2 * i].iov_len = sizeof(uint32_t);
        iov[2 + 2 * i].iov_base = const_cast<char *>(argv[i]);
        iov[2 + 2 * i].iov_len = argvlen[i];
    }

    return pwritev(fd, iov, 1 + 2 * argc, at);
}


/* the own file's appends onto the disk; false, with an alert, when not */
bool
ngx_http_analytics_spool::sync_own()
{
    if (own_.fd != NGX_INVALID_FILE && fdatasync(own_.fd) == 0) {
        return true;
    }
    ngx_log_error(NGX_LOG_ALERT, log_, ngx_errno, "analytics: fdatasync of the spool failed");
    return false;
}


/* Redis answers, has the functions, and has room for what comes back */
bool
ngx_http_analytics_spool::can_replay() const
{
    return ngx_http_analytics_redis_ready(NGX_HTTP_ANALYTICS_SPOOL_SHARD)
           && !ngx_http_analytics_redis_full(NGX_HTTP_ANALYTICS_SPOOL_SHARD);
}


void
ngx_http_analytics_spool::on_tick(ngx_event_t *ev)
{
    auto  *spool = static_cast<ngx_http_analytics_spool *>(ev->data);

    /* a failed sync is not tried again each tick: the alert said it */
    if (spool->dirty_) {
        (void) spool->sync_own();
        spool->dirty_ = false;
    }
    if (spool->in_flight_ == 0) {
        if (++spool->ticks_ % NGX_HTTP_ANALYTICS_SPOOL_ADOPT_TICKS == 0) {
            spool->adopt_orphan();
        }
        auto  *file = spool->replaying();
        if (file->replayed < file->size && spool->can_replay()) {
            spool->replay();
        }
    }
    if (!ngx_exiting && !ngx_terminate) {
        ngx_add_timer(&spool->tick_, NGX_HTTP_ANALYTICS_SPOOL_TICK);
    }
}


/* sends the calls of one round, as many whole records as fit in the buffer;
 * damaged bytes are passed over until a record's checksum holds again */
void
ngx_http_analytics_spool::replay()
{
    size_t                   len, pos, skipped;
    ssize_t                  n;
    bool                     at_end, blocked;
    analytics_spool_record   record;
    analytics_spool_verdict  verdict;

    round_file_ = replaying();
    auto  *file = round_file_;

    len = (size_t) ngx_min(file->size - file->replayed, (off_t) ANALYTICS_SPOOL_MAX_RECORD);
    at_end = file->replayed + (off_t) len == file->size;
    n = pread(file->fd, round_, len, file->replayed);
    if (n != (ssize_t) len) {
        ngx_log_error(NGX_LOG_ALERT, log_, ngx_errno, "analytics: cannot read the spool \"%s\"", file->name);
        return;
    }

    failed_ = false;
    blocked = false;
    round_len_ = len;
    round_at_end_ = at_end;
    round_answers_ = 0;
    first_failed_ = NGX_HTTP_ANALYTICS_SPOOL_NONE;
    round_end_ = file->replayed;
    for (pos = 0; pos < len; ) {
        verdict = analytics_spool_next(round_ + pos, len - pos, at_end, file->format, &record, &skipped);
        file->skipped += (off_t) skipped;
        pos += skipped;
        round_end_ = file->replayed + (off_t) pos;
        if (verdict != ANALYTICS_SPOOL_RECORD_OK) {
            break;   /* the rest of it comes next round */
        }
        if (ngx_http_analytics_redis_send_internal(NGX_HTTP_ANALYTICS_SPOOL_SHARD, on_replayed, this, record.argc,
                                                   record.argv, record.argvlen) != NGX_OK)
        {
            blocked = true;   /* no room in flight now: the rest next round */
            break;
        }
        in_flight_++;
        file->sent++;
        pos += record.size;
        round_end_ = file->replayed + (off_t) pos;
    }
    if (in_flight_ == 0) {
        /* nothing sent: only damaged bytes passed, if any */
        if (blocked || round_end_ == file->replayed) {
            file->replayed = round_end_;
        } else {
            finish_round();
        }
    }
}


void
ngx_http_analytics_spool::on_replayed(void *data, redisReply *reply)
{
    auto  *spool = static_cast<ngx_http_analytics_spool *>(data);

    if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
        /* Redis went away again, or refused: the round is sent again later,
         * from the first call that failed */
        spool->failed_ = true;
        spool->mark_refusal(spool->round_answers_, reply);
    } else {
        ngx_http_analytics_metrics_replayed();
    }
    spool->round_answers_++;
    if (--spool->in_flight_ == 0) {
        spool->finish_round();
    }
}


void
ngx_http_analytics_spool::finish_round()
{
    auto  *file = round_file_;

    if (file == nullptr || file->fd == NGX_INVALID_FILE) {
        return;
    }
    if (failed_) {
        pass_refused();
        return;
    }
    refusals_ = 0;
    file->replayed = round_end_;
    if (file->replayed < file->size) {
        if (can_replay()) {
            replay();
        }
        return;
    }
    finish_file(file);
    if (file == &adopted_) {
        adopt_orphan();   /* the next one, if any, before the own */
    }
    file = replaying();
    if (file->replayed < file->size && can_replay()) {
        replay();
    }
}


void
ngx_http_analytics_spool::mark_refusal(ngx_uint_t index, redisReply *reply)
{
    if (first_failed_ != NGX_HTTP_ANALYTICS_SPOOL_NONE) {
        return;
    }
    first_failed_ = index;
    first_refused_ = reply != nullptr
                     && !analytics_redis_error_is_transient(reply->str, reply->len);
    if (first_refused_) {
        ngx_cpystrn(refusal_, reinterpret_cast<u_char *>(reply->str),
                    ngx_min(sizeof(refusal_), reply->len + 1));
    }
}


/*
 * After a failed round: the calls before the first failure were taken, so
 * the next round starts at it. When Redis refused it outright (not a lost
 * connection, memory, a failover), the refusals in a row are counted, and at
 * NGX_HTTP_ANALYTICS_SPOOL_REFUSALS the call goes to the dead-letter file so
 * that the calls behind it are replayed.
 */
void
ngx_http_analytics_spool::pass_refused()
{
    size_t                   pos, skipped;
    ngx_uint_t               index;
    analytics_spool_record   record;
    analytics_spool_verdict  verdict;

    auto  *file = round_file_;

    /* the round's buffer still holds what was sent: walk it as replay() did */
    index = 0;
    verdict = ANALYTICS_SPOOL_RECORD_DAMAGED;
    for (pos = 0; pos < round_len_; pos += record.size, index++) {
        verdict = analytics_spool_next(round_ + pos, round_len_ - pos, round_at_end_, file->format, &record,
                                       &skipped);
        pos += skipped;
        if (verdict != ANALYTICS_SPOOL_RECORD_OK || index == first_failed_) {
            break;
        }
    }
    if (index != first_failed_ || verdict != ANALYTICS_SPOOL_RECORD_OK) {
        return;   /* cannot happen; the whole round comes again */
    }
    file->replayed += (off_t) pos;

    if (!first_refused_) {
        refusals_ = 0;
        return;
    }
    if (refused_file_ != file || refused_at_ != file->replayed) {
        refused_file_ = file;
        refused_at_ = file->replayed;
        refusals_ = 0;
    }
    if (++refusals_ < NGX_HTTP_ANALYTICS_SPOOL_REFUSALS) {
        return;
    }
    dead_letter(&record);
    file->replayed += (off_t) record.size;
    refusals_ = 0;
    refused_file_ = nullptr;
}


/* keeps a call Redis refuses for good where an operator finds it, to
 * replay once the cause is mended: renamed spool-<anything>.bin in the
 * spool's directory, a worker adopts it */
void
ngx_http_analytics_spool::dead_letter(const analytics_spool_record *record)
{
    ssize_t  n;

    if (dead_fd_ == NGX_INVALID_FILE) {
        ngx_snprintf(dead_name_, sizeof(dead_name_) - 1, "%V/dead-%P-%M.bin%Z", &conf_->path->name, ngx_pid,
                     ngx_current_msec);
        dead_fd_ = ngx_open_file(dead_name_, NGX_FILE_RDWR, NGX_FILE_CREATE_OR_OPEN, NGX_FILE_DEFAULT_ACCESS);
        if (dead_fd_ == NGX_INVALID_FILE
            || pwrite(dead_fd_, ANALYTICS_SPOOL_MAGIC, ANALYTICS_SPOOL_MAGIC_LEN, 0)
               != (ssize_t) ANALYTICS_SPOOL_MAGIC_LEN)
        {
            ngx_log_error(NGX_LOG_ALERT, log_, ngx_errno, "analytics: cannot make the dead-letter file \"%s\"",
                          dead_name_);
            if (dead_fd_ != NGX_INVALID_FILE) {
                ngx_close_file(dead_fd_);
                dead_fd_ = NGX_INVALID_FILE;
            }
            return;   /* the call is passed over all the same: the log says what it was */
        }
        dead_size_ = ANALYTICS_SPOOL_MAGIC_LEN;
    }
    n = write_record(dead_fd_, dead_size_, record->argc, record->argv, record->argvlen);
    if (n > 0 && fdatasync(dead_fd_) == 0) {
        dead_size_ += n;
        ngx_log_error(NGX_LOG_ALERT, log_, 0,
                      "analytics: redis refused a spooled call %d times (%s): moved to \"%s\"",
                      NGX_HTTP_ANALYTICS_SPOOL_REFUSALS, refusal_, dead_name_);
        return;
    }
    ngx_log_error(NGX_LOG_ALERT, log_, ngx_errno,
                  "analytics: redis refused a spooled call %d times (%s) and it could not be kept in \"%s\": "
                  "passed over", NGX_HTTP_ANALYTICS_SPOOL_REFUSALS, refusal_, dead_name_);
}


void
ngx_http_analytics_spool::finish_file(ngx_http_analytics_spool_file *file)
{
    if (file->skipped > 0) {
        ngx_log_error(NGX_LOG_ALERT, log_, 0, "analytics: the spool \"%s\" had %O damaged bytes, passed over",
                      file->name, file->skipped);
    }
    ngx_log_error(NGX_LOG_NOTICE, log_, 0, "analytics: replayed %ui spooled events into Redis from \"%s\"",
                  file->sent, file->name);
    file->sent = 0;
    file->skipped = 0;
    if (file == &adopted_) {
        close_file(file, true);
        return;
    }
    if (ftruncate(file->fd, file->start) == -1) {
        ngx_log_error(NGX_LOG_ALERT, log_, ngx_errno, "analytics: cannot empty the spool \"%s\"", file->name);
        return;
    }
    file->size = file->replayed = file->start;
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


ngx_int_t
ngx_http_analytics_spool_wait(ngx_http_request_t *r, ngx_http_analytics_spool_synced_pt synced)
{
    return ngx_http_analytics_worker_spool.wait(r, synced);
}
