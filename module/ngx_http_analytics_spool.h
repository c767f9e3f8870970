/*
 * The worker's spool: when Redis cannot be reached, an accepted event's
 * FCALL is appended to a file of the worker process's own
 * (<path>/spool-<pid>-<start ms>.bin, held with flock while it lives) and
 * answered as accepted; once Redis answers again the calls are replayed in
 * order and the file is emptied. Files no live process holds (a reload's
 * old workers, a crash) are adopted and replayed, then removed. Bounded in
 * size; flushed to disk every 200 ms rather than per event. A replayed call
 * that Redis had already seen adds an entry the aggregator drops by its
 * event id. Spooled calls are written with the first shard's keys and
 * replayed there. The record format is event_contract/spool_record.h.
 */
#ifndef NGX_HTTP_ANALYTICS_SPOOL_H
#define NGX_HTTP_ANALYTICS_SPOOL_H

#include "ngx_http_analytics_nginx.h"

#define NGX_HTTP_ANALYTICS_SPOOL_SHARD  0

typedef struct {
    ngx_path_t  *path;       /* NULL: no spool */
    size_t       max_size;   /* bytes per worker */
} ngx_http_analytics_spool_conf_t;

ngx_int_t ngx_http_analytics_spool_init_worker(ngx_cycle_t *cycle,
    const ngx_http_analytics_spool_conf_t *conf);
void ngx_http_analytics_spool_exit_worker(void);

/* NGX_OK once the call is in the file; NGX_DECLINED without a spool, when
 * it is full, or on a write error (the caller answers as without one) */
ngx_int_t ngx_http_analytics_spool_append(int argc, const char **argv, const size_t *argvlen);

#endif
