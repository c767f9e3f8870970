#include "json_text.h"

#include <string.h>

void
analytics_json_text_init(analytics_json_text *out, char *buf, size_t size)
{
    out->buf = buf;
    out->size = size;
    out->len = 0;
}

void
analytics_json_text_bytes(analytics_json_text *out, const char *text, size_t len)
{
    size_t room;

    if (out->size > 0 && out->len < out->size - 1) {
        room = out->size - 1 - out->len;
        memcpy(out->buf + out->len, text, len < room ? len : room);
    }
    out->len += len;
}

void
analytics_json_text_raw(analytics_json_text *out, const char *text)
{
    analytics_json_text_bytes(out, text, strlen(text));
}

void
analytics_json_text_string_n(analytics_json_text *out, const char *text, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char              esc[6];
    size_t            i, start;
    unsigned char     c;

    analytics_json_text_bytes(out, "\"", 1);

    start = 0;
    for (i = 0; i < len; i++) {
        c = (unsigned char) text[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        analytics_json_text_bytes(out, text + start, i - start);
        start = i + 1;
        switch (c) {
        case '"':  analytics_json_text_bytes(out, "\\\"", 2); break;
        case '\\': analytics_json_text_bytes(out, "\\\\", 2); break;
        case '\n': analytics_json_text_bytes(out, "\\n", 2); break;
        case '\r': analytics_json_text_bytes(out, "\\r", 2); break;
        case '\t': analytics_json_text_bytes(out, "\\t", 2); break;
        default:
            esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hex[c >> 4]; esc[5] = hex[c & 0xf];
            analytics_json_text_bytes(out, esc, 6);
        }
    }
    analytics_json_text_bytes(out, text + start, len - start);
    analytics_json_text_bytes(out, "\"", 1);
}

void
analytics_json_text_string(analytics_json_text *out, const char *text)
{
    analytics_json_text_string_n(out, text, strlen(text));
}

size_t
analytics_json_text_finish(analytics_json_text *out)
{
    if (out->size > 0) {
        out->buf[out->len < out->size ? out->len : out->size - 1] = '\0';
    }
    return out->len;
}
