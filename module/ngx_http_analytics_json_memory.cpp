#include "ngx_http_analytics_json_memory.h"


#if !defined(__SANITIZE_ADDRESS__)

static void *ngx_http_analytics_json_alloc(size_t size);
static void ngx_http_analytics_json_free(void *block);


/* the pool of the request whose body is being parsed */
static ngx_pool_t  *ngx_http_analytics_json_pool;

#endif


ngx_http_analytics_json_memory_scope::ngx_http_analytics_json_memory_scope(ngx_pool_t *pool)
{
#if !defined(__SANITIZE_ADDRESS__)
    json_get_alloc_funcs(&saved_malloc_, &saved_free_);
    ngx_http_analytics_json_pool = pool;
    json_set_alloc_funcs(ngx_http_analytics_json_alloc, ngx_http_analytics_json_free);
#else
    (void) pool;
#endif
}


ngx_http_analytics_json_memory_scope::~ngx_http_analytics_json_memory_scope()
{
#if !defined(__SANITIZE_ADDRESS__)
    json_set_alloc_funcs(saved_malloc_, saved_free_);
    ngx_http_analytics_json_pool = NULL;
#endif
}


#if !defined(__SANITIZE_ADDRESS__)

/* aligned as malloc's: jansson keeps doubles and pointers in its blocks */
static void *
ngx_http_analytics_json_alloc(size_t size)
{
    return ngx_palloc(ngx_http_analytics_json_pool, size);
}


/* the pool frees it with the request */
static void
ngx_http_analytics_json_free(void *block)
{
    (void) block;
}

#endif
