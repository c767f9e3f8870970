/*
 * The module's counters: what each endpoint answered and skipped, what went
 * to the spool and came back, how calls reached Redis. In shared memory,
 * one set for all of a host's workers, kept across reloads; the
 * analytics_metrics location prints them in Prometheus' text format, as
 * stub_status prints nginx's own.
 */
#ifndef NGX_HTTP_ANALYTICS_METRICS_H
#define NGX_HTTP_ANALYTICS_METRICS_H

#include "ngx_http_analytics_nginx.h"

/* at postconfiguration: makes the zone (or finds it again, on a reload) and
 * counts each endpoint request's answer in the log phase */
ngx_int_t ngx_http_analytics_metrics_init(ngx_conf_t *cf, void *tag);

/* each is a no-op without the zone; endpoint is an
 * ngx_http_analytics_endpoint_e */
void ngx_http_analytics_metrics_answered(ngx_uint_t endpoint, ngx_uint_t status);
/* why a valid event was answered as accepted and sent nowhere */
typedef enum {
    NGX_HTTP_ANALYTICS_SKIPPED_BY_RULE = 0,   /* analytics_skip */
    NGX_HTTP_ANALYTICS_SKIPPED_BOT,           /* analytics_bots */
    NGX_HTTP_ANALYTICS_SKIP_REASONS
} ngx_http_analytics_skip_reason_e;

void ngx_http_analytics_metrics_skipped(ngx_uint_t endpoint, ngx_http_analytics_skip_reason_e reason);
void ngx_http_analytics_metrics_spooled();
void ngx_http_analytics_metrics_replayed();
/* a command carrying calls written to Redis: a turn's batch, or one alone */
void ngx_http_analytics_metrics_round_trip(ngx_uint_t calls);

/* the analytics_metrics location's content handler */
ngx_int_t ngx_http_analytics_metrics_handler(ngx_http_request_t *r);

#endif
