/*
 * Crawlers, monitors and headless browsers, known by their User-Agent: a
 * list of PCRE patterns compiled once at configuration into one expression,
 * matched without case. A browser's beacon from one of them is answered as
 * accepted and goes nowhere (analytics_bots): a crawler's page view is not a
 * visit.
 */
#ifndef NGX_HTTP_ANALYTICS_BOTS_H
#define NGX_HTTP_ANALYTICS_BOTS_H

#include "ngx_http_analytics_nginx.h"

/* the built-in list, compiled; NULL (logged) on failure */
ngx_regex_t *ngx_http_analytics_bots_builtin(ngx_conf_t *cf);

/* a file's list: one pattern a line, '#' comments and blank lines aside;
 * it replaces the built-in one. NULL (logged, with the line) on failure */
ngx_regex_t *ngx_http_analytics_bots_from_file(ngx_conf_t *cf, ngx_str_t *name);

/* whether r's User-Agent matches; a request without one is not judged */
ngx_flag_t ngx_http_analytics_is_bot(ngx_http_request_t *r, ngx_regex_t *bots);

#endif
