#include "ngx_http_analytics_bots.h"


#define NGX_HTTP_ANALYTICS_BOTS_FILE_MAX  (1024 * 1024)


/*
 * Written for this module from what crawlers and monitors call themselves.
 * Deliberately absent: HTTP libraries (curl, python-requests, Go's,
 * Java's), since shops' servers send conversions and tests with them; an
 * operator who wants them, or the comprehensive community list
 * (scripts/bots_from_crawler_user_agents.sh), names a file instead.
 */
static const char  *ngx_http_analytics_builtin_bots[] = {
    "(?<!cu)bot\\b",                 /* Googlebot, bingbot, AhrefsBot, UptimeRobot; not Cubot phones */
    "crawl",                         /* crawler, Crawl */
    "spider",                        /* Baiduspider, Bytespider */
    "slurp",                         /* Yahoo! Slurp */
    "archiver",                      /* ia_archiver */
    "mediapartners-google",
    "google-inspectiontool",
    "adsbot",
    "facebookexternalhit",
    "facebookcatalog",
    "headlesschrome",                /* Chrome driven without a screen */
    "phantomjs",
    "lighthouse",                    /* Chrome-Lighthouse, PageSpeed */
    "ptst/",                         /* WebPageTest */
    "pingdom",
    "statuscake",
    "site24x7",
    "prerender",
    "embedly",
    NULL
};


static ngx_regex_t *ngx_http_analytics_bots_compile(ngx_conf_t *cf, ngx_str_t *pattern, const char *where,
    ngx_uint_t line);
static ngx_int_t ngx_http_analytics_bots_add(ngx_conf_t *cf, ngx_array_t *joined, u_char *pattern, size_t len,
    const char *where, ngx_uint_t line);


ngx_regex_t *
ngx_http_analytics_bots_builtin(ngx_conf_t *cf)
{
    ngx_uint_t    i;
    ngx_str_t     pattern;
    ngx_array_t   joined;

    if (ngx_array_init(&joined, cf->pool, 1024, 1) != NGX_OK) {
        return NULL;
    }
    for (i = 0; ngx_http_analytics_builtin_bots[i] != NULL; i++) {
        if (ngx_http_analytics_bots_add(cf, &joined, (u_char *) ngx_http_analytics_builtin_bots[i],
                                        ngx_strlen(ngx_http_analytics_builtin_bots[i]), "the built-in list", i + 1)
            != NGX_OK)
        {
            return NULL;
        }
    }
    pattern.data = static_cast<u_char *>(joined.elts);
    pattern.len = joined.nelts;
    return ngx_http_analytics_bots_compile(cf, &pattern, "the built-in list", 0);
}


ngx_regex_t *
ngx_http_analytics_bots_from_file(ngx_conf_t *cf, ngx_str_t *name)
{
    u_char           *text, *p, *end, *eol, *first, *last;
    ssize_t           n;
    ngx_str_t         path, pattern;
    ngx_uint_t        line, patterns;
    ngx_file_t        file;
    ngx_array_t       joined;
    ngx_file_info_t   fi;

    path = *name;
    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NULL;
    }
    ngx_memzero(&file, sizeof(ngx_file_t));
    file.name = path;
    file.log = cf->log;
    file.fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (file.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno, "analytics_bots: cannot open \"%V\"", &path);
        return NULL;
    }
    text = NULL;
    n = -1;
    if (ngx_fd_info(file.fd, &fi) != NGX_FILE_ERROR && ngx_file_size(&fi) <= NGX_HTTP_ANALYTICS_BOTS_FILE_MAX) {
        text = static_cast<u_char *>(ngx_pnalloc(cf->pool, (size_t) ngx_file_size(&fi) + 1));
        if (text != NULL) {
            n = ngx_read_file(&file, text, (size_t) ngx_file_size(&fi), 0);
        }
    }
    ngx_close_file(file.fd);
    if (text == NULL || n < 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "analytics_bots: cannot read \"%V\" (at most %d bytes)", &path,
                           NGX_HTTP_ANALYTICS_BOTS_FILE_MAX);
        return NULL;
    }

    if (ngx_array_init(&joined, cf->pool, (size_t) n + 64, 1) != NGX_OK) {
        return NULL;
    }
    patterns = 0;
    end = text + n;
    for (p = text, line = 1; p < end; p = eol + 1, line++) {
        eol = static_cast<u_char *>(ngx_strlchr(p, end, '\n'));
        if (eol == NULL) {
            eol = end;
        }
        first = p;
        last = eol;
        while (first < last && (*first == ' ' || *first == '\t')) {
            first++;
        }
        while (last > first && (last[-1] == ' ' || last[-1] == '\t' || last[-1] == '\r')) {
            last--;
        }
        if (first == last || *first == '#') {
            continue;
        }
        if (ngx_http_analytics_bots_add(cf, &joined, first, last - first, reinterpret_cast<char *>(path.data), line)
            != NGX_OK)
        {
            return NULL;
        }
        patterns++;
    }
    if (patterns == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "analytics_bots: \"%V\" has no pattern (\"off\" turns it off)",
                           &path);
        return NULL;
    }
    pattern.data = static_cast<u_char *>(joined.elts);
    pattern.len = joined.nelts;
    return ngx_http_analytics_bots_compile(cf, &pattern, reinterpret_cast<char *>(path.data), 0);
}


/* one pattern, checked alone (so that an error names its line), joined as
 * "(?:first)|(?:second)..." */
static ngx_int_t
ngx_http_analytics_bots_add(ngx_conf_t *cf, ngx_array_t *joined, u_char *pattern, size_t len, const char *where,
    ngx_uint_t line)
{
    u_char      *p;
    size_t       bar;
    ngx_str_t    one;

    one.data = pattern;
    one.len = len;
    if (ngx_http_analytics_bots_compile(cf, &one, where, line) == NULL) {
        return NGX_ERROR;
    }
    bar = joined->nelts > 0 ? 1 : 0;
    p = static_cast<u_char *>(ngx_array_push_n(joined, bar + sizeof("(?:)") - 1 + len));
    if (p == NULL) {
        return NGX_ERROR;
    }
    if (bar) {
        *p++ = '|';
    }
    p = ngx_cpymem(p, "(?:", 3);
    p = ngx_cpymem(p, pattern, len);
    *p = ')';
    return NGX_OK;
}


static ngx_regex_t *
ngx_http_analytics_bots_compile(ngx_conf_t *cf, ngx_str_t *pattern, const char *where, ngx_uint_t line)
{
    u_char               errstr[NGX_MAX_CONF_ERRSTR];
    ngx_regex_compile_t  rc;

    ngx_memzero(&rc, sizeof(ngx_regex_compile_t));
    rc.pattern = *pattern;
    rc.options = NGX_REGEX_CASELESS;
    rc.pool = cf->pool;
    rc.err.len = NGX_MAX_CONF_ERRSTR;
    rc.err.data = errstr;
    if (ngx_regex_compile(&rc) != NGX_OK) {
        if (line > 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "analytics_bots: %s:%ui: %V", where, line, &rc.err);
        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "analytics_bots: %s: %V", where, &rc.err);
        }
        return NULL;
    }
    return rc.regex;
}


ngx_flag_t
ngx_http_analytics_is_bot(ngx_http_request_t *r, ngx_regex_t *bots)
{
    ngx_int_t         rc;
    ngx_table_elt_t  *agent;

    agent = r->headers_in.user_agent;
    if (agent == NULL || agent->value.len == 0) {
        return 0;
    }
    rc = ngx_regex_exec(bots, &agent->value, NULL, 0);
    if (rc >= 0) {
        return 1;
    }
    if (rc != NGX_REGEX_NO_MATCHED) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0, "analytics: " ngx_regex_exec_n " failed: %i on \"%V\"",
                      rc, &agent->value);
    }
    return 0;
}
