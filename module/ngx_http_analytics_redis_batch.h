/*
 * The ingest calls of one turn of a worker's event loop, gathered as RESP
 * in fixed buffers allocated once per worker, to go out as one FCALL of the
 * batch function: <function> <batch keys> <each call's keys>, then ARGV
 * <number of calls> and for each call <its number of keys> <its number of
 * arguments> <its arguments>.
 */
#ifndef NGX_HTTP_ANALYTICS_REDIS_BATCH_H
#define NGX_HTTP_ANALYTICS_REDIS_BATCH_H

#include "ngx_http_analytics_nginx.h"


/* one batch: at most this many calls, their keys and arguments as RESP */
#define NGX_HTTP_ANALYTICS_BATCH_CALLS   64
#define NGX_HTTP_ANALYTICS_BATCH_KEYS    (32 * 1024)
#define NGX_HTTP_ANALYTICS_BATCH_ARGS    (512 * 1024)
#define NGX_HTTP_ANALYTICS_BATCH_HEAD    4096    /* FCALL, the function, the batch keys */


/* a whole command as RESP in pool, as hiredis would format it (without
 * its formatting per argument); NULL without memory */
u_char *ngx_http_analytics_resp_command(ngx_pool_t *pool, int argc, const char **argv, const size_t *argvlen,
    size_t *len);


class ngx_http_analytics_redis_batch_buffer {
public:
    ngx_http_analytics_redis_batch_buffer() = default;
    ngx_http_analytics_redis_batch_buffer(const ngx_http_analytics_redis_batch_buffer &) = delete;
    ngx_http_analytics_redis_batch_buffer &operator=(const ngx_http_analytics_redis_batch_buffer &) = delete;

    ngx_int_t init(ngx_log_t *log);
    void      release();

    /* NGX_OK: the call fits; NGX_BUSY: not before the batch is sent;
     * NGX_AGAIN: it never fits one */
    ngx_int_t room(int nkeys, const size_t *keylens, int nargs, const size_t *arglens) const;
    void      add(int nkeys, const char **keys, const size_t *keylens, int nargs, const char **args,
                  const size_t *arglens);
    /* the whole FCALL; it stays until clear() */
    size_t    format(const char *function, const ngx_str_t *batch_keys, ngx_uint_t n_batch_keys,
                     const char **command);
    void      clear();

    ngx_uint_t calls() const { return calls_; }

private:
    ngx_uint_t   calls_ = 0;
    ngx_uint_t   nkeys_ = 0;
    ngx_uint_t   nargs_ = 0;
    u_char      *keys_ = nullptr;
    size_t       keys_len_ = 0;
    u_char      *args_ = nullptr;
    size_t       args_len_ = 0;
    u_char      *command_ = nullptr;
};

#endif
