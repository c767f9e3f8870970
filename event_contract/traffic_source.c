#include "traffic_source.h"

#include <uriparser/Uri.h>

#include <ctype.h>
#include <strings.h>
#include <string.h>

#define ANALYTICS_HOST_MAX_LEN 253

typedef struct {
    const char *label;    /* a label of the host, or the host itself when it holds a dot */
    const char *name;
    const char *medium;
} analytics_known_site;

static const analytics_known_site analytics_known_sites[] = {
    { "google",     "Google",     "organic" },
    { "bing",       "Bing",       "organic" },
    { "yahoo",      "Yahoo",      "organic" },
    { "duckduckgo", "DuckDuckGo", "organic" },
    { "baidu",      "Baidu",      "organic" },
    { "yandex",     "Yandex",     "organic" },
    { "ecosia",     "Ecosia",     "organic" },
    { "qwant",      "Qwant",      "organic" },
    { "naver",      "Naver",      "organic" },
    { "seznam",     "Seznam",     "organic" },
    { "startpage",  "Startpage",  "organic" },
    { "facebook",   "Facebook",   "social" },
    { "fb.com",     "Facebook",   "social" },
    { "instagram",  "Instagram",  "social" },
    { "twitter",    "Twitter",    "social" },
    { "t.co",       "Twitter",    "social" },
    { "x.com",      "Twitter",    "social" },
    { "linkedin",   "LinkedIn",   "social" },
    { "lnkd.in",    "LinkedIn",   "social" },
    { "pinterest",  "Pinterest",  "social" },
    { "reddit",     "Reddit",     "social" },
    { "youtube",    "YouTube",    "social" },
    { "youtu.be",   "YouTube",    "social" },
    { "tiktok",     "TikTok",     "social" },
    { "whatsapp",   "WhatsApp",   "social" },
    { "wa.me",      "WhatsApp",   "social" },
    { "telegram",   "Telegram",   "social" },
    { "t.me",       "Telegram",   "social" },
    { "threads.net", "Threads",   "social" },
    { NULL, NULL, NULL }
};

/* utm_source spellings that are not a host label */
static const analytics_known_site analytics_source_aliases[] = {
    { "fb",        "Facebook",  NULL },
    { "ig",        "Instagram", NULL },
    { "microsoft", "Microsoft", NULL },
    { "x",         "Twitter",   NULL },
    { NULL, NULL, NULL }
};

typedef struct {
    UriUriA            uri;
    UriQueryListA     *query;
    int                parsed;
    char               host[ANALYTICS_HOST_MAX_LEN + 1];  /* lower case, no "www." */
} analytics_parsed_url;

static size_t analytics_utf8_sequence(const unsigned char *text, size_t len);
static void analytics_copy_text(char *to, size_t size, const char *from, size_t len);
static int analytics_parse_url(const char *text, size_t len, analytics_parsed_url *url);
static void analytics_free_url(analytics_parsed_url *url);
static const char *analytics_query_value(const analytics_parsed_url *url, const char *key);
static const analytics_known_site *analytics_known_host(const char *host);
static const char *analytics_canonical_source(const char *value);

/* the length of the valid UTF-8 sequence at text (of len bytes), or 0 */
static size_t
analytics_utf8_sequence(const unsigned char *text, size_t len)
{
    size_t  need, i;

    if (text[0] < 0x80) {
        return 1;
    }
    if (text[0] >= 0xc2 && text[0] <= 0xdf) {
        need = 2;
    } else if (text[0] >= 0xe0 && text[0] <= 0xef) {
        need = 3;
    } else if (text[0] >= 0xf0 && text[0] <= 0xf4) {
        need = 4;
    } else {
        return 0;
    }
    if (len < need) {
        return 0;
    }
    for (i = 1; i < need; i++) {
        if ((text[i] & 0xc0) != 0x80) {
            return 0;
        }
    }
    /* overlong, surrogate and beyond-U+10FFFF forms */
    if ((text[0] == 0xe0 && text[1] < 0xa0) || (text[0] == 0xed && text[1] > 0x9f)
        || (text[0] == 0xf0 && text[1] < 0x90) || (text[0] == 0xf4 && text[1] > 0x8f))
    {
        return 0;
    }
    return need;
}

/* decoded query values may hold any byte: what is copied is valid UTF-8
 * without NUL or control characters (an invalid byte becomes '?'), cut at a
 * character boundary */
static void
analytics_copy_text(char *to, size_t size, const char *from, size_t len)
{
    const unsigned char  *in;
    size_t                used, n, i;

    in = (const unsigned char *) from;
    used = 0;
    for (i = 0; i < len; i += n) {
        n = analytics_utf8_sequence(in + i, len - i);
        if (n == 0 || (n == 1 && in[i] < 0x20) || in[i] == 0x7f) {
            if (in[i] == '\0') {
                n = 1;
                continue;
            }
            if (used + 1 > size - 1) {
                break;
            }
            to[used++] = '?';
            n = 1;
            continue;
        }
        if (used + n > size - 1) {
            break;
        }
        memcpy(to + used, in + i, n);
        used += n;
    }
    to[used] = '\0';
}

/* 0 when text is an absolute URL (with a host), -1 when not, -2 out of memory */
static int
analytics_parse_url(const char *text, size_t len, analytics_parsed_url *url)
{
    const char  *error;
    const char  *host;
    size_t       host_len, i;
    int          count;

    memset(url, 0, sizeof(*url));
    if (text == NULL || len == 0) {
        return -1;
    }
    if (uriParseSingleUriExA(&url->uri, text, text + len, &error) != URI_SUCCESS) {
        return -1;
    }
    url->parsed = 1;
    if (url->uri.scheme.first == NULL || url->uri.hostText.first == NULL
        || url->uri.hostText.afterLast == url->uri.hostText.first)
    {
        return -1;
    }

    host = url->uri.hostText.first;
    host_len = (size_t) (url->uri.hostText.afterLast - host);
    if (host_len >= 4 && strncasecmp(host, "www.", 4) == 0) {
        host += 4;
        host_len -= 4;
    }
    if (host_len > 0 && host[host_len - 1] == '.') {
        host_len--;
    }
    analytics_copy_text(url->host, sizeof(url->host), host, host_len);
    for (i = 0; url->host[i] != '\0'; i++) {
        url->host[i] = (char) tolower((unsigned char) url->host[i]);
    }

    if (url->uri.query.first != NULL && url->uri.query.afterLast > url->uri.query.first) {
        if (uriDissectQueryMallocA(&url->query, &count, url->uri.query.first,
                                   url->uri.query.afterLast) != URI_SUCCESS)
        {
            url->query = NULL;
            return -2;
        }
    }
    return 0;
}

static void
analytics_free_url(analytics_parsed_url *url)
{
    if (url->query != NULL) {
        uriFreeQueryListA(url->query);
    }
    if (url->parsed) {
        uriFreeUriMembersA(&url->uri);
    }
    memset(url, 0, sizeof(*url));
}

/* the first non-empty value of key; keys compare without case */
static const char *
analytics_query_value(const analytics_parsed_url *url, const char *key)
{
    const UriQueryListA  *item;

    for (item = url->query; item != NULL; item = item->next) {
        if (item->key != NULL && strcasecmp(item->key, key) == 0
            && item->value != NULL && item->value[0] != '\0')
        {
            return item->value;
        }
    }
    return NULL;
}

/* a site of the table by one of the host's labels (the top-level label
 * excepted, so "google.co.uk" is Google and "shop.google" is not) or by the
 * whole host */
static const analytics_known_site *
analytics_known_host(const char *host)
{
    const analytics_known_site  *site;
    const char                  *label, *dot;
    size_t                       label_len;

    for (site = analytics_known_sites; site->label != NULL; site++) {
        if (strchr(site->label, '.') != NULL) {
            if (strcmp(host, site->label) == 0) {
                return site;
            }
            continue;
        }
        label_len = strlen(site->label);
        for (label = host; (dot = strchr(label, '.')) != NULL; label = dot + 1) {
            if ((size_t) (dot - label) == label_len && memcmp(label, site->label, label_len) == 0) {
                return site;
            }
        }
    }
    return NULL;
}

/* the one spelling of a well-known source, or NULL */
static const char *
analytics_canonical_source(const char *value)
{
    const analytics_known_site  *site;

    for (site = analytics_known_sites; site->label != NULL; site++) {
        if (strcasecmp(value, site->label) == 0 || strcasecmp(value, site->name) == 0) {
            return site->name;
        }
    }
    for (site = analytics_source_aliases; site->label != NULL; site++) {
        if (strcasecmp(value, site->label) == 0) {
            return site->name;
        }
    }
    return NULL;
}

int
analytics_traffic_source_classify(const char *landing_url, size_t landing_len,
    const char *referrer, size_t referrer_len, analytics_traffic_source *out)
{
    analytics_parsed_url         landing, from;
    const analytics_known_site  *site;
    const char                  *utm_source, *utm_medium, *utm_campaign, *wmkt_id, *slug;
    const char                  *canonical;
    int                          landing_status, from_status, rc;
    size_t                       i;

    memset(out, 0, sizeof(*out));
    rc = 0;
    landing_status = analytics_parse_url(landing_url, landing_len, &landing);
    from_status = analytics_parse_url(referrer, referrer_len, &from);
    if (landing_status == -2 || from_status == -2) {
        rc = -1;
    }

    utm_source = landing_status == 0 ? analytics_query_value(&landing, "utm_source") : NULL;
    utm_medium = landing_status == 0 ? analytics_query_value(&landing, "utm_medium") : NULL;
    utm_campaign = landing_status == 0 ? analytics_query_value(&landing, "utm_campaign") : NULL;
    wmkt_id = landing_status == 0 ? analytics_query_value(&landing, "wmktid") : NULL;
    slug = landing_status == 0 ? analytics_query_value(&landing, "wmkt_campaign") : NULL;

    if (utm_source != NULL) {
        canonical = analytics_canonical_source(utm_source);
        analytics_copy_text(out->source, sizeof(out->source), canonical ? canonical : utm_source,
                            strlen(canonical ? canonical : utm_source));
        analytics_copy_text(out->medium, sizeof(out->medium), utm_medium ? utm_medium : "(not set)",
                            strlen(utm_medium ? utm_medium : "(not set)"));
        for (i = 0; out->medium[i] != '\0'; i++) {
            out->medium[i] = (char) tolower((unsigned char) out->medium[i]);
        }

    } else if (wmkt_id != NULL) {
        strcpy(out->source, "Custom Ads");
        strcpy(out->medium, "cpc");

    } else if (landing_status == 0 && analytics_query_value(&landing, "gclid") != NULL) {
        strcpy(out->source, "Google");
        strcpy(out->medium, "cpc");

    } else if (landing_status == 0 && analytics_query_value(&landing, "fbclid") != NULL) {
        strcpy(out->source, "Facebook");
        strcpy(out->medium, "cpc");

    } else if (landing_status == 0 && analytics_query_value(&landing, "msclkid") != NULL) {
        strcpy(out->source, "Microsoft");
        strcpy(out->medium, "cpc");

    } else if (from_status == 0
               && !(landing_status == 0 && strcmp(landing.host, from.host) == 0))
    {
        site = analytics_known_host(from.host);
        if (site != NULL) {
            strcpy(out->source, site->name);
            strcpy(out->medium, site->medium);
        } else {
            strcpy(out->source, "Referrer");
            strcpy(out->medium, "referral");
        }

    } else {
        strcpy(out->source, "Direct");
        strcpy(out->medium, "(none)");
        out->direct = 1;
    }

    if (wmkt_id != NULL) {
        analytics_copy_text(out->wmkt_id, sizeof(out->wmkt_id), wmkt_id, strlen(wmkt_id));
        if (slug != NULL) {
            analytics_copy_text(out->campaign_slug, sizeof(out->campaign_slug), slug, strlen(slug));
        }
    }
    if (utm_campaign != NULL) {
        analytics_copy_text(out->campaign, sizeof(out->campaign), utm_campaign, strlen(utm_campaign));
    } else if (out->campaign_slug[0] != '\0') {
        strcpy(out->campaign, out->campaign_slug);
    }

    analytics_free_url(&landing);
    analytics_free_url(&from);
    return rc;
}
