/*
 * jansson's memory while an endpoint parses a body: from the request's
 * pool, freed with it. A batch's hundreds of small objects would otherwise
 * cost a malloc and a free each, about a sixth of the worker's time on a
 * batch. jansson's allocator is ours only inside a scope, and restored
 * after it, so other modules' use of jansson never meets it; whatever the
 * parse makes it frees before the scope ends (the parsers' *_free). In
 * sanitizer builds jansson keeps malloc, whose freed memory ASan watches.
 */
#ifndef NGX_HTTP_ANALYTICS_JSON_MEMORY_H
#define NGX_HTTP_ANALYTICS_JSON_MEMORY_H

#include "ngx_http_analytics_nginx.h"

#include <jansson.h>

class ngx_http_analytics_json_memory_scope {
public:
    explicit ngx_http_analytics_json_memory_scope(ngx_pool_t *pool);
    ~ngx_http_analytics_json_memory_scope();

    ngx_http_analytics_json_memory_scope(const ngx_http_analytics_json_memory_scope &) = delete;
    ngx_http_analytics_json_memory_scope &operator=(const ngx_http_analytics_json_memory_scope &) = delete;

private:
    json_malloc_t  saved_malloc_ = nullptr;
    json_free_t    saved_free_ = nullptr;
};

#endif
