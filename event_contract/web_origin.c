#include "web_origin.h"

#include <string.h>

static int
is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static char
lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

/* a host name's labels: [a-z0-9] at both ends, hyphens inside; in is lowercase */
static int
is_host_name(const char *in, size_t len)
{
    size_t  i, label;

    if (len == 0 || len > 253) {
        return 0;
    }
    label = 0;
    for (i = 0; i < len; i++) {
        if (in[i] == '.') {
            if (label == 0 || in[i - 1] == '-') {
                return 0;
            }
            label = 0;
            continue;
        }
        if (in[i] == '-') {
            if (label == 0) {
                return 0;
            }
        } else if (!is_lower_alnum(in[i])) {
            return 0;
        }
        if (++label > 63) {
            return 0;
        }
    }
    return label > 0 && in[len - 1] != '-';
}

/* "[" hex digits, colons and dots "]" */
static int
is_ipv6_literal(const char *in, size_t len)
{
    size_t  i;

    if (len < 4 || in[0] != '[' || in[len - 1] != ']' || len > 47) {
        return 0;
    }
    for (i = 1; i < len - 1; i++) {
        if (!((in[i] >= '0' && in[i] <= '9') || (in[i] >= 'a' && in[i] <= 'f') || in[i] == ':' || in[i] == '.')) {
            return 0;
        }
    }
    return 1;
}

size_t
analytics_origin_normalise(const char *text, size_t len, char *out, size_t cap)
{
    char          lowered[ANALYTICS_ORIGIN_MAX + 16];   /* the text, then a port of 6 */
    size_t        i, scheme_len, host_start, host_end, n;
    unsigned long port, default_port;
    const char   *port_text;
    size_t        port_len;

    if (text == NULL || len == 0 || len > ANALYTICS_ORIGIN_MAX + 8) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        lowered[i] = lower(text[i]);
    }
    if (lowered[len - 1] == '/') {
        len--;
    }

    if (len > 8 && memcmp(lowered, "https://", 8) == 0) {
        scheme_len = 5;
        default_port = 443;
    } else if (len > 7 && memcmp(lowered, "http://", 7) == 0) {
        scheme_len = 4;
        default_port = 80;
    } else {
        return 0;
    }
    host_start = scheme_len + 3;

    /* the host ends at the port's colon, which follows "]" for IPv6 */
    host_end = len;
    if (lowered[host_start] == '[') {
        for (i = host_start; i < len && lowered[i] != ']'; i++) {
            /* void */
        }
        if (i == len) {
            return 0;
        }
        host_end = i + 1;
    } else {
        for (i = host_start; i < len && lowered[i] != ':'; i++) {
            /* void */
        }
        host_end = i;
    }
    if (!(lowered[host_start] == '[' ? is_ipv6_literal(lowered + host_start, host_end - host_start)
                                     : is_host_name(lowered + host_start, host_end - host_start)))
    {
        return 0;
    }

    port = default_port;
    if (host_end < len) {
        if (lowered[host_end] != ':') {
            return 0;
        }
        port_text = lowered + host_end + 1;
        port_len = len - host_end - 1;
        if (port_len == 0 || port_len > 5) {
            return 0;
        }
        port = 0;
        for (i = 0; i < port_len; i++) {
            if (port_text[i] < '0' || port_text[i] > '9') {
                return 0;
            }
            port = port * 10 + (unsigned long) (port_text[i] - '0');
        }
        if (port == 0 || port > 65535) {
            return 0;
        }
    }

    n = host_end;
    if (port != default_port) {
        char  digits[8];
        int   d = 0;

        while (port > 0) {
            digits[d++] = (char) ('0' + port % 10);
            port /= 10;
        }
        lowered[n++] = ':';
        while (d > 0) {
            lowered[n++] = digits[--d];
        }
    }
    if (n + 1 > cap) {
        return 0;
    }
    memcpy(out, lowered, n);
    out[n] = '\0';
    return n;
}
