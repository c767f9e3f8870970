/*
 * Appends JSON text into a caller-owned buffer without allocating; counts
 * what did not fit so callers can size a retry (snprintf semantics).
 */
#ifndef ANALYTICS_JSON_TEXT_H
#define ANALYTICS_JSON_TEXT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char   *buf;
    size_t  size;
    size_t  len;     /* bytes wanted so far, may exceed size */
} analytics_json_text;

void   analytics_json_text_init(analytics_json_text *out, char *buf, size_t size);
void   analytics_json_text_raw(analytics_json_text *out, const char *text);
void   analytics_json_text_bytes(analytics_json_text *out, const char *text, size_t len);
/* a quoted, escaped JSON string; invalid UTF-8 is passed through as is */
void   analytics_json_text_string(analytics_json_text *out, const char *text);
void   analytics_json_text_string_n(analytics_json_text *out, const char *text, size_t len);
size_t analytics_json_text_finish(analytics_json_text *out);

#ifdef __cplusplus
}
#endif

#endif
