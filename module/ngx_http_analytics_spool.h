/*
 * The worker's spool: when Redis cannot be reached, an accepted event's
 * FCALL is appended to a file of the worker process's own
 * (<path>/spool-<pid>-<start ms>.bin, held with flock while it lives) and
 * answered as accepted; once Redis answers again the calls are replayed in
 * order and the file is emptied. Files no live process holds (a reload's
 * old workers, a crash) are adopted and replayed, then removed. Bounded in
 * size; flushed to disk every 200 ms rather than per event (or, with
 * sync=answer, before the spooled events of each loop turn are answered). A
 * replayed call
 * that Redis had already seen adds an entry the aggregator drops by its
 * event id. Spooled calls are written with the first shard's keys and
 * replayed there. The record format is event_contract/spool_record.h.
 */
#ifndef NGX_HTTP_ANALYTICS_SPOOL_H
#define NGX_HTTP_ANALYTICS_SPOOL_H

#include "ngx_http_analytics_nginx.h"

#define NGX_HTTP_ANALYTICS_SPOOL_SHARD  0

typedef struct {
    ngx_path_t  *path;             /* NULL: no spool */
    size_t       max_size;         /* bytes per worker */
    ngx_flag_t   sync_on_answer;   /* sync=answer: answered after fdatasync */
} ngx_http_analytics_spool_conf_t;

/* a request waiting for the spool's sync: synced says whether it held */
typedef void (*ngx_http_analytics_spool_synced_pt)(ngx_http_request_t *r, ngx_flag_t synced);

ngx_int_t ngx_http_analytics_spool_init_worker(ngx_cycle_t *cycle,
    const ngx_http_analytics_spool_conf_t *conf);
void ngx_http_analytics_spool_exit_worker(void);

/* NGX_OK once the call is in the file; NGX_DECLINED without a spool, when
 * it is full, or on a write error (the caller answers as without one) */
ngx_int_t ngx_http_analytics_spool_append(int argc, const char **argv, const size_t *argvlen);

/*
 * sync=answer: r (its count held by the caller) is answered by synced once
 * what was appended so far is on disk; the appends of one turn of the event
 * loop share one fdatasync. NGX_ERROR without memory.
 */
ngx_int_t ngx_http_analytics_spool_wait(ngx_http_request_t *r, ngx_http_analytics_spool_synced_pt synced);

#endif
