/*
 * Request bodies sent compressed (Content-Encoding: gzip or deflate), as
 * trackers and SDKs send batches: which encoding a header names, and the
 * body inflated into a buffer the caller sized, never past it, so that a
 * small body that inflates to gigabytes (a zip bomb) costs no more memory
 * than an honest one.
 */
#ifndef ANALYTICS_BODY_ENCODING_H
#define ANALYTICS_BODY_ENCODING_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ANALYTICS_ENCODING_IDENTITY = 0,   /* none, empty, or "identity" */
    ANALYTICS_ENCODING_GZIP,           /* "gzip" or "x-gzip" */
    ANALYTICS_ENCODING_DEFLATE,        /* "deflate": zlib's format, or a raw stream as some clients send */
    ANALYTICS_ENCODING_UNSUPPORTED     /* anything else, a list of codings included */
} analytics_content_encoding;

typedef enum {
    ANALYTICS_INFLATE_OK = 0,
    ANALYTICS_INFLATE_TOO_LARGE,       /* it inflates past room */
    ANALYTICS_INFLATE_CORRUPT          /* not a whole stream of the encoding, or bytes after it */
} analytics_inflate_result;

/* the Content-Encoding header's value, case and surrounding spaces aside */
analytics_content_encoding analytics_content_encoding_of(const char *value, size_t len);

/* in (len bytes, gzip: one or more members) inflated into out; *out_len is
 * what was written, never more than room. Memory: zlib's inflate state
 * (about 44 KB), freed before it returns */
analytics_inflate_result analytics_inflate(analytics_content_encoding encoding, const unsigned char *in, size_t len,
                                           unsigned char *out, size_t room, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif
