/*
 * nginx's headers are C; this is the one place the module includes them.
 */
#ifndef NGX_HTTP_ANALYTICS_NGINX_H
#define NGX_HTTP_ANALYTICS_NGINX_H

extern "C" {
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_http.h>
}

#endif
