/*
 * What nginx's configure generates for a dynamic module (objs/ngx_modules.c
 * of a --add-dynamic-module build), kept here for the CMake build.
 */
#include <ngx_config.h>
#include <ngx_core.h>

extern ngx_module_t  ngx_http_analytics_module;

ngx_module_t *ngx_modules[] = {
    &ngx_http_analytics_module,
    NULL
};

char *ngx_module_names[] = {
    "ngx_http_analytics_module",
    NULL
};

char *ngx_module_order[] = {
    NULL
};
